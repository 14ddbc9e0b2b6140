"""Feedback pages: one HTML page per student and lesson, from the gradebook and the status file alone.

For each exercise: its name, passed or failed, the points, and the trusted checker's hint, a fixed sentence
that names the exercise and the kind of input that failed. The page never contains a test cell's source, a
traceback, a hidden input or an expected value, and no text the student's code produced: the kernel's outputs
are not read at all. Pages go where nbgrader puts feedback, ``feedback/<student>/<lesson>/<lesson>.html``.

nbgrader's own ``generate_feedback`` (the command and the formgrader's buttons) renders this same page:
`adapter` sets ``GenerateFeedback.exporter_class`` to `SafeFeedbackExporter`.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from nbconvert.exporters import HTMLExporter

from ..errors import DlcourseError
from .adapter import open_gradebook
from .status import graded_status

TEMPLATE = Path(__file__).parent / "templates" / "feedback.html.j2"
# Every page the template writes carries this line; releasing feedback to an exchange refuses any other page.
MARKER = '<meta name="generator" content="dlcourse feedback">'
# nbgrader's own files beside a submission: the exchange finds a student's released page through them.
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")


def is_safe_page(html: str) -> bool:
    """Whether a feedback page was written by this module (and so holds no test code)."""
    return MARKER in html


def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), autoescape=True,
                              undefined=jinja2.StrictUndefined)


def page_for(root: Path, lesson: str, student: str, notebook_name: str | None = None) -> str:
    """The feedback page of one student's lesson (its first notebook, or ``notebook_name``)."""
    status = graded_status(root)
    record = status.get(f"{lesson}/{student}", {})
    with open_gradebook(root) as gradebook:
        submission = gradebook.find_submission(lesson, student)
        notebooks = [nb for nb in submission.notebooks if notebook_name in (None, nb.name)]
        if not notebooks:
            raise DlcourseError(f"{lesson}/{student} has no notebook {notebook_name}")
        notebook = notebooks[0]
        order = {cell.name: index for index, cell in enumerate(notebook.notebook.grade_cells)}
        grades = sorted(notebook.grades, key=lambda g: order.get(g.name, 0))
        failure = record.get("reason", "") if record.get("status") == "failed" else ""
        exercises = record.get("exercises", {})
        rows = []
        for grade in grades:
            entry = exercises.get(grade.name)
            if entry is None:  # a written answer, graded by a person
                graded = grade.manual_score is not None
                rows.append({"name": grade.name, "status": "graded by hand" if graded else "awaiting manual grading",
                             "css": "manual", "score_text": f"{grade.score:g}" if graded else "–",
                             "points": float(grade.max_score), "hint": ""})
                continue
            passed = bool(entry["passed"])
            rows.append({"name": grade.name, "status": "passed" if passed else "failed",
                         "css": "passed" if passed else "failed", "score_text": f"{grade.score:g}",
                         "points": float(grade.max_score), "hint": "" if passed else entry.get("hint", "")})
        total, maximum = float(notebook.score), float(notebook.max_score)
    return _environment().get_template(TEMPLATE.name).render(
        lesson=lesson, student=student, total=total, maximum=maximum, failure=failure,
        problem=record.get("problem", ""), notes=record.get("notes", []), rows=[] if failure else rows,
        stamp=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


class SafeFeedbackExporter(HTMLExporter):
    """For nbgrader's GenerateFeedback: the page above instead of the rendered autograded notebook."""

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = self._init_resources(resources)
        info = resources.get("nbgrader", {})
        root = Path(self.parent.coursedir.root)  # the parent is nbgrader's GenerateFeedback converter
        page = page_for(root, info["assignment"], info["student"], info.get("notebook"))
        resources["output_extension"] = ".html"
        return page, resources


def generate_feedback(root: Path, lessons: list[str] | None = None, students: list[str] | None = None) -> list[Path]:
    """Write the feedback pages; returns their paths."""
    root = Path(root)
    graded_status(root)
    written = []
    with open_gradebook(root) as gradebook:
        pairs = [(a.name, s.student.id, [nb.name for nb in s.notebooks]) for a in gradebook.assignments
                 for s in a.submissions]
    for lesson, student, notebooks in pairs:
        if (lessons and lesson not in lessons) or (students and student not in students):
            continue
        folder = root / "feedback" / student / lesson
        for name in notebooks:
            target = folder / f"{name}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page_for(root, lesson, student, name))
            written.append(target)
        for name in EXCHANGE_FILES:  # as nbgrader's generate_feedback: from the submission, or none
            source, copy = root / "submitted" / student / lesson / name, folder / name
            if source.is_file():
                shutil.copyfile(source, copy)
            elif copy.exists():
                copy.unlink()
    if not written:
        raise DlcourseError(f"no graded submissions in {root}" + (f" for {', '.join(lessons)}" if lessons else ""))
    return written
