"""`dlcourse.data.imagenet_weights`: every resolution path, without touching the network.

staged file -> Keras cache / download -> smoke: None with a banner -> full: DlcourseError naming both fixes.
"""

from __future__ import annotations

import functools

import keras
import pytest

from dlcourse.data import imagenet_weights
from dlcourse.data import weights as weights_module
from dlcourse.errors import DlcourseError

VGG16_NOTOP = weights_module.WEIGHTS[("vgg16", False)]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty staged-data folder, and no profile forced from outside."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(folder))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("DLCOURSE_PROFILE", raising=False)
    return folder


@pytest.fixture
def keras_must_not_be_asked(monkeypatch):
    def get_file(*args, **kwargs):
        raise AssertionError(f"keras.utils.get_file should not be called here (got {args})")

    monkeypatch.setattr(keras.utils, "get_file", get_file)


@pytest.fixture
def offline(monkeypatch):
    """keras.utils.get_file fails the way it does without a network; the calls are kept."""
    calls = []

    def get_file(*args, **kwargs):
        calls.append((args, kwargs))
        raise Exception(f"URL fetch failure on {args[1] if len(args) > 1 else kwargs.get('origin')}: "
                        "None -- [Errno -2] Name or service not known")

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    return calls


def stage(data_dir, entry, content=b"not really weights"):
    path = data_dir / "weights" / entry.file_name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    return path


# 1. A staged file wins, in every profile, and Keras is never asked.
@pytest.mark.parametrize("profile", ["smoke", "full"])
def test_staged_file_is_returned(data_dir, keras_must_not_be_asked, capsys, profile):
    staged = stage(data_dir, VGG16_NOTOP)
    assert imagenet_weights("vgg16", include_top=False, profile=profile) == str(staged)
    assert f"staged {staged}" in capsys.readouterr().out


def test_staged_file_for_the_other_variant_is_not_used(data_dir, offline):
    stage(data_dir, weights_module.WEIGHTS[("vgg16", True)])  # the with-top file does not serve include_top=False
    assert imagenet_weights("vgg16", include_top=False, profile="smoke") is None
    assert len(offline) == 1


def test_staged_file_loads_into_keras_applications(data_dir, keras_must_not_be_asked):
    """The returned path is what `keras.applications.VGG16(weights=...)` accepts (a legacy .h5 weights file)."""
    import h5py
    import numpy as np
    from keras.src.legacy.saving import legacy_h5_format

    source = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    path = data_dir / "weights" / VGG16_NOTOP.file_name
    path.parent.mkdir()
    with h5py.File(path, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, source)
    loaded = keras.applications.VGG16(weights=imagenet_weights("vgg16", profile="full"), include_top=False,
                                      input_shape=(32, 32, 3))
    assert all(np.array_equal(a, b) for a, b in zip(source.get_weights(), loaded.get_weights()))


# 2. No staged file: Keras's own cache, or its download, gives the path.
def test_keras_get_file_path_is_returned(data_dir, monkeypatch, capsys):
    calls = []

    def get_file(*args, **kwargs):
        calls.append((args, kwargs))
        return "/somewhere/.keras/models/" + args[0]

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    result = imagenet_weights("vgg16", include_top=False, profile="full")
    assert result == "/somewhere/.keras/models/" + VGG16_NOTOP.file_name
    (args, kwargs), = calls
    # The same file, URL, cache folder and checksum that keras.applications.VGG16(weights="imagenet") uses.
    assert args == (VGG16_NOTOP.file_name, VGG16_NOTOP.url)
    assert kwargs == {"cache_subdir": "models", "file_hash": VGG16_NOTOP.file_hash}
    assert "Keras cache" in capsys.readouterr().out


def test_file_in_a_real_keras_cache_is_found(data_dir, tmp_path, monkeypatch):
    """The real keras.utils.get_file, pointed at a temporary KERAS_HOME that already holds the file."""
    keras_home = tmp_path / "keras_home"
    entry = weights_module.WEIGHTS[("mobilenet_v2", False)]  # Keras checks no hash for this file
    cached = keras_home / "models" / entry.file_name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"cached")
    monkeypatch.setattr(keras.utils, "get_file", functools.partial(keras.utils.get_file, cache_dir=str(keras_home)))
    monkeypatch.setattr("keras.src.utils.file_utils.urlretrieve", _no_network)
    assert imagenet_weights("mobilenet_v2", include_top=False, profile="full") == str(cached)


def test_cached_file_with_a_wrong_checksum_is_not_trusted(data_dir, tmp_path, monkeypatch, capsys):
    """A corrupt VGG16 file in the Keras cache fails Keras's md5 check; Keras then tries to download it again."""
    keras_home = tmp_path / "keras_home"
    cached = keras_home / "models" / VGG16_NOTOP.file_name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"truncated download")
    monkeypatch.setattr(keras.utils, "get_file", functools.partial(keras.utils.get_file, cache_dir=str(keras_home)))
    monkeypatch.setattr("keras.src.utils.file_utils.urlretrieve", _no_network)
    assert imagenet_weights("vgg16", include_top=False, profile="smoke") is None
    assert "NO PRETRAINED WEIGHTS" in capsys.readouterr().out


def _no_network(*args, **kwargs):
    raise OSError("tests never download")


def test_registered_files_match_keras_applications():
    from keras.src.applications import mobilenet_v2, vgg16

    assert weights_module.WEIGHTS[("vgg16", True)].url == vgg16.WEIGHTS_PATH
    assert weights_module.WEIGHTS[("vgg16", False)].url == vgg16.WEIGHTS_PATH_NO_TOP
    for (model, _), entry in weights_module.WEIGHTS.items():
        assert entry.url.endswith("/" + entry.file_name)
    mobilenet = weights_module.WEIGHTS[("mobilenet_v2", False)]
    assert mobilenet.url == mobilenet_v2.BASE_WEIGHT_PATH + mobilenet.file_name


# 3. Download fails in the smoke profile: None (random weights) and a banner that says so.
@pytest.mark.parametrize("how", ["argument", "environment", "nbgrader"])
def test_offline_smoke_returns_none_with_banner(data_dir, offline, monkeypatch, capsys, how):
    profile = {"argument": "smoke", "environment": None, "nbgrader": "full"}[how]
    if how == "environment":
        monkeypatch.setenv("DLCOURSE_PROFILE", "smoke")
    if how == "nbgrader":
        monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # grading is always smoke, whatever the notebook asks
    assert imagenet_weights("vgg16", include_top=False, profile=profile) is None
    out = capsys.readouterr().out
    assert "NO PRETRAINED WEIGHTS" in out and "RANDOM" in out
    assert VGG16_NOTOP.file_name in out, "the banner names the file that is missing"
    assert "Name or service not known" in out, "the banner says why Keras could not download it"
    assert len(offline) == 1


# 4. Download fails in the full profile: a clear error naming both fixes.
@pytest.mark.parametrize("profile", ["full", None])
def test_offline_full_raises_naming_both_fixes(data_dir, offline, profile):
    with pytest.raises(DlcourseError) as error:
        imagenet_weights("vgg16", include_top=True, profile=profile)
    message = str(error.value)
    assert "internet" in message and "download" in message, "fix 1: let Keras download it"
    assert "dlcourse data stage" in message and f"weights/{weights_module.WEIGHTS[('vgg16', True)].file_name}" in message, (
        "fix 2: stage the named file")
    assert str(data_dir) in message, "say where a staged file was looked for"


def test_offline_full_prints_no_banner(data_dir, offline, capsys):
    with pytest.raises(DlcourseError):
        imagenet_weights("vgg16", profile="full")
    assert "NO PRETRAINED WEIGHTS" not in capsys.readouterr().out


# 5. Unknown models and variants: a clear error before anything is looked up.
@pytest.mark.parametrize("model, include_top", [("resnet50", False), ("VGG-16", False), ("mobilenet_v2", True)])
def test_unknown_model_is_a_clear_error(data_dir, keras_must_not_be_asked, model, include_top):
    for profile in ("smoke", "full"):
        with pytest.raises(DlcourseError) as error:
            imagenet_weights(model, include_top=include_top, profile=profile)
        message = str(error.value)
        assert model in message and "vgg16 (include_top=False)" in message, message
