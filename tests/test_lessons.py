"""Every lesson: executes in the smoke profile, records its results, grades correctly, and shows no C++ logs.

One jailed grading run of all lessons (the ``roundtrips`` fixture) provides all of it: the graded solution is
the lesson's smoke run.
"""

from __future__ import annotations

import re

import pytest
from conftest import existing_lessons

from dlcourse import lessons

LESSON_IDS = existing_lessons()


@pytest.mark.grader
@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_smoke_execution(smoke_report, lesson_id):
    result = smoke_report[lesson_id]
    assert result["status"] != "failed", f"{lesson_id} failed in grading: {result.get('error')}"
    missing = [key for key in lessons.BY_ID[lesson_id].records if key not in result["records"]]
    assert not missing, f"{lesson_id} did not record {missing}; recorded {sorted(result['records'])}"
    assert result["status"] == "ok", f"{lesson_id} below its smoke targets: {result['checks']}"


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=lambda lesson: lesson.lesson_id)
def test_every_target_is_a_recorded_result(lesson):
    """A target on a key the lesson never records could only fail as "missing"; each must be in ``records``."""
    for profile, targets in lesson.targets.items():
        unrecorded = set(targets) - set(lesson.records)
        assert not unrecorded, f"{lesson.lesson_id} {profile} targets {sorted(unrecorded)} are not in its records"


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_exercise_count(lesson_id):
    from roundtrip import REPO, grade_cells

    cells = grade_cells(lessons.BY_ID[lesson_id].notebook(REPO))
    minimum = 4
    assert len(cells) >= minimum, f"{lesson_id} has {len(cells)} autograded exercises; the standard asks {minimum}+"


@pytest.mark.grader
@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_solution_gets_full_marks(roundtrips, lesson_id):
    result = roundtrips[lesson_id]
    assert "solution" not in result["errors"], result["errors"].get("solution")
    scores = result["scores"]["solution"]
    lost = {cell: (scores.get(cell), points) for cell, points in result["max"].items() if scores.get(cell) != points}
    assert not lost, f"the solution lost points (cell: (score, max)): {lost}"


@pytest.mark.grader
@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_blank_gets_zero(roundtrips, lesson_id):
    result = roundtrips[lesson_id]
    assert "blank" not in result["errors"], result["errors"].get("blank")
    scores = result["scores"]["blank"]
    assert set(scores) == set(result["max"]), "every test cell should be graded for the blank version"
    earned = {cell: score for cell, score in scores.items() if score}
    assert not earned, f"the untouched student version earned points: {earned}"


@pytest.mark.grader
@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_one_wrong_answer_loses_exactly_its_points(roundtrips, lesson_id):
    result = roundtrips[lesson_id]
    assert "wrong" not in result["errors"], result["errors"].get("wrong")
    scores, wrong_test = result["scores"]["wrong"], f"{result['wrong_grade_id']}-test"
    assert wrong_test in result["max"], f"test cell {wrong_test!r} not found (test ids must be <solution id>-test)"
    expected = {cell: (0 if cell == wrong_test else points) for cell, points in result["max"].items()}
    assert scores == expected, f"expected {expected}, got {scores}"


# TensorFlow's C++ logging (absl, before any log level applies): "I0000 00:00:1796162355.506229  25524 port.cc:153]"
CPP_LOG = re.compile(r"(^|\n)[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ |absl::InitializeLog|oneDNN custom operations|"
                     r"cudart_stub|cuInit")


def _output_text(notebook_path) -> str:
    import nbformat

    parts = []
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        for output in cell.get("outputs", []):
            parts.append(str(output.get("text", "")))
            parts += [str(value) for value in output.get("data", {}).values()]
            parts += output.get("traceback", [])
    return "\n".join(parts)


@pytest.mark.grader
@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_no_tensorflow_cpp_log_lines_in_graded_notebooks(roundtrips, lesson_id):
    """No graded notebook shows TensorFlow's C++ log lines to a student (the runner's kernels: the next test)."""
    for who in ("solution", "blank"):
        student = roundtrips[lesson_id]["students"][who]
        path = roundtrips[lesson_id]["root"] / "autograded" / student / lesson_id / f"{lesson_id}.ipynb"
        found = CPP_LOG.search(_output_text(path))
        assert not found, f"{path}: {found.group(0)!r}"


@pytest.mark.notebook
def test_setup_check_completes_for_a_newcomer(tmp_path):
    """Run All (`dlcourse run`, papermill) on the untouched student version of 00: the machine check runs and
    records its results before the first unanswered exercise stops the notebook, with no C++ log lines."""
    from dlcourse.runner import run_course

    from roundtrip import REPO

    report = run_course(REPO, [lessons.BY_ID["00_setup_check"]], profile="smoke", source="course", jobs=1,
                        output=tmp_path, show_progress=False)
    result = report["lessons"][0]
    assert result["status"] == "failed" and "NotImplementedError" in result.get("error", ""), result
    assert result["records"].get("sanity_accuracy", 0) > 0.5, result["records"]
    found = CPP_LOG.search(_output_text(result["notebook"]))
    assert not found, f"{result['notebook']}: {found.group(0)!r}"
