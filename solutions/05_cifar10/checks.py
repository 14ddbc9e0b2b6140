"""Trusted checks for lesson 05, CIFAR-10 (see dlcourse/grading/checks.py). Instructor-only: never released.

Every expected value is computed here, from first principles or from Keras's own layers; nothing is imported
from the notebook. Keras is imported lazily, inside the generators and checks.
"""

import numpy as np

from dlcourse.grading.checks import Case, Fail, Registry, args_unchanged, as_array, model_check, number, rebuild

CHECKS = Registry()


# ------------------------------------------------------------------------------------------ split_validation

def _split_check(images, labels, valid_size):
    """((train_x, train_y), (valid_x, valid_y)): the first `valid_size` examples validate, the rest train."""
    want = {"validation images": images[:valid_size], "validation labels": labels[:valid_size],
            "training images": images[valid_size:], "training labels": labels[valid_size:]}

    def pair(value, what):
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise Fail(f"return ((train_images, train_labels), (valid_images, valid_labels)); the {what} part "
                       "is not a pair")
        return value

    def check(result):
        train, valid = pair(result.value, "whole")
        got = dict(zip(("training images", "training labels"), pair(train, "training")))
        got.update(zip(("validation images", "validation labels"), pair(valid, "validation")))
        for what in ("validation images", "training images", "validation labels", "training labels"):
            array = as_array(got[what], f"an array of {what}")
            if array.shape != want[what].shape:
                raise Fail(f"the {what} have shape {array.shape}, which is not the right shape (the validation "
                           "set is the FIRST valid_size examples, the training set all the others)")
            if not np.array_equal(array, want[what]):
                raise Fail(f"the {what} are not the right ones, in the original order")
    return check


@CHECKS.exercise("split_validation-test")
def split_validation(rng):
    images = np.arange(10 * 2 * 2 * 3).reshape(10, 2, 2, 3)
    labels = np.arange(10).reshape(10, 1) % 4
    yield Case("split_validation", (images, labels, 3), check=_split_check(images, labels, 3),
               label="the example in the notebook")
    count = int(rng.integers(40, 61))
    kinds = ((count, int(rng.integers(2, 11)), "a random image batch"),
             (int(rng.integers(15, 26)), 1, "a single validation example"),
             (int(rng.integers(25, 41)), None, "all but one example for validation"))
    for count, valid_size, label in kinds:
        valid_size = count - 1 if valid_size is None else valid_size
        images = rng.integers(0, 256, size=(count, 4, 4, 3), dtype=np.uint8)
        labels = rng.integers(0, 10, size=(count, 1)).astype(np.uint8)
        yield Case("split_validation", (images, labels, valid_size), echo_args=True, label=label,
                   check=lambda result, c=_split_check(images, labels, valid_size),
                   u=args_unchanged(images.copy(), labels.copy()): (c(result), u(result)))


# ------------------------------------------------------------------------------------------ build_seed_cnn

# What each layer kind must match, config key -> how the student is told (no expected values in the message).
_LAYER_KEYS = {
    "Conv2D": {"filters": "number of filters", "kernel_size": "kernel size", "strides": "strides",
               "padding": "padding", "activation": "activation", "use_bias": "use of a bias",
               "dilation_rate": "dilation rate", "groups": "groups", "data_format": "data format"},
    "MaxPooling2D": {"pool_size": "pool size", "strides": "strides", "padding": "padding",
                     "data_format": "data format"},
    "Dropout": {"rate": "dropout rate", "noise_shape": "noise shape"},
    "Flatten": {"data_format": "data format"},
    "Dense": {"units": "number of units", "activation": "activation", "use_bias": "use of a bias"},
}


def _seed_cnn_reference():
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(16, (2, 2), padding="same", activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(32, (2, 2), padding="same", activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (2, 2), padding="same", activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Dropout(0.3), layers.Flatten(), layers.Dense(500, activation="relu"),
        layers.Dropout(0.4), layers.Dense(10, activation="softmax")])


def _same_setting(got, want) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        try:
            return abs(float(got) - float(want)) < 1e-9
        except (TypeError, ValueError):
            return False
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)):
        return len(got) == len(want) and all(_same_setting(g, w) for g, w in zip(got, want))
    return got == want


def _seed_cnn_check(rng):
    weight_seed = int(rng.integers(2**31))
    images = rng.uniform(0, 1, size=(4, 32, 32, 3)).astype("float32")

    def judge(data):
        import keras

        reference = _seed_cnn_reference()
        model = rebuild(data)
        if not getattr(model, "built", False) or not model.weights:
            raise Fail("the model has no input shape: start it with keras.Input(shape=(32, 32, 3))")
        if tuple(model.input_shape) != (None, 32, 32, 3):
            raise Fail(f"the input shape is {tuple(model.input_shape)}; CIFAR-10 images are 32×32×3")
        if tuple(model.output_shape) != (None, 10):
            raise Fail(f"the output shape is {tuple(model.output_shape)}; it should be one score per class")
        got_layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
        want_layers = reference.layers
        for index, (got, want) in enumerate(zip(got_layers, want_layers), start=1):
            kind, want_kind = type(got).__name__, type(want).__name__
            if kind != want_kind:
                raise Fail(f"layer {index} ({kind}) is not the kind of layer the seed CNN has there "
                           "(follow the lecture notes' layer order)")
            got_config, want_config = got.get_config(), want.get_config()
            for key, what in _LAYER_KEYS.get(kind, {}).items():
                if not _same_setting(got_config.get(key), want_config.get(key)):
                    raise Fail(f"layer {index} ({kind}) has the wrong {what}")
            if tuple(got.output.shape) != tuple(want.output.shape):
                raise Fail(f"layer {index} ({kind}) outputs shape {tuple(got.output.shape)}, not the right one")
            if got.count_params() != want.count_params():
                raise Fail(f"layer {index} ({kind}) has {got.count_params():,} parameters, not the right number")
        if len(got_layers) != len(want_layers):
            raise Fail(f"the model has {len(got_layers)} layers after the input, which is not the seed CNN's "
                       "number of layers")
        if model.count_params() != reference.count_params():
            raise Fail(f"the model has {model.count_params():,} parameters, not the seed CNN's 528,054")
        # Behaviour: the same random weights in both must give the same probabilities.
        weights_rng = np.random.default_rng(weight_seed)
        weights = [weights_rng.normal(0, 0.1, size=w.shape).astype("float32") for w in reference.get_weights()]
        reference.set_weights(weights)
        try:
            model.set_weights(weights)
        except Exception:  # noqa: BLE001
            raise Fail("the model's weights are not laid out like the seed CNN's") from None
        got = keras.ops.convert_to_numpy(model(images, training=False))
        want = keras.ops.convert_to_numpy(reference(images, training=False))
        if got.shape != want.shape or not np.allclose(got, want, atol=1e-5):
            raise Fail("with the same weights, the model's outputs differ from the seed CNN's")
    return model_check(judge)


@CHECKS.exercise("build_seed_cnn-test")
def build_seed_cnn(rng):
    yield Case("build_seed_cnn", (), check=_seed_cnn_check(rng), label="the example in the notebook", seconds=60)


# ------------------------------------------------------------------------------------------ make_augmentation

def _augmentation_check(fraction, rng, first: bool):
    """Behaviour of make_augmentation(fraction): identity at prediction, random horizontal flips, random shifts of
    at most `fraction` of the size (both axes), RandomFlip then RandomTranslation with reflect filling."""
    del rng  # the augmentation's own randomness is what is judged; the checks are loose enough for any draw

    def judge(data):
        import keras

        if data.config.get("class_name") != "Sequential":
            raise Fail(f"return a keras.Sequential, not a {data.config.get('class_name')}")
        augment = rebuild(data)
        kinds = [type(layer).__name__ for layer in augment.layers]
        if kinds != ["RandomFlip", "RandomTranslation"]:
            raise Fail(f"the layers are {kinds}; use a RandomFlip, then a RandomTranslation")
        if augment.layers[1].get_config().get("fill_mode") != "reflect":
            raise Fail("RandomTranslation should fill the uncovered border by reflection (fill_mode='reflect')")

        def run(images, training):
            out = keras.ops.convert_to_numpy(augment(images, training=training))
            if out.shape != images.shape:
                raise Fail(f"the augmentation changed the shape of a batch to {out.shape}")
            return out

        if first:
            left_bright = np.zeros((64, 32, 32, 3), "float32")
            left_bright[:, :, :16] = 1.0
            if not np.allclose(run(left_bright, False), left_bright):
                raise Fail("with training=False (prediction) the images must pass through unchanged")
            moved = run(left_bright, True)
            flipped = moved[:, :, :16].mean(axis=(1, 2, 3)) < moved[:, :, 16:].mean(axis=(1, 2, 3))
            if not 0 < flipped.sum() < 64:
                raise Fail(f"{flipped.sum()} of 64 images were mirrored left-right; a random horizontal flip "
                           "should mirror about half of them")
            top_bright = np.zeros((64, 32, 32, 3), "float32")
            top_bright[:, :16] = 1.0
            moved = run(top_bright, True)
            if not np.all(moved[:, :16].mean(axis=(1, 2, 3)) > moved[:, 16:].mean(axis=(1, 2, 3))):
                raise Fail("some images were flipped upside down: flip horizontally only")
        # A centred square, symmetric under the flip: its centre of mass moves exactly by the random shift.
        square = np.zeros((64, 32, 32, 3), "float32")
        square[:, 12:20, 12:20] = 1.0
        mass = run(square, True)[..., 0]
        rows, cols = np.mgrid[0:32, 0:32]
        total = mass.sum(axis=(1, 2))
        if np.any(total <= 0):
            raise Fail("an augmented image came out blank")
        row_shift = np.abs((mass * rows).sum(axis=(1, 2)) / total - 15.5)
        col_shift = np.abs((mass * cols).sum(axis=(1, 2)) / total - 15.5)
        if max(row_shift.max(), col_shift.max()) > fraction * 32 + 0.75:
            raise Fail("some images were shifted by more than shift_fraction of their size")
        if row_shift.max() < 0.5 * fraction * 32:
            raise Fail("the images are not shifted vertically by up to shift_fraction of their height")
        if col_shift.max() < 0.5 * fraction * 32:
            raise Fail("the images are not shifted horizontally by up to shift_fraction of their width")
    return model_check(judge)


@CHECKS.exercise("make_augmentation-test")
def make_augmentation(rng):
    yield Case("make_augmentation", (), check=_augmentation_check(0.1, rng, first=True),
               label="the example in the notebook")
    small = float(rng.uniform(0.06, 0.12))
    yield Case("make_augmentation", (small,), check=_augmentation_check(small, rng, first=False),
               label="a small shift fraction")
    large = float(rng.uniform(0.2, 0.3))
    yield Case("make_augmentation", (large,), check=_augmentation_check(large, rng, first=False),
               label="a large shift fraction")


# ------------------------------------------------------------------------------------------ step_schedule

def _rate(epoch, initial=0.01, boundaries=(20, 50), factor=0.1):
    rate = initial
    for boundary in boundaries:
        if epoch >= boundary:
            rate = rate * factor
    return rate


def _rate_check(expected):
    return number(expected, atol=0.0, rtol=1e-9, kind=float)


@CHECKS.exercise("step_schedule-test")
def step_schedule(rng):
    for index, epoch in enumerate((0, 19, 20, 49, 50, 80)):
        yield Case("step_schedule", (epoch,), check=_rate_check(_rate(epoch)),
                   label="the example in the notebook" if index == 0 else "the default schedule")
    # Random schedules: no boundary, one, and three; every boundary probed just before, at and after it.
    for count, label in ((0, "a schedule without boundaries"), (1, "a schedule with one boundary"),
                         (3, "a schedule with several boundaries"), (2, "a random schedule")):
        initial = float(rng.uniform(1e-4, 1.0))
        factor = float(rng.uniform(0.05, 0.9))
        bounds = tuple(int(b) for b in np.sort(rng.choice(np.arange(2, 100), size=count, replace=False)))
        epochs = {0, 1, 110, *(int(e) for e in rng.integers(0, 110, size=4))}
        for boundary in bounds:
            epochs.update((boundary - 1, boundary, boundary + 1))
        for epoch in sorted(epochs):
            yield Case("step_schedule", (epoch, initial, bounds, factor),
                       check=_rate_check(_rate(epoch, initial, bounds, factor)), label=label)
    boundaries = tuple(int(b) for b in np.sort(rng.choice(np.arange(5, 60), size=2, replace=False)))
    factor = float(rng.uniform(0.1, 0.9))
    for epoch in (boundaries[0] - 1, boundaries[0], boundaries[1]):
        yield Case("step_schedule", (epoch,), {"boundaries": boundaries, "factor": factor},
                   check=_rate_check(_rate(epoch, 0.01, boundaries, factor)),
                   label="keyword arguments with the default initial rate")
    for boundary in (1, int(rng.integers(2, 15)), int(rng.integers(15, 60))):
        yield Case("step_schedule", (boundary - 1, 1.0, (boundary,), 0.5), check=_rate_check(1.0),
                   label="the epoch just before a boundary")
        yield Case("step_schedule", (boundary, 1.0, (boundary,), 0.5), check=_rate_check(0.5),
                   label="the epoch at a boundary (the rate drops AT it)")


# ------------------------------------------------------------------------------------------ per_class_accuracy

def _per_class(true, predicted, classes):
    true, predicted = np.ravel(true), np.ravel(predicted)
    expected = np.full(classes, np.nan)
    for k in range(classes):
        total = int(np.count_nonzero(true == k))
        if total:
            expected[k] = np.count_nonzero((true == k) & (predicted == k)) / total
    return expected


def _per_class_check(expected):
    def check(result):
        got = as_array(result.value, "an array of accuracies")
        if got.shape != expected.shape:
            raise Fail(f"returned shape {got.shape}; return one accuracy per class")
        got = got.astype(np.float64)
        missing = np.isnan(expected)
        if not np.array_equal(np.isnan(got), missing):
            raise Fail("a class without images should get np.nan, and only such a class")
        if not np.allclose(got[~missing], expected[~missing], atol=1e-12, rtol=0):
            raise Fail("the accuracies are wrong (divide each class's correct predictions by that class's count)")
    return check


@CHECKS.exercise("per_class_accuracy-test")
def per_class_accuracy(rng):
    true = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    pred = np.array([0, 0, 0, 1, 1, 0, 2, 2, 1, 1])
    yield Case("per_class_accuracy", (true, pred), {"num_classes": 3}, check=_per_class_check(_per_class(true, pred, 3)),
               label="the example in the notebook")
    yield Case("per_class_accuracy", (true.reshape(-1, 1), pred), {"num_classes": 3},
               check=_per_class_check(_per_class(true, pred, 3)), label="labels of shape (n, 1)")
    true, pred = np.array([0, 0, 2]), np.array([0, 1, 2])
    yield Case("per_class_accuracy", (true, pred), {"num_classes": 3}, check=_per_class_check(_per_class(true, pred, 3)),
               label="a class without images")
    for size, classes, label in ((500, 10, "500 random labels of shape (n, 1)"),
                                 (int(rng.integers(30, 45)), 5, "random labels, five classes"),
                                 (3, 4, "fewer images than classes")):
        true = rng.integers(0, classes, size)
        pred = np.where(rng.random(size) < 0.6, true, rng.integers(0, classes, size))
        expected = _per_class(true, pred, classes)
        column = true.reshape(-1, 1)
        yield Case("per_class_accuracy", (column, pred), {"num_classes": classes}, echo_args=True, label=label,
                   check=lambda result, c=_per_class_check(expected), u=args_unchanged(column.copy(), pred.copy()):
                   (c(result), u(result)))
    true = rng.integers(0, 10, 200)
    pred = np.where(rng.random(200) < 0.5, true, rng.integers(0, 10, 200))
    yield Case("per_class_accuracy", (true, pred), check=_per_class_check(_per_class(true, pred, 10)),
               label="the default number of classes")
    true = np.repeat(np.arange(6), 4)
    pred = true.copy()
    pred[rng.permutation(true.size)[:int(rng.integers(1, 8))]] = 0
    yield Case("per_class_accuracy", (true, pred), {"num_classes": 8},
               check=_per_class_check(_per_class(true, pred, 8)), label="classes at the end with no images")
