"""The Keras ``.h5`` layouts, read and written with h5py (Keras 2's ``saving.py``).

One *weights layout* appears in all of them::

    attrs: layer_names = ['conv2d_1', 'max_pooling2d_1', ...]   (every layer, weightless too)
           backend, keras_version
    conv2d_1/                       one group per layer
        attrs: weight_names = ['conv2d_1/kernel:0', 'conv2d_1/bias:0']   (Keras' order)
        conv2d_1/kernel:0           each name is a dataset path in the group ('/' nests)
        conv2d_1/bias:0
    max_pooling2d_1/  attrs: weight_names = []

and it sits in one of three places:

- full model (``model.save``): under ``/model_weights``; the root holds ``model_config``
  and ``training_config`` (JSON) and ``optimizer_weights`` may follow;
- weights only (``model.save_weights``): at the root;
- Keras 1 / ImageNet weight files (``vgg16_..._notop.h5``): at the root too, without
  backend or version, names like ``block1_conv1_W_1:0`` with the datasets in the layer group.

Keras 3's legacy saver writes the full-model layout with names such as
``sequential/conv2d/kernel`` (no ``:0``), str attributes and an extra
``top_level_model_weights`` group. Old files store names as fixed-length bytes.
Long name lists are split over ``layer_names0``, ``layer_names1``... (HDF5's 64 kB
object-header limit), as Keras does.
"""
import contextlib
import json
import os

import h5py
import numpy

from . import h5_nodes
from .errors import H5FormatError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
HEADER_LIMIT = 64512  # bytes one attribute may take in an HDF5 object header (Keras' number)
BACKEND = "numpy"
# what h5py and the JSON parser raise on damaged files: each becomes an H5FormatError
READ_ERRORS = (OSError, RuntimeError, KeyError, TypeError, ValueError, AttributeError,
               IndexError, UnicodeError, OverflowError, RecursionError, MemoryError)


# ------------------------------------------------------------------- opening
def sniff(path):
    """``'hdf5'``, ``'zip'`` (a Keras 3 ``.keras`` archive) or ``None``, from the first bytes."""
    with open(path, "rb") as f:
        head = f.read(8)
        if head == HDF5_SIGNATURE:
            return "hdf5"
        if head[:4] == b"PK\x03\x04":
            return "zip"
        offset = 512  # the superblock may follow a user block of 512, 1024, 2048... bytes
        size = os.fstat(f.fileno()).st_size
        while offset + 8 <= size and offset <= 1 << 20:
            f.seek(offset)
            if f.read(8) == HDF5_SIGNATURE:
                return "hdf5"
            offset *= 2
    return None


@contextlib.contextmanager
def reading(path):
    """Turn what a damaged file makes h5py (or ``json``) raise into an ``H5FormatError``."""
    try:
        yield
    except H5FormatError:
        raise
    except READ_ERRORS as e:
        raise H5FormatError(f"{path}: the file is damaged or not a Keras .h5 file "
                            f"({type(e).__name__}: {e})") from e


@contextlib.contextmanager
def open_h5(path):
    """Open ``path`` for reading after checking it is an HDF5 file; errors say which file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    if os.path.isdir(path):
        raise H5FormatError(f"{path} is a folder (a TensorFlow SavedModel?); minicnn reads "
                            "Keras .h5 files")
    if not os.path.isfile(path):
        raise H5FormatError(f"{path} is not a regular file (a FIFO or a device?); minicnn "
                            "reads Keras .h5 files")
    kind = sniff(path)
    if kind == "zip":
        raise H5FormatError(f"{path} is a zip archive (a Keras 3 .keras file), not an HDF5 "
                            "file: open it with models.load_model or model.load_weights, "
                            "which read both")
    if kind is None:
        raise H5FormatError(f"{path} is not an HDF5 file (it does not start with the HDF5 "
                            "signature); expected a Keras .h5 file")
    with reading(path):
        f = h5py.File(path, "r")
    try:
        with reading(path):
            yield f
    finally:
        f.close()


def read_planned(plan, path):
    """Read the planned ``[(param, dataset), ...]`` into ``[(param, array), ...]``.

    Nothing is assigned yet: a load reads and checks every array first, so a failure
    leaves the model as it was.
    """
    values = []
    for param, ds in plan:
        value = read_array(ds)
        if value.shape != tuple(param.shape):
            raise H5FormatError(f"{path}: dataset {ds.name!r} gave {value.shape} values")
        values.append((param, value))
    return values


# ---------------------------------------------------------------- attributes
def _text(value, what):
    """A str from an attribute value stored as str, bytes or a 0-d array of either."""
    if isinstance(value, numpy.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bytes, numpy.bytes_)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise H5FormatError(f"{what} is not UTF-8 text") from None
    if isinstance(value, str):
        return str(value)
    raise H5FormatError(f"{what} should be text, got {type(value).__name__}")


def read_text(node, name):
    """Attribute ``name`` of ``node`` as a str, or ``None`` when absent."""
    if name not in node.attrs:
        return None
    return _text(node.attrs[name], f"attribute {name!r} of {node.name!r}")


def read_json(node, name):
    """Attribute ``name`` parsed as JSON (``model_config``, ``training_config``), or ``None``."""
    text = read_text(node, name)
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        raise H5FormatError(f"attribute {name!r} is not valid JSON ({e})") from None


def read_names(node, name):
    """A list of names (``layer_names``, ``weight_names``), also when split in chunks."""
    if name in node.attrs:
        chunks = [node.attrs[name]]
    else:
        chunks, k = [], 0
        while f"{name}{k}" in node.attrs:
            chunks.append(node.attrs[f"{name}{k}"])
            k += 1
        if not chunks:
            return None
    names = []
    for chunk in chunks:
        values = numpy.asarray(chunk)
        if values.ndim != 1 or (values.size == 0 and values.dtype.kind not in "fSUO"):
            raise H5FormatError(f"attribute {name!r} of {node.name!r} should be a list of "
                                f"names, got an array of shape {values.shape}")
        names += [_text(v, f"an entry of attribute {name!r} of {node.name!r}")
                  for v in values] if values.size else []
    return names


def write_names(node, name, names):
    """Store a list of str like Keras: one attribute, or chunks if it would not fit."""
    if not names:
        node.attrs[name] = numpy.zeros((0,))   # what Keras writes for an empty list
        return
    data = numpy.array(names, dtype=h5py.string_dtype())
    size = sum(len(n.encode("utf-8")) + 16 for n in names)
    if size <= HEADER_LIMIT:
        node.attrs[name] = data
        return
    chunks = numpy.array_split(data, size // HEADER_LIMIT + 1)
    for k, chunk in enumerate(chunks):
        node.attrs[f"{name}{k}"] = chunk


def write_versions(node):
    """``backend`` and ``keras_version``; Keras reads the version only to spot Keras 1 files."""
    from .. import __version__

    node.attrs["backend"] = BACKEND
    node.attrs["keras_version"] = f"minicnn-{__version__}"


def write_json(node, name, value):
    node.attrs[name] = json.dumps(value)


# ------------------------------------------------------------ weights layout
def weights_root(f, path):
    """The group holding the weights layout and the layout's name, or an error."""
    group = h5_nodes.group(f, "model_weights", path)
    if group is not None:
        return group, "full model"
    if read_names(f, "layer_names") is not None:
        return f, "weights"
    if h5_nodes.group(f, "layers", path) is not None \
            or h5_nodes.group(f, "vars", path) is not None:
        raise H5FormatError(f"{path} is a Keras 3 .weights.h5 file, not a Keras 2 layout: "
                            "load it with model.load_weights, which reads both")
    raise H5FormatError(f"{path} holds no Keras weights: it has neither a 'model_weights' group "
                        "(a whole model) nor a 'layer_names' attribute (a weights file)")


def read_layout(group, path):
    """``[(layer_name, [(weight_name, dataset), ...]), ...]`` in ``layer_names`` order.

    Only metadata is read: the datasets are h5py objects whose ``shape`` can be checked
    against the model before any data is read, each checked to be stored in the file
    (``h5_nodes``).
    """
    layer_names = read_names(group, "layer_names")
    if layer_names is None:
        raise H5FormatError(f"{path}: the weights group {group.name!r} has no 'layer_names'")
    if len(set(layer_names)) != len(layer_names):
        raise H5FormatError(f"{path}: 'layer_names' repeats a name: {layer_names}")
    layout = []
    for layer_name in layer_names:
        layer_group = _child(group, layer_name, h5py.Group, path, "layer group")
        weight_names = read_names(layer_group, "weight_names")
        if weight_names is None:
            raise H5FormatError(f"{path}: layer group {layer_name!r} has no 'weight_names'")
        weights = []
        for weight_name in weight_names:
            ds = _child(layer_group, weight_name, h5py.Dataset, path, "weight")
            weights.append((weight_name, h5_nodes.dataset(ds, path)))
        layout.append((layer_name, weights))
    return layout


def _child(group, name, kind, path, what):
    """``group[name]`` through hard links only, checked to be a ``kind`` (group or dataset)."""
    node = h5_nodes.get(group, name, path) if name and not name.startswith("/") else None
    if node is None:
        raise H5FormatError(f"{path}: {what} {name!r} is missing from {group.name!r}")
    if not isinstance(node, kind):
        raise H5FormatError(f"{path}: {what} {name!r} in {group.name!r} is not a "
                            f"{'group' if kind is h5py.Group else 'dataset'}")
    return node


def read_array(ds):
    """The data of a dataset (after its shape was checked), as a NumPy array."""
    return numpy.asarray(ds[()])


def write_layout(group, layout):
    """Write ``[(layer_name, [(weight_name, array), ...]), ...]`` as Keras 2 does."""
    write_names(group, "layer_names", [name for name, _ in layout])
    write_versions(group)
    for layer_name, weights in layout:
        layer_group = group.create_group(layer_name)
        write_names(layer_group, "weight_names", [w for w, _ in weights])
        for weight_name, value in weights:
            layer_group.create_dataset(weight_name, data=value)
