"""Where the course's folders are: the checkout that holds ``solutions/`` and ``course/``."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DlcourseError


def root() -> Path:
    """``DLCOURSE_ROOT``, else the nearest folder above the working directory (or this package) with ``solutions/``."""
    configured = os.environ.get("DLCOURSE_ROOT")
    if configured:
        path = Path(configured).expanduser().resolve()
        if not (path / "solutions").is_dir():
            raise DlcourseError(f"DLCOURSE_ROOT={path} has no solutions/ folder")
        return path
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            if (folder / "solutions").is_dir():
                return folder
    raise DlcourseError("cannot find the course: run inside the dlcourse checkout, or set DLCOURSE_ROOT to it")
