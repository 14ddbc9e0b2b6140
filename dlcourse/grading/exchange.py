"""The nbgrader exchange, beside the LMS path: release lessons, collect submissions, release feedback.

On a JupyterHub (or any machine the instructor and students share) nbgrader's exchange is a folder everyone
can write to. Students fetch a lesson from it and submit it back with the Assignment List; these functions are
the instructor's side, on nbgrader's own API (`adapter.make_api`):

* `release` copies ``course/<lesson>/`` (the generated student version) to ``<exchange>/dlcourse/outbound/``;
* `collect` copies the latest submission of each student from ``<exchange>/dlcourse/inbound/`` into
  ``submitted/<student>/<lesson>/``, where `dlcourse autograde` grades it exactly like one collected from an
  LMS download (the folder holds the notebook, and nbgrader's ``timestamp.txt`` and ``submission_secret.txt``);
* `release_feedback` writes the feedback pages (`feedback.generate_feedback`, never test code) and releases those
  pages, and only those, to ``<exchange>/dlcourse/feedback/``, where each student's Assignment List finds their own.

The exchange is ``Exchange.root`` of the course's nbgrader configuration (``<root>/exchange``, or
``DLCOURSE_EXCHANGE``), or the folder passed in. nbgrader names a submission after the submitting user (the
OS user name; ``CourseDirectory.student_id`` when a student passes ``--student``); that name becomes the student
id in ``submitted/`` and the gradebook.

`QuietList` is for students without an exchange: the Assignment List then shows an empty list, not an error.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.exchange.default import ExchangeList

from ..errors import DlcourseError
from . import adapter
from .collect import CollectReport


OWNER_WARNING = re.compile(r"claims to be submitted by (\S+) but is owned by (\S+);")


class QuietList(ExchangeList):
    """nbgrader's exchange lister, with no exchange folder meaning "nothing released" rather than an error.

    nbgrader's default lister fails when ``Exchange.root`` does not exist, and the Assignment List then shows
    "Error fetching courses!" and "The exchange directory does not exist and could not be created" to a student
    who works on their own machine. Where the folder exists (a JupyterHub), this is nbgrader's lister unchanged.
    """

    def start(self):
        if not os.path.isdir(self.root):
            self.log.debug("no exchange at %s: nothing to list", self.root)
            return []
        return super().start()


def _api(repo: Path, root: Path, exchange: Path | None):
    config = adapter.make_config(repo, root=root, exchange=exchange)
    return config, adapter.make_api(config)


def _course_folder(config) -> Path:
    return Path(config.Exchange.root) / config.CourseDirectory.course_id


def _require_exchange(config, what: str) -> Path:
    root = Path(config.Exchange.root)
    if not root.is_dir():
        raise DlcourseError(f"no exchange directory at {root}: release a lesson first (dlcourse release LESSON), "
                            f"or give the exchange the students use (--exchange-dir DIR, or DLCOURSE_EXCHANGE)")
    course = _course_folder(config)
    if not (course / "inbound").is_dir():
        raise DlcourseError(f"nothing {what} in {root}: course {config.CourseDirectory.course_id} has no inbound "
                            f"folder there; release a lesson first (dlcourse release LESSON)")
    return course


# ------------------------------------------------------------------------------------------ release

def release(repo: Path, root: Path, lesson: str, *, exchange: Path | None = None, force: bool = False) -> Path:
    """Release ``course/<lesson>/`` to the exchange; returns the released folder."""
    from ..generate import differences

    repo = Path(repo).resolve()
    student_version = repo / "course" / lesson / f"{lesson}.ipynb"
    if not student_version.is_file():
        raise DlcourseError(f"course/{lesson}/{lesson}.ipynb does not exist: generate the student version first "
                            f"(dlcourse generate --lessons {lesson})")
    stale = differences(repo, [_LessonRef(lesson)], student_config_too=False)
    if stale:
        raise DlcourseError(f"course/{lesson} is stale ({stale[0].splitlines()[0]}): run `dlcourse generate "
                            f"--lessons {lesson}` first, so that students get what autograde grades against")
    Path(root).mkdir(parents=True, exist_ok=True)
    config, api = _api(repo, root, exchange)
    target = _course_folder(config) / "outbound" / lesson
    if target.exists() and not force:
        raise DlcourseError(f"{lesson} is already released to {target}: release it again only on purpose "
                            f"(--force; students who fetched it keep their copy)")
    result = _release_assignment(api, lesson, force)  # course/<lesson>, less CourseDirectory.ignore (checks.py)
    if not result["success"]:
        raise DlcourseError(f"nbgrader could not release {lesson} to {config.Exchange.root}: "
                            f"{adapter.failure_reason(result)}")
    return target


def _release_assignment(api, lesson: str, force: bool = False) -> dict:
    """nbgrader's release_assignment (the API's own, with its ``force`` passed through to the exchange)."""
    from nbgrader.utils import capture_log, temp_attrs

    with temp_attrs(api.coursedir, assignment_id=lesson):
        app = api.exchange.ReleaseAssignment(coursedir=api.coursedir, authenticator=api.authenticator, parent=api)
        app.force = force
        return capture_log(app)


class _LessonRef:
    """What `generate.differences` needs of a lesson, for any folder in solutions/."""

    def __init__(self, lesson_id: str):
        self.lesson_id = lesson_id

    def notebook(self, repo: Path) -> Path:
        return Path(repo) / "solutions" / self.lesson_id / f"{self.lesson_id}.ipynb"


# ------------------------------------------------------------------------------------------ collect

def _inbound_students(inbound: Path, lesson: str) -> set[str]:
    """Students with a submission of ``lesson`` (nbgrader names them ``<student>+<lesson>+<timestamp>[+random]``)."""
    students = set()
    for path in inbound.glob(f"*+{lesson}+*"):
        parts = path.name.rsplit("+", 3)
        name = parts[0] if len(parts) == 4 else path.name.rsplit("+", 2)[0]
        if name:
            students.add(name)
    return students


def _collected_lessons(course: Path) -> list[str]:
    names = set()
    for path in (course / "inbound").iterdir():
        parts = path.name.rsplit("+", 3)
        if len(parts) == 4:
            names.add(parts[1])
        elif len(parts) == 3:
            names.add(path.name.rsplit("+", 2)[1])
    return sorted(names)


def _stamp(folder: Path) -> str | None:
    stamp = folder / "timestamp.txt"
    return stamp.read_text().strip() if stamp.is_file() else None


def collect(repo: Path, root: Path, lessons: list[str] | None = None, *, exchange: Path | None = None,
            force: bool = False) -> CollectReport:
    """nbgrader collect: each student's latest submission into ``submitted/<student>/<lesson>/``.

    A newer submission replaces the one collected before (nbgrader's ``collect --update``); the same one is left
    as it is. A submission that did not come through the exchange (collected from an LMS download, so without
    nbgrader's ``timestamp.txt``) is replaced only with ``force``, as `collect.collect` never overwrites
    without it; ``force`` also copies the latest submissions again.
    """
    repo, root = Path(repo).resolve(), Path(root).resolve()
    config = adapter.make_config(repo, root=root, exchange=exchange)
    course = _require_exchange(config, "submitted")
    inbound = course / "inbound"
    chosen = lessons or _collected_lessons(course)
    report = CollectReport()
    submitted = root / "submitted"
    found_any = False
    for lesson in chosen:
        students = _inbound_students(inbound, lesson)
        if not students:
            if lessons:
                report.notes.append(f"nothing submitted for {lesson} in {inbound}")
            continue
        found_any = True
        before, allowed = {}, []
        for student in sorted(students):
            folder = submitted / student / lesson
            exists = folder.is_dir() and any(folder.iterdir())
            if exists and _stamp(folder) is None and not force:
                report.existing.append(f"{student}/{lesson} (collected from a download)")
                continue
            if exists and force:
                shutil.rmtree(folder)
                before[student] = "forced"
            else:
                before[student] = _stamp(folder) if exists else None
            allowed.append(student)
        if not allowed:
            continue
        root.mkdir(parents=True, exist_ok=True)
        api = adapter.make_api(config)
        runs = [None] if len(allowed) == len(students) else allowed  # one run for all, or one per student
        for student in runs:
            api.coursedir.student_id = student or "*"
            result = api.collect(lesson, update=True)
            if not result["success"]:
                raise DlcourseError(f"nbgrader could not collect {lesson} from {inbound}: "
                                    f"{adapter.failure_reason(result)}")
            # nbgrader's owner check: a submission named for one user but owned by another
            for claimed, owner in OWNER_WARNING.findall(result.get("log") or ""):
                report.notes.append(f"warning: {claimed}/{lesson} was submitted as {claimed} by the OS user {owner} "
                                    f"(nbgrader's owner check): expected only where students share one account")
        for student in allowed:
            label, folder = f"{student}/{lesson}", submitted / student / lesson
            now = _stamp(folder)
            if before[student] is None:
                report.collected.append(label)
            elif before[student] == "forced" or now != before[student]:
                report.replaced.append(label)
            else:
                report.unchanged.append(label)
    if not found_any:
        where = f" for {', '.join(lessons)}" if lessons else ""
        raise DlcourseError(f"nothing submitted{where} in {inbound}: students submit from the Assignment List "
                            f"(or `nbgrader submit LESSON`)")
    return report


# ------------------------------------------------------------------------------------------ feedback

@dataclass
class FeedbackRelease:
    released: list = field(default_factory=list)  # "student/lesson"
    skipped: list = field(default_factory=list)  # "student/lesson: why"

    def lines(self, exchange: Path) -> list[str]:
        out = [f"released feedback for {len(self.released)} submission(s) to {exchange}"]
        if self.skipped:
            out.append(f"not released ({len(self.skipped)}):")
            out.extend(f"  {line}" for line in self.skipped)
        return out


def release_feedback(repo: Path, root: Path, lessons: list[str] | None = None, students: list[str] | None = None,
                     *, exchange: Path | None = None) -> tuple[FeedbackRelease, Path]:
    """Write the safe feedback pages, then release exactly those to the exchange; returns (what, where)."""
    from .feedback import generate_feedback, is_safe_page

    repo, root = Path(repo).resolve(), Path(root).resolve()
    config = adapter.make_config(repo, root=root, exchange=exchange)
    course = _require_exchange(config, "released")
    pages = generate_feedback(root, lessons, students)
    outcome = FeedbackRelease()
    api = adapter.make_api(config)
    folders = sorted({page.parent for page in pages})
    for folder in folders:
        student, lesson = folder.parent.name, folder.name
        label = f"{student}/{lesson}"
        unsafe = [p.name for p in folder.glob("*.html") if not is_safe_page(p.read_text(errors="replace"))]
        if unsafe:  # release_feedback copies every page in the folder: only ours may be there
            outcome.skipped.append(f"{label}: {', '.join(unsafe)} was not written by `dlcourse feedback`; "
                                   f"remove it and run this again")
            continue
        if not (folder / "submission_secret.txt").is_file():
            outcome.skipped.append(f"{label}: not submitted through the exchange (collected from a download); "
                                   f"send its page, {folder.relative_to(root)}, through the LMS")
            continue
        result = api.release_feedback(lesson, student)
        if not result["success"]:
            outcome.skipped.append(f"{label}: nbgrader could not release it: {adapter.failure_reason(result)}")
            continue
        outcome.released.append(label)
    return outcome, course / "feedback"
