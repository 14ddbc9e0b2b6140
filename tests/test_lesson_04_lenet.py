"""Lesson 04: the numbers it teaches agree with Keras, and the challenge's grader rejects what it should.

No notebook is executed: the cells are read from the instructor notebook and run here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "solutions" / "04_lenet" / "04_lenet.ipynb"
TRAINING_MARKER = "# It must learn"


def _cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def _graded(grade_id: str) -> str:
    matches = [c.source for c in _cells() if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(matches) == 1, f"expected one cell {grade_id!r}, found {len(matches)}"
    return matches[0]


def _tagged(tag: str) -> str:
    """A code cell by its tag (the lesson tags the cells its tests run), never by a piece of its source."""
    matches = [c.source for c in _cells() if c.cell_type == "code" and tag in c.metadata.get("tags", [])]
    assert len(matches) == 1, f"expected one code cell tagged {tag!r}, found {len(matches)}"
    return matches[0]


def _namespace(**extra) -> dict:
    namespace = {"np": np, "keras": keras, "layers": layers, "os": os, "tempfile": tempfile}
    namespace.update(extra)
    return namespace


@pytest.fixture(scope="module")
def solutions() -> dict:
    namespace = _namespace()
    exec(_tagged("lenet5-specs"), namespace)
    for grade_id in ("trace_shapes", "build_lenet5", "to_lenet_input", "build_small_cnn"):
        exec(_graded(grade_id), namespace)
    return namespace


def test_lenet5_counts_match_keras(solutions):
    model = solutions["build_lenet5"]()
    assert model.count_params() == 61_706
    per_layer = [(tuple(layer.output.shape[1:]), layer.count_params()) for layer in model.layers]
    assert per_layer == [((28, 28, 6), 156), ((14, 14, 6), 0), ((10, 10, 16), 2_416), ((5, 5, 16), 0),
                         ((1, 1, 120), 48_120), ((120,), 0), ((84,), 10_164), ((10,), 850)]
    traced = solutions["trace_shapes"]((32, 32, 1), solutions["LENET5_SPECS"])
    assert [(tuple(shape), params) for shape, params in traced] == per_layer


def test_seed_models_counts():
    namespace = _namespace(train_images=np.zeros((2, 28, 28), np.uint8),
                           validation_images=np.zeros((2, 28, 28), np.uint8),
                           test_images=np.zeros((2, 28, 28), np.uint8))
    exec(_tagged("seed-lenet"), namespace)
    exec(_tagged("seed-cnn"), namespace)
    assert namespace["seed_lenet"].count_params() == 61_706
    assert namespace["seed_cnn_params"] == 220_234
    assert [layer.count_params() for layer in namespace["seed_cnn"].layers] == [320, 0, 18_496, 0, 0, 200_768, 650]


def test_padding_exercise(solutions):
    padded = solutions["to_lenet_input"](np.full((1, 28, 28), 255, np.uint8))
    assert padded.shape == (1, 32, 32, 1) and padded.sum() == 28 * 28


def _challenge_grader(builder, structure_only: bool = False) -> None:
    source = _graded("build_small_cnn-test")
    if structure_only:
        source = source[:source.index(TRAINING_MARKER)]
    exec(source, _namespace(build_small_cnn=builder))


def test_reference_challenge_net_passes_the_structure_checks(solutions):
    model = solutions["build_small_cnn"]()
    assert model.count_params() < 10_000
    _challenge_grader(solutions["build_small_cnn"], structure_only=True)


def _too_big():
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(16, 3, activation="relu")(inputs)
    x = layers.Conv2D(80, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
    assert 10_000 < model.count_params() < 13_000
    return model


def _rescaling_layer():
    return keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Rescaling(1.0), layers.Conv2D(8, 3),
                             layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")])


def _nested_model():
    block = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(8, 3, activation="relu")], name="block")
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.GlobalAveragePooling2D()(block(inputs))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def test_challenge_grader_rejects_too_many_parameters():
    with pytest.raises(AssertionError, match="parameters; the limit is 9,999"):
        _challenge_grader(_too_big)


@pytest.mark.parametrize("builder", [_rescaling_layer, _nested_model], ids=["rescaling", "nested-model"])
def test_challenge_grader_rejects_forbidden_layers(builder):
    assert builder().count_params() < 10_000
    with pytest.raises(AssertionError, match="outside the allowed list"):
        _challenge_grader(builder)


def test_challenge_grader_rejects_a_dense_only_net():
    def dense_only():
        return keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(),
                                 layers.Dense(10, activation="softmax")])

    with pytest.raises(AssertionError, match="at least one convolution"):
        _challenge_grader(dense_only)
