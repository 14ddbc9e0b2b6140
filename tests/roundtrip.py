"""An nbgrader round trip for one lesson, on a temporary course directory.

Three submissions go through nbgrader's real generate_assignment and autograde:
``solution`` (the instructor source), ``blank`` (the generated student version)
and ``wrong`` (the solution with one answer replaced, from ``tests/cases/<lesson>.py``).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


def load_case(lesson_id: str):
    """tests/cases/<lesson_id>.py: WRONG_ANSWER = {"grade_id": solution cell id, "source": replacement}."""
    path = REPO / "tests" / "cases" / f"{lesson_id}.py"
    spec = importlib.util.spec_from_file_location(f"case_{lesson_id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wrong_submission(solution: Path, grade_id: str, source: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(solution, as_version=4)
    matches = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(matches) == 1, f"{solution}: expected one cell with grade_id {grade_id!r}, found {len(matches)}"
    matches[0].source = source
    return notebook


def grade_cells(notebook_path: Path) -> dict:
    """{test cell grade_id: points} for every autograded test cell in a notebook."""
    notebook = nbformat.read(notebook_path, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


def run_roundtrip(lesson_id: str, work: str) -> dict:
    """Returns {"max": {cell: points}, "scores": {submission: {cell: score}}, "errors": {...}}."""
    from nbgrader.api import Gradebook
    from dlcourse.nbgrader_setup import make_api, make_config

    root = Path(work) / lesson_id
    release = root / "release"
    root.mkdir(parents=True, exist_ok=True)
    config = make_config(REPO, root=root, release=release)
    api = make_api(config)
    generated = api.generate_assignment(lesson_id, force=True, create=True)
    assert generated["success"], generated.get("error") or generated.get("log")

    solution = REPO / "solutions" / lesson_id / f"{lesson_id}.ipynb"
    case = load_case(lesson_id)
    submissions = {
        "solution": nbformat.read(solution, as_version=4),
        "blank": nbformat.read(release / lesson_id / f"{lesson_id}.ipynb", as_version=4),
        "wrong": wrong_submission(solution, case.WRONG_ANSWER["grade_id"], case.WRONG_ANSWER["source"]),
    }
    errors = {}
    for student, notebook in submissions.items():
        target = root / "submitted" / student / lesson_id
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        nbformat.write(notebook, target / f"{lesson_id}.ipynb")
        result = api.autograde(lesson_id, student, force=True, create=True)
        if not result["success"]:
            errors[student] = (result.get("error") or result.get("log") or "")[-3000:]

    scores = {}
    with Gradebook(config.CourseDirectory.db_url if "db_url" in config.CourseDirectory
                   else f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for student in submissions:
            try:
                submitted = gradebook.find_submission_notebook(lesson_id, lesson_id, student)
            except Exception:
                continue
            scores[student] = {grade.name: grade.score for grade in submitted.grades
                               if grade.cell.cell_type == "code"}
    return {"max": grade_cells(solution), "scores": scores, "errors": errors,
            "wrong_grade_id": case.WRONG_ANSWER["grade_id"]}
