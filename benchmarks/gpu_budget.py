"""The full profile's GPU budget, on paper: training FLOPs per lesson, from the lessons' own models and settings.

    python benchmarks/gpu_budget.py [--cpu-steps N]

For every model a lesson trains in its full profile, the forward FLOPs per image are counted from the layer shapes
(2 FLOPs per multiply-add of Conv2D, DepthwiseConv2D and Dense; everything else is small beside them), a training
step is taken as 3x the forward pass (backward is about twice the forward), and the lesson's full settings (images,
epochs, batch size) give the total. With ``--cpu-steps N`` it also times N training steps of each model on this
machine's CPU at the full batch size, so the CPU's effective FLOP rate is measured rather than assumed.

The GPU estimate uses two assumed figures, stated in the output: an effective rate for these small convolutional
networks (far below an H100's peak: small kernels, few channels) and a fixed cost per step (kernel launches and the
Python loop), which dominates for MNIST-sized models. Both are assumptions until the GPU run measures them.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

# Assumptions for one H100-class GPU (see the module docstring); the measured run replaces them.
GPU_EFFECTIVE_FLOPS = 20e12  # mixed precision (07), TF32 elsewhere, small convolutions
GPU_STEP_SECONDS = 0.003  # per training step, whatever its size


def forward_flops(model) -> int:
    """Multiply-adds x 2 of the weighted layers, for one image, walking nested models."""
    from keras import layers

    total = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D, layers.Dense)):
            out_shape = layer.output.shape[1:]
            positions = math.prod(out_shape[:-1]) if len(out_shape) > 1 else 1
            kernel = layer.kernel.shape  # (kh, kw, in, out) or (in, out); depthwise (kh, kw, in, multiplier)
            if isinstance(layer, layers.DepthwiseConv2D):
                per_output = kernel[0] * kernel[1]
                outputs = positions * out_shape[-1]
            else:
                per_output = math.prod(kernel[:-1])
                outputs = positions * kernel[-1]
            total += 2 * per_output * outputs
    return int(total)


def cpu_step_seconds(model, batch_size: int, steps: int, forward_only: bool = False) -> float:
    """Median seconds of a compiled training step (or a forward pass) on random data at the full batch size, the
    first one excluded (it compiles)."""
    import numpy as np

    inputs = np.random.default_rng(0).random((batch_size, *model.input_shape[1:]), dtype="float32")
    # Mean squared error against zeros of the output's shape: any output (a feature map too) trains the same way.
    labels = np.zeros((batch_size, *model.output_shape[1:]), "float32")
    model.compile(optimizer="sgd", loss="mse")
    step = (lambda: model.predict_on_batch(inputs)) if forward_only else (lambda: model.train_on_batch(inputs, labels))
    step()
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def lesson_models():
    """(lesson, model name, builder, images per epoch, epochs, batch size) of every full-profile training run."""
    import keras
    from keras import layers
    from lesson_code import namespace

    l02 = namespace("02_ann_mnist", "build_mlp")
    l04 = namespace("04_lenet", "build_lenet5", "build_small_cnn")
    l05 = namespace("05_cifar10", "build_seed_cnn", "improved-cnn", "conv_bn_relu")
    l06 = namespace("06_vgg_transfer", "alexnet-builder")
    l07 = namespace("07_inception_resnet", "option-a-blocks", "residual_block", "build_cifar_net")
    mnist, cifar = 55_000, 45_000

    # Lesson 04 builds these two inline, in cells that also scale the data; the same layers, retyped.
    def seed_lenet():
        return keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(6, 5, padding="same"),
                                 layers.MaxPooling2D(2), layers.Conv2D(16, 5), layers.MaxPooling2D(2), layers.Flatten(),
                                 layers.Dense(120), layers.Dense(84), layers.Dense(10)])

    def seed_cnn():
        return keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, 3, padding="same"),
                                 layers.MaxPooling2D(2), layers.Conv2D(64, 3, padding="same"), layers.MaxPooling2D(2),
                                 layers.Flatten(), layers.Dense(64), layers.Dense(10)])

    rows = [
        # (lesson, model, builder, training images per epoch, epochs, batch size): each lesson's full settings
        ("02", "MLP 512-512", lambda: l02["build_mlp"]((28, 28), [512, 512], 10), 60_000, 15, 128),
        ("04", "LeNet-5", lambda: l04["build_lenet5"](), mnist, 10, 128),
        ("04", "seed LeNet", seed_lenet, mnist, 10, 128),
        ("04", "seed CNN", seed_cnn, mnist, 10, 128),
        ("04", "challenge (<10k)", lambda: l04["build_small_cnn"](), mnist * 3, 6, 128),
        ("05", "seed CNN", lambda: l05["build_seed_cnn"](), cifar, 10, 32),
    ]
    plain, batch_norm = l05["conv_relu"], l05["conv_bn_relu"]
    improved = lambda block: (lambda: l05["build_improved_cnn"](64, block=block))  # noqa: E731
    rows += [("05", name, improved(block), cifar, 10, 256) for name, block in (
        ("VGG-style", plain), ("+ augmentation", plain), ("+ batch norm", batch_norm), ("+ dropout", batch_norm),
        ("+ step schedule", batch_norm))]
    rows += [("05", name, improved(batch_norm), cifar, 25, 256)
             for name in ("improved CNN (warm-up cosine)", "the ablation")]
    vgg_base = lambda: keras.applications.VGG16(weights=None, include_top=False, input_shape=(128, 128, 3))  # noqa: E731
    rows += [
        ("06", "VGG16 head (base frozen: forward only)", vgg_base, 750, 10, 32),
        ("06", "VGG16 fine-tune", vgg_base, 750, 5, 32),
        ("06", "AlexNet-style from scratch", lambda: l06["build_alexnet_style"](128, 3), 750, 30, 32),
        ("07", "ResNet-20", lambda: l07["build_cifar_net"](20, l07["residual_block_option_a"]), cifar, 40, 256),
        ("07", "plain-20", lambda: l07["build_cifar_net"](20, l07["plain_block"]), cifar, 40, 256),
    ]
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-steps", type=int, default=0, help="time N training steps per model on this CPU")
    args = parser.parse_args(argv)
    per_lesson: dict[str, float] = {}
    print(f"assumed GPU: {GPU_EFFECTIVE_FLOPS / 1e12:.0f} TFLOP/s effective, {GPU_STEP_SECONDS * 1e3:.0f} ms per step")
    print("| lesson | model | forward MFLOP/image | train TFLOP | steps | CPU s/step (TFLOP/s) | GPU estimate (s) |")
    print("|---|---|---|---|---|---|---|")
    for lesson, name, build, images, epochs, batch in lesson_models():
        model = build()
        flops = forward_flops(model)
        factor = 1 if "forward only" in name else 3
        total = flops * factor * images * epochs
        steps = math.ceil(images / batch) * epochs
        gpu = max(total / GPU_EFFECTIVE_FLOPS, 0) + steps * GPU_STEP_SECONDS
        cpu = "-"
        if args.cpu_steps:
            seconds = cpu_step_seconds(model, batch, args.cpu_steps, forward_only=factor == 1)
            cpu = f"{seconds:.3f} ({flops * factor * batch / seconds / 1e12:.2f})"
        per_lesson[lesson] = per_lesson.get(lesson, 0) + gpu
        print(f"| {lesson} | {name} | {flops / 1e6:,.1f} | {total / 1e12:,.1f} | {steps:,} | {cpu} | {gpu:,.0f} |")
    print()
    for lesson, seconds in per_lesson.items():
        print(f"lesson {lesson}: about {seconds / 60:.1f} min of training on the assumed GPU")
    print(f"course: about {sum(per_lesson.values()) / 60:.1f} min of training (budget 20 min, 6 per lesson)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
