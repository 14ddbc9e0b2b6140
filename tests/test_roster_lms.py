"""Roster import and LMS grade export, on the command line, with fixtures in the layouts Canvas and Moodle write.

Grades are put into a real nbgrader gradebook (the tiny assignment registered by nbgrader, scores recorded as
`dlcourse autograde` records them), so no kernel runs here. The layouts are documented in
`dlcourse/grading/roster.py` with their sources.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dlcourse.grading import adapter, merge
from dlcourse.grading.roster import CANVAS_COLUMNS
from tiny_course import TINY, dlcourse, make_tiny_repo

# A Canvas gradebook export: the five identifying columns, an assignment, read-only totals; a posting-policy
# row and the "Points Possible" row below the header; Canvas's test student.
CANVAS_EXPORT = """Student,ID,SIS User ID,SIS Login ID,Section,zz_tiny (5001),Current Score,Unposted Current Score,Final Score
,,,,,Manual Posting,,,
    Points Possible,,,,,2.00,(read only),(read only),(read only)
"Smith, Jane",1001,S1001,jsmith,Section A,,,,
"Doe, John",1002,S1002,jdoe,Section B,,,,
"Student, Test",9999,,,Section A,,,,
"""
# A Moodle grades export (Grades > Export > Plain text file), as in Moodle's own import tests.
MOODLE_EXPORT = """"First name",Surname,"ID number",Institution,Department,"Email address","Assignment: zz tiny (Real)","Course total (Real)","Last downloaded from this course"
Jane,Smith,S1001,"Example University","Computer Science",jane.smith@example.edu,-,-,1764633600
John,Doe,,"Example University","Computer Science",john.doe@example.edu,-,-,1764633600
"""


@pytest.fixture
def course(tmp_path):
    repo = make_tiny_repo(tmp_path)
    root = tmp_path / "course-dir"
    adapter.register_assignment(repo, root, TINY, tmp_path / "release")

    def grade(student, double, square):
        folder = root / "submitted" / student / TINY
        folder.mkdir(parents=True, exist_ok=True)
        merge.record_grades(root, TINY, student, {"double-test": double, "square-test": square}, folder)

    env = {"DLCOURSE_ROOT": str(repo)}
    run = lambda *args, check=True: dlcourse(*args, "--root", str(root), env=env, check=check)  # noqa: E731
    return {"root": root, "grade": grade, "run": run, "tmp": tmp_path}


def _students(root: Path) -> dict:
    with adapter.open_gradebook(root) as gradebook:
        return {s.id: (s.first_name, s.last_name, s.email, s.lms_user_id) for s in gradebook.students}


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_canvas_roster_and_gradebook_import_file(course):
    root, run, tmp = course["root"], course["run"], course["tmp"]
    course["grade"]("1001", 1, 1)
    course["grade"]("1002", 1, 0)
    course["grade"]("alice", 1, 1)  # collected from per-student folders: no Canvas id
    (tmp / "canvas.csv").write_text(CANVAS_EXPORT)

    imported = run("roster", "--from", str(tmp / "canvas.csv"))
    assert "imported 2 student(s) from the Canvas roster: 0 new, 2 updated" in imported.stdout, imported.stdout
    assert "1 student(s) in the gradebook are not in this roster (no names, no LMS id): alice" in imported.stdout
    students = _students(root)
    assert students["1001"] == ("Jane", "Smith", None, "1001")
    assert students["1002"] == ("John", "Doe", None, "1002")
    assert "9999" not in students  # Canvas's test student

    out = tmp / "canvas-import.csv"
    exported = run("grades", "--lms", "canvas", "--out", str(out))
    rows = _rows(out)
    assert rows[0] == CANVAS_COLUMNS + [TINY]  # Canvas's five columns, in Canvas's order, then the lessons
    assert rows[1] == ["Points Possible", "", "", "", "", "2"]
    assert rows[2:] == [["Smith, Jane", "1001", "S1001", "jsmith", "Section A", "2"],
                        ["Doe, John", "1002", "S1002", "jdoe", "Section B", "1"]]
    assert "not in the file: 1 student(s) with grades but no Canvas ID to match in Canvas: alice" in exported.stdout


def test_moodle_roster_and_grade_import_file(course):
    root, run, tmp = course["root"], course["run"], course["tmp"]
    (tmp / "moodle.csv").write_text(MOODLE_EXPORT)
    # John has no ID number: with the default id column that is a bad row, and nothing is imported.
    refused = run("roster", "--from", str(tmp / "moodle.csv"), check=False)
    assert refused.returncode == 2 and "1 bad row(s), nothing imported" in refused.stderr
    assert "row 3: no ID number (the student id)" in refused.stderr and "--id-column" in refused.stderr
    assert _students(root) == {}

    imported = run("roster", "--from", str(tmp / "moodle.csv"), "--lms", "moodle", "--id-column", "Email address")
    assert "imported 2 student(s) from the Moodle roster: 2 new, 0 updated" in imported.stdout, imported.stdout
    # Ids are cleaned as `dlcourse collect` cleans folder names.
    assert _students(root) == {"jane.smith_example.edu": ("Jane", "Smith", "jane.smith@example.edu", "S1001"),
                               "john.doe_example.edu": ("John", "Doe", "john.doe@example.edu", None)}
    course["grade"]("jane.smith_example.edu", 1, 1)
    course["grade"]("nobody", 0, 1)  # no email or ID number: cannot be matched in Moodle

    out = tmp / "moodle-import.csv"
    exported = run("grades", "--lms", "moodle", "--out", str(out))
    rows = _rows(out)
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", TINY]
    assert rows[1:] == [["Jane", "Smith", "S1001", "jane.smith@example.edu", "2"],
                        ["John", "Doe", "", "john.doe@example.edu", ""]]
    assert ("not in the file: 1 student(s) with grades but no email address or ID number to match in Moodle: "
            "nobody") in exported.stdout, exported.stdout
    assert f"{TINY}: left blank for 1 student(s) without a submission" in exported.stdout
    assert "identify users by Email address" in exported.stdout


def test_bad_rows_are_named_and_nothing_is_imported(course):
    root, run, tmp = course["root"], course["run"], course["tmp"]
    bad = CANVAS_EXPORT + ('"Lee, Ann",10x3,S1003,alee,Section A,,,,\n'
                           ',1004,S1004,anon,Section A,,,,\n'
                           '"Doe, John",1002,S1002,jdoe,Section B,,,,\n'
                           'Kim, Bo,1005,S1005,bkim,Section A,,,,\n')
    (tmp / "bad.csv").write_text(bad)
    result = run("roster", "--from", str(tmp / "bad.csv"), check=False)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert "4 bad row(s), nothing imported" in lines[0]
    assert lines[1].strip().startswith("row 7: ID '10x3' is not a Canvas user id")
    assert lines[2].strip().startswith("row 8: no Student name")
    assert lines[3].strip().startswith("row 9: student id 1002 is also on row 5: remove the duplicate row")
    assert lines[4].strip().startswith("row 10: 10 cells under 9 columns: a name with a comma must be in double quotes")
    assert _students(root) == {}

    (tmp / "other.csv").write_text("name,score\nJane,3\n")
    unknown = run("roster", "--from", str(tmp / "other.csv"), check=False)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "neither a Canvas" in unknown.stderr
    wrong_lms = run("roster", "--from", str(tmp / "other.csv"), "--lms", "moodle", check=False)
    assert wrong_lms.returncode == 2 and "is not a Moodle export" in wrong_lms.stderr

    (tmp / "canvas.csv").write_text(CANVAS_EXPORT)
    hub = run("roster", "--from", str(tmp / "canvas.csv"), "--id-column", "SIS Login ID")  # hub user names
    assert "2 new" in hub.stdout and set(_students(root)) == {"jsmith", "jdoe"}

    no_ids = run("grades", "--lms", "canvas", check=False)
    assert no_ids.returncode == 2 and "--lms and --out go together" in no_ids.stderr


# ---------------------------------------------------------------- formgrader

def test_formgrader_loads_mathjax_from_this_server(tmp_path):
    """The formgrader's own exporter and template, with the course's configuration: no CDN, the local copy."""
    import nbformat
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    repo = Path(__file__).resolve().parents[1]
    config = adapter.make_config(repo, root=tmp_path)
    # What FormgradeExtension adds (build_extra_config) before the course's config file, which replaces the
    # template folders with its own list, and so must still name the formgrader's.
    config.HTMLExporter.template_name = "formgrade"
    assert handlers.template_path in config.HTMLExporter.extra_template_basedirs
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("The loss is $-\\sum_i y_i \\log p_i$.")])
    resources = {"assignment_id": TINY, "notebook_id": TINY, "submission_id": "s1", "index": 0, "total": 1,
                 "base_url": "/user/teacher", "student": "1001", "last_name": "Smith", "first_name": "Jane",
                 "notebook_path": f"autograder/work/submitted/1001/{TINY}/{TINY}.ipynb"}
    html, _ = HTMLExporter(config=config).from_notebook_node(notebook, resources=resources)
    assert "/static/jupyter_server_mathjax/MathJax.js" in html and 'indexOf("/formgrader/")' in html
    assert "cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js\"" not in html.split("document.write")[0]
    assert "MathJax.Hub.Config" in html  # nbconvert's MathJax configuration is kept

    import jupyter_server_mathjax  # the package that serves it, a course dependency

    assert (Path(jupyter_server_mathjax.__file__).parent / "static" / "MathJax.js").is_file()
