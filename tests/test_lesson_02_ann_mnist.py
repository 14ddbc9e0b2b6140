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


_KERAS_INITIALISERS = {  # the lesson's rule names -> an independent Keras initialiser for the same rule
    "uniform ±1/√fan_in": lambda seed: keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform", seed=seed),
    "Glorot normal": lambda seed: keras.initializers.GlorotNormal(seed=seed),
    "Glorot uniform": lambda seed: keras.initializers.GlorotUniform(seed=seed),
    "He normal": lambda seed: keras.initializers.HeNormal(seed=seed),
    "He uniform": lambda seed: keras.initializers.HeUniform(seed=seed),
}


@pytest.fixture(scope="module")
def initialiser_cells():
    """The lesson's init_scales, its truncated-normal constant and its table of what each rule promises."""
    from lesson_code import namespace

    return namespace("02_ann_mnist", "init_scales", "truncated_normal_std", "initialiser_formulas")


@pytest.mark.parametrize("name", sorted(_KERAS_INITIALISERS))
def test_keras_initialisers_match_the_lessons_formulas(initialiser_cells, name):
    """The standard deviation and the largest |w| the lesson derives for each rule are what Keras draws."""
    fan_in, fan_out = initialiser_cells["fan_in"], initialiser_cells["fan_out"]
    assert (fan_in, fan_out) == (784, 512)
    assert set(initialiser_cells["expected_spread"]) == set(_KERAS_INITIALISERS)
    expected_std, bound = initialiser_cells["expected_spread"][name]
    sample = np.abs(keras.ops.convert_to_numpy(_KERAS_INITIALISERS[name](0)((fan_in, fan_out))).ravel())
    assert abs(np.sqrt(np.mean(sample ** 2)) / expected_std - 1) < 0.01, f"{name}: the lesson's std is off"
    # Keras never (torch: hardly ever) draws beyond the bound, and with 401,408 draws it comes within 1% of it.
    assert np.sum(sample > bound * 1.0001) <= 10, f"{name}: Keras draws beyond the lesson's bound {bound}"
    assert sample.max() >= 0.99 * bound, f"{name}: the lesson's bound {bound} is looser than what Keras draws"


def test_truncated_normal_rescaling_constant(initialiser_cells):
    """The lesson's constant against scipy's truncnorm, the closed form, and Keras's own TruncatedNormal."""
    from scipy.stats import norm, truncnorm

    lesson_value = initialiser_cells["truncated_std"]
    assert abs(lesson_value - truncnorm(-2, 2).std()) < 1e-12
    # Var of N(0, 1) cut at ±a: 1 - 2a φ(a) / (Φ(a) - Φ(-a)).
    closed_form = math.sqrt(1 - 2 * 2 * norm.pdf(2) / (norm.cdf(2) - norm.cdf(-2)))
    assert abs(lesson_value - closed_form) < 1e-12
    assert abs(lesson_value - 0.87962566103423978) < 1e-9
    # Keras's TruncatedNormal cuts at two standard deviations without rescaling: its measured std is the constant.
    draws = keras.ops.convert_to_numpy(keras.initializers.TruncatedNormal(stddev=1.0, seed=0)((1000, 1000)))
    assert abs(draws.std() / lesson_value - 1) < 0.005


def test_the_lessons_dense_backward_matches_central_differences():
    """The lesson's dense_backward against central differences of sum(upstream * (X W + B)), one entry at a time."""
    from lesson_code import namespace

    dense_backward = namespace("02_ann_mnist", "dense_backward")["dense_backward"]
    rng = np.random.default_rng(0)
    for samples, n, m in ((1, 3, 2), (5, 4, 4), (7, 2, 6)):
        arrays = [rng.normal(size=shape) for shape in ((samples, n), (n, m), (m,))]
        upstream = rng.normal(size=(samples, m))
        got = dense_backward(*arrays, upstream)
        for array, gradient in zip(arrays, got):
            numerical = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                original = array[index]
                losses = []
                for shifted in (original + 1e-4, original - 1e-4):
                    array[index] = shifted
                    losses.append(np.sum(upstream * (arrays[0] @ arrays[1] + arrays[2])))
                array[index] = original
                numerical[index] = (losses[0] - losses[1]) / 2e-4
            assert np.shape(gradient) == array.shape
            assert np.allclose(gradient, numerical, atol=1e-8)
