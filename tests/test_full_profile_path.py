"""Every lesson's full-profile code path, on the CPU, with tiny data.

The full profile is meant for a GPU and takes minutes per lesson, so the suite's smoke runs never reach the lines
that only it takes: the full models (05's width 64 with two convolutions per block, 06's 128-pixel VGG16 with
pretrained weights, 07's compiled training step), the full loaders, and 07's mixed precision, which only a GPU
switches on by itself. Here each lesson runs with ``PROFILE="full"`` and its sizes cut through its own parameters
cell (a few hundred images, one epoch), so every full-profile line runs in about as long as a smoke run.
06 needs ImageNet weights, which cannot be staged offline; a staged file with the same layout (random values) lets
its pretrained path run. The accuracies mean nothing here; the profile's targets are not checked.

Lessons 00, 01 and 03 are left out: their full profile runs exactly the lines their smoke run does (every
`cfg` value there is a count of images, epochs or random checks), so the graded smoke run already covers them.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from dlcourse import lessons
from dlcourse.runner import run_course

from conftest import JOBS, REPO, existing_lessons

pytestmark = pytest.mark.notebook
# The lessons whose full profile takes lines of its own (bigger models, compiled steps, weights, mixed precision).
FULL_ONLY_CODE = ("02_ann_mnist", "04_lenet", "05_cifar10", "06_vgg_transfer", "07_inception_resnet")
CHOSEN = [lesson_id for lesson_id in existing_lessons() if lesson_id in FULL_ONLY_CODE]

# Sizes only: every setting that chooses *which* code runs (widths, depths, image size, batch size) keeps its
# full value. One name serves each lesson that declares it.
TINY = dict(EPOCHS=1, IRIS_EPOCHS=2, TRAIN_SIZE=256, TEST_SIZE=128, VALID_SIZE=64, VALIDATION_SIZE=64,
            LENET5_EPOCHS=1, LENET_EPOCHS=1, CNN_EPOCHS=1, CHALLENGE_EPOCHS=1, SEED_CNN_EPOCHS=1, COMPARISON_EPOCHS=1,
            IMAGES_PER_CLASS=10, HEAD_EPOCHS=1, FINE_TUNE_EPOCHS=1, SCRATCH_EPOCHS=1, MIXED_PRECISION=True)


def _stage_random_imagenet_weights(data_dir: Path) -> None:
    """The staged data, plus a VGG16 no-top weights file in Keras's legacy HDF5 layout, filled at random."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    from dlcourse.data.paths import data_dir as real_data_dir
    from dlcourse.data.weights import weights_file

    for item in real_data_dir().iterdir():
        if item.is_file():
            (data_dir / item.name).symlink_to(item)
    (data_dir / "weights").mkdir()
    base = keras.applications.VGG16(weights=None, include_top=False)
    with h5py.File(data_dir / "weights" / weights_file("vgg16", include_top=False).file_name, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, base)


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, monkeypatch_module):
    data_dir = tmp_path_factory.mktemp("data-with-weights")
    _stage_random_imagenet_weights(data_dir)
    monkeypatch_module.setenv("DLCOURSE_DATA_DIR", str(data_dir))  # the kernels inherit it
    chosen = [lessons.BY_ID[lesson_id] for lesson_id in CHOSEN]
    output = Path(os.environ.get("DLCOURSE_ARTIFACTS", tmp_path_factory.mktemp("artifacts"))) / "full-path"
    return run_course(REPO, chosen, profile="full", jobs=JOBS, output=output, parameters=TINY, show_progress=False)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _text(notebook_path: str) -> str:
    notebook = nbformat.read(notebook_path, as_version=4)
    return "\n".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                     for output in cell.get("outputs", []) if output.get("output_type") == "stream")


@pytest.mark.parametrize("lesson_id", CHOSEN)
def test_full_profile_code_runs_on_tiny_data(full_run, lesson_id):
    result = next(item for item in full_run["lessons"] if item["lesson"] == lesson_id)
    assert result["status"] == "ok", f"{lesson_id}: {result.get('error')}\n{result.get('traceback_tail', '')}"
    assert result["parameters"], "the tiny sizes were not injected: this would have been a real full run"
    notebook = nbformat.read(result["notebook"], as_version=4)
    assert notebook.metadata["papermill"]["parameters"]["PROFILE"] == "full"
    # the profile the notebook itself resolved, as its configure cell printed it
    assert "profile: full" in _text(result["notebook"])


def test_full_path_takes_the_gpu_and_pretrained_branches(full_run):
    by_id = {item["lesson"]: item for item in full_run["lessons"]}
    if "07_inception_resnet" in by_id:
        assert "mixed precision: True" in _text(by_id["07_inception_resnet"]["notebook"])
    if "06_vgg_transfer" in by_id:
        assert "pretrained: True" in _text(by_id["06_vgg_transfer"]["notebook"])
