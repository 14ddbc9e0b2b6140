"""Shared, session-scoped work: one smoke run of every lesson, and one grading run of every lesson's round trip.

Both run lessons in parallel (2 cores on CI), each in its own kernel.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dlcourse import lessons

REPO = Path(__file__).resolve().parents[1]
STAGED = REPO.parent / "shared" / "data"
JOBS = int(os.environ.get("DLCOURSE_TEST_JOBS", "2"))

# Offline and reproducible: staged data when it exists; TensorFlow quiet.
if "DLCOURSE_DATA_DIR" not in os.environ and STAGED.is_dir():
    os.environ["DLCOURSE_DATA_DIR"] = str(STAGED)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.pop("DLCOURSE_PROFILE", None)


def existing_lessons() -> list[str]:
    """Lessons present in solutions/; DLCOURSE_TEST_LESSONS=02,04 narrows the notebook tests to those."""
    chosen = lessons.select(os.environ.get("DLCOURSE_TEST_LESSONS"))
    return [lesson.lesson_id for lesson in chosen if lesson.notebook(REPO).is_file()]


@pytest.fixture(scope="session")
def smoke_report(tmp_path_factory):
    from dlcourse.runner import run_course

    output = tmp_path_factory.mktemp("smoke-run")
    chosen = [lessons.BY_ID[lesson_id] for lesson_id in existing_lessons()]
    report = run_course(REPO, chosen, profile="smoke", jobs=JOBS, output=output, show_progress=False)
    return {item["lesson"]: item for item in report["lessons"]}


@pytest.fixture(scope="session")
def roundtrips(tmp_path_factory):
    """Every lesson's solution, blank and wrong submission, graded by one `dlcourse autograde` run (jailed)."""
    from roundtrip import run_roundtrips

    work = tmp_path_factory.mktemp("grading-course")
    chosen = [lesson_id for lesson_id in existing_lessons() if (REPO / "tests" / "cases" / f"{lesson_id}.py").is_file()]
    return run_roundtrips(chosen, work, JOBS)
