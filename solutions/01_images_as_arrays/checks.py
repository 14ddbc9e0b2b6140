"""Trusted checks for lesson 01 (see dlcourse/grading/checks.py). Instructor-only: never released.

Ported from the hidden tests of 01_images_as_arrays.ipynb. Every expected value is computed here, from first
principles or an independent oracle (NumPy, SciPy, Pillow, Keras's vgg16.preprocess_input and Flatten layer).
"""

import numpy as np

from dlcourse.grading.checks import Case, Fail, Registry, all_of, args_unchanged, as_array, close, number

CHECKS = Registry()

BT601 = np.array([0.299, 0.587, 0.114])
IMAGENET_BGR_MEANS = np.array([103.939, 116.779, 123.68])


def _keras():
    import keras

    return keras


# ------------------------------------------------------------------------------------------ Exercise 1

@CHECKS.exercise("image_nbytes-test")
def image_nbytes(rng):
    yield Case("image_nbytes", (500, 500, 3), check=number(750_000, integer=True),
               label="the example in the notebook")
    yield Case("image_nbytes", (28, 28, 1), check=number(784, integer=True), label="a grayscale image (channels=1)")
    yield Case("image_nbytes", (10, 10, 3), {"bits_per_value": 16}, check=number(600, integer=True),
               label="16 bits per value")
    dtypes = ((8, np.uint8), (16, np.uint16), (32, np.float32), (64, np.float64))
    for channels in (1, 3, 4):
        for _ in range(2):
            height, width = (int(v) for v in rng.integers(1, 700, size=2))
            for bits, dtype in dtypes:
                expected = height * width * channels * np.dtype(dtype).itemsize  # what NumPy allocates
                yield Case("image_nbytes", (height, width, channels), {"bits_per_value": bits},
                           check=number(expected, integer=True),
                           label=f"a {channels}-channel image at {bits} bits per value")
    height, width = (int(v) for v in rng.integers(1, 700, size=2))
    yield Case("image_nbytes", (height, width), check=number(height * width * 3, integer=True),
               label="the default channels and bits")
    bits = int(rng.choice([16, 32]))
    yield Case("image_nbytes", (height, width), {"bits_per_value": bits},
               check=number(height * width * 3 * bits // 8, integer=True),
               label="the default channels with more bits per value")
    yield Case("image_nbytes", (1, 1, 1), check=number(1, integer=True), label="a single grayscale pixel")


# ------------------------------------------------------------------------------------------ Exercise 2

def _gray_check(expected, atol=1e-3, pillow=None):
    """Floats (any float dtype), the input's shape without the channel axis, the BT.601 values."""
    expected = np.asarray(expected, dtype=np.float64)

    def check(result):
        got = as_array(result.value)
        if got.dtype.kind != "f":
            raise Fail(f"returned dtype {got.dtype}; return floats and do not round")
        if got.shape != expected.shape:
            raise Fail(f"returned shape {got.shape}; drop only the channel axis")
        got = got.astype(np.float64)
        if not np.allclose(got, expected, atol=atol, rtol=0):
            raise Fail("the values are wrong: use the BT.601 weights 0.299, 0.587, 0.114 and compute in floats")
        if pillow is not None and np.abs(got - pillow).max() > 0.51:
            raise Fail("the values are more than half a gray level away from Pillow's BT.601 conversion")
    return check


@CHECKS.exercise("rgb_to_gray-test")
def rgb_to_gray(rng):
    pixels = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]], dtype=np.uint8)
    yield Case("rgb_to_gray", (pixels,), check=_gray_check([[76.245, 149.685, 29.07, 255.0]]),
               label="the example in the notebook")

    from PIL import Image
    from skimage import data as skimage_data

    coffee = skimage_data.coffee()  # a real photograph, 400 x 600 x 3, uint8
    top, left = int(rng.integers(0, coffee.shape[0] - 160)), int(rng.integers(0, coffee.shape[1] - 250))
    photo = np.ascontiguousarray(coffee[top:top + 160, left:left + 250])
    expected = np.tensordot(photo.astype(np.float64), BT601, axes=([-1], [0]))
    pillow = np.asarray(Image.fromarray(photo).convert("L"), dtype=np.float64)  # Pillow's integer BT.601
    yield Case("rgb_to_gray", (photo,), check=_gray_check(expected, pillow=pillow), label="a real colour photograph")

    batch = rng.integers(0, 256, size=(4, 9, 7, 3)).astype(np.uint8)
    expected = 0.299 * batch[..., 0] + 0.587 * batch[..., 1] + 0.114 * batch[..., 2]
    yield Case("rgb_to_gray", (batch,), check=_gray_check(expected), label="a batch of uint8 images (N x H x W x 3)")

    floats = rng.random((5, 6, 3))
    yield Case("rgb_to_gray", (floats,), check=_gray_check(floats @ BT601, atol=1e-6), label="a float image")

    deep = rng.integers(0, 256, size=(2, 3, 4, 5, 3)).astype(np.uint8)
    yield Case("rgb_to_gray", (deep,), check=_gray_check(np.einsum("...c,c->...", deep.astype(np.float64), BT601)),
               label="more than one leading axis")

    bright = rng.integers(200, 256, size=(3, 8, 3)).astype(np.uint8)  # sums that would wrap around in uint8
    yield Case("rgb_to_gray", (bright,), check=_gray_check(bright.astype(np.float64) @ BT601),
               label="a bright uint8 image")


# ------------------------------------------------------------------------------------------ Exercise 3

def _vgg_oracle(images):
    """Keras's own vgg16.preprocess_input, on a float32 copy (it can work in place)."""
    from keras.applications import vgg16

    keras = _keras()
    return np.asarray(keras.ops.convert_to_numpy(vgg16.preprocess_input(np.array(images, dtype=np.float32))),
                      dtype=np.float64)


def _vgg_case(images, label):
    expected = _vgg_oracle(images)
    # First principles, as a guard on the oracle: BGR order, ImageNet means subtracted.
    assert np.allclose(expected, images[..., ::-1].astype(np.float64) - IMAGENET_BGR_MEANS, atol=1e-3)
    return Case("vgg_preprocess", (images,), echo_args=True, label=label,
                check=all_of(close(expected, atol=1e-3, rtol=0, dtype="float32"), args_unchanged(images.copy())))


@CHECKS.exercise("vgg_preprocess-test")
def vgg_preprocess(rng):
    pixels = np.array([[[255, 0, 0], [0, 0, 0]]], dtype=np.uint8)
    expected = [[[-103.939, -116.779, 255 - 123.68], [-103.939, -116.779, -123.68]]]
    yield Case("vgg_preprocess", (pixels,), check=close(expected, atol=1e-3, rtol=0, dtype="float32"),
               label="the example in the notebook")
    for shape, label in (((2, 5, 4, 3), "a batch of uint8 images"), ((6, 7, 3), "one uint8 image"),
                         ((1, 1, 1, 3), "a batch of one pixel")):
        yield _vgg_case(rng.integers(0, 256, size=shape).astype(np.uint8), label)
    yield _vgg_case((rng.random((3, 4, 3)) * 255).astype(np.float32), "a float32 image")
    yield _vgg_case(rng.random((2, 3, 5, 3)) * 255, "a batch of float64 images")


# ------------------------------------------------------------------------------------------ Exercise 4

def _flatten_oracle(images):
    keras = _keras()
    return np.asarray(keras.ops.convert_to_numpy(keras.layers.Flatten()(images.astype(np.float32))))


def _exactly(expected, what):
    expected = np.asarray(expected, dtype=np.float64)

    def check(result):
        got = as_array(result.value)
        if got.shape != expected.shape:
            raise Fail(f"returned shape {got.shape}, which is not the right shape for {what}")
        if not np.array_equal(got.astype(np.float64), expected):
            raise Fail(f"the values are in the wrong order for {what}: go row by row, a pixel's channels together")
    return check


@CHECKS.exercise("flatten_images-test")
def flatten_images(rng):
    batch = np.arange(2 * 2 * 3 * 1).reshape(2, 2, 3, 1)
    yield Case("flatten_images", (batch,), check=_exactly(np.arange(12).reshape(2, 6), "flattening"),
               label="the example in the notebook")
    rgb = np.arange(1 * 1 * 2 * 3).reshape(1, 1, 2, 3)
    yield Case("flatten_images", (rgb,), check=_exactly([[0, 1, 2, 3, 4, 5]], "flattening"),
               label="an RGB image from the notebook")
    yield Case("unflatten_images", (np.arange(12).reshape(2, 6), 2, 3, 1), check=_exactly(batch, "unflattening"),
               label="the example in the notebook")
    random_shape = (int(rng.integers(2, 5)), int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.integers(1, 4)))
    if random_shape[1] == random_shape[2]:
        random_shape = (random_shape[0], random_shape[1], random_shape[2] + 1, random_shape[3])
    for shape, label in (((3, 5, 4, 3), "a batch of RGB images"), ((1, 28, 28, 1), "one MNIST-sized image"),
                         ((4, 7, 2, 2), "tall two-channel images"), (random_shape, "images of another size")):
        images = rng.integers(0, 256, size=shape).astype(np.float32)
        flat = _flatten_oracle(images)  # Keras's layers.Flatten
        assert np.array_equal(flat, images.reshape(shape[0], -1))
        yield Case("flatten_images", (images,), check=_exactly(flat, "flattening"), label=label)
        yield Case("unflatten_images", (flat, *shape[1:]), check=_exactly(images, "unflattening"), label=label)


# ------------------------------------------------------------------------------------------ Exercise 5

def _filter_case(image, kernel, label, atol=1e-6):
    from scipy.signal import correlate2d

    expected = correlate2d(np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64), mode="valid")

    def check(result):
        got = as_array(result.value)
        if got.shape != expected.shape:
            raise Fail(f"returned shape {got.shape}; without padding the output is (H - 2) x (W - 2)")
        got = got.astype(np.float64)
        if not np.allclose(got, expected, atol=atol, rtol=1e-7):
            if np.allclose(got, correlate2d(np.asarray(image, np.float64), np.asarray(kernel, np.float64)[::-1, ::-1],
                                            mode="valid"), atol=atol, rtol=1e-7):
                raise Fail("the values are those of the flipped kernel (convolution); do not flip it")
            raise Fail("the values are wrong")
    return Case("filter3x3", (image, kernel), check=check, label=label)


@CHECKS.exercise("filter3x3-test")
def filter3x3(rng):
    image = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]], dtype=np.uint8)
    yield _filter_case(image, np.ones((3, 3)) / 9, "the example in the notebook")
    yield _filter_case(image, np.array([[0, 0, 0], [-1, 0, 1], [0, 0, 0]]), "the right-minus-left kernel")
    yield _filter_case(image, -np.eye(3), "a negative kernel on a uint8 image")

    from skimage import data as skimage_data

    camera = skimage_data.camera()  # a real photograph, 512 x 512, uint8
    top, left = int(rng.integers(0, camera.shape[0] - 64)), int(rng.integers(0, camera.shape[1] - 70))
    photo = np.ascontiguousarray(camera[top:top + 64, left:left + 70])
    for _ in range(3):
        yield _filter_case(photo, rng.normal(size=(3, 3)), "a real photograph and a random kernel")
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    yield _filter_case(photo, sobel_x, "a real photograph and the Sobel kernel")
    tall = rng.random((9, 5))
    yield _filter_case(tall, rng.permutation(9).reshape(3, 3).astype(float), "a tall float image")
    wide = rng.integers(0, 256, size=(5, 11)).astype(np.uint8)
    yield _filter_case(wide, rng.normal(size=(3, 3)), "a wide uint8 image")
    smallest = rng.integers(0, 256, size=(3, 3)).astype(np.uint8)
    yield _filter_case(smallest, rng.normal(size=(3, 3)), "a 3x3 image (one output pixel)")
