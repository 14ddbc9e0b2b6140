"""Trusted checks for lesson 05, CIFAR-10 (see dlcourse/grading/checks.py). Instructor-only: never released.

Every expected value is computed here, from first principles or from Keras's own layers; nothing is imported
from the notebook. Keras is imported lazily, inside the generators and checks.
"""

import numpy as np

from dlcourse.grading.checks import Case, Fail, Input, Registry, args_unchanged, as_array, model_check, number, rebuild

CHECKS = Registry()


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


def _seed_cnn_reference(input_shape=(32, 32, 3), num_classes=10):
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(16, (2, 2), padding="same", activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(32, (2, 2), padding="same", activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (2, 2), padding="same", activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Dropout(0.3), layers.Flatten(), layers.Dense(500, activation="relu"),
        layers.Dropout(0.4), layers.Dense(num_classes, activation="softmax")])


def _same_setting(got, want) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        try:
            return abs(float(got) - float(want)) < 1e-9
        except (TypeError, ValueError):
            return False
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)):
        return len(got) == len(want) and all(_same_setting(g, w) for g, w in zip(got, want))
    return got == want


def _same_outputs(model, reference, images, rng_seed, what):
    """Random weights (from `rng_seed`) into both models; Fail unless they compute the same outputs."""
    import keras

    weights_rng = np.random.default_rng(rng_seed)
    weights = [weights_rng.normal(0, 0.1, size=w.shape).astype("float32") for w in reference.get_weights()]
    reference.set_weights(weights)
    try:
        model.set_weights(weights)
    except Exception:  # noqa: BLE001
        raise Fail(f"the model's weights are not laid out like {what}'s") from None
    got = keras.ops.convert_to_numpy(model(images, training=False))
    want = keras.ops.convert_to_numpy(reference(images, training=False))
    if got.shape != want.shape or not np.allclose(got, want, atol=1e-5):
        raise Fail(f"with the same weights, the model's outputs differ from {what}'s")


def _seed_cnn_check(rng, input_shape=(32, 32, 3), num_classes=10):
    weight_seed = int(rng.integers(2**31))
    images = rng.uniform(0, 1, size=(4,) + tuple(input_shape)).astype("float32")

    def judge(data):
        reference = _seed_cnn_reference(input_shape, num_classes)
        model = rebuild(data)
        if not getattr(model, "built", False) or not model.weights:
            raise Fail("the model has no input shape: start it with keras.Input(shape=input_shape)")
        if tuple(model.input_shape) != (None,) + tuple(input_shape):
            raise Fail(f"the input shape is {tuple(model.input_shape)}, not the one asked for: use input_shape")
        if tuple(model.output_shape) != (None, num_classes):
            raise Fail(f"the output shape is {tuple(model.output_shape)}; it should be one score per class "
                       "(num_classes)")
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
            raise Fail(f"the model has {model.count_params():,} parameters, not the right number for this input "
                       "shape and number of classes")
        _same_outputs(model, reference, images, weight_seed, "the seed CNN")
    return model_check(judge)


@CHECKS.exercise("build_seed_cnn-test")
def build_seed_cnn(rng):
    yield Case("build_seed_cnn", (), check=_seed_cnn_check(rng), label="the example in the notebook", seconds=60)
    side = int(rng.integers(16, 41))
    kinds = [(((28, 28, 1), 5), False, "the grey 28×28 example in the notebook"),
             (((side, side, 3), int(rng.integers(2, 21))), False, "another image size and number of classes"),
             (((int(rng.integers(16, 25)), int(rng.integers(33, 49)), int(rng.integers(1, 5))),
               int(rng.integers(2, 13))), True, "a non-square input with other channels, by keyword")]
    for (shape, classes), by_keyword, label in kinds:
        args, kwargs = ((), {"input_shape": shape, "num_classes": classes}) if by_keyword else ((shape, classes), {})
        yield Case("build_seed_cnn", args, kwargs, check=_seed_cnn_check(rng, shape, classes), label=label,
                   seconds=60)


# ------------------------------------------------------------------------------------------ conv_bn_relu

_CONV_KEYS = {"kernel_size": "kernel size", "strides": "strides", "padding": "padding",
              "dilation_rate": "dilation rate", "groups": "groups", "data_format": "data format"}


def _conv_bn_relu_check(rng, shape, filters, kernel_size, momentum):
    """The block against Conv2D(filters, kernel_size, 'same', no bias) -> BatchNormalization(momentum) -> ReLU."""
    weight_seed = int(rng.integers(2**31))
    images = rng.normal(0.5, 1.5, size=(6,) + tuple(shape)).astype("float32")

    def judge(data):
        import keras
        from keras import layers

        model = rebuild(data)
        inputs = keras.Input(shape=shape)
        x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False)(inputs)
        x = layers.BatchNormalization(momentum=momentum)(x)
        reference = keras.Model(inputs, layers.ReLU()(x))
        got_layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
        kinds = [type(layer).__name__ for layer in got_layers]
        if len(kinds) != 3 or kinds[:2] != ["Conv2D", "BatchNormalization"] or kinds[2] not in ("ReLU", "Activation"):
            raise Fail("the block should be exactly three layers: Conv2D, then BatchNormalization, then a ReLU")
        conv, norm, relu = got_layers
        conv_config, want_conv = conv.get_config(), reference.layers[1].get_config()
        if conv_config.get("use_bias"):
            raise Fail("the convolution has a bias; leave it out (use_bias=False): BatchNormalization's beta "
                       "replaces it")
        if conv_config.get("filters") != filters:
            raise Fail("the convolution does not have `filters` filters")
        for key, what in _CONV_KEYS.items():
            if not _same_setting(conv_config.get(key), want_conv.get(key)):
                raise Fail(f"the convolution has the wrong {what}" + (" (use padding='same')" if key == "padding"
                                                                       else ""))
        if conv_config.get("activation") not in ("linear", None):
            raise Fail("the convolution has an activation of its own; the ReLU comes after BatchNormalization")
        norm_config, want_norm = norm.get_config(), reference.layers[2].get_config()
        if not _same_setting(norm_config.get("momentum"), momentum):
            raise Fail("BatchNormalization does not use the `momentum` argument")
        if norm_config.get("axis") not in (-1, len(shape), [-1], [len(shape)]):
            raise Fail("BatchNormalization should normalise over the channels, the last axis")
        for key, what in (("epsilon", "epsilon"), ("center", "beta (center)"), ("scale", "gamma (scale)")):
            if not _same_setting(norm_config.get(key), want_norm.get(key)):
                raise Fail(f"BatchNormalization should keep Keras's default {what}")
        relu_config = relu.get_config()
        if kinds[2] == "Activation" and relu_config.get("activation") != "relu":
            raise Fail("the last layer should be a ReLU")
        if kinds[2] == "ReLU" and any(relu_config.get(key) not in (None, 0, 0.0)
                                      for key in ("max_value", "negative_slope", "threshold")):
            raise Fail("the last layer should be a plain ReLU (no max value, slope or threshold)")
        if tuple(model.output.shape[1:]) != tuple(reference.output.shape[1:]):
            raise Fail(f"the block outputs shape {tuple(model.output.shape[1:])}, not the right one "
                       "(padding='same' keeps the size)")
        if model.count_params() != reference.count_params():
            raise Fail(f"the block has {model.count_params():,} parameters, not the right number")
        # Behaviour, with the same random kernel, gamma, beta and moving statistics: prediction, then training.
        weights_rng = np.random.default_rng(weight_seed)
        kernel = weights_rng.normal(0, 0.5, size=reference.layers[1].kernel.shape).astype("float32")
        gamma, beta = (weights_rng.normal(1, 0.3, size=filters).astype("float32"),
                       weights_rng.normal(0, 0.5, size=filters).astype("float32"))
        moving_mean = weights_rng.normal(0, 1, size=filters).astype("float32")
        moving_variance = weights_rng.uniform(0.5, 3, size=filters).astype("float32")
        reference.layers[1].set_weights([kernel])
        reference.layers[2].set_weights([gamma, beta, moving_mean, moving_variance])
        try:
            conv.set_weights([kernel])
            norm.set_weights([gamma, beta, moving_mean, moving_variance])
        except Exception:  # noqa: BLE001
            raise Fail("the layers' weights are not laid out like a Conv2D without bias and a BatchNormalization") \
                from None
        for training, mode in ((False, "prediction (training=False, the moving statistics)"),
                               (True, "training (training=True, the batch's statistics)")):
            got = keras.ops.convert_to_numpy(model(images, training=training))
            want = keras.ops.convert_to_numpy(reference(images, training=training))
            if got.shape != want.shape or not np.allclose(got, want, atol=1e-4, rtol=1e-4):
                raise Fail(f"in {mode} the block computes something else than convolution, batch normalisation "
                           "and ReLU with the same weights")
    return model_check(judge)


@CHECKS.exercise("conv_bn_relu-test")
def conv_bn_relu(rng):
    yield Case("conv_bn_relu", (Input((16, 16, 3)), 8), check=_conv_bn_relu_check(rng, (16, 16, 3), 8, 3, 0.9),
               label="the example in the notebook")
    yield Case("conv_bn_relu", (Input((9, 12, 5)), 6), {"kernel_size": 5, "momentum": 0.8},
               check=_conv_bn_relu_check(rng, (9, 12, 5), 6, 5, 0.8), label="the second example in the notebook")
    side = int(rng.integers(6, 15))
    kinds = [((side, side, int(rng.integers(1, 7))), int(rng.integers(2, 13)), None, None,
              "a random input with the default kernel size and momentum"),
             ((int(rng.integers(5, 11)), int(rng.integers(11, 18)), int(rng.integers(2, 5))),
              int(rng.integers(3, 10)), 1, float(rng.uniform(0.5, 0.95)), "a 1×1 kernel and another momentum"),
             ((int(rng.integers(6, 12)),) * 2 + (int(rng.integers(8, 17)),), int(rng.integers(10, 25)), 2, None,
              "an even kernel size"),
             ((int(rng.integers(12, 20)),) * 2 + (3,), int(rng.integers(4, 9)), 7, float(rng.uniform(0.6, 0.99)),
              "a large kernel")]
    for index, (shape, filters, kernel_size, momentum, label) in enumerate(kinds):
        args, kwargs = (Input(shape), filters), {}
        if kernel_size is not None:
            if index % 2:
                args += (kernel_size,)
            else:
                kwargs["kernel_size"] = kernel_size
        if momentum is not None:
            kwargs["momentum"] = momentum
        yield Case("conv_bn_relu", args, kwargs, label=label,
                   check=_conv_bn_relu_check(rng, shape, filters, kernel_size or 3,
                                             0.9 if momentum is None else momentum))


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


# ------------------------------------------------------------------------------------------ warmup_cosine

def _warmup_cosine(epoch, peak=1e-3, warmup=5, total=40):
    """The NumPy oracle: linear warm-up peak*(e+1)/warmup for e < warmup, then half a cosine wave from the peak at
    e = warmup towards 0 at e = total, and 0 from total on."""
    e = np.asarray(epoch, dtype=np.float64)
    warm = peak * (e + 1) / max(warmup, 1)
    cosine = peak * 0.5 * (1 + np.cos(np.pi * (e - warmup) / (total - warmup)))
    return float(np.where(e < warmup, warm, np.where(e < total, cosine, 0.0)))


def _warmup_hint(epoch, warmup, total) -> str:
    """What the rate at this kind of epoch should be, in words (never the inputs or the number)."""
    if epoch == 0 and warmup > 0:
        return ("in the first epoch (epoch 0) the rate should be peak_rate / warmup_epochs: the warm-up's first "
                "step, not 0, since that epoch trains too")
    if epoch < warmup - 1:
        return ("during warm-up the rate should rise linearly, peak_rate * (epoch + 1) / warmup_epochs")
    if epoch == warmup - 1:
        return ("at the end of warm-up (epoch warmup_epochs - 1) the rate should be the peak rate")
    if epoch == warmup:
        return ("the cosine part should start at the peak rate at epoch warmup_epochs" +
                (" (with no warm-up, the first epoch uses the peak rate)" if warmup == 0 else ""))
    if epoch == total - 1:
        return ("at the last epoch (total_epochs - 1) the rate should be small but not yet 0: the cosine reaches 0 "
                "at total_epochs, one past the last epoch")
    if epoch < total:
        return ("after warm-up the rate should follow peak_rate * (1 + cos(pi * t)) / 2, with "
                "t = (epoch - warmup_epochs) / (total_epochs - warmup_epochs)")
    return "from total_epochs on the rate should stay 0"


def _warmup_check(epoch, peak, warmup, total):
    expected = _warmup_cosine(epoch, peak, warmup, total)

    def check(result):
        value = result.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Fail(f"returned {'a ' + type(value).__name__ if value is not None else 'None'}, not a single "
                       "number; return a Python float")
        if not isinstance(value, float):
            raise Fail(f"returned a {type(value).__name__}; return a Python float, which is what Keras expects")
        if not abs(value - expected) <= 1e-12 * peak + 1e-6 * abs(expected):
            raise Fail(_warmup_hint(epoch, warmup, total))
    return check


@CHECKS.exercise("warmup_cosine-test")
def warmup_cosine(rng):
    yield Case("warmup_cosine", (0,), check=_warmup_check(0, 1e-3, 5, 40), label="the example in the notebook")
    # The default schedule at every epoch, past the end too.
    for epoch in range(1, 46):
        yield Case("warmup_cosine", (epoch,), check=_warmup_check(epoch, 1e-3, 5, 40), label="the default schedule")
    yield Case("warmup_cosine", (25, 1.0, 5, 45), check=_warmup_check(25, 1.0, 5, 45),
               label="the half-way example in the notebook")
    # Random schedules: boundaries (first epoch, end of warm-up, start of cosine, last epoch, past the end) and
    # random epochs in between.
    for warmup, label in ((0, "a schedule without warm-up"), (1, "a one-epoch warm-up"),
                          (int(rng.integers(2, 8)), "a random schedule"),
                          (int(rng.integers(8, 20)), "a long warm-up")):
        total = warmup + int(rng.integers(3, 60))
        peak = float(10 ** rng.uniform(-4, 0))
        epochs = {0, max(warmup - 1, 0), warmup, warmup + 1, total - 1, total, total + int(rng.integers(1, 20))}
        epochs.update(int(e) for e in rng.integers(0, total, size=5))
        for epoch in sorted(epochs):
            args = (epoch, peak, warmup, total)
            if epoch % 2:
                yield Case("warmup_cosine", args, check=_warmup_check(*args), label=label)
            else:
                yield Case("warmup_cosine", (epoch,), {"peak_rate": peak, "warmup_epochs": warmup,
                                                       "total_epochs": total},
                           check=_warmup_check(*args), label=label + ", by keyword")
    # A cosine half-way point that is an exact epoch: half the peak.
    warmup, half = int(rng.integers(1, 6)), int(rng.integers(3, 20))
    peak = float(rng.uniform(0.1, 2.0))
    yield Case("warmup_cosine", (warmup + half, peak, warmup, warmup + 2 * half),
               check=_warmup_check(warmup + half, peak, warmup, warmup + 2 * half),
               label="the middle of the cosine part (half the peak rate)")


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
