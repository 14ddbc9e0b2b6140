#!/usr/bin/env python3
"""Convert lesson notebooks to and from a plain-text "percent" script, for editing and review.

    python tools/nbsrc.py export solutions/03_convolution/03_convolution.ipynb > /tmp/03.py
    python tools/nbsrc.py build /tmp/03.py solutions/03_convolution/03_convolution.ipynb

The notebook in solutions/ is the source of truth; the script is a working copy.
Cell headers (one per cell):

    # %% [markdown]                      markdown; each line starts with "# "
    # %%                                 ordinary code
    # %% tags=["parameters"]             papermill's parameters cell
    # %% solution id=conv2d              nbgrader solution cell (### BEGIN/END SOLUTION inside)
    # %% test id=conv2d-test points=3    nbgrader autograded test cell (read-only)
    # %% readonly id=setup               nbgrader read-only cell
    # %% [markdown] manual id=why points=2   manually graded written answer
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import nbformat

HEADER = re.compile(r"^# %%(?P<markdown> \[markdown\])?(?P<attrs>.*)$")
KERNEL = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}}


def _nbgrader(kind: str, grade_id: str, points) -> dict:
    meta = {"grade": kind in ("test", "manual"), "grade_id": grade_id, "locked": kind in ("test", "readonly"),
            "schema_version": 3, "solution": kind in ("solution", "manual"), "task": False}
    if kind in ("test", "manual"):
        meta["points"] = points
    return meta


def parse(text: str) -> list[dict]:
    cells, current = [], None
    for line in text.splitlines():
        match = HEADER.match(line)
        if match:
            current = {"markdown": bool(match["markdown"]), "attrs": match["attrs"].strip(), "lines": []}
            cells.append(current)
        elif current is not None:
            current["lines"].append(line)
    return cells


def build(text: str) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(metadata=dict(KERNEL))
    for index, raw in enumerate(parse(text)):
        lines = raw["lines"]
        while lines and not lines[-1].strip():
            lines.pop()
        attrs, tags, kind, grade_id, points = raw["attrs"], [], None, None, None
        tag_match = re.search(r"tags=(\[[^\]]*\])", attrs)
        if tag_match:
            tags = json.loads(tag_match.group(1))
            attrs = attrs.replace(tag_match.group(0), "")
        for word in shlex.split(attrs):
            if word in ("solution", "test", "readonly", "manual"):
                kind = word
            elif word.startswith("id="):
                grade_id = word[3:]
            elif word.startswith("points="):
                points = float(word[7:]) if "." in word else int(word[7:])
            else:
                raise ValueError(f"cell {index}: unknown attribute {word!r}")
        if raw["markdown"]:
            source = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines)
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell("\n".join(lines))
        cell.id = grade_id or f"cell-{index:03d}"
        if tags:
            cell.metadata["tags"] = tags
        if kind:
            if not grade_id:
                raise ValueError(f"cell {index}: a {kind} cell needs id=...")
            if kind in ("test", "manual") and points is None:
                raise ValueError(f"cell {index} ({grade_id}): a {kind} cell needs points=...")
            cell.metadata["nbgrader"] = _nbgrader(kind, grade_id, points)
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def export(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        words = []
        grader = cell.metadata.get("nbgrader", {})
        if grader:
            kind = ("manual" if cell.cell_type == "markdown" else "test") if grader.get("grade") else \
                "solution" if grader.get("solution") else "readonly"
            words += [kind, f"id={grader['grade_id']}"]
            if "points" in grader:
                words.append(f"points={grader['points']}")
        if cell.metadata.get("tags"):
            words.insert(0, "tags=" + json.dumps(cell.metadata["tags"]))
        header = "# %%" + (" [markdown]" if cell.cell_type == "markdown" else "") + "".join(" " + w for w in words)
        body = "\n".join(("# " + line).rstrip() for line in cell.source.splitlines()) if cell.cell_type == "markdown" \
            else cell.source
        parts.append(f"{header}\n{body}\n")
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "export":
        sys.stdout.write(export(nbformat.read(argv[1], as_version=4)))
        return 0
    if len(argv) == 3 and argv[0] == "build":
        notebook = build(Path(argv[1]).read_text())
        Path(argv[2]).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, argv[2])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
