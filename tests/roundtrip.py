"""The grading round trip for every lesson, through `dlcourse autograde` itself, in one course directory.

Three submissions per lesson go through the product path (collect layout, precheck, jailed kernel, trusted
checks, gradebook): ``solution`` (the instructor source), ``blank`` (the generated student version) and
``wrong`` (the solution with one answer replaced, from ``tests/cases/<lesson>.py``).
"""

from __future__ import annotations

import importlib.util
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
    from dlcourse.grading import adapter

    notebook = nbformat.read(notebook_path, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in notebook.cells
            if adapter.is_test(c)}


def run_roundtrips(lesson_ids: list[str], work: Path, jobs: int) -> dict:
    """{lesson: {"max": {cell: points}, "scores": {student: {cell: score}}, "errors": {student: reason}, ...}}"""
    from dlcourse.grading import adapter
    from dlcourse.grading.autograde import autograde

    root = Path(work) / "course-dir"
    cases = {}
    for lesson_id in lesson_ids:
        solution = REPO / "solutions" / lesson_id / f"{lesson_id}.ipynb"
        case = load_case(lesson_id)
        cases[lesson_id] = case
        submissions = {
            "solution": nbformat.read(solution, as_version=4),
            "blank": nbformat.read(REPO / "course" / lesson_id / f"{lesson_id}.ipynb", as_version=4),
            "wrong": wrong_submission(solution, case.WRONG_ANSWER["grade_id"], case.WRONG_ANSWER["source"]),
        }
        for student, notebook in submissions.items():
            target = root / "submitted" / student / lesson_id
            target.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target / f"{lesson_id}.ipynb")
    summary = autograde(REPO, root, lesson_ids, jobs=jobs, progress=False, echo=lambda line: None)
    results = {}
    with adapter.open_gradebook(root) as gradebook:
        for lesson_id in lesson_ids:
            scores = {}
            for student in ("solution", "blank", "wrong"):
                try:
                    submitted = gradebook.find_submission_notebook(lesson_id, lesson_id, student)
                except Exception:  # noqa: BLE001 - reported through "errors"
                    continue
                scores[student] = {grade.name: grade.score for grade in submitted.grades
                                   if grade.cell.cell_type == "code"}
            errors = {key.split("/")[1]: reason for key, reason in summary["failures"].items()
                      if key.startswith(f"{lesson_id}/")}
            results[lesson_id] = {"max": grade_cells(REPO / "solutions" / lesson_id / f"{lesson_id}.ipynb"),
                                  "scores": scores, "errors": errors, "root": root,
                                  "wrong_grade_id": cases[lesson_id].WRONG_ANSWER["grade_id"]}
    return results
