"""Shared, session-scoped work: one grading run of every lesson's round trip, which is also the smoke run.

Grading always executes a notebook in the smoke profile, so the graded solution of each lesson is its smoke run:
its records and targets are read from that notebook instead of executing every lesson a second time with
`dlcourse run` (the runner itself is tested on lesson 00 and on a tiny course). Lessons run two at a time.
Tests marked ``notebook`` or ``grader`` are also ``slow``: ``-m "not slow"`` is the quick unit suite.
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
def roundtrips(tmp_path_factory):
    """Every lesson's solution, blank and wrong submission, graded by one `dlcourse autograde` run (jailed)."""
    from roundtrip import run_roundtrips

    work = tmp_path_factory.mktemp("grading-course")
    chosen = [lesson_id for lesson_id in existing_lessons() if (REPO / "tests" / "cases" / f"{lesson_id}.py").is_file()]
    return run_roundtrips(chosen, work, JOBS)


@pytest.fixture(scope="session")
def smoke_report(roundtrips):
    """{lesson: {"status", "records", "checks", "notebook", "error"}} from each graded solution (smoke profile)."""
    import nbformat

    from dlcourse.record import read_records

    report = {}
    for lesson_id, result in roundtrips.items():
        student = result["students"]["solution"]
        notebook = result["root"] / "autograded" / student / lesson_id / f"{lesson_id}.ipynb"
        entry = {"notebook": notebook, "records": {}, "checks": [], "error": result["errors"].get("solution")}
        if notebook.is_file():
            executed = nbformat.read(notebook, as_version=4)
            entry["records"] = read_records(executed)
            entry["checks"] = lessons.BY_ID[lesson_id].check("smoke", entry["records"])
            errors = [output for cell in executed.cells for output in cell.get("outputs", [])
                      if output.get("output_type") == "error"]
            if errors and not entry["error"]:
                entry["error"] = f"{errors[0].get('ename')}: {errors[0].get('evalue')}"
        failed = entry["error"] or not notebook.is_file()
        entry["status"] = "failed" if failed else "ok" if all(c["ok"] for c in entry["checks"]) else "below target"
        report[lesson_id] = entry
    return report


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("notebook") or item.get_closest_marker("grader"):
            item.add_marker(pytest.mark.slow)
