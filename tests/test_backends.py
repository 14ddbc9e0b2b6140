"""The course is backend-agnostic: lessons run under KERAS_BACKEND=jax and torch where those are installed.

CI installs only TensorFlow (`.[dev]`), so these skip there; install `.[jax]` or `.[torch]` to run them.
`DLCOURSE_BACKEND_LESSONS` picks the lessons (default: the quick ones).
"""

from __future__ import annotations

import importlib.util
import os

import pytest
from conftest import JOBS, REPO

from dlcourse import lessons
from dlcourse.runner import failure_summary, run_course

pytestmark = pytest.mark.notebook
CHOSEN = os.environ.get("DLCOURSE_BACKEND_LESSONS", "00,03")


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_lessons_run_on_backend(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install -e .[{backend}])")
    report = run_course(REPO, lessons.select(CHOSEN), profile="smoke", backend=backend, jobs=JOBS,
                        output=tmp_path, show_progress=False)
    assert all(item["status"] == "ok" for item in report["lessons"]), failure_summary(report)
