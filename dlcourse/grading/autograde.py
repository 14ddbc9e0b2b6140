"""`dlcourse autograde`, the orchestration: plan, run, merge.

1. **Plan.** Each lesson is registered once in the main gradebook (nbgrader's ``generate_assignment``), which
   also writes the released notebook that submissions are checked against. A submission whose hash and whose
   lesson's grading fingerprint match its status record is skipped; one left at ``grading`` by a grader that
   died is quarantined as a failure.
2. **Run.** Each submission is checked and cleaned (`precheck`), then graded by its own worker process
   (`worker`): a jailed kernel, the trusted checks, ``result.json``. ``jobs`` workers run at once. Workers die
   with this process, and a janitor process removes the temporary folder (plans, clean copies) even if this
   process is killed.
3. **Merge.** This process alone writes the gradebook, the autograded notebook and the status file. Anything
   that goes wrong with one submission, in any step, becomes that submission's recorded failure with the reason;
   the run goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import DlcourseError
from . import adapter, checks, jail, merge, precheck, processes
from .status import StatusStore, lesson_fingerprint, submission_hash

DEFAULT_TIMEOUT = 900  # seconds of wall time per submission: kernel start, imports, every cell, the probe
ISOLATIONS = ("jail", "none")
SECRET_FILE = ".dlcourse-grading-secret"


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
    status: str  # "graded", "failed" or "interrupted"
    reason: str = ""
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    result: dict | None = None
    executed: Path | None = None


def find_submissions(root: Path, lessons: list[str] | None = None, students: list[str] | None = None
                     ) -> list[Submission]:
    """Every ``submitted/<student>/<lesson>/`` folder (for the given lessons and students)."""
    submitted = Path(root) / "submitted"
    if not submitted.is_dir():
        raise DlcourseError(f"no submissions: {submitted} does not exist; collect the submissions first")
    found = []
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if students and student_dir.name not in students:
            continue
        for lesson_dir in sorted(p for p in student_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if lessons is None or lesson_dir.name in lessons:
                found.append(Submission(lesson_dir.name, student_dir.name, lesson_dir))
    return found


def describe(isolation: str, timeout: float, cell_timeout: float, limits: jail.Limits) -> str:
    if isolation == "none":
        return (f"student code runs as this user, with its network and files "
                f"({timeout:g} s wall, {cell_timeout:g} s per cell)")
    return (f"each kernel jailed (bubblewrap: no network, no other files or processes), {limits.describe()}, "
            f"{timeout:g} s wall, {cell_timeout:g} s per cell")


def _seed(root: Path, key: str, fingerprint: str) -> int:
    """Hidden inputs differ per course, submission and check version, and repeat for the same three."""
    secret_file = Path(root) / SECRET_FILE
    if not secret_file.is_file():
        secret_file.write_text(secrets.token_hex(16))
        secret_file.chmod(0o600)
    digest = hashlib.sha256(f"{secret_file.read_text().strip()}|{key}|{fingerprint}".encode()).hexdigest()
    return int(digest[:8], 16)


def warm_data_caches() -> None:
    """Decode the staged CIFAR-10 once, here: a jailed kernel reads the cache but cannot write it."""
    from ..data import cifar10

    source = cifar10.staged_source()
    if source is not None and not cifar10.cache_file(source).is_file():
        cifar10.load_staged(source)


def _janitor(folder: Path) -> int:
    """A process that removes ``folder`` once this one is gone (even by SIGKILL); returns the pipe to hold."""
    read_end, write_end = os.pipe()
    code = ("import os, shutil, signal, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
            "os.read(int(sys.argv[1]), 1); time.sleep(1); shutil.rmtree(sys.argv[2], ignore_errors=True)")
    subprocess.Popen([sys.executable, "-c", code, str(read_end), str(folder)], pass_fds=(read_end,),
                     start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
    os.close(read_end)
    return write_end


class Runner:
    """Grades submissions in worker processes; tracks them so an interrupt can stop every one."""

    def __init__(self, timeout: float, cell_timeout: float, limits: jail.Limits, isolation: str):
        self.timeout, self.cell_timeout, self.limits, self.isolation = timeout, cell_timeout, limits, isolation
        self.running: dict[int, subprocess.Popen] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def grade(self, submission: Submission, checks_file: Path, seed: int, work: Path, on_start=None) -> Outcome:
        """Grade the clean copy in ``work/submission`` (where the jail binds it, read-only)."""
        if self.stopping.is_set():
            return Outcome("interrupted")
        if on_start:
            on_start()
        started = time.perf_counter()
        work.mkdir(parents=True, exist_ok=True)
        job = work / "job.json"
        job.write_text(json.dumps({
            "work": str(work), "notebook": str(work / "submission" / f"{submission.lesson}.ipynb"),
            "checks": str(checks_file), "seed": seed, "cell_timeout": self.cell_timeout, "limits": asdict(self.limits),
            "isolation": self.isolation}))
        with open(work / "worker.log", "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "dlcourse.grading.worker", str(job)], stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                       cwd=work, preexec_fn=processes.set_pdeathsig)
            with self.lock:
                self.running[process.pid] = process
            if self.stopping.is_set():
                processes.kill_tree(process.pid)
            try:
                process.wait(timeout=self.timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                processes.kill_tree(process.pid)  # an unjailed kernel too, whatever state the worker left
                process.wait()
                with self.lock:
                    self.running.pop(process.pid, None)
        seconds = round(time.perf_counter() - started, 1)
        if self.stopping.is_set():
            return Outcome("interrupted")
        if timed_out:
            return Outcome("failed", f"stopped after {self.timeout:g} s (the wall-time limit per submission): "
                                     "a cell loops or waits forever, or the notebook is far too slow", seconds=seconds)
        result_file = work / "result.json"
        if not result_file.is_file():
            lines = (work / "worker.log").read_text(errors="replace").strip().splitlines() or ["no output"]
            return Outcome("failed", f"the grading worker died (exit code {process.returncode}): {lines[-1][:200]}",
                           seconds=seconds)
        result = json.loads(result_file.read_text())
        if not result.get("success"):
            return Outcome("failed", f"the grader failed on this submission: {result.get('exception', '?')}",
                           seconds=seconds)
        return Outcome("graded", seconds=seconds, result=result, executed=work / "executed.ipynb")

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            pids = list(self.running)
        for pid in pids:
            processes.kill_tree(pid)


def _points(released: Path) -> dict:
    import nbformat

    notebook = nbformat.read(released, as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: float(cell.metadata["nbgrader"].get("points", 0))
            for cell in notebook.cells if adapter.is_test(cell)}


def exercise_results(result: dict, points: dict) -> tuple[dict, dict]:
    """(scores for the gradebook, per-exercise records for the status and feedback)."""
    scores, exercises = {}, {}
    for test_id, maximum in points.items():
        verdict = result["verdicts"].get(test_id, {"passed": False,
                                                   "hint": "this exercise has no trusted check; tell the instructor"})
        score = maximum if verdict["passed"] else 0.0
        scores[test_id] = score
        exercises[test_id] = {"passed": verdict["passed"], "score": score, "points": maximum,
                              "hint": verdict["hint"]}
    return scores, exercises


def autograde(repo: Path, root: Path, lessons: list[str] | None = None, students: list[str] | None = None, *,
              jobs: int = 1, timeout: float = DEFAULT_TIMEOUT, cell_timeout: float | None = None,
              limits: jail.Limits | None = None, isolation: str = "jail", force: bool = False,
              retry_failed: bool = False, progress: bool = True, echo=print) -> dict:
    """Grade the submissions in ``root/submitted``; returns {"graded": n, "failed": n, "skipped": n, ...}."""
    import warnings

    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        # nbgrader's add_submission triggers harmless SQLAlchemy autoflush warnings; keep the output readable.
        warnings.simplefilter("ignore", SAWarning)
        return _autograde(Path(repo).resolve(), Path(root).resolve(), lessons, students, jobs=jobs, timeout=timeout,
                          cell_timeout=cell_timeout or adapter.EXECUTE_TIMEOUT, limits=limits or jail.Limits(),
                          isolation=isolation, force=force, retry_failed=retry_failed, progress=progress, echo=echo)


def _autograde(repo, root, lessons, students, *, jobs, timeout, cell_timeout, limits, isolation, force,
               retry_failed, progress, echo) -> dict:
    from tqdm import tqdm

    if jobs < 1:
        raise DlcourseError(f"the number of parallel jobs must be at least 1, got {jobs}")
    if timeout <= 0 or cell_timeout <= 0:
        raise DlcourseError("time limits must be positive")
    if limits.memory_mb and limits.memory_mb < 512:
        raise DlcourseError(f"a memory limit of {limits.memory_mb} MB is too small even for a kernel; 0 means none")
    if isolation not in ISOLATIONS:
        raise DlcourseError(f"isolation must be one of {', '.join(ISOLATIONS)}, got {isolation!r}")
    if isolation == "jail":
        problem = jail.check()
        if problem:
            raise jail.JailUnavailable(f"cannot jail the kernels: {problem}")
    tag = "NOT isolated: " if isolation == "none" else ""
    say = (lambda line: echo(f"{tag}{line}")) if tag else echo

    submissions = find_submissions(root, lessons, students)
    unknown = sorted({s.lesson for s in submissions if not (repo / "solutions" / s.lesson).is_dir()})
    if unknown:
        say(f"skipping submissions for {', '.join(unknown)}: no such lesson in solutions/")
        submissions = [s for s in submissions if s.lesson not in unknown]
    if not submissions:
        where = f" for {', '.join(lessons)}" if lessons else ""
        raise DlcourseError(f"no submissions{where} in {root / 'submitted'}; collect them first")

    store = StatusStore(root)
    for key, record in list(store.records.items()):  # a grader that died mid-way: name what it was grading
        if record.get("status") == "grading":
            store.put(key, {**record, "status": "failed", "quarantined": True,
                            "reason": "the grader stopped while grading this submission (it may have brought the "
                                      "grader down); it is quarantined until failed submissions are retried"})
            say(f"quarantined {key}: the last run stopped while grading it")

    workdir = Path(tempfile.mkdtemp(prefix="dlcourse-autograde-"))
    janitor = _janitor(workdir)
    summary = {"graded": 0, "failed": 0, "skipped": 0, "failures": {}}
    try:
        releases, fingerprints, points = {}, {}, {}
        for lesson in sorted({s.lesson for s in submissions}):
            adapter.register_assignment(repo, root, lesson, workdir / "release")
            releases[lesson] = workdir / "release" / lesson
            fingerprints[lesson] = lesson_fingerprint(checks.checks_path(repo, lesson),
                                                      list(releases[lesson].glob("*.ipynb")))
            points[lesson] = _points(releases[lesson] / f"{lesson}.ipynb")

        if isolation == "jail":
            warm_data_caches()
        graded_before = merge.graded_pairs(root)
        todo = []
        for submission in submissions:
            record = store.records.get(submission.key) or {}
            digest = submission_hash(submission.folder)
            same = record.get("hash") == digest and record.get("fingerprint") == fingerprints[submission.lesson]
            done = same and (record.get("status") == "graded"
                             and (submission.lesson, submission.student) in graded_before
                             or record.get("status") == "failed" and not retry_failed)
            if done and not force:
                summary["skipped"] += 1
            else:
                todo.append((submission, digest))
        say(describe(isolation, timeout, cell_timeout, limits))
        if summary["skipped"]:
            say(f"{summary['skipped']} submission(s) already graded against the current checks: skipped")
        if not todo:
            return summary

        runner = Runner(timeout, cell_timeout, limits, isolation)
        bar = tqdm(total=len(todo), unit="submission", disable=not progress, dynamic_ncols=True)

        def finish(submission: Submission, digest: str, outcome: Outcome) -> None:
            lesson = submission.lesson
            record = {"status": outcome.status, "reason": outcome.reason, "notes": outcome.notes, "hash": digest,
                      "fingerprint": fingerprints[lesson], "seconds": outcome.seconds, "isolation": isolation,
                      "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            target = root / "autograded" / submission.student / lesson
            try:
                if target.exists():
                    shutil.rmtree(target)
                if outcome.status == "graded":
                    result = outcome.result
                    scores, record["exercises"] = exercise_results(result, points[lesson])
                    if result.get("problem"):
                        record["problem"] = result["problem"]
                    record["score"], record["max_score"] = merge.record_grades(root, lesson, submission.student,
                                                                               scores, submission.folder)
                    target.mkdir(parents=True)
                    shutil.copyfile(outcome.executed, target / f"{lesson}.ipynb")  # the notebook only, never links
            except Exception as exc:  # noqa: BLE001 - one submission's failure must not stop the class
                outcome.status, record["status"] = "failed", "failed"
                record["reason"] = f"could not record the grades: {type(exc).__name__}: {str(exc)[:200]}"
            if outcome.status == "failed":
                try:
                    record["score"], record["max_score"] = 0.0, merge.record_failure(root, lesson, submission.student)
                except Exception as exc:  # noqa: BLE001
                    record["reason"] += f" (and the gradebook refused the failure: {type(exc).__name__})"
                summary["failures"][submission.key] = record["reason"]
                bar.write(f"{tag}FAILED {submission.key}: {record['reason']}")
            store.put(submission.key, record)
            summary[outcome.status] += 1
            bar.update(1)
            bar.set_postfix(done=summary["graded"], failed=summary["failed"])

        pending, previous = {}, {}
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            try:
                def mark_grading(submission, digest):
                    # Before the worker starts: a submission that brings the grader down is named by this.
                    store.put(submission.key, {"status": "grading", "hash": digest,
                                               "fingerprint": fingerprints[submission.lesson],
                                               "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})

                for number, (submission, digest) in enumerate(todo):
                    previous[submission.key] = store.records.get(submission.key)
                    mark_grading(submission, digest)  # reading a hostile file could bring us down, too
                    try:
                        prepared = precheck.prepare(submission.folder, releases[submission.lesson],
                                                    workdir / f"job-{number}" / "submission")
                    except Exception as exc:  # noqa: BLE001
                        prepared = precheck.Prepared(f"the submission could not be read: {type(exc).__name__}: "
                                                     f"{str(exc)[:200]}")
                    if prepared.reason:
                        finish(submission, digest, Outcome("failed", prepared.reason, prepared.notes))
                        continue
                    store.put(submission.key, {"status": "queued", "hash": digest})
                    seed = _seed(root, submission.key, fingerprints[submission.lesson])
                    future = pool.submit(runner.grade, submission, checks.checks_path(repo, submission.lesson),
                                         seed, workdir / f"job-{number}",
                                         lambda s=submission, d=digest: mark_grading(s, d))
                    pending[future] = (submission, digest, prepared.notes)
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        submission, digest, notes = pending.pop(future)
                        try:
                            outcome = future.result()
                        except Exception as exc:  # noqa: BLE001
                            outcome = Outcome("failed", f"the grader failed on this submission: "
                                                        f"{type(exc).__name__}: {str(exc)[:200]}")
                        if outcome.status == "interrupted":
                            continue
                        outcome.notes = notes
                        finish(submission, digest, outcome)
            except BaseException:  # Ctrl-C or SIGTERM: stop every worker; what was merged stays merged
                runner.stop()
                for future, (submission, _, _) in pending.items():
                    future.cancel()
                    if store.records.get(submission.key, {}).get("status") in ("grading", "queued"):  # not its fault
                        if previous.get(submission.key):
                            store.put(submission.key, previous[submission.key])
                        else:
                            store.drop(submission.key)
                raise
        bar.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        os.close(janitor)
    return summary
