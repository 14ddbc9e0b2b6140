"""Before grading: is the submission gradable, and a clean copy of it to grade.

Whatever the student did to the notebook's structure, grading sees a notebook with the released layout:

* a file that is not a notebook, or not readable, is a recorded failure with the reason;
* a cell whose nbgrader metadata is not a dict, or that has no ``source``, is repaired;
* every graded cell is matched to the release by its grade_id and gets the release's metadata back (a flipped
  ``solution`` flag, changed points or an extra grade cell change nothing); test and read-only cells also get
  the release's source back;
* a duplicated or unknown grade_id becomes an ordinary cell, except that an unknown answer cell fills the place
  of a missing one in order (a renamed grade_id);
* a deleted graded cell is put back where it was, and the instructor and student are told.

Only regular files are copied into the clean copy, never links, devices or sockets, and at most
`MAX_FILES_MB` in all. Nothing here runs student code.
"""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import adapter

MAX_FILES_MB = 64


@dataclass
class Prepared:
    reason: str | None = None
    notes: list = field(default_factory=list)


def _read_loosely(path: Path):
    """A notebook from JSON, repaired where nbgrader would crash on it; raises ValueError with a short reason."""
    import nbformat

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"it is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError("it has no list of cells")
    cells = []
    for raw in data["cells"]:
        if not isinstance(raw, dict):
            continue
        kind = raw.get("cell_type") if raw.get("cell_type") in ("code", "markdown", "raw") else "markdown"
        source = raw.get("source", "")
        if isinstance(source, list):
            source = "".join(str(part) for part in source)
        metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        if not isinstance(metadata.get("nbgrader"), dict):
            metadata.pop("nbgrader", None)
        # fresh, unique ids: a student's copies may repeat or lack them
        cell = {"cell_type": kind, "source": str(source), "metadata": json.loads(json.dumps(metadata, default=str)),
                "id": f"cell-{len(cells)}"}
        if kind == "code":
            cell.update(outputs=[], execution_count=None)
        cells.append(nbformat.from_dict(cell))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = nbformat.from_dict({"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                                           "language": "python", "name": "python3"},
                                            "language_info": {"name": "python"}})
    return notebook


def normalise(notebook, released) -> list[str]:
    """Give ``notebook`` the graded structure of ``released`` (in place); returns notes for the instructor."""
    import nbformat

    notes = []
    wanted = adapter.graded_cells(released)
    order = list(wanted)
    seen, unknown_answers = set(), []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        grade_id = meta.get("grade_id") if isinstance(meta.get("grade_id"), str) else None
        if grade_id in wanted and grade_id not in seen:
            seen.add(grade_id)
            _restore(cell, wanted[grade_id], notes)
        else:
            if grade_id in seen:
                notes.append(f"a second cell with grade_id {grade_id} was graded as an ordinary cell")
            elif meta.get("solution") and cell.cell_type == "code":
                unknown_answers.append(cell)
            del cell.metadata["nbgrader"]
    missing = [grade_id for grade_id in order if grade_id not in seen]
    for grade_id in list(missing):  # a renamed answer cell takes the place of the missing one, in order
        if adapter.is_answer(wanted[grade_id]) and wanted[grade_id].cell_type == "code" and unknown_answers:
            cell = unknown_answers.pop(0)
            cell.metadata["nbgrader"] = copy.deepcopy(wanted[grade_id].metadata["nbgrader"])
            notes.append(f"the answer cell {grade_id} had another grade_id; it was graded as {grade_id}")
            missing.remove(grade_id)
            seen.add(grade_id)
    for grade_id in missing:
        original = nbformat.from_dict(copy.deepcopy(dict(wanted[grade_id])))
        original["id"] = f"restored-{grade_id}"[:64]
        if original.cell_type == "code":
            original.outputs, original.execution_count = [], None
        position = _insert_position(notebook, order, grade_id)
        notebook.cells.insert(position, original)
        kind = "answer" if adapter.is_answer(original) else "test" if adapter.is_test(original) else "read-only"
        notes.append(f"the {kind} cell {grade_id} was deleted; the released one was put back")
    return notes


def _restore(cell, released, notes: list) -> None:
    grade_id = released.metadata["nbgrader"]["grade_id"]
    cell.metadata["nbgrader"] = copy.deepcopy(released.metadata["nbgrader"])
    if cell.cell_type != released.cell_type:
        cell.cell_type = released.cell_type
        if released.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    if not adapter.is_answer(released):  # tests and read-only cells: always the released source
        if cell.source.strip() != released.source.strip():
            notes.append(f"the {'test' if adapter.is_test(released) else 'read-only'} cell {grade_id} was edited; "
                         "it was graded as released")
        cell.source = released.source


def _insert_position(notebook, order: list, grade_id: str) -> int:
    earlier = set(order[:order.index(grade_id)])
    position = 0
    for index, cell in enumerate(notebook.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") in earlier:
            position = index + 1
    return position


def prepare(folder: Path, release_dir: Path, target: Path) -> Prepared:
    """Check ``folder`` against the released notebooks and write the clean copy to ``target``."""
    import nbformat

    expected = sorted(p.name for p in release_dir.glob("*.ipynb"))
    present = sorted(p.name for p in folder.glob("*.ipynb") if p.is_file() and not p.is_symlink())
    prepared = Prepared()
    target.mkdir(parents=True, exist_ok=True)
    budget = MAX_FILES_MB << 20
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_symlink() or not path.is_file() or path.suffix == ".ipynb" and len(relative.parts) == 1:
            if path.is_symlink():
                prepared.notes.append(f"{relative} is a link; links are not graded")
            continue
        size = path.stat().st_size
        if size > budget:
            prepared.notes.append(f"{relative} was left out: the files of a submission may take {MAX_FILES_MB} MB")
            continue
        budget -= size
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / relative)
    for name in expected:
        if name not in present:
            others = [n for n in present if n not in expected]
            if others:
                prepared.reason = (f"notebook {name} is missing but {', '.join(others)} is there: was it renamed? "
                                   f"Rename it back to {name} and collect again")
            else:
                prepared.reason = f"notebook {name} is missing from the submission (deleted?)"
            return prepared
        try:
            notebook = _read_loosely(folder / name)
        except ValueError as exc:
            prepared.reason = f"{name} is not a readable notebook: {exc}"
            return prepared
        released = nbformat.read(release_dir / name, as_version=4)
        prepared.notes += normalise(notebook, released)
        nbformat.write(notebook, target / name)
    return prepared
