"""Seed every random number generator a lesson touches, from one integer."""

from __future__ import annotations

import os
import random

import numpy as np


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and Keras (which seeds the active backend too)."""
    import keras

    os.environ["PYTHONHASHSEED"] = str(seed)  # inherited by any child process
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
