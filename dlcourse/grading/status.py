"""``autograde_status.json``: what happened to each submission, and against which version of the lesson's checks.

A record is keyed ``<lesson>/<student>`` and holds the submission's hash and the lesson's grading fingerprint
(its checks file, its released test cells, this grader's version). A record that matches both is not graded
again; a change to either re-grades it. ``grading`` is written before a submission starts, so a submission that
brings the grader down is named in the file, and quarantined on the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from ..errors import DlcourseError

STATUS_FILE = "autograde_status.json"
GRADER_VERSION = "2"  # bump when the grading rules themselves change: every submission is re-graded


class StatusStore:
    def __init__(self, root: Path):
        self.lock = threading.Lock()  # worker threads mark "grading"; the main thread records outcomes
        self.path = Path(root) / STATUS_FILE
        try:
            self.records = json.loads(self.path.read_text()) if self.path.is_file() else {}
        except (OSError, json.JSONDecodeError):
            raise DlcourseError(f"{self.path} is not readable JSON: move it away to grade everything again") from None

    def put(self, key: str, record: dict) -> None:
        with self.lock:
            self.records[key] = record
            self._save()

    def drop(self, key: str) -> None:
        with self.lock:
            if self.records.pop(key, None) is not None:
                self._save()

    def _save(self) -> None:
        partial = self.path.with_suffix(".json.partial")
        partial.write_text(json.dumps(self.records, indent=1, sort_keys=True))
        os.replace(partial, self.path)


def graded_status(root: Path) -> dict:
    """The status records of a course directory that has been graded; a clear error if none has."""
    if not (Path(root) / "gradebook.db").is_file():
        raise DlcourseError(f"no gradebook in {root}: grade the submissions first (dlcourse autograde)")
    return StatusStore(root).records


def submission_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def lesson_fingerprint(checks_file: Path, released_notebooks: list[Path]) -> str:
    """Changes whenever what decides a grade changes: the checks, the released test cells, their points."""
    import nbformat

    from . import adapter

    digest = hashlib.sha256(GRADER_VERSION.encode() + b"\0")
    digest.update(Path(checks_file).read_bytes() if Path(checks_file).is_file() else b"no checks")
    for path in sorted(released_notebooks):
        for grade_id, cell in adapter.graded_cells(nbformat.read(path, as_version=4)).items():
            meta = cell.metadata["nbgrader"]
            digest.update(f"\0{path.name}\0{grade_id}\0{meta.get('points')}\0".encode())
            if not adapter.is_answer(cell):
                digest.update(cell.source.encode())
    return digest.hexdigest()[:16]
