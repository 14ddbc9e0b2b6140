"""`dlcourse autograde`: grade every collected submission with nbgrader, in parallel, each one sandboxed.

nbgrader's own ``autograde`` grades one submission after another in one process (its issue #174), and a
submission that loops, eats memory or kills its kernel can stall or break the whole run. Here:

1. For each lesson, nbgrader's ``generate_assignment`` runs once into the main gradebook (so the formgrader
   knows the assignment) and once into a *template* gradebook in a temporary folder.
2. Each submission is checked first (notebook present under its name, readable JSON, graded cells kept);
   a submission that cannot be graded is recorded as *failed* with a readable reason.
3. Every other submission is graded by its own worker process (`dlcourse.sandbox`): a private copy of the
   template gradebook and of the submission, nbgrader's real ``autograde``, with a wall-time limit, a memory
   limit and no network. ``--jobs N`` workers run at once; no two processes ever write the same SQLite file.
4. This process alone merges each worker's grades into the main gradebook and copies the autograded
   notebook next to it, then records the outcome in ``autograde_status.json``. Interrupting the run loses
   only the submissions in flight; running it again skips everything already recorded, unless the
   submission changed since (it is re-graded), ``--force``, or ``--retry-failed`` for failures.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import sandbox
from .errors import DlcourseError
from .nbgrader_setup import COURSE_ID, EXECUTE_TIMEOUT, make_api, make_config

DEFAULT_TIMEOUT = 900  # seconds of wall time per submission: kernel start, TensorFlow import, every cell
STATUS_FILE = "autograde_status.json"


@dataclass
class Submission:
    lesson: str
    student: str
    folder: Path

    @property
    def key(self) -> str:
        return f"{self.lesson}/{self.student}"


@dataclass
class Outcome:
    status: str  # "graded" or "failed"
    reason: str = ""
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    worker_root: Path | None = None


# ---------------------------------------------------------------- the course directory and its gradebook

def db_url(root: Path) -> str:
    return f"sqlite:///{Path(root) / 'gradebook.db'}"


def open_gradebook(root: Path):
    from nbgrader.api import Gradebook

    return Gradebook(db_url(root), COURSE_ID)


def _api(repo: Path, root: Path, release: Path):
    return make_api(make_config(repo, root=root, release=release))


def register_assignment(repo: Path, root: Path, lesson: str, release: Path) -> None:
    """nbgrader generate_assignment for ``lesson`` into the gradebook in ``root``, writing the student version to ``release``."""
    if not (repo / "solutions" / lesson / f"{lesson}.ipynb").is_file():
        raise DlcourseError(f"solutions/{lesson}/{lesson}.ipynb does not exist, so {lesson} cannot be graded")
    root.mkdir(parents=True, exist_ok=True)
    result = _api(repo, root, release).generate_assignment(lesson, force=True, create=True)
    if not result["success"]:
        detail = (result.get("error") or result.get("log") or "").strip().splitlines()
        raise DlcourseError(f"nbgrader could not register {lesson} in {root}: {detail[-1] if detail else 'no log'}")


def find_submissions(root: Path, lessons: list[str] | None = None, students: list[str] | None = None
                     ) -> list[Submission]:
    """Every ``submitted/<student>/<lesson>/`` folder (for the given lessons and students)."""
    submitted = Path(root) / "submitted"
    if not submitted.is_dir():
        raise DlcourseError(f"no submissions: {submitted} does not exist; run `dlcourse collect --from PATH` first")
    found = []
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if students and student_dir.name not in students:
            continue
        for lesson_dir in sorted(p for p in student_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if lessons is None or lesson_dir.name in lessons:
                found.append(Submission(lesson_dir.name, student_dir.name, lesson_dir))
    return found


def submission_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class StatusStore:
    """``autograde_status.json`` in the course directory: what happened to each submission, written atomically."""

    def __init__(self, root: Path):
        self.path = Path(root) / STATUS_FILE
        self.records = json.loads(self.path.read_text()) if self.path.is_file() else {}

    def put(self, key: str, record: dict) -> None:
        self.records[key] = record
        partial = self.path.with_suffix(".json.partial")
        partial.write_text(json.dumps(self.records, indent=1, sort_keys=True))
        os.replace(partial, self.path)


def graded_status(root: Path) -> dict:
    """The status records of a course directory that has been graded; a clear error if none has."""
    if not (Path(root) / "gradebook.db").is_file():
        raise DlcourseError(f"no gradebook in {root}: run `dlcourse autograde` first")
    return StatusStore(root).records


# ---------------------------------------------------------------- checks before grading

def _graded_cells(notebook) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")
            and (c.metadata["nbgrader"].get("grade") or c.metadata["nbgrader"].get("solution"))}


def precheck(submission: Submission, release_dir: Path, source_dir: Path) -> tuple[str | None, list[str]]:
    """(reason it cannot be graded or None, notes for the instructor and the student)."""
    import nbformat

    expected = sorted(p.name for p in release_dir.glob("*.ipynb"))
    present = sorted(p.name for p in submission.folder.glob("*.ipynb"))
    notes = []
    for name in expected:
        if name not in present:
            others = [n for n in present if n not in expected]
            if others:
                return (f"notebook {name} is missing but {', '.join(others)} is there: was it renamed? "
                        f"Rename it back to {name} and collect again"), notes
            return f"notebook {name} is missing from the submission (deleted?)", notes
        try:
            notebook = nbformat.read(submission.folder / name, as_version=4)
        except Exception as exc:  # JSON syntax, not a notebook at all, wrong encoding...
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            return f"{name} is not a readable notebook (corrupt or truncated file): {message[:200]}", notes
        released = _graded_cells(nbformat.read(release_dir / name, as_version=4))
        source = _graded_cells(nbformat.read(source_dir / name, as_version=4)) if (source_dir / name).is_file() else {}
        submitted = _graded_cells(notebook)
        for grade_id, cell in released.items():
            is_test = cell.metadata["nbgrader"].get("grade") and not cell.metadata["nbgrader"].get("solution")
            if grade_id not in submitted:
                notes.append(f"{'test' if is_test else 'answer'} cell {grade_id} was deleted"
                             + ("; the original was put back and graded" if cell.metadata["nbgrader"].get("grade")
                                else ""))
            elif is_test and submitted[grade_id].source.strip() not in (
                    cell.source.strip(), source[grade_id].source.strip() if grade_id in source else None):
                notes.append(f"test cell {grade_id} was edited; it was graded with the original")
    return None, notes


# ---------------------------------------------------------------- one submission, in a worker process

def _readable_failure(result: dict) -> str:
    text = f"{result.get('error', '')}\n{result.get('log', '')}\n{result.get('exception', '')}"
    if "DeadKernelError" in text or "Kernel died" in text or "kernel died" in text.lower():
        return "the kernel died while running the notebook (it crashed, exited, or ran out of memory)"
    if "Timeout waiting for execute reply" in text or "became unresponsive" in text:
        # nbgrader interrupted a cell at the per-cell limit, the kernel ignored it, and nbgrader gave up.
        return ("a cell ran past the per-cell time limit and the kernel would not stop "
                "(a loop that ignores interrupts?)")
    if "MemoryError" in text:
        return "the grader ran out of memory (raise --memory if the solution itself needs more)"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return f"nbgrader could not grade it: {(errors or lines or ['no log'])[-1][:300]}"


class Runner:
    """Grades submissions in worker processes; tracks them so an interrupt can stop every one."""

    def __init__(self, repo: Path, timeout: float, cell_timeout: float, memory_mb: int):
        self.repo, self.timeout, self.cell_timeout, self.memory_mb = repo, timeout, cell_timeout, memory_mb
        self.netns = sandbox.network_isolation() is not None
        self.running: dict[int, subprocess.Popen] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def grade(self, submission: Submission, template: Path, workdir: Path) -> Outcome:
        started = time.perf_counter()
        root = Path(tempfile.mkdtemp(prefix=f"{submission.student}-", dir=workdir))
        shutil.copy(template / "gradebook.db", root / "gradebook.db")
        shutil.copytree(submission.folder, root / "submitted" / submission.student / submission.lesson)
        job = root / "job.json"
        job.write_text(json.dumps({"repo": str(self.repo), "root": str(root), "lesson": submission.lesson,
                                   "student": submission.student, "cell_timeout": self.cell_timeout,
                                   "memory_mb": self.memory_mb, "netns": self.netns}))
        if self.stopping.is_set():
            return Outcome("interrupted")
        with open(root / "worker.log", "wb") as log:
            process = subprocess.Popen(sandbox.worker_command(job), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True, cwd=root)
            with self.lock:
                self.running[process.pid] = process
            if self.stopping.is_set():  # stop() ran between the check above and the start
                sandbox.kill_tree(process.pid)
            try:
                process.wait(timeout=self.timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                sandbox.kill_tree(process.pid)  # the kernel too, whatever state the worker left it in
                process.wait()
                with self.lock:
                    self.running.pop(process.pid, None)
        seconds = round(time.perf_counter() - started, 1)
        if self.stopping.is_set():
            return Outcome("interrupted")
        if timed_out:
            return Outcome("failed", f"stopped after {self.timeout:g} s (the wall-time limit per submission): "
                                     f"a cell loops or waits forever, or the notebook is far too slow", seconds=seconds)
        result_file = root / "result.json"
        if not result_file.is_file():
            tail = (root / "worker.log").read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            return Outcome("failed", f"the grading worker died (exit code {process.returncode}): {tail[0][:200]}",
                           seconds=seconds)
        result = json.loads(result_file.read_text())
        if not result["success"]:
            return Outcome("failed", _readable_failure(result), seconds=seconds)
        return Outcome("graded", seconds=seconds, worker_root=root)

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            pids = list(self.running)
        for pid in pids:
            sandbox.kill_tree(pid)


# ---------------------------------------------------------------- merging into the main gradebook

def merge_grades(root: Path, worker_root: Path, lesson: str, student: str) -> tuple[float, float]:
    """Copy the worker's automatic grades and comments into the main gradebook; keeps manual grades."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url(worker_root), COURSE_ID) as worker:
        submitted = worker.find_submission(lesson, student)
        timestamp = submitted.timestamp
        grades = {(nb.name, g.name): (g.auto_score, g.needs_manual_grade) for nb in submitted.notebooks
                  for g in nb.grades}
        comments = {(nb.name, c.name): c.auto_comment for nb in submitted.notebooks for c in nb.comments}
        penalties = {nb.name: nb.late_submission_penalty for nb in submitted.notebooks}
    with open_gradebook(root) as gradebook:
        gradebook.update_or_create_student(student)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        submission = gradebook.update_or_create_submission(lesson, student, **kwargs)
        for (notebook, cell), (score, manual) in grades.items():
            grade = gradebook.find_grade(cell, notebook, lesson, student)
            # As nbgrader's SaveAutoGrades: a manual score is kept, and flagged for review against the new run.
            grade.auto_score, grade.needs_manual_grade = score, bool(manual or grade.manual_score is not None)
        for (notebook, cell), text in comments.items():
            gradebook.find_comment(cell, notebook, lesson, student).auto_comment = text
        for notebook in submission.notebooks:
            notebook.late_submission_penalty = penalties.get(notebook.name)
        gradebook.db.commit()
        return float(submission.score), float(submission.max_score)


def record_failure(root: Path, lesson: str, student: str) -> float:
    """A failed submission stays in the gradebook, with zero automatic points."""
    with open_gradebook(root) as gradebook:
        gradebook.update_or_create_student(student)
        submission = gradebook.update_or_create_submission(lesson, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score, grade.needs_manual_grade = 0.0, False
        gradebook.db.commit()
        return float(submission.max_score)


def _graded_pairs(root: Path) -> set:
    if not (Path(root) / "gradebook.db").is_file():
        return set()
    with open_gradebook(root) as gradebook:
        return {(s.assignment.name, s.student.id) for a in gradebook.assignments for s in a.submissions}


# ---------------------------------------------------------------- the verb

def autograde(repo: Path, root: Path, lessons: list[str] | None = None, students: list[str] | None = None, *,
              jobs: int = 1, timeout: float = DEFAULT_TIMEOUT, cell_timeout: float | None = None,
              memory_mb: int = sandbox.DEFAULT_MEMORY_MB, force: bool = False, retry_failed: bool = False,
              progress: bool = True, echo=print) -> dict:
    """Grade the submissions in ``root/submitted``; returns {"graded": n, "failed": n, "skipped": n, ...}."""
    import warnings

    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        # nbgrader's add_submission triggers harmless SQLAlchemy autoflush warnings; keep the output readable.
        warnings.simplefilter("ignore", SAWarning)
        return _autograde(repo, root, lessons, students, jobs=jobs, timeout=timeout, cell_timeout=cell_timeout,
                          memory_mb=memory_mb, force=force, retry_failed=retry_failed, progress=progress, echo=echo)


def _autograde(repo, root, lessons, students, *, jobs, timeout, cell_timeout, memory_mb, force, retry_failed,
               progress, echo) -> dict:
    from tqdm import tqdm

    repo, root = Path(repo).resolve(), Path(root).resolve()
    if jobs < 1:
        raise DlcourseError(f"--jobs must be at least 1, got {jobs}")
    if timeout <= 0:
        raise DlcourseError(f"--timeout must be positive, got {timeout}")
    if memory_mb and memory_mb < 256:
        raise DlcourseError(f"--memory {memory_mb} MB is too small even for a kernel; use 0 for no limit")
    cell_timeout = cell_timeout or EXECUTE_TIMEOUT
    submissions = find_submissions(root, lessons, students)
    unknown = sorted({s.lesson for s in submissions if not (repo / "solutions" / s.lesson).is_dir()})
    if unknown:
        echo(f"skipping submissions for {', '.join(unknown)}: no such lesson in solutions/")
        submissions = [s for s in submissions if s.lesson not in unknown]
    if not submissions:
        where = f" for {', '.join(lessons)}" if lessons else ""
        raise DlcourseError(f"no submissions{where} in {root / 'submitted'}; run `dlcourse collect --from PATH` first")

    store, graded_before = StatusStore(root), _graded_pairs(root)
    todo, skipped = [], 0
    for submission in submissions:
        record = store.records.get(submission.key)
        digest = submission_hash(submission.folder)
        done = (record and record.get("hash") == digest
                and (record["status"] == "graded" and (submission.lesson, submission.student) in graded_before
                     or record["status"] == "failed" and not retry_failed))
        if done and not force:
            skipped += 1
        else:
            todo.append((submission, digest))
    summary = {"graded": 0, "failed": 0, "skipped": skipped, "failures": {}}
    echo(sandbox.describe_limits(timeout, memory_mb, cell_timeout))
    if skipped:
        echo(f"{skipped} submission(s) already graded and unchanged: skipped (--force re-grades them)")
    if not todo:
        return summary

    runner = Runner(repo, timeout, cell_timeout, memory_mb)
    workdir = Path(tempfile.mkdtemp(prefix="dlcourse-autograde-"))
    try:
        templates, releases = {}, {}
        for lesson in sorted({s.lesson for s, _ in todo}):
            register_assignment(repo, root, lesson, workdir / "main-release")
            templates[lesson] = workdir / f"template-{lesson}"
            register_assignment(repo, templates[lesson], lesson, templates[lesson] / "release")
            releases[lesson] = templates[lesson] / "release" / lesson

        bar = tqdm(total=len(todo), unit="submission", disable=not progress, dynamic_ncols=True)

        def show():
            bar.set_postfix(done=summary["graded"], failed=summary["failed"],
                            remaining=len(todo) - summary["graded"] - summary["failed"])

        def finish(submission: Submission, digest: str, outcome: Outcome) -> None:
            record = {"status": outcome.status, "reason": outcome.reason, "notes": outcome.notes, "hash": digest,
                      "seconds": outcome.seconds, "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            target = root / "autograded" / submission.student / submission.lesson
            if target.exists():
                shutil.rmtree(target)
            if outcome.status == "graded":
                try:
                    record["score"], record["max_score"] = merge_grades(root, outcome.worker_root,
                                                                        submission.lesson, submission.student)
                    shutil.copytree(outcome.worker_root / "autograded" / submission.student / submission.lesson,
                                    target)
                except Exception as exc:  # a worker result we cannot read must not stop the others
                    outcome.status, record["status"] = "failed", "failed"
                    record["reason"] = f"could not merge the worker's grades: {exc.__class__.__name__}: {exc}"
            if outcome.status == "failed":
                record["score"], record["max_score"] = 0.0, record_failure(root, submission.lesson, submission.student)
                summary["failures"][submission.key] = record["reason"]
                bar.write(f"FAILED {submission.key}: {record['reason']}")
            store.put(submission.key, record)
            summary[outcome.status] += 1
            bar.update(1)
            show()
            if outcome.worker_root:
                shutil.rmtree(outcome.worker_root, ignore_errors=True)

        show()
        pending = {}
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            try:
                for submission, digest in todo:
                    reason, notes = precheck(submission, releases[submission.lesson],
                                             repo / "solutions" / submission.lesson)
                    if reason:
                        finish(submission, digest, Outcome("failed", reason, notes))
                        continue
                    future = pool.submit(runner.grade, submission, templates[submission.lesson], workdir)
                    pending[future] = (submission, digest, notes)
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        submission, digest, notes = pending.pop(future)
                        outcome = future.result()
                        if outcome.status == "interrupted":
                            continue
                        outcome.notes = notes
                        finish(submission, digest, outcome)
            except BaseException:  # Ctrl-C or SIGTERM: stop every worker; what was merged stays merged
                runner.stop()
                for future in pending:
                    future.cancel()
                raise
        bar.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return summary
