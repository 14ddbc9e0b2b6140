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


def test_the_lessons_mlp_has_669706_parameters():
    """The lesson's own build_mlp, with the lesson's sizes, against Keras's count_params() and the formula."""
    from lesson_code import namespace

    build_mlp = namespace("02_ann_mnist", "build_mlp")["build_mlp"]
    model = build_mlp((28, 28), [512, 512], 10)
    per_layer = [layer.count_params() for layer in model.layers if isinstance(layer, layers.Dense)]
    assert per_layer == [(784 + 1) * 512, (512 + 1) * 512, (512 + 1) * 10] == [401_920, 262_656, 5_130]
    assert model.count_params() == 669_706


def test_the_lessons_training_steps_round_up():
    """The lesson's own training_steps against math.ceil, on the notes' example and on exact and partial batches."""
    from lesson_code import namespace

    training_steps = namespace("02_ann_mnist", "training_steps")["training_steps"]
    for samples, batch, epochs in ((1000, 128, 50), (1024, 128, 2), (60_000, 128, 15), (1, 32, 3)):
        per_epoch = math.ceil(samples / batch)
        assert tuple(training_steps(samples, batch, epochs)) == (per_epoch, per_epoch * epochs)
    assert tuple(training_steps(1000, 128, 50)) == (8, 400)


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
