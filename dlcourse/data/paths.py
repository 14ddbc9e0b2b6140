"""Where staged data and decoded caches live.

``DLCOURSE_DATA_DIR`` names the staged folder (an instructor's pre-staged copy,
or ``../shared/data`` in CI). Without it, `dlcourse data stage` copies into
``~/.dlcourse/data``, which is then used. Decoded arrays are cached under
``DLCOURSE_CACHE_DIR`` (default ``~/.cache/dlcourse``) so JPEGs are decoded once.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

DEFAULT_DATA_DIR = Path.home() / ".dlcourse" / "data"


def data_dir() -> Path:
    configured = os.environ.get("DLCOURSE_DATA_DIR")
    return Path(configured).expanduser() if configured else DEFAULT_DATA_DIR


def set_data_dir(path: str | os.PathLike) -> Path:
    """Point this process (and kernels it starts) at a staged folder."""
    os.environ["DLCOURSE_DATA_DIR"] = str(Path(path).expanduser().resolve())
    return data_dir()


def cache_dir() -> Path:
    configured = os.environ.get("DLCOURSE_CACHE_DIR")
    path = Path(configured).expanduser() if configured else Path.home() / ".cache" / "dlcourse"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()
