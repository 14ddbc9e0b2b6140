"""Trusted checks for lesson 03, convolution by hand (see dlcourse/grading/checks.py). Instructor-only: never released.

Every expected value is computed here from first principles or an independent oracle: counting window positions,
SciPy's cross-correlation, NumPy's sliding windows and Kronecker products, and one-hot inputs pushed through a stack
of all-ones 1-D windows. Nothing is imported from the notebook, and nothing here needs Keras.
"""

import numpy as np

from dlcourse.grading.checks import Case, Registry, all_of, args_unchanged, close, number

CHECKS = Registry()



# ------------------------------------------------------------------------------------------ conv_output_size

def _positions(width, kernel_size, padding, stride):
    """How many windows of `kernel_size` fit in the padded width, starting every `stride` pixels (counted)."""
    padded = width + 2 * padding
    return len(range(0, padded - kernel_size + 1, stride))


@CHECKS.exercise("conv_output_size-test")
def conv_output_size(rng):
    yield Case("conv_output_size", (6, 3), check=number(4, integer=True), label="the example in the notebook")
    yield Case("conv_output_size", (28, 5), {"padding": 2, "stride": 1}, check=number(28, integer=True),
               label="'same' padding in the notebook")
    yield Case("conv_output_size", (28, 2), {"padding": 0, "stride": 2}, check=number(14, integer=True),
               label="2x2 pooling in the notebook")
    yield Case("conv_output_size", (32, 11), {"padding": 5, "stride": 4}, check=number(8, integer=True),
               label="a stride that does not divide evenly, in the notebook")
    # Convolutions of random sizes, padding and stride.
    for _ in range(8):
        kernel = int(rng.integers(1, 8))
        padding = int(rng.integers(0, 4))
        stride = int(rng.integers(1, 5))
        width = int(rng.integers(kernel, 40))
        yield Case("conv_output_size", (width, kernel), {"padding": padding, "stride": stride},
                   check=number(_positions(width, kernel, padding, stride), integer=True),
                   label="a random convolution with padding and stride")
        size = int(rng.integers(2, 4))
        yield Case("conv_output_size", (width + 3, size, 0, stride),
                   check=number(_positions(width + 3, size, 0, stride), integer=True),
                   label="a random pooling window (positional arguments)")
    # Edge cases, with random values.
    width = int(rng.integers(5, 30))
    kernel = int(rng.integers(2, width + 1))
    yield Case("conv_output_size", (width, kernel), check=number(_positions(width, kernel, 0, 1), integer=True),
               label="the default padding and stride")
    padding = int(rng.integers(1, 4))
    yield Case("conv_output_size", (width, width + 2 * padding),
               {"padding": padding, "stride": int(rng.integers(1, 4))},
               check=number(1, integer=True), label="a kernel as wide as the padded input")
    yield Case("conv_output_size", (width, 1), {"padding": 0, "stride": 1}, check=number(width, integer=True),
               label="a 1-wide kernel")
    stride = int(rng.integers(3, 6))
    width = stride * int(rng.integers(3, 8)) + 1 + int(rng.integers(1, stride))  # (width - 1) % stride != 0
    yield Case("conv_output_size", (width, 1), {"padding": 0, "stride": stride},
               check=number(_positions(width, 1, 0, stride), integer=True),
               label="a stride that leaves pixels over at the end")


# ------------------------------------------------------------------------------------------ conv2d

def _correlate(image, kernel, bias=0.0, stride=1, padding=0):
    """Oracle: SciPy's 2-D cross-correlation of each zero-padded channel with its kernel slice, summed over the
    channels, then every `stride`-th value of the stride-1 map, plus the bias."""
    from scipy import signal

    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if image.ndim == 2:
        image, kernel = image[..., None], kernel[..., None]
    padded = np.pad(image, ((padding, padding), (padding, padding), (0, 0)))
    full = sum(signal.correlate2d(padded[..., c], kernel[..., c], mode="valid") for c in range(image.shape[2]))
    return full[::stride, ::stride] + bias


def _conv_case(image, kernel, label, bias=None, stride=None, padding=None, unchanged=False):
    kwargs = {key: value for key, value in (("bias", bias), ("stride", stride), ("padding", padding))
              if value is not None}
    expected = _correlate(image, kernel, bias or 0.0, stride or 1, padding or 0)
    check = close(expected, atol=1e-4, rtol=1e-5)
    if unchanged:
        check = all_of(check, args_unchanged(image.copy(), kernel.copy()))
    return Case("conv2d", (image, kernel), kwargs, check=check, label=label, echo_args=unchanged)


@CHECKS.exercise("conv2d-test")
def conv2d(rng):
    edge = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float)
    edge_kernel = np.array([[1, 0, -1]] * 3, dtype=float)
    yield Case("conv2d", (edge, edge_kernel), check=close([[0, 30, 30, 0]] * 4, atol=1e-4),
               label="the example in the notebook")
    grid = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]], dtype=float)
    seed_kernel = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]], dtype=float)
    yield Case("conv2d", (grid, seed_kernel), check=close([[12, 12, 17], [10, 17, 19], [9, 6, 14]], atol=1e-4),
               label="the notes' 5x5 example")
    yield _conv_case(grid, seed_kernel, "the notes' 5x5 example with padding", padding=1)
    yield Case("conv2d", (grid, seed_kernel), {"stride": 2}, check=close([[12, 17], [9, 14]], atol=1e-4),
               label="the notes' 5x5 example with stride 2")
    rgb = np.stack([np.full((4, 4), 1.0), np.full((4, 4), 2.0), np.full((4, 4), 3.0)], axis=-1)
    yield Case("conv2d", (rgb, np.ones((3, 3, 3))), {"bias": 0.5}, check=close(np.full((2, 2), 54.5), atol=1e-4),
               label="the notebook's colour example with a bias")

    # Random layers: every kind always present, only the values random.
    def image(height, width, channels=None):
        shape = (height, width) if channels is None else (height, width, channels)
        return rng.normal(size=shape)

    def kernel(height, width, channels=None):
        return image(height, width, channels)

    yield _conv_case(rng.integers(0, 10, size=(7, 9)).astype(float),
                     rng.integers(-2, 3, size=(3, 2)).astype(float), "a 2-D image with a non-square kernel")
    height, width = int(rng.integers(6, 11)), int(rng.integers(6, 11))
    yield _conv_case(image(height, width, 1), kernel(3, 3, 1), "a one-channel image with a channel axis",
                     bias=float(rng.normal()))
    channels = int(rng.integers(2, 5))
    yield _conv_case(image(int(rng.integers(7, 12)), int(rng.integers(7, 12)), channels), kernel(3, 3, channels),
                     "a multi-channel image with stride, padding and a bias", bias=float(rng.normal()), stride=2,
                     padding=1, unchanged=True)
    channels = int(rng.integers(2, 4))
    yield _conv_case(image(int(rng.integers(8, 12)), int(rng.integers(8, 12)), channels),
                     kernel(int(rng.integers(2, 5)), int(rng.integers(2, 5)), channels),
                     "a stride that does not divide evenly", stride=3, padding=int(rng.integers(0, 3)))
    yield _conv_case(image(int(rng.integers(5, 9)), int(rng.integers(5, 9))), kernel(2, 4),
                     "an even, non-square kernel with padding 2", bias=float(rng.normal()), padding=2)
    channels = int(rng.integers(2, 5))
    yield _conv_case(image(int(rng.integers(3, 7)), int(rng.integers(3, 7)), channels), kernel(1, 1, channels),
                     "a 1x1 kernel that mixes channels", bias=float(rng.normal()))
    height, width, padding = int(rng.integers(3, 6)), int(rng.integers(3, 6)), int(rng.integers(0, 2))
    yield _conv_case(image(height, width, 2), kernel(height + 2 * padding, width + 2 * padding, 2),
                     "a kernel as large as the padded image", padding=padding)
    yield _conv_case(image(int(rng.integers(6, 11)), int(rng.integers(6, 11))), kernel(3, 3),
                     "a 2-D image with stride 2 and padding 2", bias=float(rng.normal()), stride=2, padding=2,
                     unchanged=True)
    for _ in range(4):  # like the old hidden test: sizes, channels, stride, padding and bias all random
        channels = int(rng.integers(1, 4))
        kernel_height, kernel_width = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        yield _conv_case(image(int(rng.integers(max(kernel_height, 3), 11)),
                               int(rng.integers(max(kernel_width, 3), 11)), channels),
                         kernel(kernel_height, kernel_width, channels), "a random layer",
                         bias=float(rng.normal()), stride=int(rng.integers(1, 4)), padding=int(rng.integers(0, 3)))


# ------------------------------------------------------------------------------------------ pool2d

def _pooled(feature_map, size, stride, mode):
    """Oracle: NumPy's sliding windows over height and width, every `stride`-th one, reduced by max or mean."""
    feature_map = np.asarray(feature_map, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(feature_map, (size, size), axis=(0, 1))[::stride, ::stride]
    return windows.max(axis=(-2, -1)) if mode == "max" else windows.mean(axis=(-2, -1))


def _pool_case(feature_map, label, size=None, stride=None, mode=None, unchanged=False):
    kwargs = {key: value for key, value in (("size", size), ("stride", stride), ("mode", mode)) if value is not None}
    check = close(_pooled(feature_map, size or 2, stride or 2, mode or "max"), atol=1e-6)
    if unchanged:
        check = all_of(check, args_unchanged(feature_map.copy()))
    return Case("pool2d", (feature_map,), kwargs, check=check, label=label, echo_args=unchanged)


@CHECKS.exercise("pool2d-test")
def pool2d(rng):
    notes_map = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)
    yield Case("pool2d", (notes_map,), check=close([[6, 8], [3, 4]]), label="the example in the notebook")
    yield Case("pool2d", (notes_map,), {"mode": "average"}, check=close([[3.25, 5.25], [2, 2]]),
               label="the notebook's average pooling")
    yield _pool_case(np.arange(49.0).reshape(7, 7), "the notebook's overlapping 3x3 windows", size=3, stride=2)
    yield _pool_case(np.stack([notes_map, -notes_map], axis=-1), "the notebook's two-channel map")

    # Random maps: every kind of window always present, in both modes, with and without a channel axis.
    def random_map(size, channels, odd=False):
        sides = [2 * int(rng.integers(2, 6)) + 1 if odd else int(rng.integers(size, 12)) for _ in range(2)]
        return rng.normal(size=tuple(sides) if channels is None else tuple(sides) + (channels,))

    channels = int(rng.integers(2, 5))
    kinds = [(2, 2, True, "2x2 windows with stride 2 on an odd-sized map"),
             (3, 1, False, "overlapping 3x3 windows with stride 1"),
             (2, 3, False, "windows with gaps between them (stride larger than the window)"),
             (1, 1, False, "1x1 windows (nothing changes)"),
             (int(rng.integers(2, 4)), int(rng.integers(1, 4)), False, "a random window and stride")]
    for size, stride, odd, label in kinds:
        for mode in ("max", "average"):
            yield _pool_case(random_map(size, channels, odd), f"{mode} pooling, {label}, several channels",
                             size=size, stride=stride, mode=mode)
            yield _pool_case(random_map(size, None, odd), f"{mode} pooling, {label}, a 2-D map", size=size,
                             stride=stride, mode=mode)
    yield _pool_case(random_map(2, int(rng.integers(1, 4))), "the default size, stride and mode", unchanged=True)
    yield _pool_case(random_map(3, None), "average pooling of a 2-D map", size=3, stride=2, mode="average",
                     unchanged=True)


# ------------------------------------------------------------------------------------------ upsample_nearest

def _upsampled(feature_map, factor):
    """Oracle: the Kronecker product with a factor x factor block of ones (channels untouched)."""
    feature_map = np.asarray(feature_map, dtype=np.float64)
    block = np.ones((factor, factor) + (1,) * (feature_map.ndim - 2))
    return np.kron(feature_map, block)


def _upsample_case(feature_map, label, factor=None, unchanged=False):
    kwargs = {} if factor is None else {"factor": factor}
    check = close(_upsampled(feature_map, factor or 2), atol=1e-9)
    if unchanged:
        check = all_of(check, args_unchanged(feature_map.copy()))
    return Case("upsample_nearest", (feature_map,), kwargs, check=check, label=label, echo_args=unchanged)


@CHECKS.exercise("upsample_nearest-test")
def upsample_nearest(rng):
    yield Case("upsample_nearest", (np.array([[6.0, 8.0], [3.0, 4.0]]),),
               check=close([[6, 6, 8, 8], [6, 6, 8, 8], [3, 3, 4, 4], [3, 3, 4, 4]]),
               label="the example in the notebook")
    yield _upsample_case(np.ones((2, 3, 4)), "the notebook's (2, 3, 4) map", factor=3)

    def random_map(channels):
        shape = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        return rng.normal(size=shape if channels is None else shape + (channels,))

    for factor in (1, 2, 3, int(rng.integers(4, 6))):
        yield _upsample_case(random_map(int(rng.integers(1, 4))), f"factor {factor}, a map with channels",
                             factor=factor)
        yield _upsample_case(random_map(None), f"factor {factor}, a 2-D map", factor=factor)
    yield _upsample_case(random_map(int(rng.integers(2, 4))), "the default factor", unchanged=True)
    yield _upsample_case(rng.normal(size=(int(rng.integers(2, 5)), int(rng.integers(5, 8)))),
                         "a non-square 2-D map with the default factor", unchanged=True)


# ------------------------------------------------------------------------------------------ conv_params

def _count(kernel_height, kernel_width, in_channels, filters):
    """Oracle: the sizes of a Conv2D layer's two weight arrays, kernel (h, w, c, k) and bias (k,)."""
    return int(np.zeros((kernel_height, kernel_width, in_channels, filters)).size + np.zeros(filters).size)


@CHECKS.exercise("conv_params-test")
def conv_params(rng):
    yield Case("conv_params", (3, 1, 32), check=number(320, integer=True), label="the example in the notebook")
    yield Case("conv_params", (3, 32, 64), check=number(18_496, integer=True), label="the notebook's 3x3x32 kernels")
    yield Case("conv_params", ((3, 3), 3, 5), check=number(140, integer=True),
               label="the notebook's (height, width) tuple")
    for _ in range(6):
        kernel_height, kernel_width = int(rng.integers(1, 8)), int(rng.integers(1, 8))
        if kernel_height == kernel_width:
            kernel_width = kernel_height % 7 + 1
        channels, filters = int(rng.integers(1, 70)), int(rng.integers(1, 130))
        yield Case("conv_params", ((kernel_height, kernel_width), channels, filters),
                   check=number(_count(kernel_height, kernel_width, channels, filters), integer=True),
                   label="a random non-square kernel, as a tuple")
        size = int(rng.integers(1, 8))
        channels, filters = int(rng.integers(1, 70)), int(rng.integers(1, 130))
        expected = _count(size, size, channels, filters)
        yield Case("conv_params", (size, channels, filters), check=number(expected, integer=True),
                   label="a random square kernel, as an int")
        yield Case("conv_params", ((size, size), channels, filters), check=number(expected, integer=True),
                   label="a random square kernel, as a tuple")
    filters = int(rng.integers(2, 130))
    yield Case("conv_params", (1, 1, filters), check=number(_count(1, 1, 1, filters), integer=True),
               label="a 1x1 kernel on one channel")


# ------------------------------------------------------------------------------------------ receptive_field

def _field(kernel_sizes, strides):
    """Oracle: push every one-hot input through a stack of all-ones 1-D windows (each layer sums `kernel` inputs,
    moving `stride` at a time), and measure the span of the input positions that reach the first output value
    (a span, not a count: a window narrower than its stride skips inputs, leaving gaps inside the field)."""
    length = 1 + sum((k - 1) * int(np.prod(strides[:i])) for i, k in enumerate(kernel_sizes)) + 64
    signal = np.eye(length)  # row p: the input that is 1 at position p
    for kernel, stride in zip(kernel_sizes, strides):
        windows = np.lib.stride_tricks.sliding_window_view(signal, kernel, axis=1)[:, ::stride]
        signal = windows.sum(axis=-1)
    reached = np.flatnonzero(signal[:, 0])
    return int(reached.max() - reached.min() + 1)


@CHECKS.exercise("receptive_field-test")
def receptive_field(rng):
    yield Case("receptive_field", ([3],), check=number(3, integer=True), label="the example in the notebook")
    yield Case("receptive_field", ([3, 3],), check=number(5, integer=True), label="the notebook's two 3x3 layers")
    yield Case("receptive_field", ([3, 3, 3],), check=number(7, integer=True),
               label="the notebook's three 3x3 layers")
    yield Case("receptive_field", ([5],), check=number(5, integer=True), label="the notebook's single 5x5 layer")
    yield Case("receptive_field", ([3, 2, 3],), {"strides": [1, 2, 1]}, check=number(8, integer=True),
               label="the notebook's conv, pool, conv")
    for _ in range(6):
        count = int(rng.integers(2, 6))
        kernels = [int(k) for k in rng.integers(1, 6, size=count)]
        strides = [int(s) for s in rng.integers(1, 3, size=count)]
        strides[int(rng.integers(0, count - 1))] = 2  # at least one stride 2 before the last layer
        yield Case("receptive_field", (kernels,), {"strides": strides}, check=number(_field(kernels, strides),
                                                                                      integer=True),
                   label="a random stack with strides")
    for count in (1, int(rng.integers(2, 6))):
        kernels = [int(k) for k in rng.integers(2, 8, size=count)]
        yield Case("receptive_field", (kernels,), check=number(_field(kernels, [1] * count), integer=True),
                   label="a random stack with the default strides")
    kernels = [int(k) for k in rng.integers(2, 6, size=3)]
    yield Case("receptive_field", (kernels, [1, 1, 1]), check=number(_field(kernels, [1, 1, 1]), integer=True),
               label="strides of 1 given explicitly")
    kernels = [1] * int(rng.integers(1, 5))
    yield Case("receptive_field", (kernels,), {"strides": [int(s) for s in rng.integers(1, 3, size=len(kernels))]},
               check=number(1, integer=True), label="a stack of 1x1 layers")
    kernels = [int(k) for k in rng.integers(2, 6, size=3)]
    yield Case("receptive_field", (kernels,), {"strides": [1, 1, 3]},
               check=number(_field(kernels, [1, 1, 1]), integer=True),
               label="a stride on the last layer only (it does not widen the field)")
