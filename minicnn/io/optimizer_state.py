"""Optimizer state in the ``optimizer_weights`` group (optional, as in Keras).

minicnn writes tf.keras 2.11+'s names, one dataset per trainable weight and slot::

    iteration:0                              int64 scalar: optimizer.iterations
    RMSprop/velocity/conv2d_1/kernel:0       RMSprop's running mean of squares
    Adam/m/dense_1/bias:0, Adam/v/...        Adam's moments;  SGD/m/...: SGD's momentum

It restores state written that way (its own files and tf.keras 2.11+'s) and Keras 3's
(``adam/iteration``, ``adam/conv2d_kernel_momentum``, ``adam/block_conv2d_1_kernel_velocity``).
Anything else (Keras <= 2.10 numbered its variables) leaves a fresh optimizer, with a warning,
as Keras does when saved state does not fit.
"""
import warnings

import h5py
import numpy

from .. import backend
from . import h5_format, h5_nodes
from .errors import ExternalDataError

# minicnn state name -> the slot's name in tf.keras 2.11+ and in Keras 3
KERAS2_SLOTS = {"RMSprop": {"velocity": "velocity"}, "SGD": {"momentum": "m"},
                "Adam": {"m": "m", "v": "v"}}
KERAS3_SLOTS = {"RMSprop": {"velocity": "velocity"}, "SGD": {"momentum": "momentum"},
                "Adam": {"m": "momentum", "v": "velocity"}}


def _slots(model):
    """``[(layer, key, state_name), ...]``: every trainable weight's state, in model order."""
    optimizer = model.optimizer
    names = optimizer.state_names
    if type(optimizer).__name__ == "SGD" and optimizer.momentum == 0:
        names = ()                   # Keras keeps no momentum then; minicnn's stays zero
    return [(layer, key, s) for layer, key in model.trainable_slots() for s in names]


def collect(model):
    """``[(name, array), ...]`` to write, or ``None`` (untrained, or not in Keras' names)."""
    optimizer = model.optimizer
    cls = type(optimizer).__name__
    if cls not in KERAS2_SLOTS or (optimizer.iterations == 0 and not optimizer.has_state):
        return None
    entries = [("iteration:0", numpy.array(optimizer.iterations, dtype="int64"))]
    for layer, key, state in _slots(model):
        param = layer.params[key]
        saved = optimizer.saved_state(param)
        value = saved[state] if saved is not None else numpy.zeros(param.shape, param.dtype)
        entries.append((f"{cls}/{KERAS2_SLOTS[cls][state]}/{layer.name}/{key}:0",
                        backend.to_numpy(value)))
    if len({name for name, _ in entries}) != len(entries):
        warnings.warn("nested layers share names, so the optimizer state is not saved",
                      stacklevel=4)
        return None
    return entries


def write(f, entries):
    group = f.create_group("optimizer_weights")
    h5_format.write_names(group, "weight_names", [name for name, _ in entries])
    for name, value in entries:
        group.create_dataset(name, data=value)


def read(f, model, path):
    """``(iterations, [(param, state_name, array), ...])`` for a compiled ``model``, or
    ``None`` (no state in the file, or state minicnn cannot match: warned)."""
    group = h5_nodes.get(f, "optimizer_weights", path)
    names = h5_format.read_names(group, "weight_names") if group is not None else None
    if not names:
        return None
    cls = type(model.optimizer).__name__
    plan, used, iterations = [], set(), 0
    try:
        counters = [n for n in names if _last(n) in ("iteration", "iterations")]
        if len(counters) > 1:
            raise LookupError("several iteration counters")
        if counters:
            iterations = int(h5_format.read_array(_dataset(group, counters[0], path)))
            if not 0 <= iterations < 1 << 62:
                raise ValueError(f"iteration count {iterations}")
            used.add(counters[0])
        used.update(n for n in names if _last(n) == "learning_rate")   # Keras 3 keeps it too
        if used == set(names):       # a compiled, untrained Keras 3 model: counters only
            return iterations, []
        for layer, key, state in _slots(model):
            name = _find(names, layer.name, key, KERAS2_SLOTS[cls][state],
                         KERAS3_SLOTS[cls][state])
            ds = _dataset(group, name, path)
            param = layer.params[key]
            if tuple(ds.shape) != tuple(param.shape):
                raise LookupError(f"{name} has shape {ds.shape}, the weight {param.shape}")
            plan.append((param, state, h5_format.read_array(ds)))
            used.add(name)
        if set(names) - used:
            raise LookupError(f"{len(set(names) - used)} saved arrays have no place in "
                              f"minicnn's {cls}, e.g. {sorted(set(names) - used)[0]!r}")
    except ExternalDataError:
        raise                        # a file that points elsewhere is refused, not warned
    except (LookupError, TypeError, ValueError, OverflowError) as e:
        warnings.warn(f"{path}: the optimizer state was not restored ({e}); training goes on "
                      "from a fresh optimizer", stacklevel=4)
        return None
    return iterations, plan


def restore(optimizer, state):
    iterations, plan = state
    for param, name, value in plan:
        slot = optimizer.state_for(param)[name]
        slot[...] = backend.get_array_module(slot).asarray(value)  # onto the GPU on CuPy
    optimizer.iterations = iterations


def _last(name):
    return name.rsplit("/", 1)[-1].split(":")[0]


def _dataset(group, name, path):
    node = h5_nodes.get(group, name, path) if name and not name.startswith("/") else None
    if not isinstance(node, h5py.Dataset):
        raise LookupError(f"{name!r} is not a numeric dataset")
    return h5_nodes.dataset(node, path)


def _find(names, layer, key, keras2, keras3):
    """The one saved name for this weight's slot, in tf.keras 2.11+'s or Keras 3's form."""
    k2 = f"{keras2}/{layer}/{key}"
    found = [n for n in names if n.split(":")[0] == k2 or n.split(":")[0].endswith("/" + k2)
             or any(n.endswith(sep + f"{layer}_{key}_{keras3}") for sep in "/_")]
    if len(found) != 1:
        raise LookupError(f"{'no' if not found else 'several'} saved state for "
                          f"{layer}/{key} ({keras2})")
    return found[0]
