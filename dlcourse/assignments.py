"""The assignment table: each lesson's graded exercises and points, read from the instructor notebooks.

`python -m dlcourse.assignments` prints the Markdown table that the README carries between its
``assignments`` markers; a test keeps the two in sync.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from .lessons import LESSONS


def exercises(notebook_path: Path) -> list[dict]:
    """Graded cells in notebook order: ``{"grade_id", "points", "kind": "auto" | "manual"}``."""
    notebook = nbformat.read(notebook_path, as_version=4)
    found = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            kind = "manual" if cell.cell_type == "markdown" or meta.get("solution") else "auto"
            grade_id = meta["grade_id"]
            found.append({"grade_id": grade_id.removesuffix("-test"), "points": meta.get("points", 0), "kind": kind})
    return found


def _points(value) -> str:
    return f"{value:g}"


def table(repo: Path) -> str:
    lines = ["| lesson | autograded exercises (points) | manual | total |", "|---|---|---|---|"]
    for lesson in LESSONS:
        path = lesson.notebook(repo)
        if not path.is_file():
            continue
        items = exercises(path)
        auto = ", ".join(f"`{e['grade_id']}` ({_points(e['points'])})" for e in items if e["kind"] == "auto")
        manual = ", ".join(f"`{e['grade_id']}` ({_points(e['points'])})" for e in items if e["kind"] == "manual") or "-"
        lines.append(f"| {lesson.lesson_id} | {auto} | {manual} | {_points(sum(e['points'] for e in items))} |")
    return "\n".join(lines)


if __name__ == "__main__":
    from .project import root

    print(table(root()))
