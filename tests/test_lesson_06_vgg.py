"""Lesson 06's key numbers, checked against Keras without running the notebook."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

VGG16_CONVS = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
               (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]


def conv_params(kernel_size, channels_in, channels_out):
    return (kernel_size * kernel_size * channels_in + 1) * channels_out


def test_vgg16_with_top_has_138_357_544_parameters():
    model = keras.applications.VGG16(weights=None)  # allocates about 550 MB
    dense = (7 * 7 * 512 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    assert model.count_params() == 138_357_544 == sum(conv_params(3, i, o) for i, o in VGG16_CONVS) + dense
    assert model.get_layer("fc1").count_params() == 102_764_544


def test_vgg16_without_top_and_its_blocks():
    model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert model.count_params() == 14_714_688 == sum(conv_params(3, i, o) for i, o in VGG16_CONVS)
    assert model.output_shape == (None, 1, 1, 512)
    block = {f"block{n}": sum(layer.count_params() for layer in model.layers if layer.name.startswith(f"block{n}"))
             for n in range(1, 6)}
    assert block == {"block1": 38_720, "block2": 221_440, "block3": 1_475_328, "block4": 5_899_776,
                     "block5": 7_079_424}


@pytest.mark.parametrize("channels", [64, 256, 512])
def test_two_3x3_versus_one_5x5_and_three_versus_7x7(channels):
    def stack(kernel_size, depth):
        model = keras.Sequential([keras.Input(shape=(8, 8, channels))] + [
            layers.Conv2D(channels, kernel_size, padding="same") for _ in range(depth)])
        return model.count_params()

    assert stack(3, 2) == 2 * conv_params(3, channels, channels) == 18 * channels**2 + 2 * channels
    assert stack(5, 1) == conv_params(5, channels, channels) == 25 * channels**2 + channels
    assert stack(3, 3) == 27 * channels**2 + 3 * channels
    assert stack(7, 1) == 49 * channels**2 + channels
    assert stack(3, 2) < stack(5, 1) and stack(3, 3) < stack(7, 1)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_receptive_field_of_stacked_3x3(depth):
    size = 21
    model = keras.Sequential([keras.Input(shape=(size, size, 1))] + [
        layers.Conv2D(1, 3, padding="same", use_bias=False, kernel_initializer="ones") for _ in range(depth)])
    impulse = np.zeros((1, size, size, 1), dtype="float32")
    impulse[0, size // 2, size // 2, 0] = 1
    lit = keras.ops.convert_to_numpy(model(impulse))[0, ..., 0] > 0
    rows, cols = np.flatnonzero(lit.any(axis=1)), np.flatnonzero(lit.any(axis=0))
    assert np.ptp(rows) + 1 == np.ptp(cols) + 1 == 2 * depth + 1


def test_notes_20x20_example_shapes():
    model = keras.Sequential([keras.Input(shape=(20, 20, 3)), layers.Conv2D(32, 3), layers.Conv2D(64, 3),
                              layers.Conv2D(128, 3)])
    assert model.output_shape == (None, 14, 14, 128)


def test_alexnet_style_table_from_the_notes():
    """Seed 004's 32×32×3 table: 11×11/4 'same' conv 96, pool, 5×5 conv 256, pool, 3×3 conv 384, FC 84, FC 10."""
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(96, 11, strides=4, padding="same")(inputs)
    assert x.shape[1:] == (8, 8, 96)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(256, 5, padding="same")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(384, 3, padding="same")(x)
    assert x.shape[1:] == (2, 2, 384)
    outputs = layers.Dense(10)(layers.Dense(84)(layers.Flatten()(x)))
    model = keras.Model(inputs, outputs)
    table = conv_params(11, 3, 96) + conv_params(5, 96, 256) + conv_params(3, 256, 384) + 2 * 2 * 384 * 84 + 84 + 84 * 10 + 10
    assert model.count_params() == table == 1_664_678


def test_preprocess_input_is_bgr_minus_imagenet_means():
    pixels = np.array([[[[255.0, 0.0, 0.0]]]], dtype="float32")
    out = keras.ops.convert_to_numpy(keras.applications.vgg16.preprocess_input(pixels.copy()))
    assert np.allclose(out[0, 0, 0], [0 - 103.939, 0 - 116.779, 255 - 123.68])
