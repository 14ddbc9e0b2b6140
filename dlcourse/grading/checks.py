"""The trusted check format: per lesson, a registry of exercise -> probe -> checker.

A lesson's checks live with its instructor source, in ``solutions/<lesson>/checks.py`` (never released to
students). Each exercise is a generator of `Case` objects, registered under the grade_id of the test cell that
carries its points::

    CHECKS = Registry()

    @CHECKS.exercise("scale_to_unit-test")
    def scale_to_unit(rng):
        sample = np.array([[0, 51], [204, 255]], dtype=np.uint8)
        yield Case("scale_to_unit", (sample,), check=close([[0, 0.2], [0.8, 1]], dtype="float32"),
                   label="the example in the notebook")
        batch = rng.integers(0, 256, size=(5, 6, 7, 3), dtype=np.uint8)
        yield Case("scale_to_unit", (batch,), check=close(batch / 255.0, atol=1e-7), label="a batch of RGB images")

On the trusted side the generator runs with a seeded ``rng``: the inputs go into the jail as a plan, the
expected values stay in the ``check`` closures. The kernel calls the student's functions (`probe`) and sends back
plain data; `judge` then runs every check in a process where no student code ever ran. A test cell earns its
points when every one of its cases passes; otherwise its hint names the first case that failed, by its label,
never by its inputs or expected values.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from . import codec
from .codec import ModelData, Unsupported

CHECKS_FILE = "checks.py"


class Fail(Exception):
    """A check's verdict: the answer is wrong. The message is shown to the student: no inputs, no expected values."""


# ------------------------------------------------------------------------------------------ what a case sends

@dataclass(frozen=True)
class Input:
    """A symbolic ``keras.Input(shape)`` made in the kernel; a symbolic result becomes a model from it."""
    shape: tuple


@dataclass(frozen=True)
class Model:
    """A trusted Keras model handed to the student's function (rebuilt in the kernel from config and weights)."""
    model: Any


@dataclass(frozen=True)
class KerasObject:
    """A Keras object (an optimizer, say) serialized here and deserialized in the kernel."""
    value: Any


@dataclass(frozen=True)
class Name:
    """Another object from the student's notebook, by name (a block function passed to a network builder)."""
    name: str


@dataclass(frozen=True)
class Helper:
    """A small trusted function defined in `probe` (``conv_block``)."""
    name: str


@dataclass
class Case:
    call: str                      # the name in the student's notebook
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    check: Callable | None = None  # Result -> None, raises Fail; trusted side only
    label: str = ""                # what kind of case this is, for the hint ("stride 2 with padding")
    attribute: bool = False        # judge the object itself instead of calling it
    echo_args: bool = False        # also send back the arguments after the call (in-place changes)
    weights: bool = False          # send models' weights, not only their shapes
    seconds: float = 30.0          # time for this call in the kernel


@dataclass
class Result:
    value: Any = None
    raised: str | None = None
    missing: str | None = None
    args: list | None = None
    seconds: float = 0.0


@dataclass
class Verdict:
    passed: bool
    hint: str = ""
    cases: int = 0


class Registry:
    """Exercise (test cell grade_id) -> case generator."""

    def __init__(self):
        self.exercises: dict[str, Callable[[np.random.Generator], Iterable[Case]]] = {}

    def exercise(self, test_id: str):
        def register(generator):
            if test_id in self.exercises:
                raise ValueError(f"two checks for {test_id}")
            self.exercises[test_id] = generator
            return generator
        return register


def checks_path(repo: Path, lesson: str) -> Path:
    return Path(repo) / "solutions" / lesson / CHECKS_FILE


def load(path: Path) -> Registry:
    """The ``CHECKS`` registry of a lesson's checks.py (imported by path, under a private module name)."""
    path = Path(path)
    name = "dlcourse_checks_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    registry = getattr(module, "CHECKS", None)
    if not isinstance(registry, Registry):
        raise ValueError(f"{path} defines no CHECKS = Registry()")
    return registry


# ------------------------------------------------------------------------------------------ the plan

def _to_plan(value):
    if isinstance(value, Input):
        return {"$input": [int(v) if v is not None else None for v in value.shape]}
    if isinstance(value, Model):
        import json

        model = value.model
        return {"$model": {"config": json.loads(model.to_json()),
                           "weights": [codec.array_to_text(np.asarray(w)) for w in model.get_weights()]}}
    if isinstance(value, KerasObject):
        import keras

        return {"$keras": keras.saving.serialize_keras_object(value.value)}
    if isinstance(value, Name):
        return {"$name": value.name}
    if isinstance(value, Helper):
        return {"$fn": value.name}
    if type(value) in (list, tuple):
        items = [_to_plan(item) for item in value]
        return items if type(value) is list else {"$tuple": items}
    if type(value) is dict:
        return {"$dict": [[str(key), _to_plan(item)] for key, item in value.items()]}
    return codec.encode(value)


def make_plan(registry: Registry, seed: int) -> tuple[dict, list[tuple[str, Case]]]:
    """(the plan the kernel runs, [(test_id, case)] in step order). Each exercise gets its own seeded stream."""
    steps, cases = [], []
    for index, (test_id, generator) in enumerate(sorted(registry.exercises.items())):
        rng = np.random.default_rng([seed, index])
        for case in generator(rng):
            step = {"id": len(steps), "call": case.call, "attribute": case.attribute, "echo_args": case.echo_args,
                    "weights": case.weights, "seconds": case.seconds,
                    "args": _to_plan(list(case.args)), "kwargs": _to_plan(dict(case.kwargs))}
            steps.append(step)
            cases.append((test_id, case))
    return {"steps": steps}, cases


def parse_results(raw: dict | None, count: int) -> list[Result | None]:
    """The probe's output (JSON from the kernel) -> one Result per step, None where none came back."""
    results: list[Result | None] = [None] * count
    if not isinstance(raw, dict) or not isinstance(raw.get("results"), list):
        return results
    for item in raw["results"][:count]:
        try:
            index = int(item["id"])
            if not 0 <= index < count or results[index] is not None:
                continue
            results[index] = Result(
                value=codec.decode(item.get("value")),
                raised=codec.safe_type_name(item["raised"]) if item.get("raised") is not None else None,
                missing=codec.safe_type_name(item["missing"]) if item.get("missing") is not None else None,
                args=codec.decode(item["args"]) if item.get("args") is not None else None,
                seconds=float(item.get("seconds", 0.0)))
        except Exception:  # noqa: BLE001 - malformed item: that step simply has no result
            continue
    return results


def _failure(case: Case, result: Result | None) -> str | None:
    where = f" on {case.label}" if case.label else ""
    if result is None:
        return (f"`{case.call}` was never checked: the notebook stopped or ran out of time before the grader "
                "could call it")
    if result.missing:
        return (f"`{result.missing}` is not defined when the notebook ends: keep the name the exercise gives, "
                "and run its cell")
    accepts_raise = getattr(case.check, "accepts_raise", False)
    if result.raised and not accepts_raise:
        if result.raised == "NotImplementedError":
            return f"not answered yet: `{case.call}` still raises NotImplementedError"
        if result.raised == "Timeout":
            return f"`{case.call}` did not finish in {case.seconds:g} s{where}"
        return f"`{case.call}` raised {result.raised}{where}"
    try:
        if case.check is not None:
            case.check(result)
    except Fail as fail:
        return f"`{case.call}`{where}: {fail}"
    except Exception as exc:  # noqa: BLE001 - an odd value the checker did not expect is a wrong answer
        return f"`{case.call}`{where}: the result has an unexpected form ({codec.safe_type_name(type(exc).__name__)})"
    return None


def judge(registry: Registry, cases: list[tuple[str, Case]], results: list[Result | None]) -> dict[str, Verdict]:
    """{test_id: Verdict} for every exercise in the registry."""
    verdicts = {test_id: Verdict(True) for test_id in registry.exercises}
    for (test_id, case), result in zip(cases, results):
        verdict = verdicts[test_id]
        verdict.cases += 1
        if not verdict.passed:
            continue
        hint = _failure(case, result)
        if hint:
            verdict.passed, verdict.hint = False, hint
    for test_id, verdict in verdicts.items():
        if verdict.cases == 0:
            verdict.passed, verdict.hint = False, "the grader has no cases for this exercise"
    return verdicts


# ------------------------------------------------------------------------------------------ checkers

def _value(result: Result):
    return result.value


def as_array(value, what: str = "an array") -> np.ndarray:
    """The student's value as a float or int array; Fail if it is not numeric data."""
    if isinstance(value, (ModelData, Unsupported)) or isinstance(value, str) or value is None:
        raise Fail(f"returned {_describe(value)}, not {what}")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        raise Fail(f"returned {_describe(value)}, not {what}") from None
    if array.dtype.kind not in "biuf":
        raise Fail(f"returned {_describe(value)}, not {what}")
    return array


def _describe(value) -> str:
    if isinstance(value, Unsupported):
        return f"a {value.type_name}"
    if isinstance(value, ModelData):
        return "a Keras model or layer"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}" if value is not None else "None"


def close(expected, atol: float = 1e-6, rtol: float = 1e-6, dtype=None, shape: bool = True):
    """The result is numeric data equal to ``expected`` within tolerance (and of ``dtype`` if given)."""
    expected = np.asarray(expected, dtype=np.float64)

    def check(result: Result):
        got = as_array(result.value)
        if dtype is not None and (not isinstance(result.value, np.ndarray) or got.dtype != np.dtype(dtype)):
            kind = got.dtype if isinstance(result.value, np.ndarray) else _describe(result.value)
            raise Fail(f"returned {kind}; return a NumPy array of {np.dtype(dtype)}")
        if shape and got.shape != expected.shape:
            raise Fail(f"returned shape {got.shape}, which is not the right shape")
        if not shape and got.size != expected.size:
            raise Fail(f"returned {got.size} values, which is not the right number")
        if not np.allclose(got.astype(np.float64).reshape(expected.shape), expected, atol=atol, rtol=rtol,
                           equal_nan=False):
            raise Fail("the values are wrong")
    return check


def equal(expected):
    """The result equals ``expected`` exactly (tuples and lists alike; NumPy scalars as Python numbers)."""
    def normal(value):
        if isinstance(value, np.ndarray):
            return normal(value.tolist())
        if isinstance(value, (list, tuple)):
            return [normal(item) for item in value]
        if isinstance(value, dict):
            return {key: normal(item) for key, item in value.items()}
        return value

    want = normal(expected)

    def check(result: Result):
        if isinstance(result.value, (ModelData, Unsupported)):
            raise Fail(f"returned {_describe(result.value)}")
        if normal(result.value) != want:
            raise Fail("the result is wrong")
    return check


def number(expected, atol: float = 1e-9, rtol: float = 0.0, integer: bool = False, kind=None):
    """A single number (not a bool, not an array) close to ``expected``; ``kind=float`` or ``int`` for the type."""
    def check(result: Result):
        value = result.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Fail(f"returned {_describe(value)}, not a single number")
        if kind is not None and not isinstance(value, kind):
            raise Fail(f"returned a {type(value).__name__}; return a Python {kind.__name__}")
        if integer and not float(value).is_integer():
            raise Fail("returned a fraction where a whole number is expected")
        if not abs(value - expected) <= atol + rtol * abs(expected):
            raise Fail("the number is wrong")
    return check


def raises(*names: str):
    """The call raises one of the named exception types."""
    def check(result: Result):
        if result.raised not in names:
            raise Fail(f"should raise {' or '.join(names)}" + (f", not {result.raised}" if result.raised else ""))
    check.accepts_raise = True
    return check


def all_of(*checks):
    def check(result: Result):
        for one in checks:
            one(result)
    check.accepts_raise = any(getattr(one, "accepts_raise", False) for one in checks)
    return check


def args_unchanged(*originals, index: int | None = None):
    """The arguments sent back after the call equal the originals (the function did not change its inputs)."""
    def check(result: Result):
        echoed = result.args or []
        pairs = [(echoed[index], originals[0])] if index is not None else list(zip(echoed, originals))
        for got, want in pairs:
            if not np.array_equal(as_array(got), np.asarray(want)):
                raise Fail("changed its input array; work on a copy")
    return check


def model_check(function):
    """``function(ModelData)`` raises Fail; the result must be a Keras model (or a symbolic output)."""
    def check(result: Result):
        if not isinstance(result.value, ModelData):
            raise Fail(f"returned {_describe(result.value)}, not a Keras model")
        function(result.value)
    return check


# ------------------------------------------------------------------------------------------ rebuilding models

_ALLOWED_MODULES = ("keras", "keras.layers", "keras.src", "keras.models", "keras.initializers", "keras.regularizers",
                    "keras.constraints", "keras.activations", "keras.optimizers", "keras.losses", "keras.metrics",
                    "builtins", "keras.src.models.functional", "keras.src.models.sequential")
_FORBIDDEN_CLASSES = {"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"}


def _check_config(node, depth: int = 0) -> None:
    if depth > 80:
        raise Fail("the model's config is nested too deeply")
    if isinstance(node, list):
        for item in node:
            _check_config(item, depth + 1)
    elif isinstance(node, dict):
        if "class_name" in node:
            module = node.get("module") or "keras"
            if not isinstance(module, str) or not (module == "keras" or module.startswith("keras.")
                                                   or module == "builtins"):
                raise Fail("the model uses a layer from outside Keras, which the grader cannot rebuild")
            if node.get("class_name") in _FORBIDDEN_CLASSES or node.get("registered_name") not in (
                    None, node.get("class_name")) and ">" in str(node.get("registered_name")):
                raise Fail(f"the model uses a {node.get('class_name')} layer, which the grader cannot rebuild; "
                           "use Keras's built-in layers")
        for value in node.values():
            _check_config(value, depth + 1)


def rebuild(model: ModelData):
    """A Keras model from the student's config (built-in layers only, safe mode) with its weights, if sent."""
    import json

    import keras

    _check_config(model.config)
    try:
        rebuilt = keras.models.model_from_json(json.dumps(model.config))
    except Fail:
        raise
    except Exception:  # noqa: BLE001
        raise Fail("the model could not be rebuilt from its config (a custom layer or object?)") from None
    inner = model.config.get("config")
    if isinstance(inner, dict) and inner.get("trainable") is False:
        rebuilt.trainable = False  # Sequential.from_config drops a frozen model's own flag
    if model.weights is not None:
        try:
            rebuilt.set_weights(model.weights)
        except Exception:  # noqa: BLE001
            raise Fail("the model's weights do not fit its layers") from None
    return rebuilt


def layer_classes(model: ModelData) -> list[str]:
    """The class names of a model's layers, in order, as its config lists them (InputLayer excluded)."""
    config = model.config.get("config", {})
    layers = config.get("layers", []) if isinstance(config, dict) else []
    return [layer.get("class_name") for layer in layers
            if isinstance(layer, dict) and layer.get("class_name") != "InputLayer"]
