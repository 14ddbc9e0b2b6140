"""`dlcourse roster --from FILE`: students' names, emails and LMS ids into nbgrader's gradebook.

With a roster the formgrader lists names instead of "None, None", and `dlcourse grades --lms` can write the file
the LMS imports. Two export layouts are read (detected from the header row, or named with ``lms``):

* **Canvas gradebook export** (Grades > Export). Canvas's documented import and export layout starts with the
  columns ``Student, ID, SIS User ID, SIS Login ID, Section`` in that order, then one column per assignment;
  ``Student`` is "Last, First", ``ID`` the Canvas user id. Below the header come one or two rows that are not
  students: ``Points Possible`` (assignments' points) and, where a manual posting policy is set, a row that
  names it ("Manual Posting"). Sources: the Canvas guide "How do I import grades in the Gradebook?"
  (community.canvaslms.com, Instructor Guide), The Ohio State University's "Import a CSV file into Carmen
  Grades" (the five identifying columns), and a TA guide that found Canvas accepts the file only with the
  columns in exactly that order (myl7/mylmoe, docs/posts/cityu-ta-upload-canvas-grade.md).
* **Moodle participants or grades export** (Grades > Export > Plain text file): ``First name, Last name``
  (``Surname`` in older versions)``, ID number, Institution, Department, Email address``, then the grade items.
  Source: Moodle's own test data for its CSV grade import, grade/import/csv/tests/load_data_test.php
  (moodle/moodle), and grade/export/lib.php for the column order.

The student id (the name of the student's folder in ``submitted/`` and their id in the gradebook) comes from
one column: Canvas ``ID`` by default, the user id that `dlcourse collect` reads from a Canvas bulk download;
Moodle ``ID number``. On a JupyterHub the id is the hub user name: choose the column that holds it (Canvas
``SIS Login ID``, often). Ids are cleaned exactly as `collect` cleans them, so the two meet.

Every row is checked before anything is written: bad rows are reported one line each (the row and the fix)
and nothing is imported. A ``lms_roster.json`` beside the gradebook keeps what the gradebook has no field for
(Canvas's SIS ids and section), for the export.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DlcourseError
from .adapter import open_gradebook
from .collect import safe_student_id

LMS = ("canvas", "moodle")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["First name", "Last name", "ID number", "Institution", "Department", "Email address"]
DEFAULT_ID_COLUMN = {"canvas": "ID", "moodle": "ID number"}
SIDECAR = "lms_roster.json"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NOT_STUDENTS = {"points possible", "manual posting", "automatic posting"}  # Canvas's rows below the header


@dataclass
class Entry:
    row: int  # line in the file (the header is line 1)
    student_id: str
    first_name: str
    last_name: str
    email: str | None
    lms_user_id: str | None
    lms: dict = field(default_factory=dict)  # what the LMS export needs back: Canvas SIS ids, section


def _read_rows(path: Path) -> list[list[str]]:
    path = Path(path).expanduser()
    if not path.is_file():
        raise DlcourseError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel saves UTF-8 with a byte-order mark
    except UnicodeDecodeError:
        raise DlcourseError(f"{path} is not UTF-8 text: save it from the LMS or the spreadsheet as CSV UTF-8") \
            from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise DlcourseError(f"{path} is empty: export the roster from the LMS again")
    return rows


def detect(header: list[str]) -> str | None:
    names = {h.strip() for h in header}
    if {"Student", "ID"} <= names and ({"SIS Login ID", "Section", "SIS User ID"} & names):
        return "canvas"
    if "First name" in names and ({"Last name", "Surname"} & names) and "Email address" in names:
        return "moodle"
    return None


def _column(header: list[str], name: str) -> int | None:
    stripped = [h.strip() for h in header]
    return stripped.index(name) if name in stripped else None


def read_roster(path: Path, lms: str | None = None, id_column: str | None = None) -> tuple[str, list[Entry]]:
    """The students in a Canvas or Moodle export; raises with one line per bad row (and imports nothing)."""
    rows = _read_rows(path)
    header = rows[0]
    found = detect(header)
    if lms is None:
        if found is None:
            raise DlcourseError(f"{Path(path).name}: its header is neither a Canvas gradebook export (Student, ID, "
                                f"SIS User ID, SIS Login ID, Section, ...) nor a Moodle export (First name, Last "
                                f"name, ID number, ..., Email address): export the roster from the LMS")
        lms = found
    elif lms not in LMS:
        raise DlcourseError(f"the LMS must be one of {', '.join(LMS)}, got {lms!r}")
    elif found != lms:
        raise DlcourseError(f"{Path(path).name} is not a {lms.capitalize()} export (its columns: "
                            f"{', '.join(h.strip() for h in header[:6])}, ...)")
    id_column = id_column or DEFAULT_ID_COLUMN[lms]
    id_index = _column(header, id_column)
    if id_index is None:
        raise DlcourseError(f"{Path(path).name} has no column {id_column!r} for the student id: choose one of "
                            f"{', '.join(h.strip() for h in header if h.strip())[:300]}")
    reader = _canvas_entry if lms == "canvas" else _moodle_entry
    entries, problems, seen = [], [], {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name.strip(): (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        if lms == "canvas" and _not_a_student(row):
            continue
        if len(row) > len(header):  # the LMS writes every row as wide as its header
            problems.append(f"row {number}: {len(row)} cells under {len(header)} columns: a name with a comma "
                            f"must be in double quotes; export the file again rather than editing it")
            continue
        entry, problem = reader(number, cells)
        if entry is None and problem is None:  # a row that is no student (Canvas's test student)
            continue
        raw_id = cells.get(id_column.strip(), "")
        if problem is None and not raw_id:
            problem = (f"no {id_column} (the student id): fill it in the LMS, or choose another column with "
                       f"--id-column")
        if problem:
            problems.append(f"row {number}: {problem}")
            continue
        entry.student_id = safe_student_id(raw_id)
        if entry.student_id in seen:
            problems.append(f"row {number}: student id {entry.student_id} is also on row {seen[entry.student_id]}: "
                            f"remove the duplicate row")
            continue
        seen[entry.student_id] = number
        entries.append(entry)
    if problems:
        raise DlcourseError(f"{Path(path).name}: {len(problems)} bad row(s), nothing imported:\n  "
                            + "\n  ".join(problems))
    if not entries:
        raise DlcourseError(f"{Path(path).name} lists no students")
    return lms, entries


def _not_a_student(row: list[str]) -> bool:
    """Canvas's "Points Possible" and posting-policy rows (Student empty, the policy in the assignment columns)."""
    first = row[0].strip().lower() if row else ""
    return first in NOT_STUDENTS or (not first and any(c.strip().lower() in NOT_STUDENTS for c in row))


def _canvas_entry(number: int, cells: dict) -> tuple[Entry | None, str | None]:
    name, canvas_id = cells.get("Student", ""), cells.get("ID", "")
    if name == "Student, Test":  # Canvas's own test student (Student View)
        return None, None
    if not name:
        return None, "no Student name: fill it in, or remove the row"
    if not canvas_id.isdigit():
        return None, (f"ID {canvas_id!r} is not a Canvas user id (a number): export the gradebook from Canvas "
                      f"again rather than editing this column")
    last, _, first = name.partition(",")
    extra = {"display_name": name, **{key: cells.get(key, "") for key in CANVAS_COLUMNS[2:]}}
    return Entry(number, "", first.strip(), last.strip(), None, canvas_id, extra), None


def _moodle_entry(number: int, cells: dict) -> tuple[Entry | None, str | None]:
    first = cells.get("First name", "")
    last = cells.get("Last name", cells.get("Surname", ""))
    email, id_number = cells.get("Email address", ""), cells.get("ID number", "")
    if not first and not last:
        return None, "no First name or Last name: fill them in, or remove the row"
    if email and not EMAIL.match(email):
        return None, f"Email address {email!r} is not an email address: correct it in Moodle and export again"
    if not email and not id_number:
        return None, "neither an Email address nor an ID number, so Moodle could not match its grades: add one"
    return Entry(number, "", first, last, email or None, id_number or None,
                 {"id_number": id_number, "email": email}), None


@dataclass
class RosterImport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    not_in_roster: list = field(default_factory=list)  # students with submissions the roster does not name

    def lines(self, lms: str) -> list[str]:
        out = [f"imported {len(self.created) + len(self.updated)} student(s) from the {lms.capitalize()} roster: "
               f"{len(self.created)} new, {len(self.updated)} updated"]
        if self.not_in_roster:
            out.append(f"{len(self.not_in_roster)} student(s) in the gradebook are not in this roster (no names, "
                       f"no LMS id): " + ", ".join(self.not_in_roster))
        return out


def import_roster(root: Path, lms: str, entries: list[Entry]) -> RosterImport:
    """Create or update each student (nbgrader's ``Gradebook.update_or_create_student``); all rows were checked."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    outcome = RosterImport()
    with open_gradebook(root) as gradebook:
        known = {student.id for student in gradebook.students}
        for entry in entries:
            gradebook.update_or_create_student(entry.student_id, first_name=entry.first_name or None,
                                               last_name=entry.last_name or None, email=entry.email,
                                               lms_user_id=entry.lms_user_id)
            (outcome.updated if entry.student_id in known else outcome.created).append(entry.student_id)
        ids = {entry.student_id for entry in entries}
        outcome.not_in_roster = sorted({s.student.id for a in gradebook.assignments for s in a.submissions} - ids)
    sidecar = load_sidecar(root)
    sidecar["lms"] = lms
    sidecar.setdefault("students", {}).update({e.student_id: e.lms for e in entries})
    partial = root / (SIDECAR + ".partial")
    partial.write_text(json.dumps(sidecar, indent=1, sort_keys=True))
    os.replace(partial, root / SIDECAR)
    return outcome


def load_sidecar(root: Path) -> dict:
    path = Path(root) / SIDECAR
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, json.JSONDecodeError):
        raise DlcourseError(f"{path} is not readable JSON: import the roster again (dlcourse roster --from FILE)") \
            from None
