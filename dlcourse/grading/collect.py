"""`dlcourse collect --from PATH`: import submissions into nbgrader's ``submitted/<student>/<lesson>/``.

``PATH`` is a folder or a ``.zip`` file in one of the layouts instructors get (detected per file):

* **Per-student folders** (nbgrader's own layout, a shared drive, a Git classroom export):
  ``<student>/<lesson>/<lesson>.ipynb`` or ``<student>/<lesson>.ipynb``, possibly under one wrapping folder.
  The lesson is the folder (or file) named after a lesson; the student is the folder above it.
* **Canvas bulk download** (flat): ``<name>_<userid>_<submissionid>_<original filename>``, with ``_LATE``
  after the name for late work, and Canvas's ``-1``, ``-2`` suffix for resubmitted file names
  (``smithjane_1234_5678_00_setup_check-1.ipynb``). The student id is the Canvas user id (``1234``).
* **Moodle "download all submissions"**: folders ``<Full Name>_<participantid>_assignsubmission_file_/<file>``,
  or the flat form ``<Full Name>_<participantid>_assignsubmission_file_<file>``. The student id is the
  participant id.

The lesson comes from the notebook's (original) file name, e.g. ``00_setup_check.ipynb``; browser copies such
as ``00_setup_check (1).ipynb`` are recognised. When students renamed the file, pass ``--lesson`` to say which
lesson the whole download is: the file is then stored under its own name, and `dlcourse autograde` reports
it as renamed. Files that match nothing are listed, never guessed. An existing submission is never replaced
without ``--force``.

``dlcourse collect --exchange [LESSON]`` collects from nbgrader's exchange instead (a JupyterHub's Assignment
List): each student's latest submission, into the same ``submitted/<student>/<lesson>/`` folders.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import DlcourseError

CANVAS = re.compile(r"^(?P<name>[A-Za-z0-9]+?)(?:_LATE)?_(?P<id>\d+)_(?P<subid>\d+)_(?P<original>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_(?P<original>.*)$")
COPY_SUFFIX = re.compile(r"(?:-\d+| \(\d+\)|_\d+)$")  # Canvas "-1", browser " (1)"; tried only if needed
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}


@dataclass
class Found:
    source: Path  # the file in the download
    student: str
    lesson: str
    filename: str  # name to store it under
    layout: str
    rank: tuple = ()  # higher wins when one student has two files for one lesson


@dataclass
class CollectReport:
    collected: list = field(default_factory=list)  # "student/lesson"
    replaced: list = field(default_factory=list)
    existing: list = field(default_factory=list)  # kept, because --force was not given
    unmatched: list = field(default_factory=list)  # "path: why"
    duplicates: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)  # exchange: the latest submission is the one collected before
    notes: list = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"collected {len(self.collected)} submission(s)"
               + (f", replaced {len(self.replaced)}" if self.replaced else "")]
        if self.unchanged:
            out.append(f"{len(self.unchanged)} submission(s) already collected, none newer in the exchange: "
                       + ", ".join(self.unchanged))
        if self.existing:
            out.append(f"kept {len(self.existing)} existing submission(s) (replacing them must be asked for): "
                       + ", ".join(self.existing))
        out.extend(self.notes)
        for line in self.duplicates:
            out.append(f"duplicate: {line}")
        if self.unmatched:
            out.append(f"could not match {len(self.unmatched)} file(s):")
            out.extend(f"  {line}" for line in self.unmatched)
        return out


def safe_student_id(raw: str) -> str:
    """A student id nbgrader can use as a folder name (no spaces, no '+', which its exchange uses)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", raw.strip()).strip("._")
    return cleaned or "unknown"


def _lesson_of(name: str, lesson_ids: set[str]) -> str | None:
    """The lesson a file or folder name refers to: exact id, or id plus a copy suffix."""
    stem = name[:-6] if name.endswith(".ipynb") else name
    if stem in lesson_ids:
        return stem
    stripped = COPY_SUFFIX.sub("", stem)
    return stripped if stripped in lesson_ids else None


def _copy_rank(name: str) -> int:
    match = re.search(r"(?:-(\d+)| \((\d+)\))\.ipynb$", name)
    return int(next(g for g in match.groups() if g)) if match else 0


def classify(relative: PurePosixPath, lesson_ids: set[str], forced_lesson: str | None) -> tuple[Found | None, str]:
    """Where one notebook of the download belongs, or (None, why not)."""
    name, parts = relative.name, relative.parts
    # Moodle: a per-student folder, or the flat form.
    for index, part in enumerate(parts):
        match = MOODLE.match(part)
        if match:
            original = name if index < len(parts) - 1 else match["original"]
            lesson = _lesson_of(original, lesson_ids) or forced_lesson
            if not lesson:
                return None, (f"Moodle file of participant {match['id']}, but {original!r} names no lesson: "
                              "say which lesson the download is")
            filename = f"{lesson}.ipynb" if _lesson_of(original, lesson_ids) else original
            return Found(Path(), safe_student_id(match["id"]), lesson, filename, "moodle", (_copy_rank(original),)), ""
    # Canvas: flat, the ids in the file name.
    match = CANVAS.match(name)
    if match and len(parts) <= 2:
        original = match["original"]
        lesson = _lesson_of(original, lesson_ids) or forced_lesson
        if lesson:
            filename = f"{lesson}.ipynb" if _lesson_of(original, lesson_ids) else original
            return Found(Path(), safe_student_id(match["id"]), lesson, filename, "canvas",
                         (int(match["subid"]), _copy_rank(original))), ""
        if not any(_lesson_of(p, lesson_ids) for p in parts[:-1]):
            return None, (f"Canvas file of user {match['id']}, but {original!r} names no lesson: "
                          "say which lesson the download is")
    # Per-student folders: .../<student>/<lesson>/<file> or .../<student>/<lesson>.ipynb
    for index in range(len(parts) - 2, 0, -1):
        lesson = _lesson_of(parts[index], lesson_ids)
        if lesson:
            filename = f"{lesson}.ipynb" if _lesson_of(name, lesson_ids) == lesson else name
            return Found(Path(), safe_student_id(parts[index - 1]), lesson, filename, "folders",
                         (_copy_rank(name),)), ""
    lesson = _lesson_of(name, lesson_ids)
    if lesson and len(parts) >= 2:
        return Found(Path(), safe_student_id(parts[-2]), lesson, f"{lesson}.ipynb", "folders", (_copy_rank(name),)), ""
    if forced_lesson and len(parts) >= 2:
        return Found(Path(), safe_student_id(parts[-2]), forced_lesson, name, "folders"), ""
    if lesson:
        return None, "a lesson notebook with no student folder around it"
    return None, "no student or lesson in its path (it matches none of the layouts collect knows)"


def _extract(archive: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                target = (into / member.filename).resolve()
                if not str(target).startswith(str(into.resolve())):
                    raise DlcourseError(f"{archive}: refusing a zip entry outside the folder: {member.filename}")
            bundle.extractall(into)
    except zipfile.BadZipFile as exc:
        raise DlcourseError(f"{archive} is not a readable zip file ({exc})") from None
    return into


def collect(source: Path, root: Path, lesson_ids: list[str], *, lesson: str | None = None,
            force: bool = False) -> CollectReport:
    """Copy every recognised notebook under ``source`` (folder or zip) into ``root/submitted``."""
    source = Path(source).expanduser()
    if not source.exists():
        raise DlcourseError(f"{source}: no such file or folder")
    if source.is_file() and source.suffix.lower() != ".zip":
        raise DlcourseError(f"{source}: expected a folder or a .zip file")
    report = CollectReport()
    with tempfile.TemporaryDirectory(prefix="dlcourse-collect-") as scratch:
        base = _extract(source, Path(scratch)) if source.is_file() else source
        chosen: dict[tuple, Found] = {}
        for path in sorted(base.rglob("*")):
            relative = PurePosixPath(path.relative_to(base).as_posix())
            if not path.is_file() or IGNORED_PARTS & set(relative.parts) or relative.name.startswith((".", "~")):
                continue
            if path.suffix != ".ipynb":
                report.unmatched.append(f"{relative}: not a notebook")
                continue
            found, why = classify(relative, set(lesson_ids), lesson)
            if not found:
                report.unmatched.append(f"{relative}: {why}")
                continue
            found.source = path
            key = (found.student, found.lesson)
            if key in chosen:
                keep, drop = sorted([chosen[key], found], key=lambda f: f.rank, reverse=True)
                report.duplicates.append(f"{found.student}/{found.lesson}: took {keep.source.relative_to(base)}, "
                                         f"ignored {drop.source.relative_to(base)}")
                chosen[key] = keep
            else:
                chosen[key] = found
        submitted = Path(root) / "submitted"
        for (student, lesson_id), found in sorted(chosen.items()):
            target = submitted / student / lesson_id
            label = f"{student}/{lesson_id}"
            if target.exists() and any(target.iterdir()):
                if not force:
                    report.existing.append(label)
                    continue
                shutil.rmtree(target)
                report.replaced.append(label)
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found.source, target / found.filename)
            report.collected.append(label)
    return report
