"""Shared, session-scoped work: one smoke run of every lesson, one nbgrader round trip per lesson.

Both run lessons in parallel worker processes (2 cores on CI), each in its own kernel.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
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
    from roundtrip import run_roundtrip

    work = tmp_path_factory.mktemp("nbgrader-course")
    chosen = [lesson_id for lesson_id in existing_lessons() if (REPO / "tests" / "cases" / f"{lesson_id}.py").is_file()]
    with ProcessPoolExecutor(max_workers=JOBS, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = dict(zip(chosen, pool.map(run_roundtrip, chosen, [str(work)] * len(chosen))))
    return results
