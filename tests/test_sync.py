"""course/ is exactly what nbgrader generates from solutions/, and no committed notebook has outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from dlcourse import lessons
from dlcourse.generate import differences

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # nbgrader generates every lesson
def test_course_in_sync_with_solutions():
    present = [lesson for lesson in lessons.LESSONS if lesson.notebook(REPO).is_file()]
    assert present, "no lessons in solutions/"
    problems = differences(REPO, present)
    assert not problems, "course/ is stale; run `dlcourse generate`:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", sorted(str(p.relative_to(REPO)) for folder in ("solutions", "course")
                                        for p in (REPO / folder).rglob("*.ipynb")))
def test_notebook_is_clean(path):
    notebook = nbformat.read(REPO / path, as_version=4)
    nbformat.validate(notebook)
    with_outputs = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not with_outputs, f"{path}: cells {with_outputs} carry outputs; clear them before committing"
    assert any("parameters" in c.metadata.get("tags", []) for c in notebook.cells), f"{path}: no `parameters` cell"
