"""A lesson's own code for the fast lesson tests: the cells a test names, executed in one namespace.

Cells are named by their nbgrader ``grade_id`` (solution cells) or by a cell tag (other cells), never found by a
substring of their source, so a test reads the notebook's current objects instead of retyping them, and fails
when the lesson changes what it teaches. Only the setup cell and the named cells run: nothing trains.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


def notebook(lesson_id: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO / "solutions" / lesson_id / f"{lesson_id}.ipynb", as_version=4)


def _name(cell) -> set:
    names = set(cell.metadata.get("tags", []))
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return names | {grade_id} if grade_id else names


def cells(lesson_id: str, names) -> list:
    """The code cells named (grade_id or tag), in notebook order; each name must name exactly one cell."""
    code = [cell for cell in notebook(lesson_id).cells if cell.cell_type == "code"]
    for name in names:
        found = [cell for cell in code if name in _name(cell)]
        assert len(found) == 1, f"{lesson_id}: expected one code cell named {name!r}, found {len(found)}"
    return [cell for cell in code if _name(cell) & set(names)]


def namespace(lesson_id: str, *names: str) -> dict:
    """Run the lesson's setup cell (its first code cell: imports) and then the named cells; return the names."""
    setup = next(cell for cell in notebook(lesson_id).cells if cell.cell_type == "code")
    scope: dict = {"__name__": f"lesson_{lesson_id}"}
    for cell in [setup, *cells(lesson_id, names)]:
        exec(compile(cell.source, f"{lesson_id}:{cell.get('id', '?')}", "exec"), scope)
    return scope
