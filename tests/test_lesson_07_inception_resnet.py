"""Lesson 07's key numbers, checked against Keras without running (or training) the notebook.

The functions under test are the instructor solutions and the taught blocks, executed from the notebook's own
cells, so a change in the notebook that breaks a published count fails here in seconds.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from keras import layers

from dlcourse import lessons

# The cells the tests read: exercises by grade_id, taught code by tag (never by a substring of the source).
CELLS = ("inception_module", "conv-count", "factorisation_weights", "residual_block", "option-a-blocks",
         "bottleneck_weights", "build_cifar_net")


@pytest.fixture(scope="module")
def lesson():
    """The notebook's definition cells, executed in one namespace (their demo lines build tiny models)."""
    from lesson_code import namespace

    return namespace("07_inception_resnet", *CELLS)


def conv_params(kernel_size, channels_in, channels_out, bias=True):
    return (kernel_size * kernel_size * channels_in + bias) * channels_out


def test_pointwise_reduction_512_to_128():
    model = keras.Sequential([keras.Input(shape=(28, 28, 512)), layers.Conv2D(128, 1)])
    assert model.count_params() == conv_params(1, 512, 128) == 65_664
    assert model.output_shape == (None, 28, 28, 128)


def test_inception_3a_with_and_without_reduction(lesson):
    inputs = keras.Input(shape=(28, 28, 192))
    module = keras.Model(inputs, lesson["inception_module"](inputs, 64, 96, 128, 16, 32, 32))
    reduced = (conv_params(1, 192, 64) + conv_params(1, 192, 96) + conv_params(3, 96, 128) + conv_params(1, 192, 16)
               + conv_params(5, 16, 32) + conv_params(1, 192, 32))
    assert module.count_params() == reduced == 163_696
    assert module.output_shape == (None, 28, 28, 256)
    naive = conv_params(1, 192, 64) + conv_params(3, 192, 128) + conv_params(5, 192, 32)
    assert naive == 387_296
    assert lessons.BY_ID["07_inception_resnet"].targets["smoke"]["inception_params"] == ("==", reduced)


@pytest.mark.parametrize("kernel_size, expected", [(7, (49, 14)), (3, (9, 6))])
def test_factorisation_per_channel_pair(lesson, kernel_size, expected):
    square = keras.Sequential([keras.Input(shape=(9, 9, 1)), layers.Conv2D(1, kernel_size, use_bias=False)])
    pair = keras.Sequential([keras.Input(shape=(9, 9, 1)), layers.Conv2D(1, (1, kernel_size), use_bias=False),
                             layers.Conv2D(1, (kernel_size, 1), use_bias=False)])
    assert (square.count_params(), pair.count_params()) == expected == lesson["factorisation_weights"](kernel_size, 1)


def test_bottleneck_versus_two_3x3_at_256(lesson):
    assert lesson["bottleneck_weights"](256, 64) == (69_632, 1_179_648)


@pytest.mark.parametrize("stride, filters", [(1, 16), (2, 32)])
def test_projection_block_shapes(lesson, stride, filters):
    inputs = keras.Input(shape=(32, 32, 16))
    block = keras.Model(inputs, lesson["residual_block"](inputs, filters, stride))
    assert block.output_shape == (None, 32 // stride, 32 // stride, filters)
    projections = [layer for layer in block.layers if isinstance(layer, layers.Conv2D) and layer.kernel_size == (1, 1)]
    assert len(projections) == (stride != 1)


def test_resnet20_counts_option_a_and_b(lesson):
    build, block_a, block_b = lesson["build_cifar_net"], lesson["residual_block_option_a"], lesson["residual_block"]
    resnet_a = build(20, block_a)
    stages = [(16, 16)] * 6 + [(16, 32)] + [(32, 32)] * 5 + [(32, 64)] + [(64, 64)] * 5  # 18 block convs
    convs = 27 * 16 + sum(9 * c_in * c_out for c_in, c_out in stages)
    batch_norm = 4 * (16 + 16 * 6 + 32 * 6 + 64 * 6)  # gamma, beta, moving mean and variance
    dense = 64 * 10 + 10
    assert resnet_a.count_params() == convs + batch_norm + dense == 271_098
    trained = sum(math.prod(weight.shape) for weight in resnet_a.trainable_weights)
    assert trained == 269_722 and round(trained / 1e6, 2) == 0.27  # the paper's 0.27M
    weighted = [layer for layer in resnet_a.layers if isinstance(layer, (layers.Conv2D, layers.Dense))]
    assert len(weighted) == 20
    assert build(20, lesson["plain_block"]).count_params() == 271_098  # option A shortcuts have no parameters
    projections = 16 * 32 + 4 * 32 + 32 * 64 + 4 * 64
    assert build(20, block_b).count_params() == 271_098 + projections == 274_042
    assert lessons.BY_ID["07_inception_resnet"].targets["smoke"]["resnet20_params"] == ("==", 271_098)


def test_option_a_shortcut_is_subsample_and_zero_pad(lesson):
    inputs = keras.Input(shape=(8, 8, 4))
    model = keras.Model(inputs, lesson["shortcut_option_a"](inputs, 8, 2))
    values = np.random.default_rng(0).normal(size=(2, 8, 8, 4)).astype("float32")
    out = keras.ops.convert_to_numpy(model(values))
    assert out.shape == (2, 4, 4, 8)
    np.testing.assert_allclose(out[..., 2:6], values[:, ::2, ::2, :])
    assert not out[..., :2].any() and not out[..., 6:].any()
