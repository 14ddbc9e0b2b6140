"""Trusted checks for lesson 04, LeNet (see dlcourse/grading/checks.py). Instructor-only: never released.

Every expected value is computed here: shapes and counts from Keras layers built in this process, padded batches
with NumPy, LeNet-5's behaviour from a reference model given the same weights, and training judged on the trained
model that comes back (its weights), never on a number the student's function reports. The challenge net is
rebuilt from its config and trained here, on real digits. Keras is imported lazily, inside generators and checks.
"""

import numpy as np

from dlcourse.grading.checks import (Case, Fail, KerasObject, Model, ModelData, Registry, all_of, args_unchanged,
                                     as_array, close, layer_classes, model_check, rebuild)

CHECKS = Registry()



# ------------------------------------------------------------------------------------------ trace_shapes

LENET5_SPECS = [("conv", 6, 5, 1, "valid"), ("pool", 2, 2), ("conv", 16, 5, 1, "valid"), ("pool", 2, 2),
                ("conv", 120, 5, 1, "valid"), ("flatten",), ("dense", 84), ("dense", 10)]


def _keras_trace(input_shape, specs):
    """Oracle: the same layers built in Keras; each layer's output shape (no batch axis) and parameter count."""
    import keras
    from keras import layers

    built = []
    for spec in specs:
        if spec[0] == "conv":
            built.append(layers.Conv2D(spec[1], spec[2], strides=spec[3], padding=spec[4]))
        elif spec[0] == "pool":
            built.append(layers.MaxPooling2D(spec[1], strides=spec[2]))
        elif spec[0] == "flatten":
            built.append(layers.Flatten())
        else:
            built.append(layers.Dense(spec[1]))
    model = keras.Sequential([keras.Input(shape=input_shape)] + built)
    return [(tuple(int(v) for v in layer.output.shape[1:]), int(layer.count_params())) for layer in model.layers]


def _trace_check(input_shape, specs):
    expected = _keras_trace(input_shape, specs)

    def check(result):
        trace = result.value
        if not isinstance(trace, (list, tuple)) or isinstance(trace, ModelData):
            raise Fail("return a list of (output_shape, params) pairs, one per layer")
        if len(trace) != len(specs):
            raise Fail("the number of pairs is wrong: return one (output_shape, params) pair per layer")
        for index, (item, (want_shape, want_params), spec) in enumerate(zip(trace, expected, specs), start=1):
            if not isinstance(item, (list, tuple)) or len(item) != 2:
                raise Fail(f"item {index} is not an (output_shape, params) pair")
            shape, params = item
            try:
                got_shape = tuple(as_array(shape, "a shape").reshape(-1).tolist())
            except Fail:
                raise Fail(f"the output shape of layer {index} (a {spec[0]}) is not a tuple of numbers") from None
            if got_shape != want_shape:
                raise Fail(f"the output shape of layer {index} (a {spec[0]}) is wrong")
            if isinstance(params, bool) or not isinstance(params, (int, float)) or params != want_params:
                raise Fail(f"the parameter count of layer {index} (a {spec[0]}) is wrong")
    return check


def _random_specs(rng, dense: bool):
    """A random valid stack of convolutions and pooling layers (then flatten and dense layers if `dense`)."""
    height, width, channels = int(rng.integers(12, 41)), int(rng.integers(12, 41)), int(rng.integers(1, 5))
    input_shape, specs = (height, width, channels), []
    for _ in range(int(rng.integers(2, 5))):
        side = min(height, width)
        if rng.random() < 0.6 or side < 2:
            kernel, stride = int(rng.integers(1, min(side, 5) + 1)), int(rng.integers(1, 4))
            padding = str(rng.choice(["valid", "same"]))
            specs.append(("conv", int(rng.integers(1, 17)), kernel, stride, padding))
            if padding == "same":
                height, width = -(-height // stride), -(-width // stride)
            else:
                height, width = (height - kernel) // stride + 1, (width - kernel) // stride + 1
        else:
            size, stride = int(rng.integers(2, min(side, 3) + 1)), int(rng.integers(1, 4))
            specs.append(("pool", size, stride))
            height, width = (height - size) // stride + 1, (width - size) // stride + 1
    if dense:
        specs.append(("flatten",))
        specs += [("dense", int(rng.integers(1, 33))) for _ in range(int(rng.integers(1, 3)))]
    return input_shape, specs


@CHECKS.exercise("trace_shapes-test")
def trace_shapes(rng):
    yield Case("trace_shapes", ((32, 32, 1), LENET5_SPECS), check=_trace_check((32, 32, 1), LENET5_SPECS),
               label="the example in the notebook")
    fixed = [
        ((28, 28, 1), [("conv", 6, 5, 1, "same"), ("pool", 2, 2), ("conv", 16, 5, 1, "valid"), ("pool", 2, 2),
                       ("flatten",), ("dense", 120), ("dense", 84), ("dense", 10)], "the notes' 28x28 LeNet"),
        ((28, 28, 1), [("conv", 32, 3, 1, "same"), ("pool", 2, 2), ("conv", 64, 3, 1, "same"), ("pool", 2, 2),
                       ("flatten",), ("dense", 64), ("dense", 10)], "the notes' wider CNN"),
        ((33, 20, 3), [("conv", 8, 3, 2, "same"), ("conv", 5, 3, 2, "valid"), ("pool", 3, 2), ("flatten",),
                       ("dense", 7)], "a non-square colour input with strides"),
        ((17, 17, 4), [("conv", 3, 5, 3, "valid"), ("conv", 9, 1, 1, "valid"), ("conv", 2, 7, 2, "same"),
                       ("flatten",), ("dense", 3), ("dense", 2)], "strides that do not divide evenly"),
    ]
    for input_shape, specs, label in fixed:
        yield Case("trace_shapes", (input_shape, specs), check=_trace_check(input_shape, specs), label=label)
    for _ in range(3):
        input_shape, specs = _random_specs(rng, dense=True)
        yield Case("trace_shapes", (input_shape, specs), check=_trace_check(input_shape, specs),
                   label="a random network")
    input_shape, specs = _random_specs(rng, dense=False)
    yield Case("trace_shapes", (input_shape, specs), check=_trace_check(input_shape, specs),
               label="a random stack of convolutions and pooling only")


# ------------------------------------------------------------------------------------------ build_lenet5

def _lenet5_reference(input_shape, num_classes):
    """LeNet-5 as the notebook's table describes it: tanh, 2x2 average pooling, no padding, softmax output."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(6, 5, activation="tanh"), layers.AveragePooling2D(2),
        layers.Conv2D(16, 5, activation="tanh"), layers.AveragePooling2D(2),
        layers.Conv2D(120, 5, activation="tanh"), layers.Flatten(),
        layers.Dense(84, activation="tanh"), layers.Dense(num_classes, activation="softmax")])


def _lenet5_check(input_shape, num_classes, rng):
    weight_seed = int(rng.integers(2**31))
    images = rng.uniform(0, 1, size=(4,) + tuple(input_shape)).astype("float32")

    def judge(data):
        import keras

        model = rebuild(data)
        if not getattr(model, "built", False) or not model.weights or not hasattr(model, "input_shape"):
            raise Fail("the model has no input shape: start it with keras.Input(shape=input_shape)")
        reference = _lenet5_reference(input_shape, num_classes)
        if tuple(model.input_shape) != (None,) + tuple(input_shape):
            raise Fail(f"the input shape is {tuple(model.input_shape)}; use the input_shape argument")
        if tuple(model.output_shape) != (None, num_classes):
            raise Fail(f"the output shape is {tuple(model.output_shape)}; it should be one probability per class "
                       "(num_classes)")
        convs = [tuple(layer.output.shape[1:]) for layer in model.layers if type(layer).__name__ == "Conv2D"]
        want_convs = [tuple(layer.output.shape[1:]) for layer in reference.layers if type(layer).__name__ == "Conv2D"]
        if convs != want_convs:
            raise Fail(f"the convolutions output {convs}, which are not C1, C3 and C5's shapes; LeNet-5 pads nothing "
                       "(padding='valid')")
        pools = [type(layer).__name__ for layer in model.layers if "Pooling" in type(layer).__name__]
        if pools != ["AveragePooling2D", "AveragePooling2D"]:
            raise Fail("S2 and S4 are two 2x2 average-pooling layers (layers.AveragePooling2D), and there is no "
                       "other pooling")
        if model.count_params() != reference.count_params():
            raise Fail(f"the model has {model.count_params():,} parameters, which is not LeNet-5's count for this "
                       "input shape and number of classes")
        weighted = [(tuple(layer.output.shape[1:]), layer.count_params()) for layer in model.layers
                    if layer.count_params()]
        want_weighted = [(tuple(layer.output.shape[1:]), layer.count_params()) for layer in reference.layers
                         if layer.count_params()]
        if weighted != want_weighted:
            raise Fail("the layers with weights are not C1, C3, C5, F6 and the output, in that order, with their "
                       "shapes and parameter counts")
        if not any(getattr(layer, "activation", None) is keras.activations.tanh for layer in model.layers):
            raise Fail("use tanh as the hidden activation")
        outputs = keras.ops.convert_to_numpy(model(images, training=False))
        if not np.allclose(outputs.sum(axis=1), 1, atol=1e-4):
            raise Fail("the output layer should use a softmax (each row sums to 1)")
        # Behaviour: with the same random weights, the model must compute what the reference computes.
        weights_rng = np.random.default_rng(weight_seed)
        weights = []
        for weight in reference.get_weights():
            fan_in = int(np.prod(weight.shape[:-1])) if weight.ndim > 1 else 100
            weights.append(weights_rng.normal(0, 1.5 / np.sqrt(fan_in), size=weight.shape).astype("float32"))
        reference.set_weights(weights)
        try:
            model.set_weights(weights)
        except Exception:  # noqa: BLE001
            raise Fail("the model's weights are not laid out like LeNet-5's (C1, C3, C5, F6, output)") from None
        got = keras.ops.convert_to_numpy(model(images, training=False))
        want = keras.ops.convert_to_numpy(reference(images, training=False))
        if got.shape != want.shape or not np.allclose(got, want, atol=1e-5):
            raise Fail("with the same weights, the model computes something other than LeNet-5: tanh after C1, "
                       "C3, C5 and F6, average pooling after C1 and C3, a softmax output")
    return model_check(judge)


@CHECKS.exercise("build_lenet5-test")
def build_lenet5(rng):
    yield Case("build_lenet5", (), check=_lenet5_check((32, 32, 1), 10, rng),
               label="the example in the notebook")
    kinds = [((32, 32, 3), 10, "a colour input"), ((36, 40, 1), 5, "a non-square input and 5 classes"),
             ((32, 32, 1), 26, "26 classes"),
             ((int(rng.integers(32, 45)), int(rng.integers(32, 45)), int(rng.integers(1, 4))),
              int(rng.integers(2, 40)), "a random input shape and number of classes")]
    for input_shape, classes, label in kinds:
        yield Case("build_lenet5", (input_shape, classes), check=_lenet5_check(input_shape, classes, rng),
                   label=label)
    input_shape, classes = (int(rng.integers(32, 41)),) * 2 + (1,), int(rng.integers(2, 30))
    yield Case("build_lenet5", (), {"input_shape": input_shape, "num_classes": classes},
               check=_lenet5_check(input_shape, classes, rng), label="keyword arguments")


# ------------------------------------------------------------------------------------------ to_lenet_input

def _padded(images, size):
    """Oracle: scale to [0, 1] in float64, then zero-pad each side by (size - side) // 2, then a channel axis."""
    rows, cols = (size - images.shape[1]) // 2, (size - images.shape[2]) // 2
    return np.pad(images.astype(np.float64) / 255.0, ((0, 0), (rows, rows), (cols, cols)))[..., None]


def _lenet_input_case(images, size, label):
    args = (images,) if size is None else (images, size)
    check = all_of(close(_padded(images, size or 32), atol=1e-6, dtype="float32"), args_unchanged(images.copy(),
                                                                                                  index=0))
    return Case("to_lenet_input", args, check=check, label=label, echo_args=True)


@CHECKS.exercise("to_lenet_input-test")
def to_lenet_input(rng):
    yield _lenet_input_case(np.full((2, 28, 28), 255, dtype=np.uint8), None, "the example in the notebook")
    kinds = [(int(rng.integers(2, 6)), 28, 32, "a batch of MNIST digits"),
             (1, 20, 32, "a single smaller image"),
             (int(rng.integers(2, 6)), 10, 16, "a smaller target size"),
             (int(rng.integers(2, 5)), 16, 16, "images already of the target size"),
             (int(rng.integers(2, 5)), 2 * int(rng.integers(4, 12)), 2 * int(rng.integers(13, 20)),
              "a random image size and target size")]
    for count, side, size, label in kinds:
        yield _lenet_input_case(rng.integers(0, 256, size=(count, side, side), dtype=np.uint8), size, label)
    yield _lenet_input_case(rng.integers(0, 256, size=(int(rng.integers(2, 6)), 28, 28), dtype=np.uint8), None,
                            "random digits and the default size")


# ------------------------------------------------------------------------------------------ train_and_evaluate

def _tiny_model(initial=None, seed=None):
    """The notebook's tiny classifier for 8x8 images: Flatten, then Dense(10, softmax)."""
    import keras
    from keras import layers

    if seed is not None:
        keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), layers.Flatten(), layers.Dense(10, activation="softmax")])
    if initial is not None:
        model.set_weights(initial)
    return model


def _softmax(logits):
    logits = logits - logits.max(axis=1, keepdims=True)
    exps = np.exp(logits)
    return exps / exps.sum(axis=1, keepdims=True)


def _replica(initial, train, validation, learning_rate, epochs):
    """Oracle: full-batch SGD on softmax regression, in NumPy: after each epoch (one step on the whole training
    set), the weights and the validation accuracy. Sparse cross-entropy's gradient for logits is p - onehot(y)."""
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in initial)
    images, labels = train[0].reshape(len(train[0]), -1).astype(np.float64), train[1]
    val_images = validation[0].reshape(len(validation[0]), -1).astype(np.float64)
    states, accuracies = [], []
    for _ in range(epochs):
        gradient = _softmax(images @ kernel + bias)
        gradient[np.arange(len(labels)), labels] -= 1.0
        gradient /= len(labels)
        kernel, bias = kernel - learning_rate * images.T @ gradient, bias - learning_rate * gradient.sum(axis=0)
        states.append((kernel.copy(), bias.copy()))
        accuracies.append(float(np.mean(np.argmax(val_images @ kernel + bias, axis=1) == validation[1])))
    return states, accuracies


def _keras_accuracy(model, images, labels):
    import keras

    return float(np.mean(np.argmax(keras.ops.convert_to_numpy(model(images, training=False)), axis=1) == labels))


def _keras_loss(model, images, labels):
    import keras

    probabilities = keras.ops.convert_to_numpy(model(images, training=False)).astype(np.float64)
    return float(-np.mean(np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0))))


def _train_check(initial, train, validation, test, epochs, visible=False, replica=None):
    """The returned pair's form, then the trained model that comes back (echo_args, weights) judged here."""
    initial_model = _tiny_model(initial)
    initial_loss = _keras_loss(initial_model, *train)

    def check(result):
        value = result.value
        if not isinstance(value, tuple) or len(value) != 2:
            raise Fail("return a pair: (history.history, test_accuracy)")
        history, test_accuracy = value
        if not isinstance(history, dict) or not isinstance(history.get("loss"), list) \
                or len(history["loss"]) != epochs:
            raise Fail("the first item should be History.history, a dict with one 'loss' value per epoch")
        if not isinstance(history.get("val_accuracy"), list) or len(history["val_accuracy"]) != epochs:
            raise Fail("no 'val_accuracy' per epoch in the history: pass validation_data and metrics=['accuracy']")
        if isinstance(test_accuracy, bool) or not isinstance(test_accuracy, float):
            raise Fail("return the test accuracy as a Python float")
        echoed = result.args or []
        if not echoed or not isinstance(echoed[0], ModelData) or echoed[0].weights is None:
            raise Fail("the model passed in did not come back as a Keras model")
        model = rebuild(echoed[0])
        weights = model.get_weights()
        if [w.shape for w in weights] != [np.shape(w) for w in initial]:
            raise Fail("the model's weights changed shape; train the model you are given")
        accuracy = _keras_accuracy(model, *test)
        if not abs(test_accuracy - accuracy) < 1e-6:
            raise Fail("the returned accuracy is not the trained model's accuracy on the test pair. Evaluate on "
                       "`test`, after loading the best weights")
        if visible:
            if not _keras_loss(model, *train) < initial_loss:
                raise Fail("the model passed in was not trained (its training loss did not fall)")
            if not history["loss"][-1] < history["loss"][0]:
                raise Fail("the training loss in the history should fall over the epochs")
            if not accuracy > 0.6:
                raise Fail(f"10 separable classes should give far more than chance (0.1); the trained model "
                           f"classifies {accuracy:.1%} of the test pair")
        if replica is not None:
            states, accuracies = replica
            tolerance = 1.5 / len(validation[1])  # a validation image on the edge may flip in float32
            matching = [epoch for epoch, state in enumerate(states)
                        if all(np.allclose(w, s, atol=1e-4, rtol=1e-4) for w, s in zip(weights, state))]
            if not matching:
                raise Fail("the trained weights are not those of any epoch of the requested training: compile "
                           "with `optimizer`, fit for `epochs` epochs with `batch_size`, on `train`")
            if not any(accuracies[epoch] >= max(accuracies) - tolerance for epoch in matching):
                raise Fail("after training, the model should carry the weights of the epoch with the best "
                           "val_accuracy: save only the best with ModelCheckpoint and load them back")
    return check


@CHECKS.exercise("train_and_evaluate-test")
def train_and_evaluate(rng):
    import keras

    token = f"{int(rng.integers(2**62)):x}"

    def path(name):  # the jail's /tmp is private to the kernel; outside a jail, the name is unlikely to clash
        return f"/tmp/dlcourse-check-{token}-{name}.weights.h5"

    # The notebook's visible example: ten well-separated classes of 8x8 "images", Adam 0.01, batches of 32.
    centres = np.random.default_rng(0).normal(size=(10, 8, 8, 1)).astype("float32")

    def blobs(count, seed, centres=centres):
        labels = np.random.default_rng(seed).integers(0, 10, count)
        noise = np.random.default_rng(seed + 1).normal(scale=0.7, size=(count, 8, 8, 1)).astype("float32")
        return centres[labels] + noise, labels

    train, validation, test = blobs(600, 10), blobs(200, 20), blobs(300, 30)
    model = _tiny_model(seed=1)
    initial = model.get_weights()
    yield Case("train_and_evaluate", (Model(model), train, validation, test, 3, path("tiny")),
               {"batch_size": 32, "optimizer": KerasObject(keras.optimizers.Adam(0.01))}, echo_args=True,
               weights=True, seconds=60, label="the example in the notebook",
               check=_train_check(initial, train, validation, test, 3, visible=True))

    # Full-batch SGD: one step per epoch on the whole training set, so every epoch's weights are known here.
    learning_rate = 0.2

    def random_problem():
        centres = rng.normal(size=(10, 8, 8, 1)).astype("float32")

        def draw(count):
            labels = rng.integers(0, 10, count)
            return (centres[labels] + rng.normal(scale=0.7, size=(count, 8, 8, 1))).astype("float32"), labels

        limit = np.sqrt(6 / (64 + 10))
        initial = [rng.uniform(-limit, limit, size=(64, 10)).astype("float32"),
                   rng.normal(0, 0.05, size=10).astype("float32")]
        return initial, draw(600), draw(200), draw(300)

    initial, train, validation, test = random_problem()
    replica = _replica(initial, train, validation, learning_rate, 3)
    yield Case("train_and_evaluate", (Model(_tiny_model(initial)), train, validation, test, 3, path("full-batch")),
               {"batch_size": len(train[1]), "optimizer": KerasObject(keras.optimizers.SGD(learning_rate))},
               echo_args=True, weights=True, seconds=60, label="full-batch SGD on new data",
               check=_train_check(initial, train, validation, test, 3, replica=replica))

    # A validation set labelled with the untrained model's own guesses: training moves away from them, so an early
    # epoch scores best on it, well above the last. A solution that keeps the last epoch's weights fails here.
    for _ in range(20):
        initial, train, validation, test = random_problem()
        flat = validation[0].reshape(len(validation[0]), -1).astype(np.float64)
        validation = (validation[0], np.argmax(flat @ initial[0] + initial[1], axis=1))
        replica = _replica(initial, train, validation, learning_rate, 4)
        if replica[1][-1] < max(replica[1]) - 10 / len(validation[1]):
            break
    yield Case("train_and_evaluate", (Model(_tiny_model(initial)), train, validation, test, 4, path("best-epoch")),
               {"batch_size": len(train[1]), "optimizer": KerasObject(keras.optimizers.SGD(learning_rate))},
               echo_args=True, weights=True, seconds=60,
               label="a validation set on which an early epoch scores best",
               check=_train_check(initial, train, validation, test, 4, replica=replica))


# ------------------------------------------------------------------------------------------ build_small_cnn

_ALLOWED = {"InputLayer", "Conv2D", "SeparableConv2D", "DepthwiseConv2D", "MaxPooling2D", "AveragePooling2D",
            "GlobalAveragePooling2D", "GlobalMaxPooling2D", "BatchNormalization", "Dropout", "SpatialDropout2D",
            "Flatten", "Dense", "Activation", "ReLU"}
_CONVOLUTIONS = {"Conv2D", "SeparableConv2D", "DepthwiseConv2D"}
_MNIST = {}


def _embedded_arrays(node, depth=0) -> bool:
    """Whether a config carries arrays (a Constant initialiser with a whole weight tensor, say)."""
    if depth > 80:
        return True
    if isinstance(node, list):
        return any(_embedded_arrays(item, depth + 1) for item in node)
    if isinstance(node, dict):
        if node.get("class_name") == "__numpy__":
            return True
        if node.get("class_name") == "Constant" and not isinstance((node.get("config") or {}).get("value"),
                                                                   (int, float)):
            return True
        return any(_embedded_arrays(value, depth + 1) for value in node.values())
    return False


def _digits():
    """The grader's digits, as in the notebook: the first 2,000 training and 1,000 test images of MNIST."""
    if not _MNIST:
        from dlcourse.data import load_mnist

        (images, labels), (test_images, test_labels) = load_mnist("smoke", verbose=False)
        _MNIST["train"] = ((images[:2000].astype("float32") / 255.0)[..., None], np.asarray(labels[:2000]))
        _MNIST["test"] = ((test_images[:1000].astype("float32") / 255.0)[..., None], np.asarray(test_labels[:1000]))
    return _MNIST["train"], _MNIST["test"]


def _small_cnn_check(rng):
    # Random images, a blank one and a very bright one: the output must be a probability vector for each.
    images = rng.random((3, 28, 28, 1), dtype="float32")
    images = np.concatenate([images, np.zeros_like(images[:1]), 10 * images[:1]]).astype("float32")

    def judge(data):
        import keras
        from keras import layers

        if data.config.get("class_name") not in ("Functional", "Sequential", "Model"):
            raise Fail("return a keras.Model (functional or Sequential), not a single layer")
        forbidden = sorted({name for name in layer_classes(data) if name not in _ALLOWED})
        if forbidden:
            raise Fail(f"layers outside the allowed list: {forbidden}. Build the network from the listed layers "
                       "only: no nested or pretrained models, no Lambda or preprocessing layers.")
        if _embedded_arrays(data.config):
            raise Fail("the model's config carries arrays (a Constant initialiser with whole weight tensors?); "
                       "return a new, untrained model")
        keras.utils.set_random_seed(0)
        model = rebuild(ModelData(config=data.config))  # fresh weights: the grader trains it from scratch
        if not hasattr(model, "input_shape") or tuple(model.input_shape) != (None, 28, 28, 1):
            raise Fail("the input should be (None, 28, 28, 1)")
        if tuple(model.output_shape) != (None, 10):
            raise Fail(f"the output should be (None, 10); got {tuple(model.output_shape)}")
        params = model.count_params()
        if not params < 10_000:
            raise Fail(f"the model has {params:,} parameters; the limit is 9,999")
        kinds = [type(layer).__name__ for layer in model.layers]
        if any(isinstance(layer, keras.Model) or kind not in _ALLOWED for layer, kind in zip(model.layers, kinds)):
            raise Fail("the model has layers outside the allowed list (no nested or pretrained models)")
        if not any(kind in _CONVOLUTIONS for kind in kinds):
            raise Fail("a CNN needs at least one convolution layer")
        spatial = [layer for layer, kind in zip(model.layers, kinds)
                   if kind in _CONVOLUTIONS and min(int(side) for side in layer.kernel_size) >= 3]
        if len(spatial) < 2:
            raise Fail("the challenge needs at least two convolutions with kernels of 3x3 or larger (1x1 "
                       "convolutions mix channels but see no neighbours)")
        def activation_name(layer):
            return getattr(getattr(layer, "activation", None), "__name__", None)

        nonlinear = [layer for layer, kind in zip(model.layers[:-1], kinds[:-1])
                     if kind in ("ReLU", "MaxPooling2D", "GlobalMaxPooling2D")
                     or activation_name(layer) not in (None, "linear", "softmax")]
        if not nonlinear:
            raise Fail("no non-linearity before the output layer: without a ReLU (or tanh, or max pooling) the network "
                       "is one linear map followed by a softmax")
        outputs = keras.ops.convert_to_numpy(model(images, training=False))
        if not (np.all(np.isfinite(outputs)) and np.all(outputs >= 0) and np.allclose(outputs.sum(axis=1), 1,
                                                                                          atol=1e-4)):
            raise Fail("end with a softmax: each output row should be 10 probabilities, none negative, summing to 1")

        # It must learn: the notebook's fixed training run on real digits, here.
        (train_images, train_labels), (test_images, test_labels) = _digits()
        model.compile(optimizer=keras.optimizers.Adam(0.003), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        losses = model.fit(train_images, train_labels, epochs=2, batch_size=32, verbose=0).history["loss"]
        # Re-estimate BatchNormalization's running mean and variance: momentum 0 makes one pass replace them.
        for layer in model.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.momentum = 0.0
        model(train_images[:1000], training=True)
        predicted = np.argmax(keras.ops.convert_to_numpy(model(test_images, training=False)), axis=1)
        accuracy = float(np.mean(predicted == test_labels))
        if not losses[-1] < losses[0]:
            raise Fail("the training loss did not fall over the grader's 2 epochs")
        if not accuracy > 0.8:
            raise Fail(f"after 2 epochs on 2,000 digits your net classifies {accuracy:.1%} of 1,000 test digits; a "
                       "good small CNN exceeds 80%. Try BatchNormalization after each convolution, ReLU, and enough "
                       "filters (8 or more) in the early layers.")
    return model_check(judge)


@CHECKS.exercise("build_small_cnn-test")
def build_small_cnn(rng):
    yield Case("build_small_cnn", (), check=_small_cnn_check(rng), label="the example in the notebook")
