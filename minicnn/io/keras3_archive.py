"""Keras 3's ``.keras`` file: a zip archive of three members (``saving_lib.save_model``)::

    metadata.json       {"keras_version": ..., "date_saved": "2025-01-31@12:00:00"}
    config.json         the serialised model and its compile_config (``keras3_config``)
    model.weights.h5    the weights and optimizer state (``keras3_weights``)

Members are read by name into memory, never extracted to disk, and each read is bounded:
``config.json`` to a few MB, ``model.weights.h5`` to what the model's weights (and an
optimizer's slots) could take. A damaged or truncated zip, a missing member or a member
that claims an absurd size is a ``KerasArchiveError`` naming the file. Saving writes the
archive to a temporary file beside the target and moves it into place when complete.
"""
import contextlib
import datetime
import io
import json
import struct
import warnings
import zipfile
import zlib

import h5py

from . import config as config_module
from . import atomic, h5_format, keras3_config, keras3_weights, weight_plan
from .errors import H5FormatError

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
MAX_CONFIG_BYTES = 4 << 20      # the chapter's VGG16 config takes 20 kB
MAX_WEIGHTS_BYTES = 1 << 33     # VGG16 with Adam's two slots per weight: 1.6 GB
MAX_EXPANSION = 1100            # DEFLATE never expands more than about 1032:1
try:                            # a member may claim LZMA compression (zip method 14)
    from lzma import LZMAError
except ImportError:             # Python built without lzma: zipfile says NotImplementedError
    LZMAError = zlib.error
ARCHIVE_ERRORS = h5_format.READ_ERRORS + (zipfile.BadZipFile, zlib.error, EOFError,
                                          NotImplementedError, struct.error, LZMAError)


class KerasArchiveError(H5FormatError):
    """A ``.keras`` file that is not a zip minicnn can read, or lacks what Keras puts in it."""


# --------------------------------------------------------------------- reading
@contextlib.contextmanager
def _archive(path):
    """The open zip, with what a damaged archive raises turned into ``KerasArchiveError``."""
    try:
        with zipfile.ZipFile(path, "r") as zf:
            yield zf
    except H5FormatError:
        raise
    except ARCHIVE_ERRORS as e:
        raise KerasArchiveError(f"{path}: the .keras archive is damaged or not a Keras 3 file "
                                f"({type(e).__name__}: {str(e)[:200]})") from e


def _member(zf, name, limit, path):
    """The bytes of member ``name`` (``None`` if absent), refusing more than ``limit``."""
    infos = [info for info in zf.infolist() if info.filename == name]
    if not infos:
        return None
    if len(infos) > 1:
        raise KerasArchiveError(f"{path}: the archive holds {len(infos)} members named {name}")
    info = infos[0]
    if info.file_size > limit or (info.file_size > 1 << 20
                                  and info.file_size > MAX_EXPANSION * info.compress_size):
        raise KerasArchiveError(f"{path}: {name} declares {info.file_size:,} bytes "
                                f"({info.compress_size:,} stored), more than minicnn reads for "
                                f"it (at most {limit:,}): a damaged archive, or a zip bomb")
    with zf.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise KerasArchiveError(f"{path}: {name} holds more than {limit:,} bytes")
    return data


def _config(zf, path):
    data = _member(zf, CONFIG, MAX_CONFIG_BYTES, path)
    if data is None:
        raise KerasArchiveError(f"{path} has no {CONFIG} (its members: {zf.namelist()[:10]}); "
                                "a Keras 3 .keras archive holds metadata.json, config.json "
                                "and model.weights.h5")
    try:
        config = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as e:
        raise KerasArchiveError(f"{path}: {CONFIG} is not valid JSON ({e})") from None
    if not isinstance(config, dict) or not isinstance(config.get("config"), (dict, list)):
        raise KerasArchiveError(f"{path}: {CONFIG} is not a serialised Keras model "
                                "({\"class_name\": ..., \"config\": ...})")
    return config


@contextlib.contextmanager
def _weights(zf, path, count):
    """``model.weights.h5`` opened from memory, its size bounded by ``count`` weights (an
    optimizer's slots included)."""
    limit = min(MAX_WEIGHTS_BYTES, (16 << 20) + 32 * count)
    data = _member(zf, WEIGHTS, limit, path)
    if data is None:
        names = zf.namelist()
        other = [n for n in names if n.startswith("model.weights")]
        raise KerasArchiveError(
            f"{path} has no {WEIGHTS}" + (f", but {other}: Keras' npz or sharded weights, "
                                          "which minicnn does not read; save with Keras' "
                                          "default weights_format='h5'" if other else ""))
    if not data.startswith(h5_format.HDF5_SIGNATURE):
        raise KerasArchiveError(f"{path}: {WEIGHTS} is not an HDF5 file")
    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            yield f
    except H5FormatError:
        raise
    except h5_format.READ_ERRORS as e:
        raise KerasArchiveError(f"{path}: its {WEIGHTS} is damaged ({type(e).__name__}: "
                                f"{str(e)[:200]})") from e


def _read_config(read, config, path):
    """``read(config)`` (plan or build), its errors naming the archive."""
    try:
        return read(config)
    except H5FormatError as e:
        message = str(e).removeprefix("model_config: ")
        raise type(e)(f"{path}: {CONFIG}: {message}") from None


def load_model(path, compile=True):
    """A model from a ``.keras`` archive written by Keras 3 or minicnn: its config is
    checked to be Keras' own objects, then planned against the weights the archive holds,
    and only then built (``weight_plan``)."""
    with _archive(path) as zf, h5_format.reading(path):
        config = _config(zf, path)
        keras3_config.check_objects({k: v for k, v in config.items() if k != "compile_config"},
                                    f"{path}: {CONFIG}")
        planned = _read_config(config_module.plan_from_config, config, path)
        with _weights(zf, path, weight_plan.total(planned)) as f:
            weight_plan.check(planned, keras3_weights.stored_shapes(f, path),
                              f"{path}: {CONFIG}")
            model = _read_config(config_module.model_from_config, config, path)
            values = h5_format.read_planned(keras3_weights.plan(f, model, path), path)
            settings = keras3_config.compile_args(config.get("compile_config"), path) \
                if compile else None
            if settings is not None:
                try:
                    model.compile(**settings)
                except (ValueError, TypeError) as e:
                    warnings.warn(f"{path}: the compile settings were not restored ({e}); the "
                                  "model is returned uncompiled", stacklevel=3)
            state = keras3_weights.read_optimizer(f, model, path)
    keras3_weights.apply(model, values, state)
    return model


def load_weights(model, path, by_name=False, skip_mismatch=False):
    """The weights (and, for a compiled model, optimizer state) of a ``.keras`` archive."""
    with _archive(path) as zf, h5_format.reading(path):
        with _weights(zf, path, model.count_params()) as f:
            values, state = keras3_weights.load(f, model, path, by_name, skip_mismatch)
    keras3_weights.apply(model, values, state)


# --------------------------------------------------------------------- writing
def save_model(model, path, overwrite=True, include_optimizer=True):
    """Write ``model`` as a ``.keras`` archive that Keras 3 loads, atomically."""
    from .. import __version__

    config = keras3_config.model_config(model)       # fails before any file is touched
    config["compile_config"] = keras3_config.compile_config(model)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        keras3_weights.write(f, model, include_optimizer)
    metadata = {"keras_version": f"minicnn-{__version__}",
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    with atomic.atomic_path(path, overwrite) as tmp, \
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(METADATA, json.dumps(metadata))
        zf.writestr(CONFIG, json.dumps(config))
        zf.writestr(WEIGHTS, buffer.getvalue())
