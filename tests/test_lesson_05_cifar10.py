"""Lesson 05's numbers and smoke sizes, checked against Keras and the notebook source (no notebook execution)."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
from keras import layers

from dlcourse import lessons

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = lessons.BY_ID["05_cifar10"].notebook(REPO)


def profile_settings() -> dict:
    """{"smoke": {...}, "full": {...}} from the notebook's `dlcourse.configure(...)` call."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "dlcourse.configure(" in cell.source:
            call = next(node for node in ast.walk(ast.parse(cell.source)) if isinstance(node, ast.Call)
                        and getattr(node.func, "attr", "") == "configure")
            return {kw.arg: {k.arg: ast.literal_eval(k.value) for k in kw.value.keywords}
                    for kw in call.keywords if kw.arg in ("smoke", "full")}
    raise AssertionError("no dlcourse.configure(...) cell in the lesson")


def test_the_lessons_seed_cnn_has_528054_parameters_by_formula_and_in_keras():
    """The lesson's own build_seed_cnn: every layer's count_params() against the formula, 528,054 in all."""
    from lesson_code import namespace

    model = namespace("05_cifar10", "build_seed_cnn")["build_seed_cnn"]()
    convs = [(2 * 2 * c + 1) * k for c, k in ((3, 16), (16, 32), (32, 64))]
    assert [layer.count_params() for layer in model.layers if isinstance(layer, layers.Conv2D)] == convs
    assert [layer.count_params() for layer in model.layers if isinstance(layer, layers.Dense)] == [
        (4 * 4 * 64 + 1) * 500, (500 + 1) * 10]
    assert sum(convs) + (1024 + 1) * 500 + (500 + 1) * 10 == model.count_params() == 528_054


@pytest.mark.parametrize("shape, classes", [((28, 28, 1), 5), ((24, 40, 4), 3), ((17, 17, 3), 12)])
def test_the_lessons_seed_cnn_follows_its_input_shape_and_classes(shape, classes):
    """The same recipe on other inputs: three floor-halvings of each side, Dense(500), then num_classes units."""
    from lesson_code import namespace

    model = namespace("05_cifar10", "build_seed_cnn")["build_seed_cnn"](shape, classes)
    height, width = (side // 2 // 2 // 2 for side in shape[:2])
    expected = ((2 * 2 * shape[2] + 1) * 16 + (2 * 2 * 16 + 1) * 32 + (2 * 2 * 32 + 1) * 64
                + (height * width * 64 + 1) * 500 + (500 + 1) * classes)
    assert tuple(model.input_shape) == (None, *shape) and tuple(model.output_shape) == (None, classes)
    assert model.count_params() == expected


@pytest.mark.parametrize("shape, filters, kernel_size, momentum", [((16, 16, 3), 8, 3, 0.9), ((9, 12, 5), 6, 5, 0.8),
                                                                     ((7, 7, 2), 4, 1, 0.5)])
def test_the_lessons_conv_bn_relu_matches_keras_layers(shape, filters, kernel_size, momentum):
    """The lesson's conv_bn_relu against Conv2D(no bias, same) -> BatchNormalization -> ReLU: config, count, output."""
    from lesson_code import namespace

    conv_bn_relu = namespace("05_cifar10", "conv_bn_relu")["conv_bn_relu"]
    inputs = keras.Input(shape=shape)
    block = keras.Model(inputs, conv_bn_relu(inputs, filters, kernel_size, momentum))
    conv, norm, relu = block.layers[1:]
    assert (type(conv), type(norm)) == (layers.Conv2D, layers.BatchNormalization)
    assert isinstance(relu, (layers.ReLU, layers.Activation))
    assert not conv.use_bias and conv.padding == "same" and tuple(conv.kernel_size) == (kernel_size,) * 2
    assert math.isclose(norm.momentum, momentum)
    assert block.count_params() == kernel_size * kernel_size * shape[2] * filters + 4 * filters
    reference_inputs = keras.Input(shape=shape)
    x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False)(reference_inputs)
    reference = keras.Model(reference_inputs, layers.ReLU()(layers.BatchNormalization(momentum=momentum)(x)))
    reference.set_weights(block.get_weights())
    images = np.random.default_rng(0).normal(size=(3, *shape)).astype("float32")
    for training in (False, True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(block(images, training=training)),
                                   keras.ops.convert_to_numpy(reference(images, training=training)), atol=1e-5)


def test_the_improved_cnn_uses_conv_bn_relu_blocks_and_counts_as_the_formula():
    """build_improved_cnn with the lesson's conv_bn_relu: BN after every convolution, no conv bias, 1,150,666
    parameters at width 64 (1,147,978 with the plain conv_relu blocks, which keep their biases)."""
    from lesson_code import namespace

    scope = namespace("05_cifar10", "improved-cnn", "make_augmentation", "conv_bn_relu")
    build, block = scope["build_improved_cnn"], scope["conv_bn_relu"]
    widths = [64, 64, 128, 128, 256, 256]
    plain = sum(3 * 3 * c * k + k for c, k in zip([3] + widths[:-1], widths)) + 256 * 10 + 10
    normalised = sum(3 * 3 * c * k + 4 * k for c, k in zip([3] + widths[:-1], widths)) + 256 * 10 + 10
    assert build(64).count_params() == plain == 1_147_978
    model = build(64, block=block, augment=True, dropout=True)
    assert model.count_params() == normalised == 1_150_666
    kinds = [type(layer).__name__ for layer in model.layers]
    convs = [index for index, kind in enumerate(kinds) if kind == "Conv2D"]
    assert len(convs) == 6 and all(kinds[i + 1] == "BatchNormalization" for i in convs)
    assert not any(model.layers[i].use_bias for i in convs)


def test_the_lessons_warmup_cosine_against_the_formula():
    """Warm-up ends at the peak (epoch w - 1), the cosine starts there (epoch w), half the peak mid-way, 0 from T on;
    with no warm-up it is the plain cosine schedule."""
    from lesson_code import namespace

    warmup_cosine = namespace("05_cifar10", "warmup_cosine")["warmup_cosine"]
    peak, warmup, total = 2e-3, 4, 24
    rates = np.array([warmup_cosine(epoch, peak, warmup, total) for epoch in range(total + 5)])
    epochs = np.arange(total + 5)
    want = np.where(epochs < warmup, peak * (epochs + 1) / warmup,
                    np.where(epochs < total, peak * 0.5 * (1 + np.cos(np.pi * (epochs - warmup) / (total - warmup))),
                             0.0))
    np.testing.assert_allclose(rates, want, rtol=1e-12, atol=1e-18)
    assert rates[warmup - 1] == rates[warmup] == peak and math.isclose(rates[14], peak / 2)
    assert 0 < rates[total - 1] < peak / 100 and not rates[total:].any()
    assert all(isinstance(warmup_cosine(epoch), float) for epoch in (0, 4, 5, 39, 40))
    np.testing.assert_allclose([warmup_cosine(e, 1e-3, 0, 40) for e in range(40)],
                               [1e-3 * 0.5 * (1 + math.cos(math.pi * e / 40)) for e in range(40)], rtol=1e-12)


def test_the_batchnorm_demo_normalises_conv_maps_per_channel_over_n_h_w():
    """The lesson's own demo: NumPy statistics over N, H and W per channel agree with Keras in training mode, and
    per-position statistics do not."""
    from lesson_code import namespace

    scope = namespace("05_cifar10", "batchnorm-demo")
    assert scope["conv_batch"].ndim == 4 and scope["channel_mean"].shape == (scope["conv_batch"].shape[-1],)
    assert scope["batchnorm_error"] <= 1e-4
    assert np.abs(scope["per_position"] - scope["conv_keras"]).max() > 0.1


def test_the_split_is_taught_in_lesson_code_not_an_exercise():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    ids = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells}
    assert "split_validation" not in ids and "split_validation-test" not in ids
    assert any("train_images[:cfg.valid_size]" in cell.source for cell in notebook.cells if cell.cell_type == "code")


def test_full_profile_uses_the_standard_split():
    full = profile_settings()["full"]
    assert (full["train_size"], full["valid_size"], full["test_size"]) == (45_000, 5_000, 10_000)


@pytest.mark.parametrize("batch_size_key", ["batch_size", None])
def test_smoke_sizes_avoid_a_short_last_batch(batch_size_key):
    """A short last batch makes TensorFlow trace each step twice, which dominates a one-epoch smoke run."""
    smoke = profile_settings()["smoke"]
    batch = smoke[batch_size_key] if batch_size_key else 32  # 32: the seed CNN's batch size
    for key in ("train_size", "valid_size", "test_size"):
        assert smoke[key] % batch == 0, f"smoke {key}={smoke[key]} is not a multiple of batch size {batch}"


def test_smoke_sizes_fit_the_generated_stand_in():
    """Without CIFAR-10, smoke falls back to a generated set of 2,000 train and 500 test images."""
    smoke = profile_settings()["smoke"]
    assert smoke["train_size"] + smoke["valid_size"] <= 2_000 and smoke["test_size"] <= 500
