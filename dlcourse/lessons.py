"""The course's lessons in order, with the results each profile must reach.

Targets are checked by `dlcourse run` against what a notebook records with
`dlcourse.record(name, value)`. A target is ``(operator, value)``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DlcourseError

_OPS = {">=": operator.ge, "<=": operator.le, "==": operator.eq, "<": operator.lt, ">": operator.gt}


@dataclass(frozen=True)
class Lesson:
    lesson_id: str  # "02_ann_mnist": directory and notebook name
    title: str
    targets: dict = field(default_factory=dict)  # {"smoke": {key: (op, value)}, "full": {...}}
    records: tuple = ()  # keys the notebook must record in every profile (checked by the tests)

    @property
    def number(self) -> str:
        return self.lesson_id.split("_", 1)[0]

    def notebook(self, root: Path, source: str = "solutions") -> Path:
        return Path(root) / source / self.lesson_id / f"{self.lesson_id}.ipynb"

    def check(self, profile: str, records: dict) -> list[dict]:
        """Compare recorded results with this profile's targets."""
        checks = []
        for key, (op, target) in self.targets.get(profile, {}).items():
            value = records.get(key)
            ok = value is not None and _OPS[op](value, target)
            checks.append({"key": key, "op": op, "target": target, "value": value, "ok": bool(ok)})
        return checks


LESSONS = [
    Lesson("00_setup_check", "Setup check",
           {"smoke": {"sanity_accuracy": (">=", 0.5)}, "full": {"sanity_accuracy": (">=", 0.9)}},
           records=("sanity_accuracy", "sanity_train_seconds")),
    Lesson("01_images_as_arrays", "Images as arrays",
           {profile: {"image_bytes": ("==", 750_000), "colour_count": ("==", 16_777_216),
                      "vgg_means_max_error": ("<=", 1e-4), "sobel_max_abs_error_vs_oracle": ("<=", 1e-5)}
            for profile in ("smoke", "full")},
           records=("image_bytes", "colour_count", "astronaut_distinct_colours", "jpeg_compression_ratio",
                    "vgg_means_max_error", "mnist_pixel_mean", "sobel_max_abs_error_vs_oracle")),
    Lesson("02_ann_mnist", "ANN on MNIST",
           {"smoke": {"mlp_test_accuracy": (">=", 0.5), "mlp_params": ("==", 669_706),
                      "dense_params_3_4_5_3_2": ("==", 67), "iris_test_accuracy": (">=", 0.7),
                      "gradient_check_max_relative_error": ("<=", 1e-7), "xor_network_accuracy": ("==", 1.0),
                      "bowl_steps_standardised": ("<=", 10)},
            "full": {"mlp_test_accuracy": (">=", 0.98), "mlp_params": ("==", 669_706),
                     "dense_params_3_4_5_3_2": ("==", 67), "iris_test_accuracy": (">=", 0.9),
                     "gradient_check_max_relative_error": ("<=", 1e-7), "xor_network_accuracy": ("==", 1.0),
                     "bowl_steps_standardised": ("<=", 10)}},
           records=("mlp_test_accuracy", "mlp_params", "mlp_train_seconds", "iris_test_accuracy",
                    "dense_params_3_4_5_3_2", "gradient_check_max_relative_error", "xor_network_accuracy",
                    "bowl_steps_standardised")),
    Lesson("03_convolution", "Convolution by hand",
           {profile: {"edge_map_middle_value": ("==", 30), "max_abs_error_vs_keras": ("<=", 1e-4),
                      "param_count_mismatches": ("==", 0), "receptive_field_three_layers": ("==", 7),
                      "seed_kernel_found": ("==", True), "equivariance_max_difference": ("==", 0),
                      "mnist_chain_shape_mismatches": ("==", 0)} for profile in ("smoke", "full")},
           records=("edge_map_middle_value", "seed_kernel_found", "max_abs_error_vs_keras", "numpy_keras_comparisons",
                    "param_count_mismatches", "receptive_field_three_layers", "equivariance_max_difference",
                    "mnist_chain_shape_mismatches")),
    Lesson("04_lenet", "LeNet",
           {"smoke": {"lenet5_params": ("==", 61_706), "seed_lenet_params": ("==", 61_706),
                      "seed_cnn_params": ("==", 220_234), "challenge_params": ("<", 10_000),
                      "lenet_test_accuracy": (">=", 0.5)},
            "full": {"lenet5_params": ("==", 61_706), "seed_lenet_params": ("==", 61_706),
                     "seed_cnn_params": ("==", 220_234), "lenet_test_accuracy": (">=", 0.99),
                     "seed_cnn_test_accuracy": (">=", 0.99), "challenge_test_accuracy": (">=", 0.994),
                     "challenge_params": ("<", 10_000)}},
           records=("lenet5_params", "lenet5_test_accuracy", "seed_lenet_params", "lenet_test_accuracy", "lenet_train_seconds",
                    "seed_cnn_params", "seed_cnn_test_accuracy", "challenge_params", "challenge_test_accuracy")),
    Lesson("05_cifar10", "CIFAR-10",
           {"smoke": {"seed_cnn_params": ("==", 528_054), "batchnorm_max_abs_error_vs_keras": ("<=", 1e-4)},
            "full": {"seed_cnn_params": ("==", 528_054), "batchnorm_max_abs_error_vs_keras": ("<=", 1e-4),
                     "seed_cnn_test_accuracy": (">=", 0.68), "improved_cnn_test_accuracy": (">=", 0.85)}},
           records=("seed_cnn_params", "seed_cnn_test_accuracy", "improved_cnn_params", "improved_cnn_test_accuracy",
                    "batchnorm_max_abs_error_vs_keras")),
    Lesson("06_vgg_transfer", "VGG and transfer learning",
           {"smoke": {"vgg16_params": ("==", 138_357_544), "vgg16_notop_params": ("==", 14_714_688),
                      "alexnet_table_params": ("==", 1_664_678)},
            "full": {"vgg16_params": ("==", 138_357_544), "pretrained_weights_loaded": ("==", True),
                     "transfer_test_accuracy": (">=", 0.95)}},
           records=("vgg16_params", "vgg16_notop_params", "alexnet_table_params", "pretrained_weights_loaded",
                    "head_test_accuracy", "transfer_test_accuracy", "alexnet_test_accuracy", "image_size")),
    Lesson("07_inception_resnet", "Inception and ResNet",
           {"smoke": {"resnet20_params": ("==", 271_098), "inception_params": ("==", 163_696)},
            "full": {"resnet20_params": ("==", 271_098), "inception_params": ("==", 163_696),
                     "resnet20_test_accuracy": (">=", 0.915), "resnet20_train_seconds": ("<=", 300)}},
           records=("inception_params", "resnet20_params", "resnet20_test_accuracy", "resnet20_train_seconds",
                    "plain20_test_accuracy")),
]

BY_ID = {lesson.lesson_id: lesson for lesson in LESSONS}


def find(name: str) -> Lesson:
    """Look a lesson up by id ("04_lenet"), number ("04", "4") or slug ("lenet")."""
    for lesson in LESSONS:
        number, slug = lesson.lesson_id.split("_", 1)
        if name in (lesson.lesson_id, number, slug) or (name.isdigit() and int(name) == int(number)):
            return lesson
    known = ", ".join(lesson.lesson_id for lesson in LESSONS)
    raise DlcourseError(f"unknown lesson {name!r}; known lessons: {known}")


def select(names: str | list[str] | None) -> list[Lesson]:
    """Lessons named in a comma list (or all, in course order)."""
    if not names:
        return list(LESSONS)
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    chosen = {find(n.strip()).lesson_id for n in names}
    return [lesson for lesson in LESSONS if lesson.lesson_id in chosen]
