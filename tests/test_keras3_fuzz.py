"""Fuzz the Keras 3 readers (``.keras`` archives, ``.weights.h5``) as ``test_h5_fuzz.py`` fuzzes
the ``.h5`` reader: whatever the bytes, zip members, ``config.json`` or weights layout,
``load_model`` and ``load_weights`` either work or raise minicnn's ``H5FormatError`` (zip
problems: its ``KerasArchiveError``); they never crash with another error or hang, and a
failed ``load_weights`` leaves the model's weights and optimizer state as they were.
"""
import io
import json
import warnings
import zipfile

import h5py
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import DATA
from minicnn import layers, models
from minicnn.io import H5FormatError

from test_h5_fuzz import (Files, _paths, functional, json_values, sequential,  # the .h5
                          text, trained_sequential)                           # fuzzer's parts

MEMBERS = ("metadata.json", "config.json", "model.weights.h5")


def branch():
    """The model of Keras' own ``keras3_native_branch`` files."""
    x = layers.Input(shape=(4,), name="x")
    a = layers.Dense(3, activation="relu", name="a")(x)
    b = layers.Dense(2, name="b")(a)
    d = layers.Dense(1, name="d")(layers.Dense(5, activation="tanh", name="c")(a))
    return models.Model(x, [b, d], name="branch")


def compiled(builder):
    def build():
        model = builder()
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        return model
    return build


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Valid files to damage: ``{name: (bytes, suffix, a model their weights fit)}``."""
    folder = tmp_path_factory.mktemp("fuzz3")
    model = trained_sequential()
    model.save(folder / "seq.keras")
    model.save_weights(folder / "weights.weights.h5")
    functional().save(folder / "fun.keras")
    sources = {"seq": (folder / "seq.keras", compiled(sequential)),
               "weights": (folder / "weights.weights.h5", compiled(sequential)),
               "fun": (folder / "fun.keras", functional),
               "keras": (DATA / "keras3_native_branch.keras", branch),
               "keras_weights": (DATA / "keras3_native_branch.weights.h5", branch)}
    return Files({name: (path.read_bytes(), ".keras" if path.suffix == ".keras" else
                         ".weights.h5", builder) for name, (path, builder) in sources.items()})


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("scratch3")


def state(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    return optimizer.iterations, optimizer.learning_rate, sorted(
        (k, np.array(v)) for _, slots in optimizer._slots.values() for k, v in slots.items())


def same_state(a, b):
    if a is None or b is None:
        return a is b
    return a[:2] == b[:2] and len(a[2]) == len(b[2]) and all(
        k1 == k2 and np.array_equal(v1, v2) for (k1, v1), (k2, v2) in zip(a[2], b[2]))


def check(path, target):
    """Load ``path`` both ways: success, or an H5FormatError that changed nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            models.load_model(path)
        except H5FormatError as e:
            assert str(e)
        before, optimizer_before = target.get_weights(), state(target)
        try:
            target.load_weights(path)
        except H5FormatError as e:
            assert str(e)
            after = target.get_weights()
            assert all(np.array_equal(a, b) for a, b in zip(before, after))
            assert same_state(optimizer_before, state(target))


def write(scratch, name, suffix, data):
    path = scratch / f"{name}{suffix}"
    path.write_bytes(data)
    return path


def members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def archive(entries, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")           # duplicate names are wanted here
        with zipfile.ZipFile(buffer, "w", compression) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return buffer.getvalue()


names = st.sampled_from(["seq", "weights", "fun", "keras", "keras_weights"])
archives = st.sampled_from(["seq", "fun", "keras"])
flips = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                 min_size=1, max_size=8)


def flipped(data, changes, start=0):
    data = bytearray(data)
    for where, value in changes:
        data[start + int(where * (len(data) - start))] = value
    return bytes(data)


# ------------------------------------------------------------------ raw bytes
@given(data=st.binary(max_size=4096), prefix=st.sampled_from([b"", b"PK\x03\x04",
                                                               b"\x89HDF\r\n\x1a\n"]),
       suffix=st.sampled_from([".keras", ".weights.h5"]))
def test_random_bytes(files, scratch, data, prefix, suffix):
    check(write(scratch, "random", suffix, prefix + data), compiled(sequential)())


@given(name=names, fraction=st.floats(0, 1, exclude_max=True))
def test_truncated_files(files, scratch, name, fraction):
    data, suffix, builder = files[name]
    check(write(scratch, name, suffix, data[:int(len(data) * fraction)]), builder())


@given(name=names, changes=flips)
def test_flipped_bytes(files, scratch, name, changes):
    data, suffix, builder = files[name]
    check(write(scratch, name, suffix, flipped(data, changes)), builder())


# ------------------------------------------------------------------ zip members
@given(name=archives, data=st.data())
def test_damaged_members(files, scratch, name, data):
    """Drop, repeat, rename, replace or add members; recompress; names that climb out."""
    original, suffix, builder = files[name]
    entries = members(original)
    how = data.draw(st.sampled_from(["drop", "repeat", "rename", "replace", "add", "deflate",
                                     "empty"]))
    k = data.draw(st.integers(0, len(entries) - 1))
    if how == "drop":
        del entries[k]
    elif how == "repeat":
        entries.insert(data.draw(st.integers(0, len(entries))), entries[k])
    elif how == "rename":
        entries[k] = (data.draw(st.sampled_from(list(MEMBERS) + [
            "../config.json", "/etc/config.json", "assets/x", "model.weights.npz",
            "CONFIG.JSON"])), entries[k][1])
    elif how == "replace":
        entries[k] = (entries[k][0], data.draw(st.binary(max_size=256) | st.sampled_from(
            [b"", b"{}", b"[]", b"null", b"\x89HDF\r\n\x1a\n", original])))
    elif how == "add":
        entries.append((data.draw(st.sampled_from(["../../evil", "assets/../../x", "a" * 300,
                                                   "model.weights.json"])),
                        data.draw(st.binary(max_size=64))))
    elif how == "empty":
        entries = []
    compression = zipfile.ZIP_DEFLATED if how == "deflate" else zipfile.ZIP_STORED
    check(write(scratch, name, suffix, archive(entries, compression)), builder())


@given(name=archives, data=st.data())
def test_damaged_config_json(files, scratch, name, data):
    """Replace or delete one value anywhere in config.json (model or compile settings), or
    flip bytes of its text; the archive is rebuilt, so its CRCs are right."""
    original, suffix, builder = files[name]
    entries = dict(members(original))
    if data.draw(st.booleans()):
        config = json.loads(entries["config.json"])
        where = data.draw(st.sampled_from(list(_paths(config))[1:]))
        parent = config
        for key in where[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[where[-1]]
        else:
            parent[where[-1]] = data.draw(json_values | st.sampled_from([
                "Lambda", None, "__main__", "my>Layer", {"module": "os", "class_name": "system",
                                                         "config": {}}]))
        entries["config.json"] = json.dumps(config).encode()
    else:                             # printable bytes: still UTF-8, mostly still JSON
        entries["config.json"] = flipped(entries["config.json"], data.draw(st.lists(
            st.tuples(st.floats(0, 1, exclude_max=True), st.integers(32, 126)),
            min_size=1, max_size=8)))
    check(write(scratch, name, suffix, archive(list(entries.items()))), builder())


# ------------------------------------------------------------------ the weights layout
def _weights_file(files, scratch, name):
    """``(h5 bytes, put back)``: the weights of an archive, or the .weights.h5 itself."""
    original, suffix, _ = files[name]
    if suffix == ".weights.h5":
        return original, lambda data: write(scratch, name, suffix, data)
    entries = dict(members(original))
    return entries["model.weights.h5"], lambda data: write(
        scratch, name, suffix, archive(list({**entries, "model.weights.h5": data}.items())))


def _objects(f):
    found = []
    f.visititems(lambda n, node: found.append(n))
    return sorted(found)


@given(name=names, data=st.data())
def test_damaged_weights_layout(files, scratch, name, data):
    weights, put_back = _weights_file(files, scratch, name)
    buffer = io.BytesIO(weights)
    with h5py.File(buffer, "r+") as f:
        target = data.draw(st.sampled_from(_objects(f)))
        how = data.draw(st.sampled_from(["delete", "group", "text", "scalar", "shape", "int",
                                         "empty", "extra", "soft", "external", "name"]))
        parent = target.rsplit("/", 1)[0] if "/" in target else ""
        if how == "extra":
            extra = f"{parent}/{data.draw(st.sampled_from(['7', 'x', '2', 'vars']))}" \
                if parent else "layers/dense_9/vars/0"
            if extra not in f:
                f[extra] = np.ones(3, "float32")
        elif how == "name":
            f[target].attrs["name"] = data.draw(text)
        else:
            del f[target]
            if how == "group":
                f.create_group(target)
            elif how == "text":
                f[target] = np.array(["a", "b"], dtype=h5py.string_dtype())
            elif how == "scalar":
                f[target] = 1.5
            elif how == "shape":
                f[target] = np.zeros(data.draw(st.lists(st.integers(0, 4), max_size=4)),
                                     "float32")
            elif how == "int":
                f[target] = np.ones((3, 3, 1, 2), "int64")
            elif how == "empty":
                f.create_dataset(target, shape=None, dtype="f4")
            elif how == "soft":
                f[target] = h5py.SoftLink("/" + data.draw(st.sampled_from(_objects(f) or
                                                                          ["x"])))
            elif how == "external":
                f[target] = h5py.ExternalLink("/etc/hostname", "/x")
    check(put_back(buffer.getvalue()), files[name][2]())


@given(name=archives, changes=flips)
def test_flipped_bytes_inside_the_weights_member(files, scratch, name, changes):
    """Damage the HDF5 bytes themselves (past the signature), inside an archive whose CRCs
    are then right."""
    weights, put_back = _weights_file(files, scratch, name)
    check(put_back(flipped(weights, changes, start=8)), files[name][2]())

