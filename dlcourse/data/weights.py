"""Pretrained ImageNet weights through `keras.applications`, with an offline path.

Resolution, for `imagenet_weights(model)`:

1. a staged file ``<data dir>/weights/<Keras file name>`` (returned as a path);
2. the Keras cache (``~/.keras/models``), else a real download with
   ``keras.utils.get_file``, the same call Keras makes (returns the path);
3. in the smoke profile only: ``None`` (random initialisation) with a banner;
4. in the full profile: a `DlcourseError` naming both fixes.

Pass the result as ``weights=`` to the application constructor.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DlcourseError
from ..profile import resolve_profile
from .notices import banner, missing_message
from .paths import data_dir

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclass(frozen=True)
class WeightsFile:
    file_name: str
    url: str
    file_hash: str | None  # as Keras checks it (md5 for these files), None where Keras checks none


WEIGHTS = {
    ("vgg16", True): WeightsFile("vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                                 _BASE + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                                 "64373286793e3c8b2b4e3219cbf3544b"),
    ("vgg16", False): WeightsFile("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                  _BASE + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                  "6d6bbae143d832006294945121d1f1fc"),
    ("mobilenet_v2", False): WeightsFile("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
                                         _BASE + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
                                         None),
}


def weights_file(model: str, include_top: bool = False) -> WeightsFile:
    try:
        return WEIGHTS[(model, include_top)]
    except KeyError:
        known = ", ".join(f"{m} (include_top={t})" for m, t in WEIGHTS)
        raise DlcourseError(f"no ImageNet weights registered for {model} include_top={include_top}; known: {known}") from None


def staged_weights(model: str, include_top: bool = False):
    path = data_dir() / "weights" / weights_file(model, include_top).file_name
    return path if path.is_file() else None


def imagenet_weights(model: str = "vgg16", include_top: bool = False, profile: str | None = None):
    """Return what to pass as ``weights=``: a file path, or ``None`` (smoke, offline)."""
    entry = weights_file(model, include_top)
    staged = staged_weights(model, include_top)
    if staged is not None:
        print(f"ImageNet weights: staged {staged}")
        return str(staged)
    try:
        import keras

        path = keras.utils.get_file(entry.file_name, entry.url, cache_subdir="models", file_hash=entry.file_hash)
        print(f"ImageNet weights: Keras cache {path}")
        return path
    except Exception as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
        detail = detail if len(detail) <= 240 else "..." + detail[-237:]  # the cause is at the end
        reason = (f"no staged weights/{entry.file_name} in {data_dir()}, and Keras could not download it "
                  f"({exc.__class__.__name__}{': ' + detail if detail else ''})")
    if resolve_profile(profile) == "smoke":
        banner("NO PRETRAINED WEIGHTS (smoke profile): the base network starts from RANDOM weights",
               "Everything runs, but transfer-learning accuracies here show nothing about ImageNet features.\n"
               + reason)
        return None
    raise DlcourseError(missing_message(f"ImageNet weights for {model}", f"weights/{entry.file_name}", reason))
