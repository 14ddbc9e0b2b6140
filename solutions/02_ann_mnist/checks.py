"""Trusted checks for lesson 02 (see dlcourse/grading/checks.py). Instructor-only: never released.

Ported from the hidden tests of 02_ann_mnist.ipynb. Every expected value is computed here, from first principles
(a perceptron written out below, the initialiser formulas, the chain rule for a dense layer's gradients, confirmed
by central differences) or an independent oracle (Keras's Dense layer, activations, initialisers, count_params and
fit).
"""

import numpy as np

from dlcourse.grading.checks import (Case, Fail, Registry, all_of, args_unchanged, as_array, close, equal,
                                     model_check, rebuild)

CHECKS = Registry()


def _keras():
    import keras

    return keras


# ------------------------------------------------------------------------------------------ perceptron_output

def _fires(weights, inputs):
    weights, inputs = np.asarray(weights, dtype=np.float64), np.asarray(inputs, dtype=np.float64)
    return np.where(weights[0] + inputs @ weights[1:] >= 0, 1, 0)


def _outputs(expected):
    """0/1 outputs (ints, floats or bools), one per sample; a single sample may give a scalar or one value."""
    expected = np.asarray(expected)

    def check(result):
        got = as_array(result.value, "0/1 outputs")
        if expected.ndim == 0:
            if got.size != 1:
                raise Fail(f"returned {got.size} values for a single sample; return one output")
            got = got.reshape(())
        elif got.shape != expected.shape:
            raise Fail(f"returned shape {got.shape}; return one output per sample")
        if not np.isin(got, (0, 1)).all():
            raise Fail("returned values other than 0 and 1")
        if not np.array_equal(got.astype(int), expected):
            raise Fail("the outputs are wrong: fire (1) where w0 + w . x >= 0, else 0")
    return check


@CHECKS.exercise("perceptron_output-test")
def perceptron_output(rng):
    truth = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    or_weights = np.array([-1.0, 1.1, 1.1])
    yield Case("perceptron_output", (or_weights, truth), check=_outputs([0, 1, 1, 1]),
               label="the example in the notebook")
    yield Case("perceptron_output", (np.array([-2.0, 1.0, 1.0]), np.array([1, 1])), check=_outputs(1),
               label="a weighted sum of exactly 0")
    yield Case("perceptron_output", (or_weights, np.array([0, 0])), check=_outputs(0),
               label="inputs (0, 0), where only the bias counts")
    for n in (1, 3, 7):
        weights, inputs = rng.normal(size=n + 1), rng.normal(size=(25, n))
        yield Case("perceptron_output", (weights, inputs), check=_outputs(_fires(weights, inputs)),
                   label=f"a batch of random samples with {n} feature{'s' * (n > 1)}")
        yield Case("perceptron_output", (weights, inputs[0]), check=_outputs(_fires(weights, inputs[0])),
                   label=f"one random sample with {n} feature{'s' * (n > 1)}")
    # Small integers: many weighted sums are exactly 0, computed without rounding error.
    weights = rng.integers(-2, 3, size=4).astype(float)
    weights[1:][weights[1:] == 0] = 1.0
    inputs = rng.integers(-2, 3, size=(30, 3))
    weights[0] = -(inputs[0] @ weights[1:])  # at least the first sum is exactly 0
    yield Case("perceptron_output", (weights, inputs), check=_outputs(_fires(weights, inputs)),
               label="a batch with several weighted sums of exactly 0")


# ------------------------------------------------------------------------------------------ train_perceptron

def _perceptron(inputs, labels, max_epochs):
    """The perceptron learning rule from zero weights, one sample at a time, stopping after a clean epoch."""
    inputs = np.asarray(inputs, dtype=np.float64)
    weights, history = np.zeros(inputs.shape[1] + 1), []
    for _ in range(max_epochs):
        updates = 0
        for sample, label in zip(inputs, labels):
            extended = np.concatenate([[1.0], sample])
            score = weights @ extended
            if label == 1 and score < 0:
                weights, updates = weights + extended, updates + 1
            elif label == 0 and score >= 0:
                weights, updates = weights - extended, updates + 1
        history.append(updates)
        if updates == 0:
            break
    return weights, history


def _training(inputs, labels, max_epochs):
    weights, history = _perceptron(inputs, labels, max_epochs)

    def check(result):
        value = result.value
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise Fail("return a pair (weights, mistakes per epoch)")
        got_weights = as_array(value[0], "an array of weights")
        if got_weights.shape != weights.shape:
            raise Fail(f"returned weights of shape {got_weights.shape}: one per feature plus the bias, bias first")
        got_history = as_array(value[1], "a list of mistakes per epoch")
        if got_history.ndim != 1:
            raise Fail("the mistakes should be a flat list, one count per epoch")
        if len(got_history) != len(history):
            raise Fail(f"ran {len(got_history)} epochs, which is not the right number: stop after the first epoch "
                       "without mistakes, or at max_epochs")
        if not np.array_equal(got_history.astype(np.float64), np.asarray(history, dtype=np.float64)):
            raise Fail("the mistakes per epoch are wrong: count the updates in each pass over the samples")
        if not np.allclose(got_weights.astype(np.float64), weights, atol=1e-9):
            raise Fail("the final weights are wrong")
    return check


@CHECKS.exercise("train_perceptron-test")
def train_perceptron(rng):
    truth = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    for name, labels in (("OR", [0, 1, 1, 1]), ("AND", [0, 0, 0, 1])):
        labels = np.array(labels)
        label = "the example in the notebook" if name == "OR" else f"the {name} gate from the notebook"
        yield Case("train_perceptron", (truth, labels), check=_training(truth, labels, 100), label=label)
    xor = np.array([0, 1, 1, 0])
    yield Case("train_perceptron", (truth, xor), {"max_epochs": 30}, check=_training(truth, xor, 30),
               label="XOR, which never converges")
    for _ in range(4):
        inputs = np.round(rng.uniform(-3, 3, size=(30, 3)), 1)
        true_weights = rng.normal(size=4)
        labels = (true_weights[0] + inputs @ true_weights[1:] >= 0).astype(int)
        yield Case("train_perceptron", (inputs, labels), {"max_epochs": 200}, check=_training(inputs, labels, 200),
                   label="random linearly separable data")
    ones = np.ones(4, dtype=int)
    yield Case("train_perceptron", (truth, ones), {"max_epochs": 10}, check=_training(truth, ones, 10),
               label="labels that the zero weights already get right")
    noisy = np.concatenate([truth, truth])
    noisy_labels = np.concatenate([xor, xor])
    yield Case("train_perceptron", (noisy, noisy_labels), check=_training(noisy, noisy_labels, 100),
               label="the default max_epochs on data that never converges")


# ------------------------------------------------------------------------------------------ dense_forward

def _dense_oracle(inputs, kernel, bias, activation):
    keras = _keras()
    layer = keras.layers.Dense(kernel.shape[1], activation=activation)
    layer.build((None, kernel.shape[0]))
    layer.set_weights([kernel, bias])
    return np.asarray(keras.ops.convert_to_numpy(layer(inputs)), dtype=np.float64)


@CHECKS.exercise("dense_forward-test")
def dense_forward(rng):
    inputs = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    kernel = np.array([[1.0, -1.0, 0.0], [0.5, 2.0, -3.0]])
    bias = np.array([0.0, 1.0, -1.0])
    linear = inputs @ kernel + bias
    yield Case("dense_forward", (inputs, kernel, bias), check=close(linear), label="the example in the notebook")
    yield Case("dense_forward", (inputs, kernel, bias), {"activation": "relu"}, check=close(np.maximum(linear, 0)),
               label="the example in the notebook with ReLU")
    for n, m, batch in ((4, 5, 1), (7, 3, 9), (1, 6, 4)):
        x = rng.normal(size=(batch, n)).astype("float32")
        k = rng.normal(size=(n, m)).astype("float32")
        b = rng.normal(size=m).astype("float32")
        for activation in (None, "relu"):
            expected = _dense_oracle(x, k, b, activation)
            shape = f"a {n} -> {m} layer on {'one sample' if batch == 1 else 'a batch'}"
            if activation is None:
                yield Case("dense_forward", (x, k, b), check=close(expected, atol=1e-4, rtol=1e-4),
                           label=f"{shape}, no activation (the default)")
                yield Case("dense_forward", (x, k, b), {"activation": None}, check=close(expected, atol=1e-4, rtol=1e-4),
                           label=f"{shape}, activation=None")
            else:
                yield Case("dense_forward", (x, k, b), {"activation": "relu"},
                           check=close(expected, atol=1e-4, rtol=1e-4), label=f"{shape} with ReLU")


# ------------------------------------------------------------------------------------------ dense_backward

def _backward_formula(inputs, kernel, upstream):
    """The chain rule for Y = X W + B in matrix form (float64): (dL/dX, dL/dW, dL/dB)."""
    inputs, kernel, upstream = (np.asarray(a, dtype=np.float64) for a in (inputs, kernel, upstream))
    return upstream @ kernel.T, inputs.T @ upstream, upstream.sum(axis=0)


def _backward_differences(inputs, kernel, bias, upstream, step=1e-3):
    """Central differences of L = sum(upstream * (X W + B)) with respect to every entry of X, W and B."""
    arrays = [np.array(a, dtype=np.float64) for a in (inputs, kernel, bias)]
    upstream = np.asarray(upstream, dtype=np.float64)

    def loss():
        return float(np.sum(upstream * (arrays[0] @ arrays[1] + arrays[2])))

    gradients = []
    for array in arrays:
        gradient = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + step
            plus = loss()
            array[index] = original - step
            minus = loss()
            array[index] = original
            gradient[index] = (plus - minus) / (2 * step)
        gradients.append(gradient)
    return gradients


_BACKWARD_NAMES = (("grad_inputs", "inputs"), ("grad_kernel", "kernel"), ("grad_bias", "bias"))


def _gradients(inputs, kernel, bias, upstream):
    """The three gradients of a dense layer, each with its shape; the oracle is the matrix formula, which must agree
    with central differences."""
    expected = _backward_formula(inputs, kernel, upstream)
    for formula, difference in zip(expected, _backward_differences(inputs, kernel, bias, upstream)):
        assert np.allclose(formula, difference, atol=1e-6), "the two oracles disagree"
    samples = np.shape(upstream)[0]
    kernel64, upstream64 = np.asarray(kernel, np.float64), np.asarray(upstream, np.float64)

    def check(result):
        value = result.value
        if not isinstance(value, (tuple, list)) or len(value) != 3:
            raise Fail("return three arrays, (grad_inputs, grad_kernel, grad_bias)")
        shapes = [as_array(got, f"an array for {name}").shape for (name, _), got in zip(_BACKWARD_NAMES, value)]
        if shapes[:2] == [expected[1].shape, expected[0].shape] and expected[0].shape != expected[1].shape:
            raise Fail("grad_inputs has the shape of kernel and grad_kernel that of inputs: return them in the order "
                       "(grad_inputs, grad_kernel, grad_bias), each with the shape of its own array")
        for (name, of), got, want in zip(_BACKWARD_NAMES, value, expected):
            got = as_array(got, f"an array for {name}")
            if got.shape != want.shape:
                hint = ""
                if got.shape == want.shape[::-1] and got.ndim == 2:
                    hint = " Did you transpose?"
                elif name == "grad_bias":
                    hint = " Sum upstream over the samples (axis 0) only."
                raise Fail(f"{name} should have the shape of {of} {want.shape}, got {got.shape}.{hint}")
        tolerance = dict(atol=1e-4, rtol=1e-4)
        for (name, of), got, want in zip(_BACKWARD_NAMES, value, expected):
            got = as_array(got).astype(np.float64)
            if np.allclose(got, want, **tolerance):
                continue
            if name == "grad_bias" and samples > 1 and np.allclose(got * samples, want, **tolerance):
                raise Fail("grad_bias is the mean of upstream over the samples; it should be the sum (upstream "
                           "already carries any 1/samples of the loss)")
            if name == "grad_kernel" and want.shape[0] == want.shape[1] and np.allclose(got, want.T, **tolerance):
                raise Fail("grad_kernel is transposed: entry [i, j] belongs to input i and neuron j")
            if name == "grad_inputs" and kernel64.shape[0] == kernel64.shape[1] and np.allclose(
                    got, upstream64 @ kernel64, **tolerance):
                raise Fail("grad_inputs multiplies upstream by the kernel; it needs the kernel transposed")
            raise Fail(f"the values of {name} are wrong")
    return check


def _backward_case(inputs, kernel, bias, upstream, label, unchanged=False):
    check = _gradients(inputs, kernel, bias, upstream)
    if unchanged:
        check = all_of(check, args_unchanged(inputs.copy(), kernel.copy(), bias.copy(), upstream.copy()))
    return Case("dense_backward", (inputs, kernel, bias, upstream), check=check, label=label, echo_args=unchanged)


@CHECKS.exercise("dense_backward-test")
def dense_backward(rng):
    inputs = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    kernel = np.array([[1.0, -1.0, 0.0], [0.5, 2.0, -3.0]])
    bias = np.array([0.0, 1.0, -1.0])
    upstream = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0], [0.0, -1.0, 1.0]])
    yield _backward_case(inputs, kernel, bias, upstream, "the example in the notebook")
    yield _backward_case(inputs[:1], kernel, bias, upstream[:1], "the notebook's example with one sample")

    def layer(samples, n, m, dtype="float64"):
        return tuple(rng.normal(size=shape).astype(dtype) for shape in ((samples, n), (n, m), (m,), (samples, m)))

    for (samples, n, m), label in (((1, 4, 3), "one sample through a non-square layer"),
                                   ((7, 3, 5), "a batch through a layer that widens"),
                                   ((9, 6, 2), "a batch through a layer that narrows"),
                                   ((5, 4, 4), "a batch through a square layer"),
                                   ((1, 3, 3), "one sample through a square layer"),
                                   ((6, 1, 3), "a layer with one input feature"),
                                   ((8, 5, 1), "a layer with one neuron"),
                                   ((1, 1, 1), "one sample, one input, one neuron")):
        yield _backward_case(*layer(samples, n, m), label)
    yield _backward_case(*layer(int(rng.integers(10, 33)), int(rng.integers(2, 9)), int(rng.integers(2, 9)),
                                "float32"), "a float32 batch")
    for _ in range(3):
        yield _backward_case(*layer(int(rng.integers(1, 17)), int(rng.integers(1, 9)), int(rng.integers(1, 9))),
                             "a random layer")
    zero_inputs, zero_kernel, zero_bias, zero_upstream = layer(4, 3, 2)
    yield _backward_case(zero_inputs, zero_kernel, zero_bias, np.zeros_like(zero_upstream),
                         "an upstream gradient of zeros")
    yield _backward_case(*layer(int(rng.integers(2, 9)), 3, 5), "a batch whose arrays must not change",
                         unchanged=True)


# ------------------------------------------------------------------------------------------ count_dense_parameters

def _keras_counts(sizes):
    keras = _keras()
    model = keras.Sequential([keras.Input(shape=(sizes[0],))] + [keras.layers.Dense(s) for s in sizes[1:]])
    kernels = sum(int(np.prod(layer.kernel.shape)) for layer in model.layers)
    biases = sum(int(np.prod(layer.bias.shape)) for layer in model.layers)
    assert kernels + biases == model.count_params()
    return kernels, biases


@CHECKS.exercise("count_dense_parameters-test")
def count_dense_parameters(rng):
    yield Case("count_dense_parameters", ([3, 4, 5, 3, 2],), check=equal((53, 14)),
               label="the example in the notebook")
    yield Case("count_dense_parameters", ([784, 512, 512, 10],), check=equal(_keras_counts([784, 512, 512, 10])),
               label="the MNIST MLP")
    for length, label in ((2, "a single layer"), (3, "one hidden layer"), (5, "three hidden layers"),
                          (int(rng.integers(2, 7)), "a random chain of layers")):
        sizes = [int(s) for s in rng.integers(1, 40, size=length)]
        yield Case("count_dense_parameters", (sizes,), check=equal(_keras_counts(sizes)), label=label)


# ------------------------------------------------------------------------------------------ softmax

def _softmax_oracle(logits):
    keras = _keras()
    return np.asarray(keras.ops.convert_to_numpy(keras.activations.softmax(np.asarray(logits, "float32"), axis=-1)),
                      dtype=np.float64)


def _stable_softmax(logits):
    shifted = np.asarray(logits, dtype=np.float64) - np.max(logits, axis=-1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)


@CHECKS.exercise("softmax-test")
def softmax(rng):
    example = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    yield Case("softmax", (example,), check=close(_stable_softmax(example), atol=1e-7),
               label="the example in the notebook")
    large = np.array([[1000.0, 1001.0, 1002.0]])
    yield Case("softmax", (large,), check=close([[0.09003057, 0.24472847, 0.66524096]], atol=1e-7),
               label="large scores from the notebook")
    for scale, label in ((1.0, "random scores"), (30.0, "widely spread scores"), (500.0, "huge scores")):
        logits = (rng.normal(size=(6, 10)) * scale).astype("float32")
        yield Case("softmax", (logits,), check=close(_softmax_oracle(logits), atol=1e-5), label=label)
    shifted = rng.normal(size=(4, 5)) + 1000.0 + rng.normal(size=(4, 1)) * 50
    yield Case("softmax", (shifted,), check=close(_stable_softmax(shifted), atol=1e-6),
               label="large scores in every row")
    negative = rng.normal(size=(3, 4)) - 1000.0
    yield Case("softmax", (negative,), check=close(_stable_softmax(negative), atol=1e-6),
               label="very negative scores")
    single = rng.normal(size=(5, 1))
    yield Case("softmax", (single,), check=close(np.ones((5, 1)), atol=1e-7), label="a single class")


# ------------------------------------------------------------------------------------------ init_scales

_SCALE_KEYS = ("uniform_limit", "glorot_normal_std", "glorot_uniform_limit", "he_normal_std", "he_uniform_limit")


def _formulas(fan_in, fan_out):
    return {"uniform_limit": fan_in ** -0.5, "glorot_normal_std": (2 / (fan_in + fan_out)) ** 0.5,
            "glorot_uniform_limit": (6 / (fan_in + fan_out)) ** 0.5, "he_normal_std": (2 / fan_in) ** 0.5,
            "he_uniform_limit": (6 / fan_in) ** 0.5}


def _scales(fan_in, fan_out, keras_samples=None):
    expected = _formulas(fan_in, fan_out)

    def check(result):
        value = result.value
        if not isinstance(value, dict):
            raise Fail("return a dict")
        if set(value) != set(_SCALE_KEYS):
            raise Fail(f"the keys should be exactly {', '.join(_SCALE_KEYS)}")
        for key in _SCALE_KEYS:
            got = value[key]
            if isinstance(got, bool) or not isinstance(got, (int, float)):
                raise Fail(f"{key} is not a single number")
            if not abs(got - expected[key]) <= 1e-9:
                raise Fail(f"{key} is wrong")
        for key, largest in (keras_samples or {}).items():  # Keras draws inside its limit and nearly reaches it
            if not 0.99 * value[key] <= largest <= value[key] * (1 + 1e-5):
                raise Fail(f"{key} does not match what Keras's initialiser draws")
    return check


@CHECKS.exercise("init_scales-test")
def init_scales(rng):
    yield Case("init_scales", (784, 512), check=_scales(784, 512), label="the example in the notebook")
    random_pair = tuple(int(v) for v in rng.integers(5, 900, size=2))
    for pair, label in (((3, 4), "a small layer"), ((512, 10), "an output layer"), (random_pair, "a random layer"),
                        ((1, 1), "one input and one output")):
        yield Case("init_scales", pair, check=_scales(*pair), label=label)
    keras = _keras()
    fan_in, fan_out = (int(v) for v in rng.integers(150, 400, size=2))
    samples = {}
    for key, initializer in (("glorot_uniform_limit", keras.initializers.GlorotUniform(seed=int(rng.integers(1e6)))),
                             ("he_uniform_limit", keras.initializers.HeUniform(seed=int(rng.integers(1e6))))):
        samples[key] = float(np.abs(keras.ops.convert_to_numpy(initializer((fan_in, fan_out)))).max())
    yield Case("init_scales", (fan_in, fan_out), check=_scales(fan_in, fan_out, samples),
               label="a layer compared with Keras's initialisers")


# ------------------------------------------------------------------------------------------ training_steps

def _keras_steps(num_samples, batch_size, epochs):
    """The training steps Keras actually runs, counted with a callback."""
    keras = _keras()

    class CountBatches(keras.callbacks.Callback):
        count = 0

        def on_train_batch_end(self, batch, logs=None):
            self.count += 1

    counter = CountBatches()
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((num_samples, 2), "float32"), np.zeros(num_samples, "float32"), batch_size=batch_size,
              epochs=epochs, verbose=0, callbacks=[counter])
    return counter.count


@CHECKS.exercise("training_steps-test")
def training_steps(rng):
    yield Case("training_steps", (1000, 128, 50), check=equal((8, 400)), label="the example in the notebook")
    yield Case("training_steps", (1024, 128, 2), check=equal((8, 16)), label="an exact number of full batches")

    def case(samples, batch, epochs, label):
        per_epoch = -(-samples // batch)
        return Case("training_steps", (samples, batch, epochs), check=equal((per_epoch, per_epoch * epochs)),
                    label=label)

    def some(low, high):
        return int(rng.integers(low, high))

    batch = some(16, 257)
    yield case(1, batch, some(1, 20), "a single sample")
    yield case(60000, 128, some(2, 30), "all of MNIST")
    yield case(some(10000, 60000), some(16, 129), some(1, 10), "a large data set")
    yield case(some(2, batch), batch, some(1, 10), "a batch larger than the data set")
    yield case(batch + 1, batch, some(1, 10), "one sample more than a full batch")
    yield case(batch * some(2, 50), batch, some(1, 10), "another exact number of full batches")
    samples, batch, epochs = some(100, 300), some(16, 65), some(2, 4)
    if samples % batch == 0:
        samples += 1
    steps = _keras_steps(samples, batch, epochs)
    assert steps == -(-samples // batch) * epochs

    def against_keras(result):
        value = result.value
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise Fail("return a pair (batches per epoch, weight updates in the whole run)")
        equal((steps // epochs, steps))(result)
    yield Case("training_steps", (samples, batch, epochs), check=against_keras,
               label="the steps Keras's fit actually runs")


# ------------------------------------------------------------------------------------------ build_mlp

def _reference_mlp(input_shape, hidden_units, num_classes, dropout_rate):
    keras = _keras()
    stack = [keras.Input(shape=input_shape), keras.layers.Flatten()]
    for units in hidden_units:
        stack += [keras.layers.Dense(units, activation="relu"), keras.layers.Dropout(dropout_rate)]
    return keras.Sequential(stack + [keras.layers.Dense(num_classes, activation="softmax")])


def _activation_name(layer):
    activation = layer.get_config().get("activation")
    if isinstance(activation, dict):
        activation = activation.get("config", {}).get("name", activation.get("class_name"))
    return activation


def _mlp(input_shape, hidden_units, num_classes, dropout_rate, seed):
    def judge(model_data):
        keras = _keras()
        reference = _reference_mlp(input_shape, hidden_units, num_classes, dropout_rate)
        expected_count = reference.count_params()
        if model_data.count != expected_count:
            raise Fail(f"the model has {model_data.count:,} parameters, which is not the right number")
        model = rebuild(model_data)
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        dropouts = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
        if [layer.units for layer in dense] != list(hidden_units) + [num_classes]:
            raise Fail("the Dense layers have the wrong numbers of units: one per hidden size, then the classes")
        if any(_activation_name(layer) != "relu" for layer in dense[:-1]):
            raise Fail("the hidden Dense layers should use ReLU")
        if _activation_name(dense[-1]) != "softmax":
            raise Fail("the output layer should use softmax")
        if len(dropouts) != len(hidden_units):
            raise Fail("there should be one Dropout layer per hidden layer")
        if any(abs(float(layer.rate) - dropout_rate) > 1e-9 for layer in dropouts):
            raise Fail("the Dropout layers do not use dropout_rate (the one given, or its default)")
        # Behaviour: the reference's weights in the student's layers must give the reference's probabilities.
        reference_weights = reference.get_weights()
        shapes = [tuple(np.shape(w)) for w in model.get_weights()]
        if shapes != [tuple(w.shape) for w in reference_weights]:
            raise Fail("the layers' weights are not those of Flatten -> Dense ... -> Dense, in that order")
        model.set_weights(reference_weights)
        batch = np.random.default_rng(seed).uniform(size=(3,) + tuple(input_shape)).astype("float32")
        got = np.asarray(keras.ops.convert_to_numpy(model(batch, training=False)), dtype=np.float64)
        if got.shape != (3, num_classes):
            raise Fail(f"the output has shape {got.shape}; it should be (batch, num_classes)")
        if not np.allclose(got.sum(axis=1), 1.0, atol=1e-5):
            raise Fail("each output row should sum to 1 (softmax)")
        expected = np.asarray(keras.ops.convert_to_numpy(reference(batch, training=False)), dtype=np.float64)
        if not np.allclose(got, expected, atol=1e-5):
            raise Fail("with the same weights as a correct model, the outputs differ")
    return model_check(judge)


@CHECKS.exercise("build_mlp-test")
def build_mlp(rng):
    yield Case("build_mlp", ((28, 28), (512, 512), 10, 0.2), check=_mlp((28, 28), (512, 512), 10, 0.2, 0),
               label="the example in the notebook")
    seed = int(rng.integers(1 << 30))
    side = int(rng.integers(4, 12))
    shapes = [
        ((side, side), (int(rng.integers(8, 64)),), int(rng.integers(2, 6)), float(rng.choice([0.25, 0.5])),
         "one hidden layer"),
        (tuple(int(v) for v in rng.integers(2, 6, size=3)), tuple(int(v) for v in rng.integers(3, 10, size=3)),
         int(rng.integers(2, 6)), float(rng.choice([0.1, 0.3])), "three hidden layers on a 3-D input"),
        ((28, 28), (), 10, float(rng.choice([0.3, 0.4])), "no hidden layers"),
    ]
    for input_shape, hidden, classes, rate, label in shapes:
        yield Case("build_mlp", (input_shape, hidden, classes, rate), check=_mlp(input_shape, hidden, classes, rate, seed),
                   label=label)
    input_shape, hidden, classes = (side, side + 1), (int(rng.integers(8, 32)), int(rng.integers(8, 32))), 3
    yield Case("build_mlp", (input_shape, hidden, classes), check=_mlp(input_shape, hidden, classes, 0.2, seed),
               label="the default dropout rate")
