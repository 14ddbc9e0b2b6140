"""Trusted checks for lesson 06, VGG and transfer learning (see dlcourse/grading/checks.py). Instructor-only.

The notebook's visible tests use a real VGG16 (14.7 M parameters); a model sent into the kernel travels with its
weights, so here every base is a small trusted stand-in with VGG's layer names, built as a functional
``keras.Model`` (a functional model's own ``trainable`` flag survives the trip into the kernel and back; a
Sequential's does not). Expected values come from first principles or from the trusted models' own weights;
nothing is imported from the notebook. Keras is imported lazily.
"""

import numpy as np

from dlcourse.grading.checks import Case, Fail, Input, Model, Registry, model_check, rebuild

CHECKS = Registry()

_BGR_MEANS = np.array([103.939, 116.779, 123.68], dtype="float32")


def _size(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _counts(model) -> tuple:
    return _size(model.trainable_weights), _size(model.non_trainable_weights)


def _numpy(tensor) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(tensor))


def _vgg_like_base(rng, shape, blocks, scale=0.1):
    """A functional stand-in for a VGG base: block<n>_conv<k> 3×3 ReLU convolutions, a block<n>_pool after each
    block but the last; `blocks` lists each block's convolution widths. Weights drawn from `rng`."""
    import keras
    from keras import layers

    inputs = x = keras.Input(shape=shape, name="base_input")
    for number, widths in enumerate(blocks, start=1):
        for index, filters in enumerate(widths, start=1):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{number}_conv{index}")(x)
        if number < len(blocks):
            x = layers.MaxPooling2D(2, name=f"block{number}_pool")(x)
    base = keras.Model(inputs, x, name="base")
    base.set_weights([rng.normal(0, scale, size=w.shape).astype("float32") if w.ndim > 1
                      else rng.normal(0, 0.01, size=w.shape).astype("float32") for w in base.get_weights()])
    return base


# ------------------------------------------------------------------------------------------ vgg_block

def _vgg_block_check(shape, filters, convs, rng):
    weight_seed = int(rng.integers(2**31))
    images = rng.normal(size=(2,) + tuple(shape)).astype("float32")

    def judge(data):
        import keras
        from keras import layers

        model = rebuild(data)
        inputs = x = keras.Input(shape=shape)
        for _ in range(convs):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        reference = keras.Model(inputs, layers.MaxPooling2D(2, strides=2)(x))
        if tuple(model.output.shape[1:]) != tuple(reference.output.shape[1:]):
            raise Fail(f"the block's output has shape {tuple(model.output.shape[1:])}, not the right one (padding "
                       "'same' keeps the size; one 2×2 max pool with stride 2 halves it)")
        if model.count_params() != reference.count_params():
            raise Fail(f"the block has {model.count_params():,} parameters, not the right number "
                       "(`convs` Conv2D layers, each with `filters` 3×3 filters)")
        student_convs = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
        reference_convs = [layer for layer in reference.layers if isinstance(layer, layers.Conv2D)]
        if len(student_convs) != len(reference_convs):
            raise Fail(f"the block has {len(student_convs)} Conv2D layers; it needs `convs` of them")
        for layer in student_convs:
            if tuple(layer.kernel_size) != (3, 3):
                raise Fail("every convolution in a VGG block is 3×3")
            if layer.filters != filters:
                raise Fail("every convolution in the block should have `filters` filters")
        weights_rng = np.random.default_rng(weight_seed)
        for mine, theirs in zip(reference_convs, student_convs):
            kernel, bias = mine.get_weights()
            new = [weights_rng.normal(0, 0.5, size=kernel.shape).astype("float32"),
                   weights_rng.normal(0, 0.5, size=bias.shape).astype("float32")]
            mine.set_weights(new)
            try:
                theirs.set_weights(new)
            except Exception:  # noqa: BLE001
                raise Fail("a convolution's weights are not laid out like a 3×3 Conv2D with a bias") from None
        got, want = _numpy(model(images, training=False)), _numpy(reference(images, training=False))
        if got.shape != want.shape or not np.allclose(got, want, atol=1e-4, rtol=1e-4):
            raise Fail("with the same weights, the block computes something else than `convs` 3×3 same-padded "
                       "ReLU convolutions followed by a 2×2 max pool")
    return model_check(judge)


@CHECKS.exercise("vgg_block-test")
def vgg_block(rng):
    kinds = [((32, 32, 3), 64, 2, "the example in the notebook"),
             ((int(rng.integers(10, 15)),) * 2 + (int(rng.integers(4, 7)),), int(rng.integers(5, 10)), 3,
              "a block of three convolutions"),
             ((2 * int(rng.integers(3, 6)) + 1,) * 2 + (int(rng.integers(1, 3)),), int(rng.integers(3, 7)), 1,
              "an odd-sized input and a single convolution"),
             ((2 * int(rng.integers(6, 9)), 2 * int(rng.integers(3, 5)), 3), int(rng.integers(4, 8)), 2,
              "a non-square input")]
    for shape, filters, convs, label in kinds:
        yield Case("vgg_block", (Input(shape), filters, convs), check=_vgg_block_check(shape, filters, convs, rng),
                   label=label)


# ------------------------------------------------------------------------------------------ stage_counts

_STAGES = ("frozen base", "top block unfrozen", "all unfrozen")


def _transfer_like(shape, blocks, batch_norm=(), head_batch_norm=False, head_units=(), classes=3):
    """A trusted transfer model: ``base`` (a functional model named like VGG's, block<n>_conv<k>, with a
    block<n>_bn<k> after each convolution of the blocks listed in `batch_norm`) called with training=False, then
    global average pooling, an optional BatchNormalization, Dense layers of `head_units` and a softmax Dense."""
    import keras
    from keras import layers

    inputs = x = keras.Input(shape=shape, name="base_input")
    for number, widths in enumerate(blocks, start=1):
        for index, filters in enumerate(widths, start=1):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{number}_conv{index}")(x)
            if number in batch_norm:
                x = layers.BatchNormalization(name=f"block{number}_bn{index}")(x)
        if number < len(blocks):
            x = layers.MaxPooling2D(2, name=f"block{number}_pool")(x)
    base = keras.Model(inputs, x, name="base")
    model_inputs = keras.Input(shape=shape)
    y = layers.GlobalAveragePooling2D()(base(model_inputs, training=False))
    if head_batch_norm:
        y = layers.BatchNormalization()(y)
    for units in head_units:
        y = layers.Dense(units, activation="relu")(y)
    y = layers.Dropout(0.3)(y)
    model = keras.Model(model_inputs, layers.Dense(classes, activation="softmax")(y))
    return model, base


def _set_stage(model, base, stage, prefix):
    """The flags of a fine-tuning stage, set the Keras way: the oracle is then Keras's own count. Every flag is set
    one by one (on the TensorFlow backend, assigning a container the value its own flag already has is skipped and
    does not reach the layers inside)."""
    for layer in model.layers:
        layer.trainable = True
    base.trainable = stage != "frozen base"  # first: when it changes, it resets every layer inside
    for layer in base.layers:
        layer.trainable = stage == "all unfrozen" or (stage == "top block unfrozen" and layer.name.startswith(prefix))


def _config_flags(node, found=None):
    """(layer name, trainable) for every layer in a model's JSON config, nested models included, in order."""
    found = [] if found is None else found
    if isinstance(node, list):
        for item in node:
            _config_flags(item, found)
    elif isinstance(node, dict):
        inner = node.get("config")
        if "class_name" in node and isinstance(inner, dict) and "trainable" in inner and "name" in inner:
            found.append((str(inner["name"]), bool(inner["trainable"])))
        for value in node.values():
            _config_flags(value, found)
    return found


def _moving_statistics(model, base, stage, prefix):
    """How many moving means and variances sit in layers that train at `stage` (for the hint)."""
    from keras import layers

    count = 0
    for layer in model.layers:
        for part in (base.layers if layer is base else [layer]):
            trains = (layer is not base or stage == "all unfrozen"
                      or (stage == "top block unfrozen" and part.name.startswith(prefix)))
            if trains and isinstance(part, layers.BatchNormalization):
                count += 2 * int(np.prod(part.moving_mean.shape))
    return count


def _stage_check(expected, statistics, flags):
    def check(result):
        value = result.value
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise Fail("return a pair (trainable, non_trainable)")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise Fail("return the two counts as Python ints")
        got = tuple(value)
        if got != tuple(expected):
            if got == tuple(expected)[::-1]:
                raise Fail("the counts are swapped: return (trainable, non_trainable)")
            if sum(got) != sum(expected):
                raise Fail("the two counts do not add up to all of the model's parameters")
            if statistics and got == (expected[0] + statistics, expected[1] - statistics):
                raise Fail("batch normalization's moving mean and variance are counted as trainable; they never "
                           "are, even in a trainable layer")
            raise Fail("the split between trainable and non-trainable parameters is wrong for this stage")
        echoed = result.args[0] if result.args else None
        if getattr(echoed, "config", None) is None:
            raise Fail("the model could not be read back after the call")
        if _config_flags(echoed.config) != flags:
            raise Fail("the model's trainable flags are not as they were before the call: stage_counts should "
                       "predict the counts and leave every flag as it found it")
    return check


def _stage_case(spec, stage, start, prefix, label, pass_prefix=True):
    """A fresh trusted model for one call: the expected counts are Keras's, once the flags of `stage` are set; the
    model then goes to the kernel with the flags of `start`."""
    import json

    model, base = _transfer_like(**spec)
    _set_stage(model, base, stage, prefix)
    expected = _counts(model)
    statistics = _moving_statistics(model, base, stage, prefix)
    _set_stage(model, base, start, prefix)
    flags = _config_flags(json.loads(model.to_json()))
    kwargs = {"prefix": prefix} if pass_prefix else {}
    return Case("stage_counts", (Model(model), stage), kwargs, echo_args=True,
                check=_stage_check(expected, statistics, flags), label=label)


@CHECKS.exercise("stage_counts-test")
def stage_counts(rng):
    from dlcourse.grading.checks import raises

    example = dict(shape=(8, 8, 3), blocks=[[4], [8]], batch_norm=(2,))
    for stage in _STAGES:
        yield _stage_case(example, stage, "frozen base", "block2", f"the example in the notebook ({stage})")

    def width():
        return int(rng.integers(2, 7))

    plain = dict(shape=(8, 8, int(rng.integers(1, 4))), blocks=[[width()], [width(), width()], [width(), width()]],
                 head_units=(int(rng.integers(3, 9)),), classes=int(rng.integers(2, 6)))
    for stage, start in zip(_STAGES, ("frozen base", "all unfrozen", "frozen base")):
        yield _stage_case(plain, stage, start, "block3", f"a VGG-style base with a two-layer head ({stage})")

    normed = dict(shape=(8, 8, 3), blocks=[[width()], [width(), width()], [width()]], batch_norm=(1, 2, 3),
                  head_batch_norm=True, classes=int(rng.integers(2, 6)))
    for stage in _STAGES:
        yield _stage_case(normed, stage, "top block unfrozen", "block2",
                          f"batch normalization in the base and the head, a model handed over with its top block "
                          f"unfrozen ({stage})")

    five = dict(shape=(16, 16, 3), blocks=[[width()] for _ in range(5)], batch_norm=(5,))
    yield _stage_case(five, "top block unfrozen", "all unfrozen", "block5", "the default prefix", pass_prefix=False)

    model, _ = _transfer_like(**example)
    yield Case("stage_counts", (Model(model), "unfrozen"), {"prefix": "block2"}, check=raises("ValueError"),
               label="an unknown stage name")


# ------------------------------------------------------------------------------------------ build_transfer_model

def _transfer_check(base, classes, images, labels, full: bool):
    """The model: input of the base's shape; BGR minus ImageNet means -> frozen base -> global average pooling ->
    Dropout(0.3) -> Dense softmax. Judged on the rebuilt model, against an oracle that uses the trusted base."""
    features = int(base.output.shape[-1])
    base_size = base.count_params()
    bgr = images[..., ::-1] - _BGR_MEANS
    base_features = _numpy(base(bgr, training=False)).astype(np.float64).mean(axis=(1, 2))

    def judge(data):
        import keras
        from keras import layers

        model = rebuild(data)
        if tuple(model.input.shape) != (None,) + tuple(images.shape[1:]):
            raise Fail(f"the model's input has shape {tuple(model.input.shape)}; take the base's input shape")
        if tuple(model.output.shape) != (None, classes):
            raise Fail(f"the output has shape {tuple(model.output.shape)}; it needs one probability per class")
        trainable, frozen = _counts(model)
        if trainable != features * classes + classes:
            raise Fail(f"{trainable:,} parameters are trainable; only the Dense head should train (freeze the "
                       "base)")
        if frozen != base_size:
            raise Fail("the model's frozen parameters are not exactly the base's")
        dense = [layer for layer in model.layers if isinstance(layer, layers.Dense)]
        if len(dense) != 1:
            raise Fail(f"the head has exactly one Dense layer, found {len(dense)}")
        dropouts = [layer for layer in model.layers if isinstance(layer, layers.Dropout)]
        if full and (len(dropouts) != 1 or abs(float(dropouts[0].rate) - 0.3) > 1e-9):
            raise Fail("the head needs exactly one Dropout layer, of rate 0.3")
        probabilities = _numpy(model(images, training=False)).astype(np.float64)
        if not np.allclose(probabilities.sum(axis=1), 1, atol=1e-5):
            raise Fail("the outputs should be softmax probabilities")
        kernel, bias = (w.astype(np.float64) for w in dense[0].get_weights())
        logits = base_features @ kernel + bias
        expected = np.exp(logits - logits.max(axis=1, keepdims=True))
        expected /= expected.sum(axis=1, keepdims=True)
        if not np.allclose(probabilities, expected, atol=1e-4):
            raise Fail("the outputs differ from preprocess_input -> base -> global average pooling -> Dense "
                       "softmax (did you forget preprocess_input, change the base, or use Flatten instead of "
                       "GlobalAveragePooling2D?)")
        if full:
            head = {id(v) for v in dense[0].weights}
            before = [(id(v) in head, _numpy(v).copy()) for v in model.weights]
            model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
            model.fit(images, labels, epochs=1, batch_size=len(images), verbose=0)
            after = [_numpy(v) for v in model.weights]
            if any(not is_head and not np.array_equal(old, new) for (is_head, old), new in zip(before, after)):
                raise Fail("training changed the base: it must stay frozen")
            if all(np.array_equal(old, new) for (is_head, old), new in zip(before, after) if is_head):
                raise Fail("training did not change the head")

    def check(result):
        model_check(judge)(result)
        echoed = result.args[0] if result.args else None
        if getattr(echoed, "config", None) is None or echoed.config.get("config", {}).get("trainable") is not False:
            raise Fail("freeze the base: base.trainable = False")
    return check


@CHECKS.exercise("build_transfer_model-test")
def build_transfer_model(rng):
    # The notebook's example (a 32×32 RGB base, 3 classes) with a small stand-in for VGG16.
    base = _vgg_like_base(rng, (32, 32, 3), [[int(rng.integers(3, 6))], [int(rng.integers(4, 8))]], scale=0.02)
    images = rng.uniform(0, 255, size=(4, 32, 32, 3)).astype("float32")
    yield Case("build_transfer_model", (Model(base), 3), echo_args=True, weights=True, seconds=60,
               check=_transfer_check(base, 3, images, np.arange(4) % 3, full=False),
               label="the example in the notebook")
    # Another input shape and class count, small weights so the softmax cannot saturate; then one training step.
    shape = (2 * int(rng.integers(8, 12)), 2 * int(rng.integers(10, 14)), 3)
    classes = int(rng.integers(4, 7))
    base = _vgg_like_base(rng, shape, [[int(rng.integers(4, 8))], [int(rng.integers(8, 12))]], scale=0.002)
    images = rng.uniform(0, 255, size=(6,) + shape).astype("float32")
    yield Case("build_transfer_model", (Model(base), classes), echo_args=True, weights=True, seconds=60,
               check=_transfer_check(base, classes, images, np.arange(6) % classes, full=True),
               label="another base and number of classes, then one training step")


# ------------------------------------------------------------------------------------------ unfreeze_top_block

def _unfreeze_check(base, prefix):
    want = {layer.name: layer.name.startswith(prefix) for layer in base.layers if layer.weights}
    expected = _size([w for layer in base.layers if layer.name.startswith(prefix) for w in layer.weights])

    def check(result):
        if not result.args:
            raise Fail("the base could not be read back after the call")
        data = result.args[0]
        if not hasattr(data, "config"):
            raise Fail("the base is no longer a Keras model after the call")
        if data.config.get("config", {}).get("trainable") is not True:
            raise Fail("set base.trainable = True first, then freeze the layers outside the top block")
        model = rebuild(data)
        got = {layer.name: bool(layer.trainable) for layer in model.layers if layer.weights}
        if set(got) != set(want):
            raise Fail("the base's layers changed")
        wrong = [name for name in want if got[name] != want[name]]
        if wrong:
            raise Fail(f"only the layers whose names start with the prefix should be trainable; {len(wrong)} of the "
                       "base's layers have the wrong flag")
        if _size(model.trainable_weights) != expected:
            raise Fail(f"{_size(model.trainable_weights):,} parameters are trainable, not those of the top block")
    return check


@CHECKS.exercise("unfreeze_top_block-test")
def unfreeze_top_block(rng):
    def five_blocks():
        return [[int(rng.integers(2, 4)) for _ in range(count)] for count in (2, 2, 3, 3, 3)]

    base = _vgg_like_base(rng, (32, 32, 3), five_blocks())
    base.trainable = False
    yield Case("unfreeze_top_block", (Model(base),), echo_args=True, check=_unfreeze_check(base, "block5"),
               label="the example in the notebook")
    base = _vgg_like_base(rng, (32, 32, 3), five_blocks())
    base.trainable = False
    yield Case("unfreeze_top_block", (Model(base),), {"prefix": "block4"}, echo_args=True,
               check=_unfreeze_check(base, "block4"), label="another prefix")
    base = _vgg_like_base(rng, (8, 8, 3), [[int(rng.integers(2, 6))], [int(rng.integers(2, 6)), int(rng.integers(2, 6))]])
    base.trainable = False
    yield Case("unfreeze_top_block", (Model(base),), {"prefix": "block2"}, echo_args=True,
               check=_unfreeze_check(base, "block2"), label="a small base with two blocks")
    base = _vgg_like_base(rng, (16, 16, 3), [[int(rng.integers(2, 5))] * 2 for _ in range(3)])
    yield Case("unfreeze_top_block", (Model(base),), {"prefix": "block3"}, echo_args=True,
               check=_unfreeze_check(base, "block3"), label="a base that was fully trainable before")
