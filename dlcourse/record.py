"""Record a lesson's key results so `dlcourse run` can put them in its report.

`record` shows the value in the notebook and attaches it as a custom MIME
output, which the runner reads back from the executed notebook. No files or
environment variables are needed, so it works the same under papermill,
nbgrader and a student's JupyterLab.
"""

from __future__ import annotations

import numbers

MIME_TYPE = "application/vnd.dlcourse.record+json"
RECORDED: dict = {}


def _plain(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "item"):  # NumPy / backend scalars
        return _plain(value.item())
    return value


def record(name: str, value) -> None:
    value = _plain(value)
    RECORDED[name] = value
    try:
        from IPython.display import display

        display({MIME_TYPE: {name: value}, "text/plain": f"recorded {name} = {value!r}"}, raw=True)
    except ImportError:
        print(f"recorded {name} = {value!r}")


def read_records(notebook) -> dict:
    """All values recorded in an executed notebook (a nbformat node)."""
    found = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MIME_TYPE in data:
                found.update(data[MIME_TYPE])
    return found
