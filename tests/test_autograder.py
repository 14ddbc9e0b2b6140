"""The instructor's workflow end to end, with real grading runs on temporary course directories.

* lesson 00 (TensorFlow): the session's round trip collects a Canvas zip and autogrades a correct, a blank and a
  wrong submission with ``--jobs 2`` in the jail; here grades (CSV, PNG) and feedback, which must not contain any
  test or check source;
* the tiny assignment (`tiny_course`, no TensorFlow) for what goes wrong by accident: loops, memory, a killed
  kernel, corrupt JSON, deleted or renamed notebooks, deleted or edited test cells; an interrupted run that
  resumes; a grader killed outright; checks that change;
* ``generate --check`` on a stale ``course/``, and one-line CLI errors.

Hostile submissions and the jail's claims are in test_grading_adversarial.py.
"""

from __future__ import annotations

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
from tiny_course import (GOOD, TINY, answer, assert_no_secrets, dlcourse, grades_csv, make_tiny_repo,
                         write_tree)

REPO = Path(__file__).resolve().parents[1]
LESSON = "00_setup_check"

pytestmark = pytest.mark.grader


def without(notebook: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    notebook.cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return notebook


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    base = tmp_path_factory.mktemp("tiny")
    repo = make_tiny_repo(base)
    blank = nbformat.read(repo / "course" / TINY / f"{TINY}.ipynb", as_version=4)
    return {"base": base, "repo": repo, "blank": blank, "env": {"DLCOURSE_ROOT": str(repo)}}


# ---------------------------------------------------------------- lesson 00, end to end

def test_lesson_00_end_to_end(roundtrips, tmp_path, capsys):
    """Canvas zip -> collect -> autograde --jobs 2 (the session's round trip) -> grades + plot -> feedback
    without hidden tests. All through the `dlcourse` command, in-process."""

    result = roundtrips[LESSON]
    assert "collected 3 submission(s)" in result["collect_output"], result["collect_output"]
    assert "readme_1004_5004_notes.txt: not a notebook" in result["collect_output"]
    root, ids = result["root"], result["students"]
    assert sorted(ids.values()) == ["1001", "1002", "1003"], ids
    for student in ids.values():
        assert (root / "submitted" / student / LESSON / f"{LESSON}.ipynb").is_file()
    assert "failed 0" in result["autograde_output"], result["autograde_output"]

    table, plot = tmp_path / "grades.csv", tmp_path / "grades.png"
    assert cli_main(["grades", "--root", str(root), "--lessons", LESSON, "--csv", str(table), "--plot", str(plot)]) == 0
    scores = grades_csv(table)
    wrong_test = f"{result['wrong_grade_id']}-test"
    for cell, points in result["max"].items():
        assert scores[(ids["solution"], cell)] == points, f"correct submission lost points on {cell}"
        assert scores[(ids["blank"], cell)] == 0, f"blank submission earned points on {cell}"
        assert scores[(ids["wrong"], cell)] == (0 if cell == wrong_test else points), f"wrong submission, {cell}"
    assert plot.stat().st_size > 10_000

    assert cli_main(["feedback", "--root", str(root), "--lessons", LESSON]) == 0
    capsys.readouterr()
    pages = {who: (root / "feedback" / student / LESSON / f"{LESSON}.html").read_text() for who, student in ids.items()}
    assert "failed" in pages["wrong"] and f"`{result['wrong_grade_id']}`" in pages["wrong"], pages["wrong"]
    assert "not answered yet" in pages["blank"]
    assert_no_secrets(pages.values(), REPO, LESSON)


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
        "slowpoke": (f"{TINY}.ipynb", answer(blank, double="import time\ntime.sleep(8)\n" + GOOD["double"],
                                            square="import time\ntime.sleep(8)\n" + GOOD["square"])),
        "hog": (f"{TINY}.ipynb", answer(blank, double="_hoard = bytearray(16 * 1024 ** 3)\n" + GOOD["double"],
                                        square=GOOD["square"])),
        "killer": (f"{TINY}.ipynb", answer(blank, double="import os\nos.kill(os.getpid(), 9)", square=GOOD["square"])),
        "corrupt": (f"{TINY}.ipynb", nbformat.writes(answer(blank, **GOOD))[:300].encode()),
        "deleted": ("notes.txt", None),
        "renamed": ("Untitled.ipynb", answer(blank, **GOOD)),
        "nocell": (f"{TINY}.ipynb", without(answer(blank, **GOOD), "double-test")),
        "edited": (f"{TINY}.ipynb", edited_test),
    }
    download = tmp_path / "download"
    write_tree(download, submissions)
    root = tmp_path / "course-dir"
    env = tiny["env"]
    collected = dlcourse("collect", "--from", str(download), "--root", str(root), env=env)
    assert f"collected {len(submissions) - 1} submission(s)" in collected.stdout, collected.stdout
    assert "deleted/zz_tiny/notes.txt: not a notebook" in collected.stdout
    (root / "submitted" / "deleted" / TINY).mkdir(parents=True)  # a student folder without the notebook

    # Every submission but one: generous wall time, 5 s per cell (the sleeping cell is interrupted; the kernel
    # that ignores the interrupt is stopped 10 s later).
    others = ",".join(sorted(set(submissions) - {"slowpoke"}))
    started = time.perf_counter()
    graded = dlcourse("autograde", "--root", str(root), "--jobs", "2", "--timeout", "300", "--cell-timeout", "5",
                      "--memory", "1024", "--students", others, "--no-progress", env=env)
    assert "graded 9, failed 3" in graded.stdout, graded.stdout
    assert time.perf_counter() - started < 240
    # Every cell within its limit, the whole notebook past the wall-time limit.
    stuck = dlcourse("autograde", "--root", str(root), "--timeout", "12", "--cell-timeout", "10", "--no-progress",
                     env=env)
    assert "graded 0, failed 1, skipped 12" in stuck.stdout, stuck.stdout
    out = graded.stdout + stuck.stdout
    status = json.loads((root / "autograde_status.json").read_text())
    reason = {key.split("/")[1]: record["reason"] for key, record in status.items() if record["status"] == "failed"}
    problem = {key.split("/")[1]: record.get("problem", "") for key, record in status.items()}
    notes = {key.split("/")[1]: record["notes"] for key, record in status.items()}
    assert set(reason) == {"slowpoke", "corrupt", "deleted", "renamed"}, (reason, out)
    assert "stopped after 12 s" in reason["slowpoke"], reason["slowpoke"]
    assert "the kernel would not stop" in problem["stuck"], problem["stuck"]
    assert "kernel died" in problem["killer"] and "kernel died" in problem["hog"], problem
    assert "not a readable notebook" in reason["corrupt"]
    assert "missing from the submission" in reason["deleted"]
    assert "Untitled.ipynb" in reason["renamed"] and "renamed" in reason["renamed"]
    assert any("double-test was deleted" in n for n in notes["nocell"]), notes["nocell"]
    assert any("double-test was edited" in n for n in notes["edited"]), notes["edited"]

    table = tmp_path / "grades.csv"
    dlcourse("grades", "--root", str(root), "--csv", str(table), env=env)
    scores = grades_csv(table)
    # hog and killer: the kernel dies in the first answer cell, so nothing is defined when the probe would run.
    expected = {"good": (1, 1), "wrong": (0, 1), "blank": (0, 0), "slowcell": (1, 0), "hog": (0, 0),
                "nocell": (1, 1), "edited": (0, 1), "stuck": (0, 0), "killer": (0, 0), "corrupt": (0, 0),
                "slowpoke": (0, 0),
                "deleted": (0, 0), "renamed": (0, 0)}
    got = {student: (scores[(student, "double-test")], scores[(student, "square-test")]) for student in expected}
    assert got == {s: tuple(float(v) for v in pair) for s, pair in expected.items()}

    dlcourse("feedback", "--root", str(root), env=env)
    pages = {p.parent.parent.name: p.read_text() for p in (root / "feedback").rglob("*.html")}
    assert "`double` on a random integer: the number is wrong" in pages["wrong"], pages["wrong"]
    assert "could not be graded" in pages["slowpoke"] and reason["slowpoke"] in pages["slowpoke"]
    assert "the kernel would not stop" in pages["stuck"]
    assert "not answered yet" in pages["blank"]
    assert_no_secrets(pages.values(), tiny["repo"], TINY)
    assert not leftover_processes(), "worker or kernel processes outlived the run"


def leftover_processes() -> list:
    """Grading workers or jailed kernels still running."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "dlcourse.grading.worker" in cmdline or "dlcourse.grading.jail" in cmdline or "bwrap" in cmdline:
                found.append((entry, cmdline[:200]))
    return found


def test_killed_grader_leaves_nothing_and_quarantines(tiny, tmp_path):
    """SIGKILL the grader mid-run: its workers and kernels die, the temporary folder goes, the next run names
    the submission it was grading and quarantines it; retrying grades it."""
    import tempfile

    blank = tiny["blank"]
    write_tree(tmp_path / "download", {"slow": (f"{TINY}.ipynb", answer(
        blank, double="import time\ntime.sleep(30)\n" + GOOD["double"], square=GOOD["square"]))})
    root = tmp_path / "course-dir"
    dlcourse("collect", "--from", str(tmp_path / "download"), "--root", str(root), env=tiny["env"])
    before = set(Path(tempfile.gettempdir()).glob("dlcourse-autograde-*"))
    env = {**os.environ, **tiny["env"], "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    run = subprocess.Popen([sys.executable, "-m", "dlcourse.cli", "autograde", "--root", str(root), "--no-progress"],
                           env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not any("bwrap" in c or "grading.worker" in c for _, c in leftover_processes()):
        time.sleep(0.2)
    time.sleep(3)
    run.kill()
    run.wait()
    time.sleep(3)
    assert not leftover_processes(), leftover_processes()
    assert set(Path(tempfile.gettempdir()).glob("dlcourse-autograde-*")) <= before, "temporary folder left behind"
    status = json.loads((root / "autograde_status.json").read_text())
    assert status[f"{TINY}/slow"]["status"] == "grading"
    again = dlcourse("autograde", "--root", str(root), "--no-progress", env=tiny["env"])
    assert "quarantined zz_tiny/slow" in again.stdout and "skipped 1" in again.stdout, again.stdout
    retried = dlcourse("autograde", "--root", str(root), "--no-progress", "--retry-failed", env=tiny["env"])
    assert "graded 1, failed 0" in retried.stdout, retried.stdout


def test_changed_checks_regrade(tiny, tmp_path):
    """Grades follow the tests: a change to the lesson's checks re-grades its submissions."""
    repo = tmp_path / "repo"
    shutil.copytree(tiny["repo"], repo)
    env = {"DLCOURSE_ROOT": str(repo)}
    write_tree(tmp_path / "download", {"ann": (f"{TINY}.ipynb", answer(tiny["blank"], **GOOD))})
    root = tmp_path / "course-dir"
    dlcourse("collect", "--from", str(tmp_path / "download"), "--root", str(root), env=env)
    assert "graded 1" in dlcourse("autograde", "--root", str(root), "--no-progress", env=env).stdout
    assert "skipped 1" in dlcourse("autograde", "--root", str(root), "--no-progress", env=env).stdout
    checks = repo / "solutions" / TINY / "checks.py"
    checks.write_text(checks.read_text().replace("check=number(16)", "check=number(17)"))
    again = dlcourse("autograde", "--root", str(root), "--no-progress", env=env)
    assert "graded 1, failed 0, skipped 0" in again.stdout, again.stdout
    table = tmp_path / "grades.csv"
    dlcourse("grades", "--root", str(root), "--csv", str(table), env=env)
    assert grades_csv(table)[("ann", "square-test")] == 0.0


def test_interrupted_run_resumes(tiny, tmp_path):
    blank = tiny["blank"]
    students = {f"s{i}": (f"{TINY}.ipynb", answer(blank, **GOOD) if i % 2 else blank) for i in range(4)}
    download = tmp_path / "download"
    write_tree(download, students)
    root = tmp_path / "course-dir"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **tiny["env"],
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    dlcourse("collect", "--from", str(download), "--root", str(root), env=tiny["env"])
    status_file = root / "autograde_status.json"
    # Ctrl-C's default action, even where the suite itself was started in the background of a non-interactive
    # shell: such a shell starts it with SIGINT ignored, every child inherits that, and Python then never raises
    # KeyboardInterrupt, so the run would finish instead of stopping.
    run = subprocess.Popen([sys.executable, "-m", "dlcourse.cli", "autograde", "--root", str(root), "--jobs", "1",
                            "--no-progress"], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 180
    def graded_so_far():
        records = json.loads(status_file.read_text()) if status_file.is_file() else {}
        return [key for key, record in records.items() if record.get("status") == "graded"]

    while time.time() < deadline and not graded_so_far():
        time.sleep(0.2)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130, stderr
    first = json.loads(status_file.read_text())
    assert all(record["status"] == "graded" for record in first.values()), first  # in-flight ones restored
    assert 1 <= len(first) < 4, f"expected an interrupted run, graded {sorted(first)}"
    resumed = dlcourse("autograde", "--root", str(root), "--jobs", "2", "--no-progress", env=tiny["env"])
    assert f"{len(first)} submission(s) already graded against the current checks: skipped" in resumed.stdout, \
        resumed.stdout
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
    assert "names no lesson: say which lesson the download is" in result.stdout and "homework.ipynb" in result.stdout
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

def test_generate_check_catches_stale_course(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "checkout"
    for folder in ("solutions", "course"):
        shutil.copytree(REPO / folder / LESSON, repo / folder / LESSON)
    shutil.copyfile(REPO / "course" / "nbgrader_config.py", repo / "course" / "nbgrader_config.py")  # generated too
    monkeypatch.setenv("DLCOURSE_ROOT", str(repo))

    def generate(*args):
        code = cli_main(["generate", *args, "--lessons", "00"])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = generate("--check")
    assert code == 0 and "in sync" in out
    notebook_path = repo / "solutions" / LESSON / f"{LESSON}.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells[0].source += "\n\nA sentence added after the last `dlcourse generate`."
    nbformat.write(notebook, notebook_path)
    code, out, err = generate("--check")
    assert code == 1 and "course/ is stale" in err and "A sentence added" in out, (code, out, err)
    assert generate()[0] == 0
    code, out, _ = generate("--check")
    assert code == 0 and "in sync" in out


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
