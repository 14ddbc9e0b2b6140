"""Trusted checks for lesson 00 (see dlcourse/grading/checks.py). Instructor-only: never released."""

import numpy as np

from dlcourse.grading.checks import Case, Registry, close, number

CHECKS = Registry()


@CHECKS.exercise("scale_to_unit-test")
def scale_to_unit(rng):
    sample = np.array([[0, 51], [204, 255]], dtype=np.uint8)
    yield Case("scale_to_unit", (sample,), check=close([[0, 0.2], [0.8, 1]], dtype="float32"),
               label="the example in the notebook")
    for shape, label in (((5, 6, 7, 3), "a batch of RGB images"), ((9,), "a flat vector"),
                         ((1, 1), "a single pixel")):
        images = rng.integers(0, 256, size=shape, dtype=np.uint8)
        yield Case("scale_to_unit", (images,), check=close(images / 255.0, atol=1e-7, dtype="float32"), label=label)


@CHECKS.exercise("accuracy-test")
def accuracy(rng):
    yield Case("accuracy", (np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4])), check=number(0.75, kind=float),
               label="the example in the notebook")
    for size in (1, 17, 1000):
        true, predicted = rng.integers(0, 10, size), rng.integers(0, 10, size)
        expected = np.count_nonzero(true == predicted) / size
        yield Case("accuracy", (true, predicted), check=number(expected, atol=1e-12, kind=float),
                   label=f"{size} random labels")
        yield Case("accuracy", (true.reshape(-1, 1), predicted), check=number(expected, atol=1e-12, kind=float),
                   label="labels of shape (n, 1)")
