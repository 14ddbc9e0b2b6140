"""Lesson 02's worked numbers, checked against Keras without executing the notebook (a few seconds)."""

from __future__ import annotations

import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402


def test_notes_network_has_53_weights_and_14_biases():
    model = keras.Sequential([keras.Input(shape=(3,))] + [layers.Dense(units) for units in (4, 5, 3, 2)])
    weights = sum(int(np.prod(layer.kernel.shape)) for layer in model.layers)
    biases = sum(int(np.prod(layer.bias.shape)) for layer in model.layers)
    assert (weights, biases) == (53, 14)


def test_mnist_mlp_has_669706_parameters():
    model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(512, activation="relu"),
                              layers.Dropout(0.3), layers.Dense(512, activation="relu"), layers.Dropout(0.3),
                              layers.Dense(10, activation="softmax")])
    per_layer = [layer.count_params() for layer in model.layers if isinstance(layer, layers.Dense)]
    assert per_layer == [401_920, 262_656, 5_130]
    assert model.count_params() == 669_706


def test_batches_and_epochs_example():
    assert math.ceil(1000 / 128) == 8 and math.ceil(1000 / 128) * 50 == 400 and 1000 - 7 * 128 == 104


@pytest.mark.parametrize("name, expected_std", [
    ("GlorotNormal", math.sqrt(2 / (784 + 512))), ("HeNormal", math.sqrt(2 / 784)),
    ("GlorotUniform", math.sqrt(6 / (784 + 512)) / math.sqrt(3)), ("HeUniform", math.sqrt(6 / 784) / math.sqrt(3)),
])
def test_keras_initialisers_match_the_formulas(name, expected_std):
    sample = keras.ops.convert_to_numpy(getattr(keras.initializers, name)(seed=0)((784, 512)))
    assert abs(sample.std() / expected_std - 1) < 0.01


def test_truncated_normal_rescaling_constant():
    from scipy.stats import truncnorm

    assert abs(truncnorm(-2, 2).std() - 0.87962566103423978) < 1e-9
