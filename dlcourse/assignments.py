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
    from .grading import adapter

    notebook = nbformat.read(notebook_path, as_version=4)
    found = []
    for grade_id, cell in adapter.graded_cells(notebook).items():
        if adapter.is_test(cell) or adapter.is_manual(cell):
            found.append({"grade_id": grade_id.removesuffix("-test"),
                          "points": cell.metadata["nbgrader"].get("points", 0),
                          "kind": "auto" if adapter.is_test(cell) else "manual"})
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
