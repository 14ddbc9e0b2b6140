"""Trusted checks for lesson 00 (see dlcourse/grading/checks.py). Instructor-only: never released."""

import numpy as np

from dlcourse.grading.checks import Case, Registry, all_of, args_unchanged, close, number

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


@CHECKS.exercise("one_hot-test")
def one_hot(rng):
    yield Case("one_hot", (np.array([0, 2, 1]), 3),
               check=close([[1, 0, 0], [0, 0, 1], [0, 1, 0]], dtype="float32"), label="the example in the notebook")
    column = np.array([[4], [0]])
    yield Case("one_hot", (column, 5), check=close(np.eye(5)[[4, 0]], dtype="float32"), label="labels of shape (n, 1)")
    for size, classes, label in ((50, 10, "random labels"), (7, 12, "more classes than the labels use"),
                                 (1, 2, "a single label")):
        labels = rng.integers(0, classes if size > 1 else 2, size)
        yield Case("one_hot", (labels, classes), check=close(np.eye(classes)[labels], dtype="float32"), label=label)
        yield Case("one_hot", (labels.reshape(-1, 1), classes), check=close(np.eye(classes)[labels], dtype="float32"),
                   label=f"{label}, as a column")


@CHECKS.exercise("standardise-test")
def standardise(rng):
    from sklearn.preprocessing import StandardScaler

    def oracle(features):  # scikit-learn leaves constant columns at 0, as the exercise asks
        return StandardScaler().fit_transform(np.asarray(features, dtype=np.float64))

    example = np.array([[1.0, 100.0, 7.0], [2.0, 200.0, 7.0], [3.0, 300.0, 7.0]])
    yield Case("standardise", (example,), check=close(oracle(example), atol=1e-9),
               label="the example in the notebook")
    rows = int(rng.integers(20, 60))
    scales = 10.0 ** rng.integers(-3, 4, size=4)
    features = rng.normal(size=(rows, 4)) * scales + rng.normal(size=4) * 50
    yield Case("standardise", (features,), echo_args=True,
               check=all_of(close(oracle(features), atol=1e-9), args_unchanged(features.copy())),
               label="features on very different scales")
    constant = np.column_stack([rng.normal(size=rows), np.full(rows, float(rng.integers(-9, 9))),
                                rng.integers(0, 255, size=rows).astype(float)])
    yield Case("standardise", (constant,), check=close(oracle(constant), atol=1e-9), label="a constant column")
    single = rng.integers(0, 1000, size=(rows, 1))
    yield Case("standardise", (single,), check=close(oracle(single), atol=1e-9), label="one integer feature")
