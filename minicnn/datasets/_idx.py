"""Read IDX files, the format of MNIST and Fashion-MNIST (gzip-compressed or not).

An IDX file is a big-endian header, then the raw array in C order::

    bytes 0-1   zero
    byte  2     type code (0x08: uint8, the only one these datasets use)
    byte  3     number of dimensions D (3 for images N x 28 x 28, 1 for labels N)
    D x uint32  the size of each dimension
    then        prod(sizes) data bytes

So the magic number (bytes 0-3 as a big-endian int) is 0x00000803 (2051) for images and
0x00000801 (2049) for labels. Keras skips the header with ``offset=16`` / ``offset=8``; this
reader checks it, so a wrong or truncated file says so instead of giving garbage shapes.
"""
import gzip
import struct
import zlib

import numpy

UINT8 = 0x08


def read_idx(path, ndim):
    """Read a uint8 IDX file with ``ndim`` dimensions.

    Args:
        path: file path; a name ending in ``.gz`` is decompressed.
        ndim: expected number of dimensions (3 for images, 1 for labels).

    Returns:
        uint8 array of the shape the header gives, e.g. ``(N, 28, 28)`` or ``(N,)``.

    Raises:
        ValueError: bad magic number, truncated or over-long data, or a corrupt gzip stream.
    """
    try:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rb") as f:
            data = f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{path}: corrupt or truncated gzip stream ({exc})") from exc
    expected = 0x0800 | ndim
    header = 4 + 4 * ndim
    magic = struct.unpack(">I", data[:4])[0] if len(data) >= 4 else None
    if magic != expected:
        got = "too short for a header" if magic is None else f"magic 0x{magic:08x}"
        raise ValueError(f"{path}: not a uint8 IDX file with {ndim} dimension(s): expected "
                         f"magic 0x{expected:08x}, got {got}")
    if len(data) < header:
        raise ValueError(f"{path}: truncated header ({len(data)} bytes, expected {header})")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    size = int(numpy.prod(shape))
    if len(data) - header != size:
        state = "truncated" if len(data) - header < size else "too long"
        raise ValueError(f"{path}: {state}: header says shape {shape} = {size} bytes, "
                         f"found {len(data) - header}")
    return numpy.frombuffer(data, numpy.uint8, offset=header).reshape(shape).copy()


def read_pair(images_path, labels_path):
    """Read an images file and its labels file and check that they match.

    Args:
        images_path: IDX images file, ``(N, H, W)`` uint8.
        labels_path: IDX labels file, ``(N,)`` uint8.

    Returns:
        tuple: ``x`` ``(N, H, W)`` uint8, ``y`` ``(N,)`` uint8.

    Raises:
        ValueError: a file is malformed (see ``read_idx``) or the counts differ.
    """
    x, y = read_idx(images_path, 3), read_idx(labels_path, 1)
    if len(x) != len(y):
        raise ValueError(f"{images_path} holds {len(x)} images but {labels_path} "
                         f"holds {len(y)} labels")
    return x, y
