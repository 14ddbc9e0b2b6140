"""Lesson 01's numbers and claims, checked directly against NumPy, Keras, Pillow, SciPy and scikit-image (fast)."""

from __future__ import annotations

import io

import numpy as np
import pytest


def test_vgg16_preprocess_input_is_bgr_minus_imagenet_means():
    from keras.applications import vgg16

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(2, 4, 5, 3)).astype(np.float32)
    expected = images[..., ::-1] - np.array([103.939, 116.779, 123.68], dtype=np.float32)
    assert np.allclose(vgg16.preprocess_input(images.copy()), expected, atol=1e-4)


def test_grayscale_weights_the_lesson_states():
    from PIL import Image
    from skimage.color import rgb2gray

    pixels = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], dtype=np.uint8)
    assert np.asarray(Image.fromarray(pixels).convert("L")).tolist() == [[76, 150, 29]]  # BT.601, rounded
    # scikit-image's own weights, near BT.709's 0.2126 / 0.7152 / 0.0722 but not equal to them
    assert np.allclose(rgb2gray(pixels)[0], [0.2125, 0.7154, 0.0721], atol=1e-6)


def test_sobel_relations_with_scipy_and_skimage():
    from scipy import ndimage
    from skimage import data, filters

    camera = data.camera()[:96, :128].astype(np.float64) / 255.0
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
    gradient_x, gradient_y = ndimage.correlate(camera, sobel_x), ndimage.correlate(camera, sobel_x.T)
    assert np.allclose(filters.sobel_v(camera), gradient_x / 4)
    assert np.allclose(filters.sobel(camera), np.sqrt((gradient_x ** 2 + gradient_y ** 2) / 2) / 4)


def test_keras_conv_is_cross_correlation():
    import keras
    from scipy.signal import correlate2d

    rng = np.random.default_rng(1)
    image, kernel = rng.random((9, 11)).astype(np.float32), rng.normal(size=(3, 3)).astype(np.float32)
    out = keras.ops.convert_to_numpy(keras.ops.conv(image[None, :, :, None], kernel[:, :, None, None]))[0, :, :, 0]
    assert np.allclose(out, correlate2d(image, kernel, mode="valid"), atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 5, 4, 3), (2, 28, 28, 1)])
def test_flatten_is_row_major_reshape(shape):
    import keras

    images = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    flat = keras.ops.convert_to_numpy(keras.layers.Flatten()(images))
    assert np.array_equal(flat, images.reshape(shape[0], -1))


def test_jpeg_is_much_smaller_than_raw():
    from PIL import Image
    from skimage import data

    photo = data.astronaut()
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="JPEG", quality=75)
    assert photo.nbytes / len(buffer.getvalue()) > 5


@pytest.mark.grader
def test_the_lessons_storage_and_colour_numbers(smoke_report):
    """What lesson 01 computed and recorded (its graded smoke run), against NumPy: bytes of a 500x500 RGB image,
    and the colours 8 bits per channel can show."""
    records = smoke_report["01_images_as_arrays"]["records"]
    assert records["image_bytes"] == np.zeros((500, 500, 3), dtype=np.uint8).nbytes == 750_000
    assert records["colour_count"] == (int(np.iinfo(np.uint8).max) + 1) ** 3 == 16_777_216

