""""Check my work": a student's summary of the visible checks, without tracebacks.

`check_notebook` runs the saved notebook in a fresh kernel, as nbgrader's Validate does (``NBGRADER_EXECUTION``
set, so the smoke profile: seconds, not minutes of training), with the course's cell timeout, and reads each
exercise's visible test cell: passed, or the first line of the first failure's message (the teaching message
of a visible ``assert``). Hidden tests never run: nbgrader's ClearHiddenTests removes any from the copy that
runs, and the trusted checks (``solutions/<lesson>/checks.py``) are not part of a student's folder at all.

Students call it from the notebook (``dlcourse.check_my_work()``) or a terminal
(``python -m dlcourse.check NOTEBOOK``). The notebook's own copy of the call is skipped while a notebook is
being checked, validated or graded, so it never starts a kernel inside a kernel inside a kernel.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import DlcourseError
from . import adapter

GUARD = "DLCOURSE_CHECKING"  # set in the kernel that runs a notebook being checked
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HINT_WIDTH = 150


@dataclass
class Exercise:
    name: str
    points: float
    passed: bool
    hint: str = ""


@dataclass
class CheckReport:
    notebook: Path
    exercises: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # errors outside the exercises, a stop, a timeout
    seconds: float = 0.0
    saved: str = ""

    @property
    def score(self) -> float:
        return sum(e.points for e in self.exercises if e.passed)

    @property
    def maximum(self) -> float:
        return sum(e.points for e in self.exercises)

    def lines(self) -> list[str]:
        out = [f"check my work: {self.notebook.name} as saved at {self.saved} (save first: unsaved changes are "
               f"not checked); visible checks only, in a fresh kernel, {self.seconds:.0f} s"]
        if not self.exercises:
            return out + ["this notebook has no exercises with visible checks"] + self.problems
        width = max(len("exercise"), *(len(e.name) for e in self.exercises))
        out.append("")
        out.append(f"{'exercise':<{width}}  {'result':<6}  {'points':>6}  hint")
        for e in self.exercises:
            points = f"{e.points if e.passed else 0:g}/{e.points:g}"
            out.append(f"{e.name:<{width}}  {'passed' if e.passed else 'FAILED':<6}  {points:>6}  {e.hint}".rstrip())
        passed = sum(e.passed for e in self.exercises)
        out.append("")
        out.append(f"total: {self.score:g}/{self.maximum:g} points; {passed} of {len(self.exercises)} exercises pass")
        out.extend(self.problems)
        out.append("Your grade comes from further checks of each exercise on inputs you have not seen; these are "
                   "only the visible ones.")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _first_line(text: str) -> str:
    line = next((part.strip() for part in ANSI.sub("", str(text)).splitlines() if part.strip()), "")
    return line if len(line) <= HINT_WIDTH else line[:HINT_WIDTH - 1] + "…"


def _error(cell):
    """(ename, first line of evalue) of a code cell's first error output, or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return ANSI.sub("", str(output.get("ename", "Error"))), _first_line(output.get("evalue", ""))
    return None


def _hint(name: str, answer_error, test_error, ran: bool) -> str:
    if not ran:
        return "not checked: the notebook stopped before this exercise's check"
    if answer_error:
        ename, message = answer_error
        if ename == "NotImplementedError":
            return f"not answered yet: the `{name}` cell still raises NotImplementedError"
        return f"your `{name}` cell raised {ename}" + (f": {message}" if message else "")
    ename, message = test_error
    if ename == "NotImplementedError":
        return f"not answered yet: `{name}` still raises NotImplementedError"
    if ename == "AssertionError":
        return message or "a check failed (its assert has no message)"
    return f"{ename}: {message}" if message else ename


def check_notebook(path: Path, timeout: float | None = None) -> CheckReport:
    """Run the saved notebook at ``path`` in a fresh kernel and summarise its visible checks."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise DlcourseError(f"{path}: no such notebook")
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - any unreadable file: one line, no traceback
        raise DlcourseError(f"{path.name} is not a readable notebook ({type(exc).__name__}); is it saved?") from None
    notebook = adapter.visible_only(notebook)
    report = CheckReport(path, saved=datetime.fromtimestamp(path.stat().st_mtime).strftime("%H:%M:%S"))
    env = {key: value for key, value in os.environ.items() if key != "JPY_SESSION_NAME"}
    # As nbgrader's Validate: the notebook knows it is being validated (and so runs the smoke profile).
    env.update({"NBGRADER_EXECUTION": "validate", "NBGRADER_VALIDATING": "1", GUARD: "1",
                "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "2")})
    kernel = (notebook.metadata.get("kernelspec") or {}).get("name") or "python3"
    client = NotebookClient(notebook, timeout=int(timeout or adapter.EXECUTE_TIMEOUT), interrupt_on_timeout=True,
                            allow_errors=True, kernel_name=kernel, resources={"metadata": {"path": str(path.parent)}},
                            extra_arguments=["--HistoryManager.hist_file=:memory:"])
    started = time.perf_counter()
    try:
        # The kernel's own stdout and stderr (TensorFlow's C++ lines) go nowhere, not into the caller's notebook.
        client.execute(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except DeadKernelError:
        report.problems.append("the notebook's kernel died while it ran (out of memory?): the checks after that "
                               "point did not run")
    except CellTimeoutError:
        report.problems.append(f"a cell ran longer than {adapter.EXECUTE_TIMEOUT} s and was stopped")
    except Exception as exc:  # noqa: BLE001 - a kernel that cannot start, a missing kernelspec
        raise DlcourseError(f"could not run {path.name}: {type(exc).__name__}: {_first_line(exc)}") from None
    report.seconds = time.perf_counter() - started

    cells = {grade_id: cell for grade_id, cell in adapter.graded_cells(notebook).items()}
    exercise_cells = set()
    for grade_id, cell in cells.items():
        if not adapter.is_test(cell):
            continue
        name = grade_id.removesuffix("-test")
        answer_cell = cells.get(name)
        exercise_cells.update({id(cell), id(answer_cell)})
        answer_error = _error(answer_cell) if answer_cell is not None and answer_cell.cell_type == "code" else None
        test_error = _error(cell)
        ran = cell.get("execution_count") is not None or test_error is not None
        passed = ran and test_error is None and answer_error is None
        report.exercises.append(Exercise(name, float(cell.metadata["nbgrader"].get("points", 0)), passed,
                                         "" if passed else _hint(name, answer_error, test_error or ("", ""), ran)))
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "code" and id(cell) not in exercise_cells:
            error = _error(cell)
            if error:
                report.problems.append(f"note: cell {number} (not an exercise) raised {error[0]}"
                                       + (f": {error[1]}" if error[1] else ""))
    return report


def find_notebook(notebook: str | Path | None = None) -> Path:
    """The notebook to check: the one given, else the one this kernel belongs to (JupyterLab says which)."""
    if notebook:
        return Path(notebook).expanduser().resolve()
    session = os.environ.get("JPY_SESSION_NAME")
    if session and session.endswith(".ipynb") and Path(session).is_file():
        return Path(session).resolve()
    found = sorted(Path.cwd().glob("*.ipynb"))
    if len(found) == 1:
        return found[0].resolve()
    raise DlcourseError("which notebook? pass its name, e.g. check_my_work('00_setup_check.ipynb')")


def being_checked() -> bool:
    """True inside a kernel that is itself being checked, validated or graded."""
    return bool(os.environ.get(GUARD) or os.environ.get("NBGRADER_EXECUTION"))
