"""Keras 3's weights layout: ``x.weights.h5``, and ``model.weights.h5`` inside a ``.keras``.

Keras 3 keys weights by where a layer sits, not by its name (``saving_lib._save_state``)::

    vars/                                attrs: name = 'sequential'   (the model's own: none)
    layers/conv2d/vars/0, 1              attrs: name = 'conv2d_1'     (kernel, bias)
    layers/conv2d_1/vars/0, 1            the model's second Conv2D
    layers/max_pooling2d/vars/           weightless layers get an empty group
    layers/functional/vars/              a nested functional model (the chapter's VGG16 base)...
    layers/functional/layers/input_layer/vars/   ...lists its InputLayer; a Sequential does not
    layers/functional/layers/conv2d/vars/0, 1
    optimizer/vars/0, 1, 2...            iteration, learning rate, then each trainable weight's
                                         slots (Adam: momentum, velocity for one weight, then
                                         the next weight's)

Each group name is the Keras class name in snake case, numbered ``_1, _2...`` per class within
its model, in the model's layer order: Sequential's order, or for a functional model Keras'
``map_graph`` order (``keras_layers``). The ``name`` attributes are only labels: two models
with other layer names share weights files. Loading checks every group, count and shape
before anything is read, and extra groups with arrays are errors (a model that does not fit).
"""
import warnings

import h5py
import numpy

from .. import backend
from ..layers.base import to_snake_case
from ..models.functional import Model
from ..models.sequential import Sequential
from . import atomic, h5_format, h5_nodes, optimizer_state
from .config import MAX_DEPTH, WRITTEN_AS
from .errors import ExternalDataError, H5FormatError, WeightMismatchError

KERAS_OPTIMIZERS = ("RMSprop", "SGD", "Adam")   # Keras 3 keeps the same slots as minicnn
# the optimizer names Keras and minicnn write by default (the 'name' of optimizer/vars)
KERAS_NAMES = {"rmsprop": "RMSprop", "rm_sprop": "RMSprop", "sgd": "SGD", "adam": "Adam"}


# ------------------------------------------------------------------ the layout
def keras_layers(model):
    """``model``'s layers in the order Keras 3 walks them when it saves and loads.

    A Sequential: its layers (no InputLayer). A functional model: Keras' ``map_graph``
    order, deepest first, where a layer's depth is the number of layers between it and the
    model's outputs, and ties keep the order in which a walk back from each output (in
    order) first meets them. For a chain that is minicnn's ``model.layers``; with taps it
    can differ (``Model(x, [b, d])`` with ``a -> b`` and ``a -> c -> d``: Keras has ``x, a,
    c, b, d``).
    """
    if isinstance(model, Sequential):
        return model.layers
    met = {}
    for tensor in model.outputs:
        while tensor is not None and id(tensor.layer) not in met:
            met[id(tensor.layer)] = len(met)
            tensor = tensor.parent
    depth = {}
    for tensor in reversed([model.input] + list(model.nodes)):
        depth.setdefault(id(tensor), 0)
        if tensor.parent is not None:
            parent = id(tensor.parent)
            depth[parent] = max(depth.get(parent, 0), depth[id(tensor)] + 1)
    tensors = [model.input] + list(model.nodes)
    return [t.layer for t in sorted(tensors, key=lambda t: (-depth[id(t)], met[id(t.layer)]))]


def group_name(layer):
    """Keras' group name for a layer of this class: ``'conv2d'``, ``'functional'``..."""
    if isinstance(layer, Sequential):
        return "sequential"
    if isinstance(layer, Model):
        return "functional"
    return to_snake_case(WRITTEN_AS.get(type(layer), type(layer).__name__))


def layout(model, prefix="", depth=0):
    """``[(group, layer, [(owner, key), ...]), ...]``: where each layer's ``vars`` group
    sits (``''`` for the model itself) and its weights in Keras' order (kernel, bias)."""
    if depth > MAX_DEPTH:
        raise ValueError(f"model '{model.name}': models nested more than {MAX_DEPTH} deep")
    found, used = [(prefix, model, [])], {}
    for layer in keras_layers(model):
        name = group_name(layer)
        used[name] = used.get(name, -1) + 1
        path = f"{prefix}layers/{name}" + (f"_{used[name]}" if used[name] else "")
        if isinstance(layer, Model):
            found += layout(layer, path + "/", depth + 1)
        else:
            found.append((path, layer, [(layer, key) for key in layer.params]))
    return [(path.rstrip("/"), layer, slots) for path, layer, slots in found]


def trainable_slots(model):
    """``(layer, key)`` of every trainable weight, in Keras 3's ``trainable_variables`` order:
    the order its optimizer keeps their slots in."""
    if not model.trainable:
        return []
    return [slot for layer in keras_layers(model) for slot in (
        trainable_slots(layer) if isinstance(layer, Model) else layer.trainable_slots())]


def _vars(path):
    return f"{path}/vars" if path else "vars"


# --------------------------------------------------------------------- writing
def write(f, model, include_optimizer=True):
    """Write ``model``'s weights (and, if compiled, its optimizer state) into ``f``."""
    for path, layer, slots in layout(model):
        group = f.create_group(_vars(path))
        group.attrs["name"] = layer.name
        for i, (owner, key) in enumerate(slots):
            group.create_dataset(str(i), data=backend.to_numpy(owner.params[key]))
    optimizer = getattr(model, "optimizer", None)
    if not (include_optimizer and model.compiled and type(optimizer).__name__ in
            KERAS_OPTIMIZERS):
        return
    group = f.create_group("optimizer/vars")
    group.attrs["name"] = optimizer.name
    group.create_dataset("0", data=numpy.array(optimizer.iterations, "int64"))
    group.create_dataset("1", data=numpy.array(optimizer.learning_rate, "float32"))
    for i, (param, state) in enumerate(_optimizer_slots(model), start=2):
        saved = optimizer.saved_state(param)
        value = saved[state] if saved is not None else numpy.zeros(param.shape, param.dtype)
        group.create_dataset(str(i), data=backend.to_numpy(value))


def _optimizer_slots(model):
    """``[(param, state_name), ...]`` in the order of Keras 3's optimizer variables."""
    optimizer = model.optimizer
    names = optimizer.state_names
    if type(optimizer).__name__ == "SGD" and optimizer.momentum == 0:
        names = ()                          # Keras keeps no momentum then
    return [(layer.params[key], state) for layer, key in trainable_slots(model)
            for state in names]


# --------------------------------------------------------------------- reading
def is_layout(f, path):
    """Whether an open HDF5 file holds Keras 3's layout (not Keras 2's ``layer_names``)."""
    if f.get("model_weights", getlink=True) is not None \
            or h5_format.read_names(f, "layer_names") is not None:
        return False
    return isinstance(h5_nodes.get(f, "layers", path), h5py.Group) \
        or isinstance(h5_nodes.get(f, "vars", path), h5py.Group)


def _datasets(group, path, where):
    """The numbered datasets ``'0', '1', ...`` of a ``vars`` group, checked, unread."""
    names = list(group.keys())
    if sorted(names) != sorted(str(i) for i in range(len(names))):
        raise H5FormatError(f"{path}: {where} should hold datasets '0', '1', ..., has {names}")
    return [h5_nodes.dataset(h5_nodes.get(group, str(i), path), path)
            for i in range(len(names))]


def _label(group):
    name = h5_format.read_text(group, "name")
    return f" ('{name}' in the file)" if name else ""


def plan(f, model, path, skip_mismatch=False):
    """``[(param, dataset), ...]`` after every group, count and shape was checked."""
    expected = layout(model)
    known = {p for p, _, _ in expected}
    extra = sorted(p for p in _groups_with_arrays(f, path) if p not in known)
    if extra:
        problem = (f"{path} has weights at {extra} (Keras' places: layers/<class>_<n>), "
                   f"which model '{model.name}' has no layer for: not the same architecture")
        if not skip_mismatch:
            raise WeightMismatchError(problem)
        warnings.warn(f"skipped: {problem}", stacklevel=4)
    result = []
    for group_path, layer, slots in expected:
        group = h5_nodes.get(f, _vars(group_path), path)
        problem = None
        if group is None:
            if slots:
                problem = (f"layer '{layer.name}' has {len(slots)} weights, but the file has "
                           f"no group {_vars(group_path)!r}")
            datasets = []
        elif not isinstance(group, h5py.Group):
            raise H5FormatError(f"{path}: {_vars(group_path)!r} is not a group")
        else:
            datasets = _datasets(group, path, _vars(group_path))
            if problem is None and len(datasets) != len(slots):
                problem = (f"layer '{layer.name}' has {len(slots)} weights, the file's "
                           f"{group_path or 'model'}{_label(group)} has {len(datasets)}")
        for (owner, key), ds in zip(slots, datasets):
            expected_shape = tuple(owner.params[key].shape)
            if problem is None and tuple(ds.shape) != expected_shape:
                problem = (f"layer '{layer.name}': weight '{owner.name}/{key}' has shape "
                           f"{expected_shape}, the file's {group_path}{_label(group)} "
                           f"weight {ds.name.rsplit('/', 1)[-1]} has shape {tuple(ds.shape)}")
        if problem is not None:
            if not skip_mismatch:
                raise WeightMismatchError(f"{path}: {problem}")
            warnings.warn(f"{path}: skipped: {problem}", stacklevel=4)
            continue
        result += [(owner.params[key], ds) for (owner, key), ds in zip(slots, datasets)]
    return result


def stored_shapes(f, path):
    """The shapes of every array in the file's ``vars`` groups (not the optimizer's)."""
    return [ds.shape for group_path in _groups_with_arrays(f, path)
            for ds in _datasets(h5_nodes.get(f, _vars(group_path), path), path,
                                _vars(group_path))]


def _groups_with_arrays(f, path, prefix="", depth=0):
    """Paths of the ``vars`` groups under ``prefix`` (``layers/...`` nested) holding arrays."""
    if depth > MAX_DEPTH + 1:
        raise H5FormatError(f"{path}: groups nested more than {MAX_DEPTH} models deep")
    base = f if not prefix else h5_nodes.get(f, prefix.rstrip("/"), path)
    found = []
    if not isinstance(base, h5py.Group):
        return found
    group = h5_nodes.get(base, "vars", path)
    if isinstance(group, h5py.Group) and len(group):
        found.append(prefix.rstrip("/"))
    layers = h5_nodes.get(base, "layers", path)
    if isinstance(layers, h5py.Group):
        for name in layers:
            found += _groups_with_arrays(f, path, f"{prefix}layers/{name}/", depth + 1)
    return found


def read_optimizer(f, model, path):
    """``(iterations, learning_rate, [(param, state_name, array), ...])`` for a compiled
    model, or ``None``: no state in the file, or state that does not fit (warned, as Keras
    warns and goes on with a fresh optimizer)."""
    group = h5_nodes.get(f, "optimizer/vars", path)
    if not model.compiled or not isinstance(group, h5py.Group) or not len(group):
        return None
    try:
        if type(model.optimizer).__name__ not in KERAS_OPTIMIZERS:
            raise LookupError(f"minicnn's {type(model.optimizer).__name__} has no Keras state")
        saved = KERAS_NAMES.get((h5_format.read_text(group, "name") or "").lower())
        if saved not in (None, type(model.optimizer).__name__):
            raise LookupError(f"it is {saved}'s, the model has {type(model.optimizer).__name__}")
        datasets = _datasets(group, path, "optimizer/vars")
        slots = _optimizer_slots(model)
        if len(datasets) not in (2, 2 + len(slots)):
            raise LookupError(f"the file has {len(datasets)} optimizer arrays, minicnn's "
                              f"{type(model.optimizer).__name__} keeps 2 + {len(slots)}")
        counters = [h5_format.read_array(ds) for ds in datasets[:2]]
        if any(c.shape != () for c in counters):
            raise LookupError("the iteration count or learning rate is not a number")
        iterations, learning_rate = int(counters[0]), float(counters[1])
        if not 0 <= iterations < 1 << 62 or not 0 < learning_rate < float("inf"):
            raise LookupError(f"iterations {iterations}, learning rate {learning_rate}")
        state = []
        for (param, name), ds in zip(slots, datasets[2:]):
            if tuple(ds.shape) != tuple(param.shape):
                raise LookupError(f"a slot of shape {ds.shape} for a weight of shape "
                                  f"{param.shape}")
            state.append((param, name, h5_format.read_array(ds)))
    except ExternalDataError:
        raise                        # a file that points elsewhere is refused, not warned
    except (LookupError, H5FormatError, TypeError, ValueError, OverflowError) as e:
        warnings.warn(f"{path}: the optimizer state was not restored ({e}); training goes on "
                      "from a fresh optimizer", stacklevel=4)
        return None
    return iterations, learning_rate, state


def restore_optimizer(optimizer, state):
    """Set the state; the saved learning rate (a float32 variable in Keras) replaces the
    compiled one only where they differ in float32: a callback changed it."""
    iterations, learning_rate, slots = state
    optimizer_state.restore(optimizer, (iterations, slots))
    if numpy.float32(optimizer.learning_rate) != numpy.float32(learning_rate):
        optimizer.learning_rate = learning_rate


def assign(values):
    for param, value in values:
        param[...] = backend.get_array_module(param).asarray(value, dtype=param.dtype)


# ------------------------------------------------------------ the entry points
def save_weights(model, path, overwrite=True):
    """Write ``x.weights.h5`` (weights and optimizer state) atomically."""
    with atomic.atomic_h5(path, overwrite) as f:
        write(f, model)


def load(f, model, path, by_name=False, skip_mismatch=False):
    """``(values, optimizer state or None)``: everything checked and read, nothing assigned."""
    if by_name:
        raise H5FormatError(f"load_weights: by_name=True matches layers by name in Keras 2 "
                            f".h5 files; {path} is in Keras 3's layout, whose weights are "
                            "matched by layer class and order, as Keras 3 does")
    values = h5_format.read_planned(plan(f, model, path, skip_mismatch), path)
    return values, read_optimizer(f, model, path)


def apply(model, values, state):
    """Assign what ``load`` read: the weights, then the optimizer state."""
    assign(values)
    if state is not None:
        restore_optimizer(model.optimizer, state)
