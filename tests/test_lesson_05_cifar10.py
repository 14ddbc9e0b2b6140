"""Lesson 05's numbers and smoke sizes, checked against Keras and the notebook source (no notebook execution)."""

from __future__ import annotations

import ast
from pathlib import Path

import keras
import nbformat
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
