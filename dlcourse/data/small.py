"""Data sets that ship inside packages: Iris, and real photographs for the images lesson."""

from __future__ import annotations

import numpy as np

# Photographs (not drawings or synthetic arrays) that ship inside scikit-image.
PHOTOS = {
    "astronaut": "astronaut",  # 512x512 RGB portrait
    "chelsea": "chelsea",  # 300x451 RGB, a cat
    "coffee": "coffee",  # 400x600 RGB, a cup of coffee
    "camera": "camera",  # 512x512 grayscale, a photographer
}


def load_iris() -> tuple:
    """Iris: ``(features (150, 4) float64, labels (150,) int, feature names, class names)``."""
    from sklearn.datasets import load_iris as sklearn_iris

    bunch = sklearn_iris()
    return bunch.data, bunch.target, list(bunch.feature_names), list(bunch.target_names)


def load_photo(name: str = "astronaut") -> np.ndarray:
    """A real photograph as a uint8 array, H x W x 3 (or H x W for ``camera``)."""
    from skimage import data as skimage_data

    from ..errors import DlcourseError

    if name not in PHOTOS:
        raise DlcourseError(f"unknown photo {name!r}; choose one of {sorted(PHOTOS)}")
    return getattr(skimage_data, PHOTOS[name])()
