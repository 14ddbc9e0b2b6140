"""Plain data across the jail wall: numbers, strings, arrays (as .npy bytes) and Keras models (config + weights).

Both sides use this module. The kernel side (`probe`) encodes whatever the student's code returned; the trusted
side (`checks`) decodes it into nothing richer than Python scalars, lists, dicts, NumPy arrays and `ModelData`.
Decoding never unpickles and never imports a class named in the data, so a lying ``__eq__``, an
``__array_function__`` or a forged type cannot survive the trip.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field

import numpy as np

MAX_TEXT = 2000  # characters of any string that crosses; longer ones are cut
_TYPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,60}")


def safe_type_name(text) -> str:
    """A type name as the kernel reported it, reduced to an identifier (it may be anything the student chose)."""
    match = _TYPE_NAME.match(str(text)) if text is not None else None
    return match.group(0) if match else "object"


@dataclass
class ModelData:
    """A Keras model as plain data: its JSON config, weight shapes, trainable flags and (if sent) its weights."""

    config: dict
    weight_shapes: list = field(default_factory=list)
    trainable_count: int = 0
    non_trainable_count: int = 0
    weights: list | None = None

    @property
    def count(self) -> int:
        return self.trainable_count + self.non_trainable_count


@dataclass
class Unsupported:
    """A value the kernel could not express as plain data (its type name only)."""

    type_name: str


# ------------------------------------------------------------------------------------------ arrays

def array_to_text(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def array_from_text(text: str) -> np.ndarray:
    array = np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    if array.dtype.kind not in "biufc?":
        raise ValueError(f"arrays of dtype {array.dtype} are not accepted")
    return array


# ------------------------------------------------------------------------------------------ decoding (trusted)

def decode(data, depth: int = 0):
    """JSON data from the kernel -> Python scalars, lists, tuples, dicts, arrays, ModelData, Unsupported."""
    if depth > 20:
        raise ValueError("data nested too deeply")
    if data is None or isinstance(data, (bool, int, float)):
        return data
    if isinstance(data, str):
        return data[:MAX_TEXT]
    if isinstance(data, list):
        return [decode(item, depth + 1) for item in data]
    if not isinstance(data, dict):
        raise ValueError(f"unexpected JSON value {type(data).__name__}")
    if "$array" in data:
        return array_from_text(data["$array"])
    if "$tuple" in data:
        return tuple(decode(item, depth + 1) for item in data["$tuple"])
    if "$dict" in data:
        return {str(key)[:200]: decode(value, depth + 1) for key, value in data["$dict"]}
    if "$model" in data:
        model = data["$model"]
        weights = model.get("weights")
        return ModelData(
            config=_plain_json(model.get("config") or {}),
            weight_shapes=[tuple(int(v) for v in shape) for shape in model.get("weight_shapes", [])],
            trainable_count=int(model.get("trainable_count", 0)),
            non_trainable_count=int(model.get("non_trainable_count", 0)),
            weights=None if weights is None else [array_from_text(w) for w in weights])
    if "$float" in data:  # nan and infinities, which JSON cannot carry
        return float({"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(data["$float"], "nan"))
    if "$unsupported" in data:
        return Unsupported(safe_type_name(data["$unsupported"]))
    raise ValueError("unknown tagged value")


def _plain_json(value, depth: int = 0):
    """A JSON tree with only plain types (a model config), checked so later code can walk it safely."""
    if depth > 60:
        raise ValueError("model config nested too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_plain_json(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain_json(item, depth + 1) for key, item in value.items()}
    raise ValueError("model config is not plain JSON")


# ------------------------------------------------------------------------------------------ encoding (both sides)

def encode(value, *, weights: bool = False, inputs=None, depth: int = 0):
    """A Python value -> JSON-compatible data. ``inputs`` are the symbolic inputs made for this call (a returned
    symbolic tensor becomes a model from them); ``weights`` sends models' weights, not only their shapes."""
    if depth > 20:
        return {"$unsupported": "nested too deeply"}
    if value is None or type(value) is bool:
        return value
    if type(value) is int:
        return value
    if type(value) is float:
        return value if np.isfinite(value) else {"$float": str(value)}
    if type(value) is str:
        return value[:MAX_TEXT]
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc?":
            return {"$unsupported": f"ndarray[{value.dtype}]"}
        return {"$array": array_to_text(value)}
    if isinstance(value, np.generic):
        return encode(value.item(), depth=depth + 1)
    if type(value) in (list, tuple):
        items = [encode(item, weights=weights, inputs=inputs, depth=depth + 1) for item in value]
        return items if type(value) is list else {"$tuple": items}
    if type(value) is dict:
        return {"$dict": [[str(key), encode(item, weights=weights, inputs=inputs, depth=depth + 1)]
                          for key, item in value.items()]}
    keras_value = _encode_keras(value, weights, inputs)
    if keras_value is not None:
        return keras_value
    return {"$unsupported": type(value).__name__}


def _encode_keras(value, weights: bool, inputs):
    import sys

    if "keras" not in sys.modules:
        return None
    import keras

    if isinstance(value, keras.KerasTensor) and inputs:
        value = keras.Model(inputs if len(inputs) > 1 else inputs[0], value)
    if isinstance(value, keras.layers.Layer):  # a Model is a Layer too
        import json

        return {"$model": {
            "config": json.loads(_to_json(value)),
            "weight_shapes": [list(w.shape) for w in value.weights],
            "trainable_count": int(sum(np.prod(w.shape) for w in value.trainable_weights)),
            "non_trainable_count": int(sum(np.prod(w.shape) for w in value.non_trainable_weights)),
            "weights": [array_to_text(np.asarray(keras.ops.convert_to_numpy(w))) for w in value.weights]
            if weights else None}}
    if keras.ops.is_tensor(value):
        return {"$array": array_to_text(np.asarray(keras.ops.convert_to_numpy(value)))}
    return None


def _to_json(layer) -> str:
    import json

    import keras

    if hasattr(layer, "to_json"):
        return layer.to_json()
    return json.dumps(keras.saving.serialize_keras_object(layer))
