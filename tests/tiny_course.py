"""A tiny purpose-built assignment (no TensorFlow, seconds per submission) for testing the grader.

Two one-point exercises, ``double`` and ``square``, each with a visible check in the notebook and trusted checks
in ``checks.py`` that a hard-coded answer fails.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
TINY = "zz_tiny"
# nbgrader's delimiters, assembled so that this file never contains them verbatim.
SOLUTION = ("### BEGIN " + "SOLUTION", "### END " + "SOLUTION")

CHECKS = '''
from dlcourse.grading.checks import Case, Registry, number

CHECKS = Registry()


@CHECKS.exercise("double-test")
def double(rng):
    yield Case("double", (2,), check=number(4), label="the example in the notebook")
    for value in rng.integers(-1000, 1000, 4):
        yield Case("double", (int(value),), check=number(2 * int(value)), label="a random integer")


@CHECKS.exercise("square-test")
def square(rng):
    yield Case("square", (3,), check=number(9), label="the example in the notebook")
    yield Case("square", (-4,), check=number(16), label="a negative number")
    for value in rng.integers(-1000, 1000, 3):
        yield Case("square", (int(value),), check=number(int(value) ** 2), label="a random integer")
'''
GOOD = {"double": "def double(x):\n    return 2 * x", "square": "def square(x):\n    return x * x"}


def _meta(grade_id: str, *, solution=False, grade=False, points=0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def tiny_source() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Tiny\nTwo small exercises for testing the grader."),
        cell("import numpy as np", metadata=_meta("setup")),
        cell(f"def double(x):\n    {SOLUTION[0]}\n    return 2 * x\n    {SOLUTION[1]}",
             metadata=_meta("double", solution=True)),
        cell("assert double(2) == 4, f'double(2) should be 4, got {double(2)}'",
             metadata=_meta("double-test", grade=True, points=1)),
        cell(f"def square(x):\n    {SOLUTION[0]}\n    return x * x\n    {SOLUTION[1]}",
             metadata=_meta("square", solution=True)),
        cell("assert square(3) == 9, f'square(3) should be 9, got {square(3)}'",
             metadata=_meta("square-test", grade=True, points=1)),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def make_tiny_repo(base: Path) -> Path:
    """A course checkout with only the tiny assignment, its checks, and its student version (via nbgrader)."""
    repo = base / "repo"
    (repo / "solutions" / TINY).mkdir(parents=True)
    nbformat.write(tiny_source(), repo / "solutions" / TINY / f"{TINY}.ipynb")
    (repo / "solutions" / TINY / "checks.py").write_text(CHECKS)
    from dlcourse.generate import generate_into

    class _Tiny:  # generate_into only needs the id and the notebook path
        lesson_id = TINY

        @staticmethod
        def notebook(root):
            return Path(root) / "solutions" / TINY / f"{TINY}.ipynb"

    generate_into(repo, [_Tiny], repo / "course")
    return repo


def answer(student_version: nbformat.NotebookNode, **sources: str) -> nbformat.NotebookNode:
    """The student version with some answer (or other graded) cells replaced."""
    notebook = nbformat.from_dict(json.loads(json.dumps(student_version)))
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "").replace("-", "_")
        if grade_id in sources:
            cell.source = sources[grade_id]
    return notebook


def write_tree(folder: Path, submissions: dict, lesson: str = TINY) -> None:
    """Per-student folder layout: <student>/<lesson>/<file>; content is a notebook, bytes, str or None."""
    for student, (filename, content) in submissions.items():
        target = folder / student / lesson
        target.mkdir(parents=True)
        if isinstance(content, bytes):
            (target / filename).write_bytes(content)
        elif isinstance(content, str):
            (target / filename).write_text(content)
        elif content is not None:
            nbformat.write(content, target / filename)
        else:
            (target / filename).write_text("the notebook is gone\n")


def dlcourse(*args, env=None, check=True, timeout=600, in_process=True):
    """The `dlcourse` command line. In-process by default (no interpreter start, no second import of nbgrader);
    ``in_process=False`` runs it in a subprocess, as an instructor's shell does, where a test needs that (hostile
    submissions graded by a process the test does not share, or a real signal)."""
    if not in_process:
        environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
        environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
        result = subprocess.run([sys.executable, "-m", "dlcourse.cli", *args], capture_output=True, text=True,
                                env=environment, timeout=timeout, cwd=REPO)
    else:
        result = _in_process([str(arg) for arg in args], env or {})
    if check:
        assert result.returncode == 0, f"dlcourse {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _in_process(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    import contextlib
    import io
    import traceback

    from dlcourse.cli import main

    saved = {key: os.environ.get(key) for key in env}
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.update(env)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exit_:  # argparse's usage errors
                code = exit_.code if isinstance(exit_.code, int) else 2
            except Exception:  # noqa: BLE001 - as a subprocess would: a traceback on stderr, exit 1
                traceback.print_exc()
                code = 1
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def grades_csv(path: Path) -> dict:
    """{(student, exercise): score} from `dlcourse grades --csv`."""
    with open(path) as handle:
        return {(row["student"], row["exercise"]): float(row["score"]) for row in csv.DictReader(handle)}


def secret_lines(repo: Path, lesson: str) -> list[str]:
    """Lines a feedback page must never contain: every test cell's source and every line of the checks."""
    lines = []
    notebook = nbformat.read(repo / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            lines += [line.strip() for line in cell.source.splitlines() if len(line.strip()) > 12]
    checks = repo / "solutions" / lesson / "checks.py"
    lines += [line.strip() for line in checks.read_text().splitlines()
              if len(line.strip()) > 12 and not line.strip().startswith(("#", "from ", "import ", "@", '"""'))]
    return lines


def assert_no_secrets(pages, repo: Path, lesson: str) -> None:
    import html

    secrets = secret_lines(repo, lesson)
    assert secrets
    for page in pages:
        for line in secrets:
            assert line not in page and html.escape(line) not in page, f"feedback leaks: {line}"
        assert "Traceback" not in page
