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


# Lesson 00 arrives as an LMS download (Canvas names, a late resubmission, a stray file) and goes through
# `dlcourse collect`; the other lessons are written straight into submitted/<student>/.
CANVAS_NAMES = {"solution": ("1001", "alice_1001_5001_{lesson}.ipynb"),
                "blank": ("1002", "bob_1002_5002_{lesson}.ipynb"),
                "wrong": ("1003", "carol_LATE_1003_5003_{lesson}-1.ipynb")}
CANVAS_LESSON = "00_setup_check"


def _cli(*args) -> str:
    """The `dlcourse` command in-process; its stdout (a failure raises with stdout and stderr)."""
    import contextlib
    import io

    from dlcourse.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(arg) for arg in args])
    assert code == 0, f"dlcourse {' '.join(map(str, args))} exited {code}:\n{out.getvalue()}\n{err.getvalue()}"
    return out.getvalue()


def run_roundtrips(lesson_ids: list[str], work: Path, jobs: int) -> dict:
    """{lesson: {"max": {cell: points}, "scores": {student: {cell: score}}, "errors": {student: reason}, ...}}

    One course directory, one `dlcourse collect` of a Canvas zip (lesson 00) and one `dlcourse autograde` of
    every lesson, both called in-process. ``students`` maps solution/blank/wrong to the gradebook's ids.
    """
    import zipfile

    from dlcourse.grading import adapter
    from dlcourse.grading.status import graded_status

    root = Path(work) / "course-dir"
    archive = Path(work) / "canvas-submissions.zip"
    cases, students, collected = {}, {}, ""
    for lesson_id in lesson_ids:
        solution = REPO / "solutions" / lesson_id / f"{lesson_id}.ipynb"
        case = load_case(lesson_id)
        cases[lesson_id] = case
        submissions = {
            "solution": nbformat.read(solution, as_version=4),
            "blank": nbformat.read(REPO / "course" / lesson_id / f"{lesson_id}.ipynb", as_version=4),
            "wrong": wrong_submission(solution, case.WRONG_ANSWER["grade_id"], case.WRONG_ANSWER["source"]),
        }
        if lesson_id == CANVAS_LESSON:
            students[lesson_id] = {who: CANVAS_NAMES[who][0] for who in submissions}
            with zipfile.ZipFile(archive, "w") as bundle:
                for who, notebook in submissions.items():
                    bundle.writestr(CANVAS_NAMES[who][1].format(lesson=lesson_id), nbformat.writes(notebook))
                bundle.writestr("readme_1004_5004_notes.txt", "not a notebook")
            collected = _cli("collect", "--from", archive, "--root", root)
            continue
        students[lesson_id] = {who: who for who in submissions}
        for student, notebook in submissions.items():
            target = root / "submitted" / student / lesson_id
            target.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target / f"{lesson_id}.ipynb")
    graded = _cli("autograde", "--root", root, "--jobs", jobs, "--no-progress")
    status = graded_status(root)  # {lesson/student: record}; a failed submission's record holds the reason
    results = {}
    with adapter.open_gradebook(root) as gradebook:
        for lesson_id in lesson_ids:
            scores, errors = {}, {}
            for who, student in students[lesson_id].items():
                try:
                    submitted = gradebook.find_submission_notebook(lesson_id, lesson_id, student)
                except Exception as error:  # noqa: BLE001 - a missing submission is a result the tests report
                    errors[who] = f"no graded notebook in the gradebook ({type(error).__name__}: {error})"
                    continue
                scores[who] = {grade.name: grade.score for grade in submitted.grades if grade.cell.cell_type == "code"}
            for who, student in students[lesson_id].items():
                record = status.get(f"{lesson_id}/{student}")
                if record is None:
                    errors.setdefault(who, "autograde has no status record for it")
                elif record.get("status") != "graded":
                    errors[who] = f"{record.get('status')}: {record.get('reason')}"
            results[lesson_id] = {"max": grade_cells(REPO / "solutions" / lesson_id / f"{lesson_id}.ipynb"),
                                  "scores": scores, "errors": errors, "root": root, "students": students[lesson_id],
                                  "wrong_grade_id": cases[lesson_id].WRONG_ANSWER["grade_id"],
                                  "collect_output": collected if lesson_id == CANVAS_LESSON else None,
                                  "autograde_output": graded}
    return results
