"""The instructor's workflow end to end, with real nbgrader runs on temporary course directories.

* lesson 00 (TensorFlow): collect a Canvas zip, autograde a correct, a blank and a wrong submission with
  ``--jobs 2``, then grades (CSV, PNG) and feedback, which must not contain any hidden-test source;
* a tiny purpose-built assignment without TensorFlow (seconds per submission) for everything that goes wrong:
  loops, memory, a killed kernel, corrupt JSON, deleted or renamed notebooks, deleted or edited test cells,
  the network namespace, and an interrupted run that resumes;
* ``generate --check`` on a stale ``course/``, and one-line CLI errors.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlcourse.cli import main as cli_main
from dlcourse.sandbox import network_isolation

REPO = Path(__file__).resolve().parents[1]
LESSON = "00_setup_check"
TINY = "zz_tiny"
# nbgrader's delimiters, assembled so that this file never contains them verbatim.
SOLUTION = ("### BEGIN " + "SOLUTION", "### END " + "SOLUTION")
HIDDEN = ("### BEGIN " + "HIDDEN TESTS", "### END " + "HIDDEN TESTS")

pytestmark = pytest.mark.slow


def dlcourse(*args, env=None, check=True, timeout=600) -> subprocess.CompletedProcess:
    """The real command line, in a subprocess (as an instructor runs it)."""
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    result = subprocess.run([sys.executable, "-m", "dlcourse.cli", *args], capture_output=True, text=True,
                            env=environment, timeout=timeout, cwd=REPO)
    if check:
        assert result.returncode == 0, f"dlcourse {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def hidden_test_lines(notebook_path: Path) -> list[str]:
    """Every non-trivial line between the hidden-test delimiters of a solutions notebook."""
    lines = []
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        inside = False
        for line in cell.source.splitlines():
            if line.strip() == HIDDEN[0]:
                inside = True
            elif line.strip() == HIDDEN[1]:
                inside = False
            elif inside and len(line.strip()) > 8:
                lines.append(line.strip())
    return lines


def grades_csv(path: Path) -> dict:
    """{(student, exercise): score} from `dlcourse grades --csv`."""
    with open(path) as handle:
        return {(row["student"], row["exercise"]): float(row["score"]) for row in csv.DictReader(handle)}


# ---------------------------------------------------------------- a tiny assignment (no TensorFlow)

def _meta(grade_id: str, *, solution=False, grade=False, points=0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def tiny_source() -> nbformat.NotebookNode:
    """Two one-point exercises, each with a visible check and a hidden test a hard-coded answer fails."""
    cell = nbformat.v4.new_code_cell
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Tiny\nTwo small exercises for testing the grader."),
        cell("import numpy as np", metadata=_meta("setup")),
        cell(f"def double(x):\n    {SOLUTION[0]}\n    return 2 * x\n    {SOLUTION[1]}",
             metadata=_meta("double", solution=True)),
        cell(f"assert double(2) == 4, f'double(2) should be 4, got {{double(2)}}'\n{HIDDEN[0]}\n"
             f"assert double(5) == 10, 'double(5) should be 10'\n{HIDDEN[1]}",
             metadata=_meta("double-test", grade=True, points=1)),
        cell(f"def square(x):\n    {SOLUTION[0]}\n    return x * x\n    {SOLUTION[1]}",
             metadata=_meta("square", solution=True)),
        cell(f"assert square(3) == 9, f'square(3) should be 9, got {{square(3)}}'\n{HIDDEN[0]}\n"
             f"assert square(-4) == 16, 'square(-4) should be 16'\n{HIDDEN[1]}",
             metadata=_meta("square-test", grade=True, points=1)),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def make_tiny_repo(base: Path) -> Path:
    """A course checkout with only the tiny assignment, and its student version (via nbgrader)."""
    repo = base / "repo"
    (repo / "solutions" / TINY).mkdir(parents=True)
    nbformat.write(tiny_source(), repo / "solutions" / TINY / f"{TINY}.ipynb")
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


def without(notebook: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    notebook.cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return notebook


GOOD = {"double": "def double(x):\n    return 2 * x", "square": "def square(x):\n    return x * x"}
CHECKS_NETWORK = ("import socket\n_interfaces = sorted(name for _, name in socket.if_nameindex())\n"
                  "def square(x):\n    return x * x if _interfaces == ['lo'] else None")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    base = tmp_path_factory.mktemp("tiny")
    repo = make_tiny_repo(base)
    blank = nbformat.read(repo / "course" / TINY / f"{TINY}.ipynb", as_version=4)
    return {"base": base, "repo": repo, "blank": blank, "env": {"DLCOURSE_ROOT": str(repo)}}


def write_tree(folder: Path, submissions: dict) -> None:
    """Per-student folder layout: <student>/<lesson>/<file>; a value is a notebook, bytes, or None (no notebook)."""
    for student, (filename, content) in submissions.items():
        target = folder / student / TINY
        target.mkdir(parents=True)
        if isinstance(content, bytes):
            (target / filename).write_bytes(content)
        elif content is not None:
            nbformat.write(content, target / filename)
        else:
            (target / filename).write_text("the notebook is gone\n")


# ---------------------------------------------------------------- lesson 00, end to end

def test_lesson_00_end_to_end(tmp_path):
    """Canvas zip -> collect -> autograde --jobs 2 -> grades + plot -> feedback without hidden tests."""
    import roundtrip

    solution = REPO / "solutions" / LESSON / f"{LESSON}.ipynb"
    case = roundtrip.load_case(LESSON)
    notebooks = {
        "alice_1001_5001_00_setup_check.ipynb": nbformat.read(solution, as_version=4),
        "bob_1002_5002_00_setup_check.ipynb": nbformat.read(REPO / "course" / LESSON / f"{LESSON}.ipynb",
                                                            as_version=4),
        "carol_LATE_1003_5003_00_setup_check-1.ipynb": roundtrip.wrong_submission(
            solution, case.WRONG_ANSWER["grade_id"], case.WRONG_ANSWER["source"]),
    }
    archive = tmp_path / "canvas-submissions.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, notebook in notebooks.items():
            bundle.writestr(name, nbformat.writes(notebook))
        bundle.writestr("readme_1004_5004_notes.txt", "not a notebook")
    root = tmp_path / "course-dir"

    collected = dlcourse("collect", "--from", str(archive), "--root", str(root))
    assert "collected 3 submission(s)" in collected.stdout, collected.stdout
    assert "readme_1004_5004_notes.txt: not a notebook" in collected.stdout
    for student in ("1001", "1002", "1003"):
        assert (root / "submitted" / student / LESSON / f"{LESSON}.ipynb").is_file()

    graded = dlcourse("autograde", LESSON, "--root", str(root), "--jobs", "2", "--no-progress")
    assert "graded 3, failed 0" in graded.stdout, graded.stdout + graded.stderr

    table, plot = tmp_path / "grades.csv", tmp_path / "grades.png"
    dlcourse("grades", "--root", str(root), "--csv", str(table), "--plot", str(plot))
    scores = grades_csv(table)
    wrong_test = f"{case.WRONG_ANSWER['grade_id']}-test"
    maximum = roundtrip.grade_cells(solution)
    for cell, points in maximum.items():
        assert scores[("1001", cell)] == points, f"correct submission lost points on {cell}"
        assert scores[("1002", cell)] == 0, f"blank submission earned points on {cell}"
        assert scores[("1003", cell)] == (0 if cell == wrong_test else points), f"wrong submission, {cell}"
    assert plot.stat().st_size > 10_000

    dlcourse("feedback", "--root", str(root))
    pages = {student: (root / "feedback" / student / LESSON / f"{LESSON}.html").read_text()
             for student in ("1001", "1002", "1003")}
    assert "failed" in pages["1003"] and "should become 0, 0.2, 0.8, 1" in pages["1003"], pages["1003"]
    assert "not answered yet" in pages["1002"]
    assert_no_hidden_source(pages.values(), solution)


def assert_no_hidden_source(pages, solution: Path) -> None:
    import html

    secrets = hidden_test_lines(solution)
    assert secrets, "the solutions notebook should have hidden tests to look for"
    for page in pages:
        for line in secrets:
            assert line not in page and html.escape(line) not in page, f"feedback leaks hidden test: {line}"
        assert HIDDEN[0] not in page and "Traceback" not in page


# ---------------------------------------------------------------- everything that goes wrong

def test_bad_submissions_are_contained(tiny, tmp_path):
    blank = tiny["blank"]
    sleepy = answer(blank, square="import time\ntime.sleep(600)\ndef square(x):\n    return x * x", double=GOOD["double"])
    edited_test = answer(blank, double="def double(x):\n    return x + 2", square=GOOD["square"],
                         double_test="assert True  # edited by the student")
    submissions = {
        "good": (f"{TINY}.ipynb", answer(blank, **GOOD)),
        "wrong": (f"{TINY}.ipynb", answer(blank, double="def double(x):\n    return x + 2", square=GOOD["square"])),
        "blank": (f"{TINY}.ipynb", blank),
        "slowcell": (f"{TINY}.ipynb", sleepy),
        "stuck": (f"{TINY}.ipynb", answer(blank, double="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                                      "while True:\n    pass", square=GOOD["square"])),
        "hog": (f"{TINY}.ipynb", answer(blank, double="_hoard = bytearray(16 * 1024 ** 3)\n" + GOOD["double"],
                                        square=GOOD["square"])),
        "killer": (f"{TINY}.ipynb", answer(blank, double="import os\nos.kill(os.getpid(), 9)", square=GOOD["square"])),
        "corrupt": (f"{TINY}.ipynb", nbformat.writes(answer(blank, **GOOD))[:300].encode()),
        "deleted": ("notes.txt", None),
        "renamed": ("Untitled.ipynb", answer(blank, **GOOD)),
        "nocell": (f"{TINY}.ipynb", without(answer(blank, **GOOD), "double-test")),
        "edited": (f"{TINY}.ipynb", edited_test),
        "network": (f"{TINY}.ipynb", answer(blank, double=GOOD["double"], square=CHECKS_NETWORK)),
    }
    download = tmp_path / "download"
    write_tree(download, submissions)
    root = tmp_path / "course-dir"
    env = tiny["env"]
    collected = dlcourse("collect", "--from", str(download), "--root", str(root), env=env)
    assert f"collected {len(submissions) - 1} submission(s)" in collected.stdout, collected.stdout
    assert "deleted/zz_tiny/notes.txt: not a notebook" in collected.stdout
    (root / "submitted" / "deleted" / TINY).mkdir(parents=True)  # a student folder without the notebook

    # Every submission but one: generous wall time, 5 s per cell (the sleeping cell is interrupted).
    others = ",".join(sorted(set(submissions) - {"stuck"}))
    graded = dlcourse("autograde", "--root", str(root), "--jobs", "2", "--timeout", "300", "--cell-timeout", "5",
                      "--memory", "2048", "--students", others, "--no-progress", env=env)
    assert "graded 8, failed 4" in graded.stdout, graded.stdout
    # The one that ignores the interrupt and loops: stopped by the wall-time limit.
    started = time.perf_counter()
    stuck = dlcourse("autograde", "--root", str(root), "--timeout", "20", "--cell-timeout", "5", "--no-progress",
                     env=env)
    assert "graded 0, failed 1, skipped 12" in stuck.stdout, stuck.stdout
    assert time.perf_counter() - started < 120
    out = graded.stdout + stuck.stdout
    status = json.loads((root / "autograde_status.json").read_text())
    reason = {key.split("/")[1]: record["reason"] for key, record in status.items() if record["status"] == "failed"}
    notes = {key.split("/")[1]: record["notes"] for key, record in status.items()}
    assert set(reason) == {"stuck", "killer", "corrupt", "deleted", "renamed"}, (reason, out)
    # Either limit may stop it first: the wall time, or nbgrader giving up on a kernel that ignores interrupts.
    assert "stopped after 20 s" in reason["stuck"] or "the kernel would not stop" in reason["stuck"], reason["stuck"]
    assert "kernel died" in reason["killer"]
    assert "not a readable notebook" in reason["corrupt"]
    assert "missing from the submission" in reason["deleted"]
    assert "Untitled.ipynb" in reason["renamed"] and "renamed" in reason["renamed"]
    assert any("double-test was deleted" in n for n in notes["nocell"]), notes["nocell"]
    assert any("double-test was edited" in n for n in notes["edited"]), notes["edited"]

    table = tmp_path / "grades.csv"
    dlcourse("grades", "--root", str(root), "--csv", str(table), env=env)
    scores = grades_csv(table)
    expected = {"good": (1, 1), "wrong": (0, 1), "blank": (0, 0), "slowcell": (1, 0), "hog": (0, 1),
                "nocell": (1, 1), "edited": (0, 1), "network": (1, 1 if network_isolation() else 0),
                "stuck": (0, 0), "killer": (0, 0), "corrupt": (0, 0), "deleted": (0, 0), "renamed": (0, 0)}
    got = {student: (scores[(student, "double-test")], scores[(student, "square-test")]) for student in expected}
    assert got == {s: tuple(float(v) for v in pair) for s, pair in expected.items()}

    dlcourse("feedback", "--root", str(root), env=env)
    pages = {p.parent.parent.name: p.read_text() for p in (root / "feedback").rglob("*.html")}
    assert "should be 10" in pages["wrong"] and "a hidden test failed" in pages["wrong"]
    assert "could not be graded" in pages["stuck"] and reason["stuck"] in pages["stuck"]
    assert_no_hidden_source(pages.values(), tiny["repo"] / "solutions" / TINY / f"{TINY}.ipynb")
    assert not leftover_processes(submissions), "worker or kernel processes outlived the run"


def leftover_processes(students) -> list:
    """This test's grading workers or kernels: their working folder is a per-student autograde folder."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if "dlcourse-autograde-" in cwd and any(f"/{student}-" in cwd for student in students):
            found.append((entry, cmdline[:200], cwd))
    return found


def test_interrupted_run_resumes(tiny, tmp_path):
    blank = tiny["blank"]
    students = {f"s{i}": (f"{TINY}.ipynb", answer(blank, **GOOD) if i % 2 else blank) for i in range(4)}
    download = tmp_path / "download"
    write_tree(download, students)
    root = tmp_path / "course-dir"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **tiny["env"]}
    dlcourse("collect", "--from", str(download), "--root", str(root), env=tiny["env"])
    status_file = root / "autograde_status.json"
    run = subprocess.Popen([sys.executable, "-m", "dlcourse.cli", "autograde", "--root", str(root), "--jobs", "1",
                            "--no-progress"], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    deadline = time.time() + 180
    while time.time() < deadline and not (status_file.is_file() and json.loads(status_file.read_text())):
        time.sleep(0.2)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130, stderr
    first = json.loads(status_file.read_text())
    assert 1 <= len(first) < 4, f"expected an interrupted run, graded {sorted(first)}"
    resumed = dlcourse("autograde", "--root", str(root), "--jobs", "2", "--no-progress", env=tiny["env"])
    assert f"{len(first)} submission(s) already graded and unchanged: skipped" in resumed.stdout, resumed.stdout
    assert f"graded {4 - len(first)}, failed 0" in resumed.stdout, resumed.stdout
    final = json.loads(status_file.read_text())
    assert all(final[key]["graded_at"] == record["graded_at"] for key, record in first.items()), "re-graded"
    table = tmp_path / "grades.csv"
    dlcourse("grades", "--root", str(root), "--csv", str(table), env=tiny["env"])
    scores = grades_csv(table)
    for i in range(4):
        assert scores[(f"s{i}", "double-test")] == (1.0 if i % 2 else 0.0)

    # A changed submission is graded again; an unchanged one is not.
    nbformat.write(answer(blank, **GOOD), root / "submitted" / "s0" / TINY / f"{TINY}.ipynb")
    again = dlcourse("autograde", "--root", str(root), "--no-progress", env=tiny["env"])
    assert "graded 1, failed 0, skipped 3" in again.stdout, again.stdout


# ---------------------------------------------------------------- collecting the layouts instructors get

def test_collect_layouts(tiny, tmp_path):
    blank, env = tiny["blank"], tiny["env"]
    root = tmp_path / "course-dir"
    text = nbformat.writes(answer(blank, **GOOD))

    moodle = tmp_path / "moodle"
    for folder, name in [("Ada Lovelace_301_assignsubmission_file_", f"{TINY}.ipynb"),
                         ("Alan Turing_302_assignsubmission_file_", f"{TINY} (1).ipynb"),
                         ("Grace Hopper_303_assignsubmission_file_", "homework.ipynb")]:
        (moodle / folder).mkdir(parents=True)
        (moodle / folder / name).write_text(text)
    result = dlcourse("collect", "--from", str(moodle), "--root", str(root), env=env)
    assert "collected 2 submission(s)" in result.stdout
    assert "names no lesson (use --lesson)" in result.stdout and "homework.ipynb" in result.stdout
    assert (root / "submitted" / "301" / TINY / f"{TINY}.ipynb").is_file()
    assert (root / "submitted" / "302" / TINY / f"{TINY}.ipynb").is_file()

    # With --lesson the renamed file is taken as it is; existing submissions are kept without --force.
    result = dlcourse("collect", "--from", str(moodle), "--root", str(root), "--lesson", TINY, env=env)
    assert "collected 1 submission(s)" in result.stdout and "kept 2 existing" in result.stdout, result.stdout
    assert (root / "submitted" / "303" / TINY / "homework.ipynb").is_file()

    tree = tmp_path / "tree" / "export"  # one wrapping folder, both per-student forms
    (tree / "alice" / TINY).mkdir(parents=True)
    (tree / "alice" / TINY / f"{TINY}.ipynb").write_text(text)
    (tree / "bob").mkdir(parents=True)
    (tree / "bob" / f"{TINY}.ipynb").write_text(text)
    (tree / "bob" / ".ipynb_checkpoints").mkdir()
    (tree / "bob" / ".ipynb_checkpoints" / f"{TINY}-checkpoint.ipynb").write_text(text)
    (tree / "stray.ipynb").write_text(text)
    result = dlcourse("collect", "--from", str(tmp_path / "tree"), "--root", str(root), env=env)
    assert "collected 2 submission(s)" in result.stdout, result.stdout
    assert "stray.ipynb" in result.stdout
    assert (root / "submitted" / "alice" / TINY / f"{TINY}.ipynb").is_file()
    assert (root / "submitted" / "bob" / TINY / f"{TINY}.ipynb").is_file()

    canvas = tmp_path / "canvas.zip"
    with zipfile.ZipFile(canvas, "w") as bundle:
        bundle.writestr(f"lovelaceada_301_9001_{TINY}.ipynb", "{}")
        bundle.writestr(f"hopper_LATE_303_9002_{TINY}-2.ipynb", text)
        bundle.writestr(f"hopper_LATE_303_9001_{TINY}-1.ipynb", "{}")
    result = dlcourse("collect", "--from", str(canvas), "--root", str(root), "--force", env=env)
    assert "collected 2 submission(s), replaced 2" in result.stdout, result.stdout
    assert "duplicate: 303/zz_tiny: took hopper_LATE_303_9002" in result.stdout
    assert (root / "submitted" / "303" / TINY / f"{TINY}.ipynb").read_text() == text
    assert not (root / "submitted" / "303" / TINY / "homework.ipynb").exists()


# ---------------------------------------------------------------- generate --check and CLI errors

def test_generate_check_catches_stale_course(tmp_path):
    repo = tmp_path / "checkout"
    for folder in ("solutions", "course"):
        shutil.copytree(REPO / folder / LESSON, repo / folder / LESSON)
    env = {"DLCOURSE_ROOT": str(repo)}
    fresh = dlcourse("generate", "--check", "--lessons", "00", env=env)
    assert "in sync" in fresh.stdout
    notebook_path = repo / "solutions" / LESSON / f"{LESSON}.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells[0].source += "\n\nA sentence added after the last `dlcourse generate`."
    nbformat.write(notebook, notebook_path)
    stale = dlcourse("generate", "--check", "--lessons", "00", env=env, check=False)
    assert stale.returncode == 1 and "course/ is stale" in stale.stderr and "A sentence added" in stale.stdout
    dlcourse("generate", "--lessons", "00", env=env)
    assert "in sync" in dlcourse("generate", "--check", "--lessons", "00", env=env).stdout


@pytest.mark.parametrize("args, message", [
    (["autograde", "no_such_lesson"], "unknown lesson 'no_such_lesson'"),
    (["autograde", "--root", "{missing}"], "no course directory at"),
    (["autograde", "--root", "{empty}"], "no submissions"),
    (["feedback", "--root", "{empty}"], "no gradebook"),
    (["grades", "--root", "{empty}"], "no gradebook"),
    (["collect", "--from", "{missing}", "--root", "{empty}"], "no such file or folder"),
    (["collect", "--from", "{file}", "--root", "{empty}"], "expected a folder or a .zip file"),
    (["autograde", "--root", "{empty}", "--jobs", "0"], "--jobs must be at least 1"),
])
@pytest.mark.filterwarnings("ignore")
def test_cli_errors_are_one_line(tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    paths = {"missing": str(tmp_path / "missing"), "empty": str(tmp_path / "empty"), "file": str(tmp_path / "file.txt")}
    code = cli_main([arg.format(**paths) for arg in args])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("dlcourse: error:") and message in err, err
