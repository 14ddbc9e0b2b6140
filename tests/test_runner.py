"""`dlcourse run`: executes notebooks with papermill, collects records, reports failures readably."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from dlcourse import cli
from dlcourse.lessons import Lesson
from dlcourse.record import MIME_TYPE, read_records
from dlcourse.runner import failure_summary, run_course


def _notebook(path: Path, body: str):
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('PROFILE = None\nSEED = 0')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell(body)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


@pytest.fixture
def tiny_course(tmp_path):
    """Two notebooks without TensorFlow: one records a result, one fails."""
    _notebook(tmp_path / "solutions" / "01_good" / "01_good.ipynb",
              "import dlcourse\ndlcourse.record('answer', 42)\ndlcourse.record('profile_seen', PROFILE)")
    _notebook(tmp_path / "solutions" / "02_bad" / "02_bad.ipynb", "values = [1, 2]\nvalues[5]")
    lessons = [Lesson("01_good", "Good", {"smoke": {"answer": ("==", 42)}}), Lesson("02_bad", "Bad")]
    return tmp_path, lessons


@pytest.mark.notebook
def test_run_records_results_and_reports_failures(tiny_course, tmp_path):
    repo, lessons = tiny_course
    report = run_course(repo, lessons, profile="smoke", output=tmp_path / "out", show_progress=False)
    good, bad = report["lessons"]
    assert good["status"] == "ok" and good["records"] == {"answer": 42, "profile_seen": "smoke"}
    assert good["checks"] == [{"key": "answer", "op": "==", "target": 42, "value": 42, "ok": True}]
    assert bad["status"] == "failed" and "IndexError" in bad["error"]
    assert bad["cell_source"] == "values = [1, 2]\nvalues[5]"
    assert "list index out of range" in bad["traceback_tail"]
    summary = failure_summary(report)
    assert "FAILED 02_bad" in summary and "values[5]" in summary
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["lessons"][0]["records"]["answer"] == 42
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "| 01_good | ok |" in markdown and "answer == 42: met" in markdown and "## 02_bad failed" in markdown


@pytest.mark.notebook
def test_set_injects_only_declared_parameters_and_skips_targets(tmp_path):
    """``--set`` reaches the lessons that declare the name; the profile's targets no longer apply."""
    sized = tmp_path / "solutions" / "01_sized" / "01_sized.ipynb"
    _notebook(sized, "import dlcourse\ndlcourse.record('answer', EPOCHS * 2)")
    notebook = nbformat.read(sized, as_version=4)
    notebook.cells[0].source += "\nEPOCHS = 10"
    nbformat.write(notebook, sized)
    _notebook(tmp_path / "solutions" / "02_plain" / "02_plain.ipynb", "import dlcourse\ndlcourse.record('x', 1)")
    chosen = [Lesson("01_sized", "Sized", {"smoke": {"answer": ("==", 20)}}), Lesson("02_plain", "Plain")]
    report = run_course(tmp_path, chosen, output=tmp_path / "out", show_progress=False, parameters={"EPOCHS": 1})
    sized_result, plain_result = report["lessons"]
    assert sized_result["status"] == "ok" and sized_result["records"] == {"answer": 2}
    assert sized_result["parameters"] == {"EPOCHS": 1} and sized_result["checks"] == []
    assert plain_result["status"] == "ok" and plain_result["parameters"] == {}  # never declared, never injected
    assert "not checked, sizes set: EPOCHS=1" in (tmp_path / "out" / "report.md").read_text()


def test_records_are_read_back_from_outputs():
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={MIME_TYPE: {"acc": 0.5}, "text/plain": "x"})]
    notebook.cells = [cell]
    assert read_records(notebook) == {"acc": 0.5}


def test_lesson_targets_compare_recorded_values():
    lesson = Lesson("09_x", "X", {"full": {"acc": (">=", 0.9)}})
    assert lesson.check("full", {"acc": 0.95})[0]["ok"]
    assert not lesson.check("full", {"acc": 0.5})[0]["ok"]
    assert not lesson.check("full", {})[0]["ok"]  # a missing record never meets a target
    assert lesson.check("smoke", {}) == []


@pytest.mark.parametrize("argv, message", [
    (["run", "--lessons", "99"], "dlcourse: error: unknown lesson '99'"),
    (["run", "--source", "elsewhere"], "dlcourse: error: --source must be solutions or course"),
    (["data", "stage", "--from", "/no/such/folder"], "dlcourse: error: --from /no/such/folder: no such folder"),
    (["run", "--lessons", "02", "--set", "EPOCH=1"], "dlcourse: error: --set EPOCH: no chosen lesson has a parameter"),
    (["run", "--lessons", "02", "--set", "EPOCHS"], "dlcourse: error: --set 'EPOCHS': write NAME=VALUE"),
    (["run", "--lessons", "02", "--set", "SEED=3"], "dlcourse: error: --set SEED: use --seed instead"),
])
def test_cli_errors_are_one_line(capsys, argv, message):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and len(err.splitlines()) == 1 and "Traceback" not in err


def test_cli_rejects_unknown_profile_with_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "--profile", "fast"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'fast'" in capsys.readouterr().err


def test_backend_choice_does_not_leak_into_the_caller(tmp_path, monkeypatch):
    from dlcourse.runner import execute_lesson

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    result = execute_lesson(str(tmp_path), Lesson("01_missing", "Missing"), "solutions", "smoke", 0, "jax",
                            str(tmp_path))
    assert result["status"] == "failed"  # no such notebook: reported, not raised
    assert "KERAS_BACKEND" not in __import__("os").environ
