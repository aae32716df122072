"""Reaching the objects of an HDF5 file without leaving it: one rule for every reader.

HDF5 can point elsewhere. A *soft link* names another path, an *external link* another file
(``f['x'] = h5py.ExternalLink('other.h5', '/y')``), a dataset with *external storage* keeps
its values in raw files beside it (``create_dataset(..., external=[(path, 0, size)])``), a
*virtual dataset* maps other datasets and files, and a *filter* HDF5 does not have itself is
a plugin it would load from ``HDF5_PLUGIN_PATH``. Following any of these reads a file the
user did not name, or blocks forever when that file is a FIFO. Keras never writes them, so
every reader here (Keras 2 and Keras 3 layouts, optimizer state, ``.keras`` archives) reaches
objects through ``get``, which follows hard links only and never resolves another kind, and
takes arrays through ``dataset``, which checks the storage before anything is read.
"""
import math

import h5py

from .errors import ExternalDataError, H5FormatError

# HDF5's own filters and h5py's LZF, which need no plugin (H5Zpublic.h: deflate, shuffle,
# fletcher32, szip, nbit, scaleoffset)
BUILT_IN_FILTERS = {1, 2, 3, 4, 5, 6, 32000}
MAX_EXPANSION = 1100          # DEFLATE never expands more than about 1032:1
SMALL_BYTES = 1 << 20         # below this a dataset may store nothing (zeros) and be real


def _link_kind(link):
    if isinstance(link, h5py.SoftLink):
        return f"a soft link to {link.path!r}"
    if isinstance(link, h5py.ExternalLink):
        return f"an external link to {link.path!r} in file {link.filename!r}"
    return f"a {type(link).__name__}"


def get(group, name, file):
    """The object at ``name`` (``'a/b'`` nests) under ``group``, or ``None`` when absent.

    Each step is checked to be a hard link before it is taken: a soft or external link is
    an ``H5FormatError`` that names ``file`` and the link, and nothing is opened through it.
    """
    node = group
    for part in name.split("/"):
        if not isinstance(node, h5py.Group) or not part or part in (".", ".."):
            return None
        link = node.get(part, getlink=True)    # the link itself: never resolved
        if link is None:
            return None
        where = f"{node.name.rstrip('/')}/{part}"
        if not isinstance(link, h5py.HardLink):
            raise ExternalDataError(f"{file}: {where!r} is {_link_kind(link)}: a link to another "
                                "place or file. Keras files hold their arrays themselves; "
                                "minicnn reads nothing outside the file it is given")
        node = node[part]
    return node


def group(parent, name, file, what="group"):
    """``get``, checked to be a group (``None`` when absent)."""
    node = get(parent, name, file)
    if node is not None and not isinstance(node, h5py.Group):
        raise H5FormatError(f"{file}: {what} {node.name!r} is not a group")
    return node


def dataset(ds, file):
    """``ds`` after checking its values are numbers stored in the file itself.

    Refused, before any value is read: external storage, virtual datasets, filters that
    would load a plugin, non-numeric types, and a large dataset that stores almost nothing
    (a shape that promises more values than any compression of the stored bytes can give).
    """
    where = f"{file}: dataset {ds.name!r}"
    if not isinstance(ds, h5py.Dataset):
        raise H5FormatError(f"{where} is a {type(ds).__name__}, not a dataset")
    external = ds.external
    if external:
        names = sorted({str(entry[0]) for entry in external})
        raise ExternalDataError(f"{where} keeps its values in external file(s) {names[:3]}, not in "
                            "the file itself; minicnn reads only arrays stored in the file")
    if ds.is_virtual:
        raise ExternalDataError(f"{where} is a virtual dataset, mapped from other datasets or "
                            "files; minicnn reads only arrays stored in the file")
    plist = ds.id.get_create_plist()
    for i in range(plist.get_nfilters()):
        code = plist.get_filter(i)[0]
        if code not in BUILT_IN_FILTERS:
            raise ExternalDataError(f"{where} is encoded with HDF5 filter {code}, which HDF5 would "
                                "load as a plugin; minicnn reads only HDF5's built-in filters")
    if ds.shape is None or ds.dtype.kind not in "fiu":
        raise H5FormatError(f"{where} holds {ds.dtype} data, not an array of numbers")
    declared = math.prod(ds.shape) * ds.dtype.itemsize
    stored = ds.id.get_storage_size()
    if declared > SMALL_BYTES and stored * MAX_EXPANSION < declared:
        raise H5FormatError(f"{where} has shape {ds.shape} ({declared:,} bytes) but stores "
                            f"only {stored:,} bytes, less than any compression leaves: values "
                            "that were never written, or a compression bomb")
    return ds


def find(parent, name, file):
    """``get`` a dataset and check it (``dataset``); ``None`` when absent."""
    node = get(parent, name, file)
    return None if node is None else dataset(node, file)
