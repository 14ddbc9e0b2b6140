"""Round-trip case for lesson 03: a plausible mistake, true convolution (the kernel flipped) instead of Keras's
cross-correlation. Everything else (padding, stride, channels, bias) is right, so only conv2d-test may lose points."""

WRONG_ANSWER = {
    "grade_id": "conv2d",
    "source": '''def conv2d(image, kernel, bias=0.0, stride=1, padding=0):
    """One filter of a convolutional layer, in NumPy. Returns a 2-D feature map."""
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim == 2:
        image = image[:, :, None]
    if kernel.ndim == 2:
        kernel = kernel[:, :, None]
    kernel = kernel[::-1, ::-1, :]  # the mistake: flipping the kernel, as mathematical convolution does
    image = np.pad(image, ((padding, padding), (padding, padding), (0, 0)))
    kernel_height, kernel_width = kernel.shape[:2]
    out_height = (image.shape[0] - kernel_height) // stride + 1
    out_width = (image.shape[1] - kernel_width) // stride + 1
    output = np.zeros((out_height, out_width))
    for row in range(out_height):
        for column in range(out_width):
            patch = image[row * stride:row * stride + kernel_height, column * stride:column * stride + kernel_width]
            output[row, column] = np.sum(patch * kernel) + bias
    return output
''',
}
