"""``save_model``, ``load_model``, ``save_weights``, ``load_weights``: Keras' files.

Loading checks everything before it changes anything, like Keras' ``saving.py`` but stricter:
it follows ``layer_names``, then each layer's ``weight_names`` in order (never h5py's
alphabetical order), pairs them with the model's layers that have weights, compares every
shape, reads the arrays, and only then assigns them. A failed load leaves the model's weights
exactly as they were.

Which format a file is gets decided in one place for reading, ``_open``, from its contents:
a zip is Keras 3's ``.keras`` archive (``keras3_archive``); an HDF5 file with ``layers/.../vars``
groups is Keras 3's ``.weights.h5`` layout (``keras3_weights``); any other HDF5 file holds
Keras 2's layout, under ``model_weights`` (a whole model) or at the root (weights only, Keras 1
and ImageNet files included). For writing, ``_format`` decides from the name, as Keras does:
``.keras`` -> the archive, ``.weights.h5`` -> Keras 3's weights, any other name -> Keras 2's
``.h5``.
"""
import contextlib
import os
import warnings

from .. import backend
from ..models.functional import Model
from . import config as config_module
from . import (atomic, h5_format, h5_nodes, keras3_archive, keras3_weights, optimizer_state,
               training_config, weight_plan)
from .errors import H5FormatError, WeightMismatchError


def _open(path):
    """Open a Keras file for reading: the one place its format is decided. ``None`` for a
    ``.keras`` archive (read by ``keras3_archive``), else the open HDF5 file, whose layout
    ``keras3_weights.is_layout`` tells apart."""
    kind = h5_format.sniff(path) if os.path.isfile(path) else None
    if kind == "zip":
        return contextlib.nullcontext(None)
    if kind is None and path.endswith(".keras") and os.path.isfile(path):
        raise keras3_archive.KerasArchiveError(f"{path} is not a zip archive (nor an HDF5 "
                                               "file): not a Keras .keras file")
    return h5_format.open_h5(path)


def _format(path, what):
    """``(path, format)`` for writing: the format follows the file name, as in Keras."""
    path = os.fspath(path)
    if path.endswith(".keras"):
        if what == "save_weights":
            raise ValueError(f"save_weights: {path!r} names a whole-model .keras archive; name "
                             "the weights file 'model.weights.h5' (Keras 3) or 'weights.h5' "
                             "(Keras 2), or call model.save")
        return path, "keras"
    if path.endswith(".weights.h5"):
        if what == "save":
            raise ValueError(f"save: {path!r} names a weights-only file; name the model "
                             "'model.keras' (Keras 3) or 'model.h5' (Keras 2), or call "
                             "model.save_weights")
        return path, "keras3 weights"
    return path, "h5"


# ----------------------------------------------------------------- saving
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` (architecture, weights, compile settings and, if ``include_optimizer``,
    the optimizer state) atomically: Keras 3's archive for ``m.keras``, Keras 2's full-model
    ``.h5`` for any other name."""
    path, kind = _format(filepath, "save")
    if kind == "keras":
        _require_built(model, "save")
        return keras3_archive.save_model(model, path, overwrite, include_optimizer)
    config = config_module.model_to_config(model)
    layout = _layout(model)
    training = training_config.training_config(model)
    state = optimizer_state.collect(model) if training and include_optimizer else None
    with atomic.atomic_h5(path, overwrite) as f:
        h5_format.write_versions(f)
        h5_format.write_json(f, "model_config", config)
        if training is not None:
            h5_format.write_json(f, "training_config", training)
        h5_format.write_layout(f.create_group("model_weights"), layout)
        if state:
            optimizer_state.write(f, state)


def save_weights(model, filepath, overwrite=True):
    """Write the weights only, atomically: Keras 3's layout for ``x.weights.h5`` (with the
    optimizer state), Keras 2's ``save_weights`` layout for any other name."""
    path, kind = _format(filepath, "save_weights")
    if kind == "keras3 weights":
        _require_built(model, "save_weights")
        return keras3_weights.save_weights(model, path, overwrite)
    layout = _layout(model)
    with atomic.atomic_h5(path, overwrite) as f:
        h5_format.write_layout(f, layout)


def _layout(model):
    _require_built(model, "save")
    layout = []
    for layer in model.layers:
        if not isinstance(layer.name, str) or not layer.name or "/" in layer.name \
                or layer.name in (".", "..", "top_level_model_weights"):
            raise ValueError(f"layer name {layer.name!r} cannot be a group name in a .h5 file")
        weights = [(f"{owner.name}/{key}:0", backend.to_numpy(owner.params[key]))
                   for owner, key in _saved_order(layer)]
        if len({w for w, _ in weights}) != len(weights):
            raise ValueError(f"model '{layer.name}' holds two layers of the same name; "
                             "rename one to save it")
        layout.append((layer.name, weights))
    return layout


def _all_slots(layer):
    """``(layer, key)`` of every weight under ``layer`` (nested models included), in order."""
    if isinstance(layer, Model):
        return [slot for sub in layer.layers for slot in _all_slots(sub)]
    return [(layer, key) for key in layer.params]


def _saved_order(layer):
    """Keras' saved order of a layer's weights: the trainable ones, then the frozen ones."""
    slots = _all_slots(layer)
    trainable = {(id(owner), key) for owner, key in layer.trainable_slots()}
    return [s for s in slots if (id(s[0]), s[1]) in trainable] + \
        [s for s in slots if (id(s[0]), s[1]) not in trainable]


def _require_built(model, what):
    if not model.built or not model.layers:
        raise ValueError(f"{what}: model '{model.name}' is not built, so it has no weights yet: "
                         "give the first layer an input_shape, or call model.build((None, ...))")


# ----------------------------------------------------------------- loading
def load_model(filepath, compile=True):
    """A model from a Keras 3 ``.keras`` archive or a Keras ``.h5`` (minicnn, Keras 2, or
    Keras 3's legacy ``model.save('x.h5')``).

    Args:
        filepath: path of the file.
        compile: restore the compile settings (optimizer, loss, metrics) and the optimizer
            state when the file has them.

    Returns:
        A ``Sequential`` or ``Model`` with the file's architecture and weights.
    """
    path = os.fspath(filepath)
    with _open(path) as f:
        if f is None:
            return keras3_archive.load_model(path, compile=compile)
        if keras3_weights.is_layout(f, path):
            raise H5FormatError(f"{path} is a Keras 3 .weights.h5 file: weights only, no model "
                                "config: build the model in code, then call "
                                "model.load_weights(path)")
        group, layout_name = h5_format.weights_root(f, path)
        config = h5_format.read_json(f, "model_config")
        if layout_name != "full model" or config is None:
            raise H5FormatError(f"{path} holds weights only (no model_config): build the model "
                                "in code, then call model.load_weights(path)")
        stored = [ds.shape for _, weights in h5_format.read_layout(group, path)
                  for _, ds in weights]
        weight_plan.check(config_module.plan_from_config(config), stored,
                          f"{path}: model_config")
        model = config_module.model_from_config(config)
        values = h5_format.read_planned(_plan(group, model, path), path)
        compile_kwargs = training_config.compile_args(
            h5_format.read_json(f, "training_config"), path) if compile else None
        if compile_kwargs is not None:
            try:
                model.compile(**compile_kwargs)
            except (ValueError, TypeError) as e:
                warnings.warn(f"{path}: the compile settings were not restored ({e}); the "
                              "model is returned uncompiled", stacklevel=2)
                compile_kwargs = None
        state = optimizer_state.read(f, model, path) if compile_kwargs is not None else None
    _assign(values)
    if state is not None:
        optimizer_state.restore(model.optimizer, state)
    return model


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Load weights from a Keras file: a Keras 3 ``.weights.h5`` or ``.keras`` (matched by
    layer class and order, as Keras 3 does; the optimizer state too, if the model is compiled
    with the same optimizer) or a Keras 2 ``.h5`` (whole model, weights only, Keras 1/ImageNet).

    Args:
        by_name: (Keras 2 files) match layers by name (layers not in the file keep their
            weights) instead of by order (Keras' default: the layers that have weights).
        skip_mismatch: skip, with a warning, layers whose weight count or shapes differ.
    """
    path = os.fspath(filepath)
    _require_built(model, "load_weights")
    with _open(path) as f:
        if f is None:
            return keras3_archive.load_weights(model, path, by_name, skip_mismatch)
        if keras3_weights.is_layout(f, path):
            values, state = keras3_weights.load(f, model, path, by_name, skip_mismatch)
            keras3_weights.apply(model, values, state)
            return
        group, _ = h5_format.weights_root(f, path)
        values = h5_format.read_planned(_plan(group, model, path, by_name, skip_mismatch), path)
    _assign(values)


def _plan(group, model, path, by_name=False, skip_mismatch=False):
    """``[(param, dataset), ...]`` after every count and shape was checked; reads no data."""
    saved = [(name, weights) for name, weights in h5_format.read_layout(group, path) if weights]
    top = h5_nodes.get(group, "top_level_model_weights", path)
    if top is not None and h5_format.read_names(top, "weight_names") and not skip_mismatch:
        raise WeightMismatchError(f"{path} has top-level model weights; minicnn models keep "
                                  "all weights in layers")
    targets = [layer for layer in model.layers if _all_slots(layer)]
    if by_name:
        index = {layer.name: layer for layer in targets}
        pairs = [(index[name], name, weights) for name, weights in saved if name in index]
    elif len(saved) != len(targets):
        raise WeightMismatchError(
            f"{path} holds weights for {len(saved)} layers {[n for n, _ in saved]}, but model "
            f"'{model.name}' has {len(targets)} layers with weights "
            f"{[layer.name for layer in targets]}")
    else:
        pairs = [(layer, name, weights) for layer, (name, weights) in zip(targets, saved)]
    plan = []
    for layer, name, weights in pairs:
        slots = _saved_order(layer)
        problem = None
        if len(weights) != len(slots):
            problem = (f"layer '{layer.name}' has {len(slots)} weights, the file's layer "
                       f"{name!r} has {len(weights)}")
        for (owner, key), (weight_name, ds) in zip(slots, weights):
            expected = tuple(owner.params[key].shape)
            if problem is None and tuple(ds.shape) != expected:
                problem = (f"layer '{layer.name}': weight '{owner.name}/{key}' has shape "
                           f"{expected}, the file's {weight_name!r} has shape {tuple(ds.shape)}")
        if problem is not None:
            if not skip_mismatch:
                raise WeightMismatchError(f"{path}: {problem}")
            warnings.warn(f"{path}: skipped: {problem}", stacklevel=3)
            continue
        plan += [(owner.params[key], ds) for (owner, key), (_, ds) in zip(slots, weights)]
    return plan


def _assign(values):
    for param, value in values:
        param[...] = backend.get_array_module(param).asarray(value, dtype=param.dtype)
