"""`dlcourse feedback`: one HTML page per student and lesson, built from the gradebook and the autograded notebook.

For every test: its name, passed or failed, the points, and the hint, which is the message of the assertion
that failed (``AssertionError: expected shape (4, 4), got (6, 6). Did you pad?``). It never shows a test's
source, nor a traceback (IPython tracebacks quote the failing line, which may be a hidden test): nbgrader's own
``generate_feedback`` renders the whole autograded notebook, hidden tests included (nbgrader issue #917).
Pages go where nbgrader puts feedback, ``feedback/<student>/<lesson>/<lesson>.html``, so nbgrader's
``release_feedback`` / the lab extension's "fetch feedback" can deliver them.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from pathlib import Path

from .autograde import graded_status, open_gradebook
from .errors import DlcourseError

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL_LINE = re.compile(r"Cell In\s*\[\d*\],\s*line (\d+)")
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN " + "HIDDEN TESTS", "### END " + "HIDDEN TESTS"


def _hidden_lines(source: str) -> set[int]:
    """1-based line numbers of the hidden part of a test cell's source."""
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() == HIDDEN_BEGIN:
            inside = True
        if inside:
            hidden.add(number)
        if line.strip() == HIDDEN_END:
            inside = False
    return hidden


def _hint(cell) -> str:
    """The failing check's message (no source, no traceback), or '' if the cell raised nothing."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return ""
    error = errors[-1]
    name, value = error.get("ename", "Error"), _ANSI.sub("", str(error.get("evalue", ""))).strip()
    if name == "NotImplementedError":
        return "not answered yet: the answer cell still raises NotImplementedError"
    if name == "CellTimeoutError":
        return "the test did not finish in time (a loop that never ends, or a very slow answer)"
    traceback_text = _ANSI.sub("", "\n".join(error.get("traceback", [])))
    first_frame = _CELL_LINE.search(traceback_text)
    in_hidden = bool(first_frame) and int(first_frame.group(1)) in _hidden_lines(cell.source)
    where = "a hidden test" if in_hidden else "a check"
    if name == "AssertionError":
        return f"{where} failed: {value}" if value else f"{where} failed (it has no message; try more inputs)"
    return f"{where} raised {name}" + (f": {value[:500]}" if value else "")


def _test_rows(notebook, grades: dict) -> list[dict]:
    rows = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        grade_id, points = meta["grade_id"], float(meta.get("points", 0))
        score, needs_manual = grades.get(grade_id, (None, False))
        if meta.get("solution") or meta.get("task"):  # a written answer: graded by a person
            status = "awaiting manual grading" if needs_manual or score is None else "graded by hand"
            rows.append({"name": grade_id, "status": status, "score": score, "points": points, "hint": ""})
            continue
        passed = score is not None and score >= points
        hint = "" if passed else _hint(cell)
        rows.append({"name": grade_id, "status": "passed" if passed else "failed", "score": score,
                     "points": points, "hint": hint})
    return rows


_STYLE = """body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.45rem;text-align:left;
vertical-align:top}.passed{color:#1a7f37;font-weight:600}.failed{color:#c62828;font-weight:600}
.note{background:#fff8e1;padding:.6rem;border-left:4px solid #f9a825}code{font-size:.95em}"""


def render_page(student: str, lesson: str, rows: list[dict], total: float | None, maximum: float,
                notes: list[str], failure: str = "") -> str:
    esc = html.escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(lesson)}: feedback for {esc(student)}"
             f"</title><style>{_STYLE}</style></head><body>",
             f"<h1>{esc(lesson)}</h1><p>Feedback for <b>{esc(student)}</b>. "
             + (f"Score: <b>{total:g} / {maximum:g}</b>.</p>" if total is not None else "</p>")]
    if failure:
        parts.append(f"<p class='note'><b>Your notebook could not be graded:</b> {esc(failure)}</p>")
    for note in notes:
        parts.append(f"<p class='note'>{esc(note)}</p>")
    if rows:
        parts.append("<table><tr><th>test</th><th>result</th><th>points</th><th>hint</th></tr>")
        for row in rows:
            score = "–" if row["score"] is None else f"{row['score']:g}"
            parts.append(f"<tr><td><code>{esc(row['name'])}</code></td><td class='{esc(row['status'])}'>"
                         f"{esc(row['status'])}</td><td>{score} / {row['points']:g}</td><td>{esc(row['hint'])}</td></tr>")
        parts.append("</table>")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f"<p><small>Generated {stamp}. Each hint is the message of the first check that failed; fix it "
                 f"and press Validate in JupyterLab to run the visible checks again.</small></p></body></html>")
    return "\n".join(parts)


def generate_feedback(root: Path, lessons: list[str] | None = None, students: list[str] | None = None) -> list[Path]:
    """Write the feedback pages; returns their paths."""
    import nbformat

    root = Path(root)
    status = graded_status(root)
    written = []
    with open_gradebook(root) as gradebook:
        for assignment in gradebook.assignments:
            if lessons and assignment.name not in lessons:
                continue
            for submission in assignment.submissions:
                student = submission.student.id
                if students and student not in students:
                    continue
                record = status.get(f"{assignment.name}/{student}", {})
                failure = record.get("reason", "") if record.get("status") == "failed" else ""
                for notebook in submission.notebooks:
                    grades = {g.name: (g.score if g.auto_score is not None or g.manual_score is not None else None,
                                       g.needs_manual_grade) for g in notebook.grades}
                    autograded = root / "autograded" / student / assignment.name / f"{notebook.name}.ipynb"
                    rows = []
                    if autograded.is_file() and not failure:
                        rows = _test_rows(nbformat.read(autograded, as_version=4), grades)
                    page = render_page(student, assignment.name, rows, float(notebook.score),
                                       float(notebook.max_score), record.get("notes", []), failure)
                    target = root / "feedback" / student / assignment.name / f"{notebook.name}.html"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(page)
                    written.append(target)
    if not written:
        raise DlcourseError(f"no graded submissions in {root}" + (f" for {', '.join(lessons)}" if lessons else ""))
    return written
