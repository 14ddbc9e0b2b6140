"""`dlcourse grades --lms canvas|moodle --out FILE`: lesson totals as the CSV each LMS's gradebook imports.

* **Canvas** (Grades > Import): the layout of Canvas's own gradebook export, which its import reads back:
  ``Student, ID, SIS User ID, SIS Login ID, Section`` in that order, then one column per lesson, and a second
  row ``Points Possible`` with each lesson's maximum. Canvas matches a student by ``ID`` (the Canvas user id)
  and a column to an assignment of that name; a column with a new name becomes a new assignment with those
  points. Sources as in `roster`.
* **Moodle** (Grades > Import > CSV file): ``First name, Last name, ID number, Email address``, then one column
  per lesson (a grade item). On import, "Identify user by" maps ``Email address`` (or ``ID number``) to the user
  field of that name, and each lesson column to its grade item. Moodle's importer identifies users by
  ``useremail``, ``useridnumber``, ``username`` or ``userid`` (grade/import/csv in moodle/moodle).

A student without what the LMS matches on (a Canvas ID, or a Moodle email or ID number) cannot be imported:
they are left out of the file and reported by name, never dropped silently. Import the roster first
(`dlcourse roster --from EXPORT.csv`). A lesson a student has no submission for is left blank (the LMS leaves
the grade as it is).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DlcourseError
from .adapter import open_gradebook
from .grades import grade_table, lesson_totals
from .roster import CANVAS_COLUMNS, LMS, load_sidecar

MOODLE_COLUMNS = ["First name", "Last name", "ID number", "Email address"]


@dataclass
class Export:
    lms: str
    path: Path
    lessons: list
    written: list = field(default_factory=list)  # student ids in the file
    missing: list = field(default_factory=list)  # student ids with grades but nothing the LMS matches on
    blank: dict = field(default_factory=dict)  # lesson: [student ids without a submission]
    needs_manual: list = field(default_factory=list)  # "student/lesson" whose total waits for a person

    def lines(self) -> list[str]:
        out = [f"wrote {self.path}: {self.lms.capitalize()} gradebook import, {len(self.written)} student(s), "
               f"lessons {', '.join(self.lessons)}"]
        if self.missing:
            what = "Canvas ID" if self.lms == "canvas" else "email address or ID number"
            out.append(f"not in the file: {len(self.missing)} student(s) with grades but no {what} to match in "
                       f"{self.lms.capitalize()}: {', '.join(self.missing)}; import the roster "
                       f"(dlcourse roster --from EXPORT.csv) and write the file again")
        for lesson, students in self.blank.items():
            out.append(f"{lesson}: left blank for {len(students)} student(s) without a submission")
        if self.needs_manual:
            out.append(f"totals still wait for manual grading: {', '.join(self.needs_manual)}")
        if self.lms == "moodle":
            out.append("Moodle: Grades > Import > CSV file; identify users by Email address (or ID number), and map "
                       "each lesson column to its grade item")
        return out


def _score(value: float) -> str:
    return f"{value:g}"


def export(root: Path, lms: str, path: Path, lessons: list[str] | None = None) -> Export:
    """Write the LMS import file for the graded lessons; returns what was written and who was left out."""
    if lms not in LMS:
        raise DlcourseError(f"the LMS must be one of {', '.join(LMS)}, got {lms!r}")
    root, path = Path(root), Path(path)
    rows = grade_table(root, lessons)
    totals = lesson_totals(rows)
    chosen = sorted({row["lesson"] for row in rows})
    maxima = {lesson: max(m for (_, les), (_, m, _) in totals.items() if les == lesson) for lesson in chosen}
    sidecar = load_sidecar(root).get("students", {})
    with open_gradebook(root) as gradebook:
        students = [(s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or "")
                    for s in sorted(gradebook.students, key=lambda s: s.id)]
    outcome = Export(lms, path, chosen)
    graded = {student for student, _ in totals}
    body = []
    for student, first, last, email, lms_id in students:
        extra = sidecar.get(student, {})
        if lms == "canvas":
            known = lms_id.isdigit()
            name = extra.get("display_name") or (f"{last}, {first}" if first and last else last or first or student)
            ident = [name, lms_id, extra.get("SIS User ID", ""), extra.get("SIS Login ID", ""),
                     extra.get("Section", "")]
        else:
            id_number = extra.get("id_number") or lms_id
            known = bool(email or id_number)
            ident = [first, last, id_number, email]
        if not known:
            if student in graded:
                outcome.missing.append(student)
            continue
        scores = []
        for lesson in chosen:
            total = totals.get((student, lesson))
            if total is None:
                outcome.blank.setdefault(lesson, []).append(student)
                scores.append("")
                continue
            score, _, state = total
            if state == "needs manual grading":
                outcome.needs_manual.append(f"{student}/{lesson}")
            scores.append(_score(score))
        body.append(ident + scores)
        outcome.written.append(student)
    if not body:
        raise DlcourseError(f"no student in {root} has an LMS id, so there is nothing {lms.capitalize()} could "
                            f"import: import the roster first (dlcourse roster --from EXPORT.csv)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if lms == "canvas":
            writer.writerow(CANVAS_COLUMNS + chosen)
            writer.writerow(["Points Possible", "", "", "", ""] + [_score(maxima[lesson]) for lesson in chosen])
        else:
            writer.writerow(MOODLE_COLUMNS + chosen)
        writer.writerows(body)
    return outcome
