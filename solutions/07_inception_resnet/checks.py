"""Trusted checks for lesson 07 (see dlcourse/grading/checks.py). Instructor-only: never released.

Models come back as `ModelData` and are rebuilt here. Their behaviour is judged against a reference built in this
file from the exercise's specification: every weight of both models is filled from one bank keyed by (layer class,
weight index, weight shape), so the two agree on random data exactly when they compute the same function, whatever
order the student created the layers in.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from dataclasses import replace

import numpy as np

from dlcourse.grading.checks import (Case, Fail, Helper, Input, Name, Registry, equal, model_check, raises,
                                     rebuild)
from dlcourse.grading.codec import ModelData

CHECKS = Registry()

_LOW_PRECISION = {"mixed_float16", "mixed_bfloat16", "float16", "bfloat16"}


# ------------------------------------------------------------------------------------------ shared helpers

def _float32_config(node):
    """The config with every layer's dtype policy set to float32. On a GPU the notebook switches to mixed_float16
    before the probe runs (section 7), so a student's model may carry that policy; it is judged in float32."""
    if isinstance(node, list):
        return [_float32_config(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "dtype" and isinstance(value, str) and value in _LOW_PRECISION:
            value = "float32"
        elif (key == "dtype" and isinstance(value, dict) and value.get("class_name") == "DTypePolicy"
              and isinstance(value.get("config"), dict) and value["config"].get("name") in _LOW_PRECISION):
            value = {**value, "config": {**value["config"], "name": "float32"}}
        else:
            value = _float32_config(value)
        out[key] = value
    return out


def _rebuilt(model: ModelData):
    return rebuild(replace(model, config=_float32_config(model.config)))


def _single_output_shape(model) -> tuple:
    if len(model.outputs) != 1:
        raise Fail("the model has more than one output")
    return tuple(model.outputs[0].shape)


def _weight_keys(model) -> Counter:
    return Counter((type(layer).__name__, index, tuple(int(v) for v in weight.shape))
                   for layer in model.layers for index, weight in enumerate(layer.weights))


def _bank_value(seed: int, kind: str, index: int, shape: tuple) -> np.ndarray:
    g = np.random.default_rng([seed, zlib.crc32(kind.encode()), index, *shape])
    if kind == "BatchNormalization":  # gamma, beta, moving mean, moving variance
        if index == 0:
            return g.uniform(0.5, 1.5, shape).astype("float32")
        if index == 3:
            return g.uniform(1.0, 2.0, shape).astype("float32")
        return g.normal(0.0, 0.3, shape).astype("float32")
    if index == 0 and len(shape) >= 2:  # a kernel: keep activations near unit scale
        fan_in = int(np.prod(shape[:-1]))
        return (g.normal(size=shape) / math.sqrt(fan_in)).astype("float32")
    return g.normal(0.0, 0.3, shape).astype("float32")


def _fill(model, seed: int) -> None:
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([_bank_value(seed, type(layer).__name__, index, tuple(int(v) for v in weight.shape))
                               for index, weight in enumerate(layer.weights)])


def _forward(model, x: np.ndarray) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(model(x, training=False)), dtype=np.float64)


def _same_function(student, reference, seed: int, x: np.ndarray, layers_message: str, values_message: str,
                   rtol: float = 1e-3, atol: float = 1e-4) -> None:
    """Fill both models from one weight bank and compare their outputs on ``x``."""
    if _weight_keys(student) != _weight_keys(reference):
        raise Fail(layers_message)
    _fill(student, seed)
    _fill(reference, seed)
    got, want = _forward(student, x), _forward(reference, x)
    if got.shape != want.shape or not np.all(np.isfinite(got)) or not np.allclose(got, want, rtol=rtol, atol=atol):
        raise Fail(values_message)


def _conv_layers(model):
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def _distinct(rng, low: int, high: int, count: int) -> list[int]:
    return [int(v) for v in rng.choice(np.arange(low, high), size=count, replace=False)]


# ------------------------------------------------------------------------------------------ Exercise 1

def _reference_inception(shape, f1, r3, f3, r5, f5, pp):
    import keras
    from keras import layers

    x = keras.Input(shape=shape)
    b1 = layers.Conv2D(f1, 1, padding="same", activation="relu")(x)
    b3 = layers.Conv2D(f3, 3, padding="same", activation="relu")(layers.Conv2D(r3, 1, activation="relu")(x))
    b5 = layers.Conv2D(f5, 5, padding="same", activation="relu")(layers.Conv2D(r5, 1, activation="relu")(x))
    bp = layers.Conv2D(pp, 1, activation="relu")(layers.MaxPooling2D(3, strides=1, padding="same")(x))
    return keras.Model(x, layers.Concatenate()([b1, b3, b5, bp]))


def _inception_check(shape, filters, seed):
    f1, r3, f3, r5, f5, pp = filters
    channels = shape[-1]

    def check(model: ModelData):
        student = _rebuilt(model)
        reference = _reference_inception(shape, *filters)
        if _single_output_shape(student) != _single_output_shape(reference):
            raise Fail("the output has the wrong shape: every branch needs padding='same' and stride 1, and the four "
                       "branches are concatenated on the channel axis")
        if student.count_params() != reference.count_params():
            raise Fail("the number of parameters is wrong: the 3x3 and 5x5 convolutions run on the reduced channels, "
                       "the pooling branch ends in a 1x1 convolution, and every convolution has a bias")
        layers_message = ("its convolutions are not the module's six (1x1; 1x1 then 3x3; 1x1 then 5x5; pooling then "
                          "1x1), each with a bias")
        if _weight_keys(student) != _weight_keys(reference):
            raise Fail(layers_message)
        # Branch order: the last conv of each branch has a kernel shape of its own (the filter counts are distinct);
        # zero kernels and a constant bias make its slice of the output that constant.
        g = np.random.default_rng(seed)
        marks = dict(zip([(1, 1, channels, f1), (3, 3, r3, f3), (5, 5, r5, f5), (1, 1, channels, pp)],
                         g.permutation(4) + g.uniform(1.0, 1.5)))
        for layer in _conv_layers(student):
            kernel_shape = tuple(int(v) for v in layer.weights[0].shape)
            if kernel_shape in marks:
                kernel, bias = layer.get_weights()
                layer.set_weights([np.zeros_like(kernel), np.full_like(bias, marks[kernel_shape])])
        x = g.normal(size=(2,) + tuple(shape)).astype("float32")
        pixel = np.repeat(list(marks.values()), [f1, f3, f5, pp])
        if not np.allclose(_forward(student, x), np.broadcast_to(pixel, (2,) + tuple(shape[:2]) + pixel.shape),
                           atol=1e-5):
            raise Fail("the branches are not concatenated in the order 1x1, 3x3, 5x5, pooling")
        student = _rebuilt(model)
        _same_function(student, reference, seed, x, layers_message,
                       "the output is wrong: every convolution has a ReLU activation, and the pooling branch is "
                       "MaxPooling2D(3, strides=1, padding='same') followed by its 1x1 convolution")
    return model_check(check)


@CHECKS.exercise("inception_module-test")
def inception_module(rng):
    def case(shape, filters, label):
        return Case("inception_module", (Input(shape),) + tuple(filters),
                    check=_inception_check(shape, filters, int(rng.integers(2**31))), label=label)

    yield case((28, 28, 192), (64, 96, 128, 16, 32, 32), "the example in the notebook")
    # f1, r3, r5 and pp distinct in every case: each convolution then has a kernel shape of its own.
    f1, r3, r5, pp = _distinct(rng, 16, 200, 4)
    yield case((14, 14, int(rng.integers(256, 513))), (f1, r3, int(rng.integers(64, 257)), r5,
                                                      int(rng.integers(16, 65)), pp),
               "a deep input with wide branches")
    height, width = _distinct(rng, 5, 11, 2)
    f1, r3, r5, pp = _distinct(rng, 1, 9, 4)
    yield case((height, width, int(rng.integers(3, 9))), (f1, r3, int(rng.integers(1, 9)), r5,
                                                         int(rng.integers(1, 9)), pp),
               "a non-square map with few channels")
    f1, r3, f3, r5, f5, pp = _distinct(rng, 1, 8, 6)
    yield case((8, 8, int(rng.integers(16, 49))), (f1, r3, f3, r5, f5, pp), "branches with very few filters")


# ------------------------------------------------------------------------------------------ Exercise 2

def _factorisation_oracle(kernel_size, channels):
    from keras import layers

    def count(*kernels):
        total = 0
        for kernel in kernels:
            layer = layers.Conv2D(channels, kernel, use_bias=False)
            layer.build((None, 32, 32, channels))
            total += layer.count_params()
        return total

    return count((kernel_size, kernel_size)), count((1, kernel_size), (kernel_size, 1))


@CHECKS.exercise("factorisation_weights-test")
def factorisation_weights(rng):
    def case(kernel_size, channels, label):
        return Case("factorisation_weights", (kernel_size, channels),
                    check=equal(_factorisation_oracle(kernel_size, channels)), label=label)

    yield case(7, 1, "the example in the notebook")
    yield case(3, 1, "the notebook's 3x3 example")
    yield case(3, 2, "the notebook's two-channel example")
    yield case(7, int(rng.integers(32, 257)), "a 7x7 kernel with many channels")
    yield case(5, int(rng.integers(2, 9)), "a 5x5 kernel with a few channels")
    yield case(3, int(rng.integers(100, 321)), "a 3x3 kernel with many channels")
    yield case(int(rng.choice([9, 11, 13])), int(rng.integers(2, 17)), "a large kernel")
    yield case(1, int(rng.integers(2, 33)), "a 1x1 kernel")
    yield case(int(rng.integers(2, 9)), int(rng.integers(1, 200)), "another kernel size and width")


# ------------------------------------------------------------------------------------------ Exercise 3

def _reference_residual(shape, filters, stride):
    import keras
    from keras import layers

    inputs = keras.Input(shape=shape)
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    x = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(x))
    shortcut = inputs
    if stride != 1 or shape[-1] != filters:
        shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(inputs))
    return keras.Model(inputs, layers.Activation("relu")(layers.Add()([x, shortcut])))


def _residual_check(shape, filters, stride, seed):
    projection = stride != 1 or shape[-1] != filters

    def check(model: ModelData):
        student = _rebuilt(model)
        reference = _reference_residual(shape, filters, stride)
        if _single_output_shape(student) != _single_output_shape(reference):
            raise Fail("the output has the wrong shape: the first 3x3 convolution (and the shortcut) use the stride, "
                       "both 3x3 convolutions use padding='same' and `filters` filters")
        if student.count_params() != reference.count_params():
            if projection:
                raise Fail("the number of parameters is wrong for a block that changes shape: two 3x3 convolutions "
                           "without bias, each with BatchNormalization, and a shortcut of one 1x1 convolution "
                           "without bias plus BatchNormalization")
            raise Fail("the number of parameters is wrong for an identity block: two 3x3 convolutions without bias "
                       "and two BatchNormalization layers; the identity shortcut adds none")
        g = np.random.default_rng(seed)
        x = g.normal(size=(2,) + tuple(shape)).astype("float32")
        # F(x) = 0 with the 3x3 kernels at zero (fresh BN: gamma 1, beta 0, mean 0, variance 1).
        for layer in _conv_layers(student):
            if tuple(layer.kernel_size) == (3, 3):
                layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
        if projection:
            ones = [layer for layer in _conv_layers(student) if tuple(layer.kernel_size) == (1, 1)]
            if len(ones) != 1:
                raise Fail("a block that changes shape needs exactly one 1x1 projection convolution on its shortcut")
            matrix = g.normal(size=(1, 1, shape[-1], filters)).astype("float32")
            ones[0].set_weights([matrix])
            expected = np.maximum(np.einsum("nhwc,cd->nhwd", x[:, ::stride, ::stride, :], matrix[0, 0])
                                  / np.sqrt(1 + 1e-3), 0)
            message = ("with its 3x3 convolutions set to zero the block must output ReLU(BN(projection(x))): the "
                       "shortcut is a 1x1 convolution with the block's stride, then BatchNormalization, added to "
                       "F(x) before the final ReLU")
        else:
            expected = np.maximum(x, 0)
            message = ("with its 3x3 convolutions set to zero an identity block must output ReLU(x): add the input "
                       "back, and apply the ReLU after the addition")
        got = _forward(student, x)
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-3, atol=1e-4):
            raise Fail(message)
        _same_function(_rebuilt(model), reference, seed, x,
                       "its layers are not a residual block's: 3x3 convolution + BN, 3x3 convolution + BN"
                       + (", and a 1x1 projection + BN on the shortcut" if projection else ""),
                       "the output is wrong: 3x3 conv + BN, ReLU, 3x3 conv + BN, add the shortcut, then ReLU")
    return model_check(check)


@CHECKS.exercise("residual_block-test")
def residual_block(rng):
    def case(shape, filters, stride, label, default=False):
        args = (Input(shape), filters) if default else (Input(shape), filters, stride)
        return Case("residual_block", args, check=_residual_check(shape, filters, stride, int(rng.integers(2**31))),
                    label=label)

    yield case((8, 8, 16), 16, 1, "the example in the notebook")
    yield case((8, 8, 16), 32, 2, "the notebook's downsampling example")
    side, channels = int(rng.integers(4, 11)), int(rng.integers(2, 25))
    yield case((side, side, channels), channels, 1, "an identity block")
    side, channels = 2 * int(rng.integers(3, 9)), int(rng.integers(2, 17))
    yield case((side, side, channels), channels + int(rng.integers(1, 17)), 2, "stride 2 with more channels")
    side, channels = int(rng.integers(5, 11)), int(rng.integers(2, 17))
    yield case((side, side, channels), channels + int(rng.integers(1, 9)), 1, "more channels at stride 1")
    side, channels = int(rng.integers(5, 11)), int(rng.integers(4, 17))
    yield case((side, side, channels), int(rng.integers(1, channels)), 1, "fewer channels than its input")
    side, channels = 2 * int(rng.integers(4, 9)), int(rng.integers(16, 65))
    yield case((side, side, channels), channels, 2, "stride 2 with the same channels")
    side, channels = 2 * int(rng.integers(2, 6)) + 1, int(rng.integers(2, 13))
    yield case((side, side, channels), 2 * channels, 2, "an odd-sized map with stride 2")
    side, channels = int(rng.integers(4, 11)), int(rng.integers(2, 25))
    yield case((side, side, channels), channels, 1, "the default stride", default=True)


# ------------------------------------------------------------------------------------------ Exercise 4

def _bottleneck_oracle(channels, reduced):
    from keras import layers

    def count(*convs):
        total = 0
        for filters, kernel, in_channels in convs:
            layer = layers.Conv2D(filters, kernel, padding="same", use_bias=False)
            layer.build((None, 8, 8, in_channels))
            total += layer.count_params()
        return total

    return (count((reduced, 1, channels), (reduced, 3, reduced), (channels, 1, reduced)),
            count((channels, 3, channels), (channels, 3, channels)))


@CHECKS.exercise("bottleneck_weights-test")
def bottleneck_weights(rng):
    def case(channels, reduced, label):
        return Case("bottleneck_weights", (channels, reduced), check=equal(_bottleneck_oracle(channels, reduced)),
                    label=label)

    yield case(256, 64, "the example in the notebook")
    reduced = int(rng.integers(4, 41))
    yield case(4 * reduced, reduced, "a 4x reduction")
    reduced = int(rng.integers(2, 12))
    yield case(reduced * int(rng.integers(2, 9)) + int(rng.integers(1, reduced)), reduced,
               "a reduction that does not divide the width")
    channels = int(rng.integers(2, 65))
    yield case(channels, channels, "no reduction")
    yield case(int(rng.integers(2, 513)), 1, "a reduction to one channel")
    channels = int(rng.integers(300, 1025))
    yield case(channels, channels // int(rng.integers(2, 9)), "a wide layer")


# ------------------------------------------------------------------------------------------ Exercise 5

def _conv_block(x, filters, stride=1):
    """The same stand-in block as `probe`'s Helper("conv_block"): one 3x3 convolution, no bias."""
    from keras import layers

    return layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)


def _block_calls(depth):
    """(height, channels in, filters, stride) of every block call in the 6n + 2 skeleton."""
    calls, side, channels = [], 32, 16
    for stage, filters in enumerate((16, 32, 64)):
        for index in range((depth - 2) // 6):
            stride = 2 if stage > 0 and index == 0 else 1
            calls.append((side, channels, filters, stride))
            side, channels = -(-side // stride), filters
    return calls


def _reference_net(depth, num_classes, block):
    import keras
    from keras import layers

    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    for _, _, filters, stride in _block_calls(depth):
        x = block(x, filters, stride)
    outputs = layers.Dense(num_classes, activation="softmax")(layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, outputs)


def _skeleton_shapes(student, num_classes):
    if tuple(student.inputs[0].shape) != (None, 32, 32, 3) or len(student.inputs) != 1:
        raise Fail("the input should be keras.Input(shape=(32, 32, 3))")
    if _single_output_shape(student) != (None, num_classes):
        raise Fail("the output should be one probability per class (Dense(num_classes, activation='softmax'))")


def _net_check(depth, num_classes, seed):
    def check(model: ModelData):
        student = _rebuilt(model)
        _skeleton_shapes(student, num_classes)
        convs = [(tuple(int(v) for v in layer.weights[0].shape), tuple(layer.strides), len(layer.weights))
                 for layer in _conv_layers(student)]
        if not convs or convs[0] != ((3, 3, 3, 16), (1, 1), 1):
            raise Fail("the stem should be Conv2D(16, 3, padding='same', use_bias=False) + BatchNormalization + ReLU")
        calls = _block_calls(depth)
        if len(convs) - 1 != len(calls):
            raise Fail("block is called the wrong number of times: n = (depth - 2) / 6 blocks in each of 3 stages")
        if convs[1:] != [((3, 3, c_in, f), (s, s), 1) for _, c_in, f, s in calls]:
            raise Fail("the blocks are not called as block(x, filters, stride) with 16, 32 and 64 filters in the "
                       "three stages; only the first block of stages 2 and 3 has stride 2")
        reference = _reference_net(depth, num_classes, _conv_block)
        if student.count_params() != reference.count_params():
            raise Fail("the number of parameters is wrong: stem Conv2D without bias + BatchNormalization, the blocks, "
                       "GlobalAveragePooling2D and one Dense layer with a bias")
        x = np.random.default_rng(seed).normal(size=(2, 32, 32, 3)).astype("float32")
        _same_function(student, reference, seed, x,
                       "its layers are not the skeleton's: stem conv + BN + ReLU, the blocks, global average pooling, "
                       "Dense softmax",
                       "the output is wrong: stem conv, BatchNormalization, ReLU, the blocks, GlobalAveragePooling2D "
                       "and a Dense softmax head", rtol=1e-3, atol=1e-5)
    return model_check(check)


# ResNet-20 with the student's own residual_block: the block configurations it is called with, and how often.
_RESNET20_BLOCKS = {((32, 32, 16), 16, 1): 3, ((32, 32, 16), 32, 2): 1, ((16, 16, 32), 32, 1): 2,
                    ((16, 16, 32), 64, 2): 1, ((8, 8, 64), 64, 1): 2}


def _record_block(recorded, key):
    """Remembers the parameter count of the student's residual_block alone; never fails (Exercise 3 judges it)."""
    def check(result):
        value = result.value
        recorded[key] = value.count if isinstance(value, ModelData) and not result.raised else None
    check.accepts_raise = True
    return check


def _resnet20_check(recorded):
    def check(result):
        blocks_work = all(recorded.get(key) is not None for key in _RESNET20_BLOCKS)
        if result.raised:
            if not blocks_work:
                return  # residual_block itself does not work yet: that costs Exercise 3, not this one
            raise Fail(f"raised {result.raised} with your residual_block as the block")
        if not isinstance(result.value, ModelData):
            raise Fail("did not return a Keras model with your residual_block as the block")
        student = _rebuilt(result.value)
        _skeleton_shapes(student, 10)
        convs = _conv_layers(student)
        if not convs or tuple(convs[0].weights[0].shape) != (3, 3, 3, 16) or len(convs[0].weights) != 1:
            raise Fail("with your residual_block, the stem is not Conv2D(16, 3, padding='same', use_bias=False)")
        if blocks_work:
            expected = (432 + 64) + sum(count * recorded[key] for key, count in _RESNET20_BLOCKS.items()) + 650
            if student.count_params() != expected:
                raise Fail("with your residual_block, ResNet-20's parameter count is not the stem, nine blocks and "
                           "the head: check the stages, their filters and strides")
        x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
        probabilities = _forward(student, x)
        if not np.all(np.isfinite(probabilities)) or not np.allclose(probabilities.sum(axis=1), 1, atol=1e-4):
            raise Fail("with your residual_block, the head does not give probabilities (Dense softmax)")
    check.accepts_raise = True
    return check


@CHECKS.exercise("build_cifar_net-test")
def build_cifar_net(rng):
    conv_block = Helper("conv_block")

    def case(depth, label, num_classes=None):
        kwargs = {} if num_classes is None else {"num_classes": num_classes}
        return Case("build_cifar_net", (depth, conv_block), kwargs,
                    check=_net_check(depth, 10 if num_classes is None else num_classes, int(rng.integers(2**31))),
                    label=label)

    yield case(20, "the example in the notebook")
    yield case(8, "the smallest net", num_classes=int(rng.integers(2, 10)))
    yield case(14, "a shallow net with few classes", num_classes=int(rng.integers(2, 6)))
    yield case(32, "a deeper net with many classes", num_classes=int(rng.integers(50, 151)))
    yield case(6 * int(rng.integers(4, 7)) + 2, "another depth 6n + 2", num_classes=int(rng.integers(10, 30)))
    bad = [(21, "a depth that is not 6n + 2"), (7, "a depth below 8"), (0, "a depth of zero"),
           (6 * int(rng.integers(2, 9)) + 2 + int(rng.integers(1, 6)), "a depth between two valid ones")]
    for depth, label in bad:
        yield Case("build_cifar_net", (depth, conv_block), check=raises("ValueError"), label=label)
    # ResNet-20 with the student's own residual_block: judged against that block's own parameter counts, so a
    # wrong or unanswered Exercise 3 is not charged again here.
    recorded: dict = {}
    for key in _RESNET20_BLOCKS:
        shape, filters, stride = key
        yield Case("residual_block", (Input(shape), filters, stride), check=_record_block(recorded, key),
                   label="your residual_block on its own")
    yield Case("build_cifar_net", (20, Name("residual_block")), check=_resnet20_check(recorded),
               label="ResNet-20 built with your residual_block", seconds=60.0)
