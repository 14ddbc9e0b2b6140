"""A one-line summary of the software and hardware a notebook runs on."""

from __future__ import annotations

import os
import platform


def _accelerators(backend: str) -> str:
    try:
        if backend == "tensorflow":
            import tensorflow as tf  # the one place we ask TensorFlow directly: device discovery

            gpus = tf.config.list_physical_devices("GPU")
            return f"{len(gpus)} GPU" if gpus else "CPU"
        if backend == "jax":
            import jax

            gpus = [d for d in jax.devices() if d.platform == "gpu"]
            return f"{len(gpus)} GPU" if gpus else "CPU"
        if backend == "torch":
            import torch

            return f"{torch.cuda.device_count()} GPU" if torch.cuda.is_available() else "CPU"
    except Exception as exc:  # a summary must never stop a lesson
        return f"unknown ({exc.__class__.__name__})"
    return "unknown"


def summary() -> dict:
    import keras
    import numpy as np

    backend = keras.config.backend()
    backend_version = "?"
    try:
        backend_module = __import__(backend)
        backend_version = getattr(backend_module, "__version__", "?")
    except ImportError:
        pass
    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": backend,
        "backend_version": backend_version,
        "numpy": np.__version__,
        "device": _accelerators(backend),
        "cpus": os.cpu_count(),
    }


def describe() -> str:
    s = summary()
    return (f"Keras {s['keras']} on {s['backend']} {s['backend_version']} | NumPy {s['numpy']} | "
            f"Python {s['python']} | {s['device']} ({s['cpus']} CPU cores)")
