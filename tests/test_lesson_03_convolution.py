"""Lesson 03's worked numbers, checked directly against Keras layers (no notebook execution, a few seconds)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers



def run_conv2d(image, kernel, bias=0.0, strides=1, padding="valid"):
    image, kernel = np.asarray(image, "float32"), np.asarray(kernel, "float32")
    if image.ndim == 2:
        image, kernel = image[..., None], kernel[..., None]
    layer = layers.Conv2D(1, kernel.shape[:2], strides=strides, padding=padding)
    layer.build((None, *image.shape))
    layer.set_weights([kernel[..., None], np.array([bias], "float32")])
    return keras.ops.convert_to_numpy(layer(image[None]))[0, :, :, 0]


def test_vertical_edge_map_has_middle_columns_30():
    image = np.array([[10, 10, 10, 0, 0, 0]] * 6)
    kernel = np.array([[1, 0, -1]] * 3)
    assert np.array_equal(run_conv2d(image, kernel), [[0, 30, 30, 0]] * 4)


def test_seed_5x5_example_has_one_kernel_and_keras_reproduces_it():
    grid = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]], float)
    patches = np.array([grid[r:r + 3, c:c + 3].ravel() for r in range(3) for c in range(3)])
    assert np.linalg.matrix_rank(patches) == 9  # the kernel is unique
    kernel = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]])
    assert np.array_equal(run_conv2d(grid, kernel), [[12, 12, 17], [10, 17, 19], [9, 6, 14]])


def test_rgb_example_gives_minus_25_top_left():
    red = [[156, 155, 156, 158, 158], [153, 154, 157, 159, 159], [149, 151, 155, 158, 159],
           [146, 146, 149, 153, 158], [145, 143, 143, 148, 158]]
    green = [[167, 166, 167, 169, 169], [164, 165, 168, 170, 170], [160, 162, 166, 169, 170],
             [156, 156, 159, 163, 168], [155, 153, 153, 158, 168]]
    blue = [[163, 162, 163, 165, 165], [160, 161, 164, 166, 166], [156, 158, 162, 165, 166],
            [155, 155, 158, 162, 167], [154, 152, 152, 157, 167]]
    kernel = np.stack([[[-1, -1, 1], [0, 1, -1], [0, 1, 1]], [[1, 0, 0], [1, -1, -1], [1, 0, -1]],
                       [[0, 1, 1], [0, 1, 0], [1, -1, 1]]], axis=-1)
    output = run_conv2d(np.stack([red, green, blue], axis=-1), kernel, bias=1.0, padding="same")
    assert output.shape == (5, 5) and output[0, 0] == -25


def test_seed_max_pool_example():
    feature_map = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], "float32")[None, :, :, None]
    pooled = keras.ops.convert_to_numpy(layers.MaxPooling2D(2)(feature_map))[0, :, :, 0]
    assert np.array_equal(pooled, [[6, 8], [3, 4]])


def test_output_sizes_28_to_28_and_pool_to_14():
    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(16, 5, padding="same"), layers.MaxPooling2D(2)])
    output = model(np.zeros((1, 28, 28, 1), "float32"))
    assert tuple(output.shape) == (1, 14, 14, 16)
    assert tuple(model.layers[0](np.zeros((1, 28, 28, 1), "float32")).shape) == (1, 28, 28, 16)


@pytest.mark.parametrize("layer, input_shape, expected", [
    (layers.Conv2D(32, 3), (None, 28, 28, 1), 320),
    (layers.Conv2D(64, 3), (None, 14, 14, 32), 18_496),
    (layers.Conv2D(5, 3), (None, 32, 32, 3), 140),
    (layers.Dense(64), (None, 3136), 200_768),
    (layers.Dense(64), (None, 128), 8_256),
    (layers.Dense(100), (None, 100), 10_100),
    (layers.Conv2D(1, 3), (None, 10, 10, 1), 10),
])
def test_parameter_counts(layer, input_shape, expected):
    layer.build(input_shape)
    assert layer.count_params() == expected


def test_the_lessons_conv_params_matches_keras_and_not_the_notes_formula():
    """The lesson's conv_params against Keras's count_params(); the notes' handwritten (m*n)*d*(d+1)*K is wrong."""
    from lesson_code import namespace

    conv_params = namespace("03_convolution", "conv_params")["conv_params"]
    for kernel, channels, filters in ((3, 1, 32), (3, 32, 64), ((3, 3), 3, 5), ((1, 7), 16, 8), (5, 6, 16)):
        layer = layers.Conv2D(filters, kernel)
        layer.build((None, 14, 14, channels))
        assert conv_params(kernel, channels, filters) == layer.count_params(), (kernel, channels, filters)
    layer = layers.Conv2D(64, 3)
    layer.build((None, 14, 14, 32))
    assert (3 * 3) * 32 * (32 + 1) * 64 != layer.count_params()


def test_receptive_field_of_stacked_3x3_is_3_5_7():
    impulse = np.zeros((1, 15, 15, 1), "float32")
    impulse[0, 7, 7, 0] = 1
    for depth, expected in ((1, 3), (2, 5), (3, 7)):
        stack = keras.Sequential([keras.Input((15, 15, 1))] + [
            layers.Conv2D(1, 3, padding="same", use_bias=False, kernel_initializer="ones") for _ in range(depth)])
        footprint = keras.ops.convert_to_numpy(stack(impulse))[0, :, :, 0]
        assert np.count_nonzero(footprint[7]) == expected
