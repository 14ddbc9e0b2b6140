"""The exchange path, end to end on the command line: release, students fetch and submit, collect, autograde
(jailed), feedback released, students fetch their own feedback.

Two students (alice, bob) and a third (carol) who also sends a download use a temporary exchange folder with
nbgrader's own student commands, as nbgrader's tests do: ``nbgrader fetch_assignment`` and ``nbgrader submit``
with ``--student`` (nbgrader otherwise names a submission after the OS user, and every process here is one
user), their own ``--Exchange.cache`` and working folder. dave is collected from a download only. The tiny
assignment (`tiny_course`) keeps it to seconds per submission.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tiny_course import GOOD, TINY, answer, assert_no_secrets, dlcourse, grades_csv, make_tiny_repo, write_tree

pytestmark = pytest.mark.grader


class Student:
    """One student's side of the exchange: their own folder and nbgrader cache, nbgrader's own commands."""

    def __init__(self, name: str, base: Path, exchange: Path):
        self.name, self.exchange = name, exchange
        self.home = base / "homes" / name
        self.home.mkdir(parents=True)

    def nbgrader(self, *args, check=True) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "nbgrader", *args, "--course", "dlcourse", f"--student={self.name}",
                   f"--Exchange.root={self.exchange}", f"--Exchange.cache={self.home / '.cache'}"]
        env = {**os.environ, "HOME": str(self.home)}
        env.pop("DLCOURSE_EXCHANGE", None)
        result = subprocess.run(command, cwd=self.home, capture_output=True, text=True, env=env, timeout=120)
        if check:
            assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def fetch(self) -> nbformat.NotebookNode:
        self.nbgrader("fetch_assignment", TINY)
        return nbformat.read(self.home / TINY / f"{TINY}.ipynb", as_version=4)

    def submit(self, notebook: nbformat.NotebookNode) -> None:
        nbformat.write(notebook, self.home / TINY / f"{TINY}.ipynb")
        self.nbgrader("submit", TINY)

    def feedback_pages(self) -> list[str]:
        self.nbgrader("fetch_feedback", TINY)
        return [p.read_text() for p in sorted((self.home / TINY / "feedback").rglob("*.html"))]


@pytest.fixture
def course(tmp_path):
    repo = make_tiny_repo(tmp_path)
    exchange = tmp_path / "exchange"
    root = tmp_path / "course-dir"
    env = {"DLCOURSE_ROOT": str(repo)}
    run = lambda *args, check=True: dlcourse(*args, "--root", str(root), "--exchange-dir", str(exchange),  # noqa: E731
                                             env=env, check=check)
    return {"repo": repo, "root": root, "exchange": exchange, "env": env, "run": run, "base": tmp_path}


def test_exchange_errors_are_one_line(course):
    run, repo = course["run"], course["repo"]
    missing = run("collect", "--exchange", check=False)
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.count("\n") == 1 and "no exchange directory at" in missing.stderr
    assert "dlcourse release LESSON" in missing.stderr and "--exchange-dir" in missing.stderr

    no_release = run("feedback", "--release", check=False)  # nothing graded yet: no course directory
    assert no_release.returncode == 2 and no_release.stderr.count("\n") == 1

    # A lesson in solutions/ without its student version in course/: "lesson not generated".
    shutil.copytree(repo / "solutions" / TINY, repo / "solutions" / "zz_second")
    (repo / "solutions" / "zz_second" / f"{TINY}.ipynb").rename(repo / "solutions" / "zz_second" / "zz_second.ipynb")
    ungenerated = run("release", "zz_second", check=False)
    assert ungenerated.returncode == 2 and ungenerated.stderr.count("\n") == 1
    assert "course/zz_second/zz_second.ipynb does not exist" in ungenerated.stderr
    assert "dlcourse generate --lessons zz_second" in ungenerated.stderr

    # A stale student version is not released: students would get something autograde does not grade.
    notebook = nbformat.read(repo / "course" / TINY / f"{TINY}.ipynb", as_version=4)
    notebook.cells[0].source += "\nAn edit by hand."
    nbformat.write(notebook, repo / "course" / TINY / f"{TINY}.ipynb")
    stale = run("release", TINY, check=False)
    assert stale.returncode == 2 and "course/zz_tiny is stale" in stale.stderr and stale.stderr.count("\n") == 1

    (course["exchange"] / "dlcourse" / "inbound").mkdir(parents=True)
    nothing = run("collect", "--exchange", check=False)
    assert nothing.returncode == 2 and nothing.stderr.count("\n") == 1
    assert "nothing submitted in" in nothing.stderr and "Assignment List" in nothing.stderr

    both = run("collect", "--exchange", "--from", str(course["base"]), check=False)
    assert both.returncode == 2 and "--from PATH (a download) or --exchange" in both.stderr


def test_release_collect_grade_feedback_through_the_exchange(course):
    run, repo, root, exchange, base = (course[k] for k in ("run", "repo", "root", "exchange", "base"))

    released = run("release", TINY)
    assert f"released {TINY} to {exchange / 'dlcourse' / 'outbound' / TINY}" in released.stdout
    outbound = exchange / "dlcourse" / "outbound" / TINY
    assert (outbound / f"{TINY}.ipynb").is_file() and not (outbound / "checks.py").exists()
    again = run("release", TINY, check=False)
    assert again.returncode == 2 and "already released" in again.stderr and "--force" in again.stderr
    run("release", TINY, "--force")

    alice, bob, carol = (Student(name, base, exchange) for name in ("alice", "bob", "carol"))
    alice.submit(answer(alice.fetch(), **GOOD))
    bob_version = bob.fetch()
    bob.submit(answer(bob_version, double=GOOD["double"], square="def square(x):\n    return 2 * x"))

    first = run("collect", "--exchange")
    assert "collected 2 submission(s)" in first.stdout, first.stdout
    assert f"next: dlcourse autograde {TINY}" in first.stdout
    # Every process here is one OS user, so nbgrader's owner check flags the names: the report says so.
    assert "warning: alice/zz_tiny was submitted as alice by the OS user" in first.stdout, first.stdout
    for name in ("alice", "bob"):
        folder = root / "submitted" / name / TINY
        assert {p.name for p in folder.iterdir()} >= {f"{TINY}.ipynb", "timestamp.txt", "submission_secret.txt"}

    unchanged = run("collect", "--exchange", TINY)
    assert "collected 0 submission(s)" in unchanged.stdout and "2 submission(s) already collected" in unchanged.stdout

    # bob submits again (still wrong): the newer one replaces the one collected; alice's stays.
    bob.submit(answer(bob_version, double=GOOD["double"], square="def square(x):\n    return x + x"))
    second = run("collect", "--exchange")
    assert "replaced 1" in second.stdout and "alice/zz_tiny" in second.stdout, second.stdout

    # The LMS path lands in the same folders: carol and dave from a per-student download.
    download = base / "download"
    write_tree(download, {"carol": (f"{TINY}.ipynb", answer(bob_version, **GOOD)),
                          "dave": (f"{TINY}.ipynb", answer(bob_version, **GOOD))})
    dlcourse("collect", "--from", str(download), "--root", str(root), env=course["env"])
    carol.submit(answer(carol.fetch(), double="def double(x):\n    return x", square=GOOD["square"]))
    kept = run("collect", "--exchange")
    assert "kept 1 existing submission(s)" in kept.stdout and "carol/zz_tiny (collected from a download)" in kept.stdout
    assert "--force replaces them" in kept.stdout
    assert not (root / "submitted" / "carol" / TINY / "timestamp.txt").exists()
    forced = run("collect", "--exchange", "--force")
    assert "kept" not in forced.stdout and "replaced 3" in forced.stdout, forced.stdout
    assert (root / "submitted" / "carol" / TINY / "timestamp.txt").is_file()

    # One autograde run grades both kinds the same way, in the jail.
    graded = dlcourse("autograde", TINY, "--root", str(root), "--jobs", "2", "--no-progress", env=course["env"])
    assert "graded 4, failed 0" in graded.stdout, graded.stdout
    dlcourse("grades", "--root", str(root), "--csv", str(base / "grades.csv"), env=course["env"])
    scores = grades_csv(base / "grades.csv")
    assert scores[("alice", "double-test")] == 1 and scores[("alice", "square-test")] == 1
    assert scores[("bob", "double-test")] == 1 and scores[("bob", "square-test")] == 0
    assert scores[("carol", "double-test")] == 0 and scores[("carol", "square-test")] == 1
    assert scores[("dave", "double-test")] == 1 and scores[("dave", "square-test")] == 1

    # A page that `dlcourse feedback` did not write is never released (release_feedback copies every page).
    foreign = root / "feedback" / "alice" / TINY / "notes.html"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("<html>the autograded notebook, with its test cells</html>")
    blocked = run("feedback", "--release", check=False)
    assert "alice/zz_tiny: notes.html was not written by `dlcourse feedback`" in blocked.stdout, blocked.stdout
    foreign.unlink()

    out = run("feedback", "--release", TINY)
    assert "released feedback for 3 submission(s)" in out.stdout, out.stdout
    assert "dave/zz_tiny: not submitted through the exchange" in out.stdout
    feedback_dir = exchange / "dlcourse" / "feedback"
    assert len(list(feedback_dir.glob("*.html"))) == 3

    pages = {student.name: student.feedback_pages() for student in (alice, bob, carol)}
    assert [len(p) for p in pages.values()] == [1, 1, 1]
    assert "Feedback for <b>alice</b>" in pages["alice"][0] and "Score: <b>2 / 2</b>" in pages["alice"][0]
    assert "Feedback for <b>bob</b>" in pages["bob"][0] and "Score: <b>1 / 2</b>" in pages["bob"][0]
    assert "Feedback for <b>carol</b>" in pages["carol"][0] and "Score: <b>1 / 2</b>" in pages["carol"][0]
    assert "bob" not in pages["alice"][0] and "alice" not in pages["bob"][0]
    assert_no_secrets([p[0] for p in pages.values()], repo, TINY)
