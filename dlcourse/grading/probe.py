"""The kernel side of a trusted check: call the student's functions on the grader's inputs, send back plain data.

The grader appends one cell to the notebook it grades, after every cell of the student's::

    __import__("dlcourse.grading.probe").grading.probe.run(globals())

`run` reads the probe plan that the grader wrote into the jail (``DLCOURSE_PROBE_PLAN``) only now, calls each
named function on the inputs it lists, and displays the results as one ``application/vnd.dlcourse.probe+json``
output. Nothing here decides a score: the student's code can replace this module, the inputs or the output, and
still only say what its own functions returned, which the trusted side judges against its own oracle. Outside
grading (no plan), `run` does nothing.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from . import codec

MIME = "application/vnd.dlcourse.probe+json"
PLAN_ENV = "DLCOURSE_PROBE_PLAN"


class _Missing(Exception):
    pass


class _StepTimeout(BaseException):  # BaseException: a student's `except Exception` does not swallow it
    pass


def _on_alarm(signum, frame):
    raise _StepTimeout()


def _helpers():
    """Trusted building blocks a plan may hand to a student's function ({"$fn": name})."""
    import keras
    from keras import layers

    def conv_block(x, filters, stride=1):  # stands in for a real block: one 3x3 convolution
        return layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)

    return {"conv_block": conv_block, "keras": keras}


def _build(data, namespace, inputs: list):
    """Plan data -> kernel objects: arrays, models (config + weights), symbolic inputs, names, helpers."""
    if isinstance(data, list):
        return [_build(item, namespace, inputs) for item in data]
    if not isinstance(data, dict):
        return data
    if "$array" in data:
        return codec.array_from_text(data["$array"])
    if "$tuple" in data:
        return tuple(_build(item, namespace, inputs) for item in data["$tuple"])
    if "$dict" in data:
        return {key: _build(value, namespace, inputs) for key, value in data["$dict"]}
    if "$input" in data:
        import keras

        tensor = keras.Input(shape=tuple(data["$input"]))
        inputs.append(tensor)
        return tensor
    if "$model" in data:
        import keras

        model = keras.models.model_from_json(json.dumps(data["$model"]["config"]))
        if data["$model"]["config"].get("config", {}).get("trainable") is False:
            model.trainable = False  # Sequential.from_config drops a frozen model's own flag
        if data["$model"].get("weights") is not None:
            model.set_weights([codec.array_from_text(w) for w in data["$model"]["weights"]])
        return model
    if "$keras" in data:
        import keras

        return keras.saving.deserialize_keras_object(data["$keras"])
    if "$name" in data:
        if data["$name"] not in namespace:
            raise _Missing(data["$name"])
        return namespace[data["$name"]]
    if "$fn" in data:
        return _helpers()[data["$fn"]]
    if "$float" in data:
        return float(data["$float"])
    return data


def _call(step: dict, namespace: dict) -> dict:
    started = time.perf_counter()
    name = step["call"]
    if name not in namespace:
        return {"id": step["id"], "missing": name}
    inputs: list = []
    try:
        target = namespace[name]
        if step.get("attribute"):
            value, args = target, []
        else:
            args = _build(step.get("args", []), namespace, inputs)
            kwargs = _build(step.get("kwargs", {"$dict": []}), namespace, inputs)
            value = target(*args, **kwargs)
        result = {"id": step["id"], "value": codec.encode(value, weights=step.get("weights", False), inputs=inputs)}
        if step.get("echo_args"):
            result["args"] = codec.encode(list(args), weights=step.get("weights", False))
    except _Missing as missing:
        return {"id": step["id"], "missing": str(missing)}
    except _StepTimeout:
        result = {"id": step["id"], "raised": "Timeout"}
    except KeyboardInterrupt:  # the grader's cell time limit: stop the probe
        raise
    except BaseException as exc:  # noqa: BLE001 - a student's exception (SystemExit too) is a result
        result = {"id": step["id"], "raised": codec.safe_type_name(type(exc).__name__)}
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def run(namespace: dict) -> None:
    """Run the grader's plan against ``namespace`` (the notebook's globals) and display the results."""
    plan_file = os.environ.get(PLAN_ENV)
    if not plan_file or not Path(plan_file).is_file():
        return
    plan = json.loads(Path(plan_file).read_text())
    import signal
    import sys

    if "keras" in sys.modules:  # a lesson may switch to mixed precision; the grader's models are float32
        sys.modules["keras"].mixed_precision.set_global_policy("float32")
    results = []
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        for step in plan["steps"]:
            # A function that never returns costs its own exercise, not the rest of the probe.
            signal.setitimer(signal.ITIMER_REAL, float(step.get("seconds", plan.get("seconds", 30))))
            try:
                results.append(_call(step, namespace))
            except _StepTimeout:
                results.append({"id": step["id"], "raised": "Timeout"})
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    from IPython.display import display

    display({MIME: {"nonce": plan.get("nonce"), "results": results}}, raw=True)
