"""The trusted check format, fast and without kernels: what crosses the jail, how it is judged, and that every
lesson's checks cover exactly its test cells and never reach students."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from dlcourse import lessons
from dlcourse.grading import adapter, checks, codec
from tiny_course import REPO

LESSON_IDS = [lesson.lesson_id for lesson in lessons.LESSONS if lesson.notebook(REPO).is_file()]
HIDDEN = "### BEGIN " + "HIDDEN TESTS"


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_checks_cover_exactly_the_test_cells(lesson_id):
    import nbformat

    notebook = nbformat.read(REPO / "solutions" / lesson_id / f"{lesson_id}.ipynb", as_version=4)
    tests = {cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells if adapter.is_test(cell)}
    registry = checks.load(checks.checks_path(REPO, lesson_id))
    assert set(registry.exercises) == tests, f"checks {sorted(registry.exercises)} vs test cells {sorted(tests)}"
    assert not any(HIDDEN in cell.source for cell in notebook.cells), "hidden tests belong in checks.py now"


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_checks_are_never_released(lesson_id):
    assert not (REPO / "course" / lesson_id / checks.CHECKS_FILE).exists()


def test_decode_refuses_pickles_and_objects():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    import base64

    with pytest.raises(ValueError):
        codec.decode({"$array": base64.b64encode(buffer.getvalue()).decode()})
    with pytest.raises(ValueError):
        codec.decode({"$mystery": 1})
    forged = codec.decode({"$unsupported": "float'); import os; os.system('x"})
    assert isinstance(forged, codec.Unsupported) and forged.type_name == "float"


def test_encode_never_trusts_subclasses():
    class Liar(float):
        def __eq__(self, other):
            return True

    assert codec.encode(Liar(1.0)) == {"$unsupported": "Liar"}
    result = checks.Result(value=codec.decode(codec.encode(Liar(1.0))))
    with pytest.raises(checks.Fail):
        checks.number(1.0)(result)


def test_rebuild_refuses_code_and_foreign_modules():
    lambda_config = {"class_name": "Sequential", "module": "keras", "config": {"layers": [
        {"class_name": "Lambda", "module": "keras.layers", "config": {"function": "os.system"}}]}}
    foreign = {"class_name": "Sequential", "module": "keras", "config": {"layers": [
        {"class_name": "Popen", "module": "subprocess", "config": {}}]}}
    for config in (lambda_config, foreign):
        with pytest.raises(checks.Fail):
            checks.rebuild(codec.ModelData(config=config))


def _registry():
    registry = checks.Registry()

    @registry.exercise("twice-test")
    def twice(rng):
        yield checks.Case("twice", (2,), check=checks.number(4), label="the example in the notebook")
        value = int(rng.integers(10, 99))
        yield checks.Case("twice", (value,), check=checks.number(2 * value), label="a random integer")

    return registry


def _judge(namespace, seed=0):
    from dlcourse.grading import selftest

    return selftest.run(_registry(), namespace, seed)["twice-test"]


def test_judge_passes_a_correct_answer_with_any_seed():
    assert all(_judge({"twice": lambda x: 2 * x}, seed).passed for seed in range(5))


@pytest.mark.parametrize("namespace, hint", [
    ({}, "`twice` is not defined"),
    ({"twice": lambda x: (_ for _ in ()).throw(NotImplementedError())}, "not answered yet"),
    ({"twice": lambda x: 4}, "`twice` on a random integer: the number is wrong"),
    ({"twice": lambda x: str(2 * x)}, "not a single number"),
    ({"twice": lambda x: 1 / 0}, "raised ZeroDivisionError on the example in the notebook"),
])
def test_judge_fails_wrong_answers_with_a_hint(namespace, hint):
    verdict = _judge(namespace)
    assert not verdict.passed and hint in verdict.hint, verdict.hint


def test_results_that_never_came_back_fail():
    plan, cases = checks.make_plan(_registry(), 0)
    for raw in (None, {"results": "garbage"}, {"results": [{"id": 99}, {"id": "x"}]}):
        verdicts = checks.judge(_registry(), cases, checks.parse_results(raw, len(cases)))
        assert not verdicts["twice-test"].passed and "never checked" in verdicts["twice-test"].hint


def test_plan_carries_inputs_but_no_expected_values():
    plan, cases = checks.make_plan(_registry(), 3)
    random_value = cases[1][1].args[0]
    step = json.loads(json.dumps(plan))["steps"][1]
    assert step["args"] == [random_value]
    assert set(step) == {"id", "call", "attribute", "echo_args", "weights", "seconds", "args", "kwargs"}
