"""Fuzz the .h5 reader: whatever the bytes, attributes, configs or datasets, ``load_model`` and
``load_weights`` either work or raise minicnn's ``H5FormatError``; they never crash with
another error or hang, and a failed ``load_weights`` leaves the model's weights as they were.
"""
import json
import warnings

import h5py
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minicnn import backend, layers, models
from minicnn.io import H5FormatError

SIGNATURE = b"\x89HDF\r\n\x1a\n"


def sequential():
    return models.Sequential([
        layers.Conv2D(2, 3, activation="relu", input_shape=(6, 6, 1)), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(3, activation="softmax")])


def functional():
    inputs = layers.Input(shape=(6, 6, 1))
    t = layers.Conv2D(2, 3, padding="same")(inputs)
    t = models.Sequential([layers.AveragePooling2D(2, input_shape=(6, 6, 2)),
                           layers.Activation("tanh")])(t)
    out = layers.Dense(2)(layers.Dropout(0.5)(layers.Flatten()(t)))
    return models.Model(inputs, [out, t])


class Files(dict):
    def __repr__(self):          # keep hypothesis' reports short
        return f"<valid files {sorted(self)}>"


def trained_sequential():
    """``sequential()`` compiled with Adam and trained one step, so it has optimizer state."""
    backend.clear_session()
    backend.set_seed(0)
    x = np.random.default_rng(0).random((4, 6, 6, 1)).astype("float32")
    model = sequential()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"])
    model.train_on_batch(x, np.eye(3, dtype="float32")[[0, 1, 2, 0]])
    return model


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Valid files to damage: ``{name: (bytes, a model their weights fit)}``."""
    folder = tmp_path_factory.mktemp("fuzz")
    model = trained_sequential()
    model.save(folder / "seq.h5")
    model.save_weights(folder / "weights.h5")
    functional().save(folder / "fun.h5")
    return Files({name: ((folder / f"{name}.h5").read_bytes(), builder)
                  for name, builder in (("seq", sequential), ("weights", sequential),
                                        ("fun", functional))})


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("scratch") / "damaged.h5"


def check(path, target):
    """Load ``path`` both ways: success, or an H5FormatError that changed nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            models.load_model(path)
        except H5FormatError as e:
            assert str(e)
        before = target.get_weights()
        try:
            target.load_weights(path)
        except H5FormatError:
            after = target.get_weights()
            assert all(np.array_equal(a, b) for a, b in zip(before, after))


def damaged(files, scratch, name, data=None):
    scratch.write_bytes(files[name][0] if data is None else data)
    return scratch


names = st.sampled_from(["seq", "weights", "fun"])
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=12)                       # h5py refuses NUL and surrogates
interesting = st.sampled_from([
    "Conv2D", "Dense", "Flatten", "InputLayer", "Sequential", "Functional", "Lambda",
    "MaxPooling2D", "relu", "same", "channels_first", "conv2d_1", "dense_1", "__keras_tensor__",
    "Custom>RMSprop", "RMSprop", "adam", "accuracy", "categorical_crossentropy", "", "/", "."])
integers = st.one_of(st.integers(-3, 40), st.sampled_from([0, 1 << 31, 1 << 40, -(1 << 40)]))
json_values = st.recursive(
    st.none() | st.booleans() | integers | st.floats(allow_nan=False, width=32) |
    text | interesting,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        text | interesting, inner, max_size=4), max_leaves=12)


@given(data=st.binary(max_size=4096), with_signature=st.booleans())
def test_random_bytes(files, scratch, data, with_signature):
    check(damaged(files, scratch, "seq", SIGNATURE + data if with_signature else data),
          sequential())


@given(name=names, fraction=st.floats(0, 1, exclude_max=True))
def test_truncated_files(files, scratch, name, fraction):
    data, builder = files[name]
    check(damaged(files, scratch, name, data[:int(len(data) * fraction)]), builder())


@given(name=names, flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True),
                                            st.integers(0, 255)), min_size=1, max_size=8))
def test_flipped_bytes(files, scratch, name, flips):
    data, builder = files[name]
    data = bytearray(data)
    for where, value in flips:
        data[int(where * len(data))] = value
    check(damaged(files, scratch, name, bytes(data)), builder())


def _attributes(f):
    found = [(f, key) for key in f.attrs]
    f.visititems(lambda _, node: found.extend((node, key) for key in node.attrs))
    return found


attribute_values = st.one_of(
    st.none(), text, st.binary(min_size=1, max_size=40).map(np.void), integers,
    json_values.map(json.dumps), st.lists(text | interesting, max_size=6),
    st.lists(integers, min_size=1, max_size=6).map(np.array),
    st.just(np.zeros((2, 2))), st.just(np.array([], dtype="S1")))


@given(name=names, data=st.data())
def test_damaged_attributes(files, scratch, name, data):
    path = damaged(files, scratch, name)
    with h5py.File(path, "r+") as f:
        node, key = data.draw(st.sampled_from(sorted(_attributes(f), key=lambda a: (a[0].name,
                                                                                    a[1]))))
        value = data.draw(attribute_values)
        del node.attrs[key]
        if value is not None:
            if isinstance(value, list):
                value = np.array(value, dtype=h5py.string_dtype())
            node.attrs[key] = value
    check(path, files[name][1]())


def _paths(value, prefix=()):
    """Every place in a JSON document: tuples of keys and indices."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


@given(name=st.sampled_from(["seq", "fun"]), attr=st.sampled_from(["model_config",
                                                                     "training_config"]),
       data=st.data())
def test_damaged_configs(files, scratch, name, attr, data):
    """Replace or delete one value anywhere in the JSON of the model or training config."""
    path = damaged(files, scratch, name)
    with h5py.File(path, "r+") as f:
        if attr not in f.attrs:
            return
        config = json.loads(f.attrs[attr])
        where = data.draw(st.sampled_from(list(_paths(config))[1:]))
        parent = config
        for key in where[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[where[-1]]
        else:
            parent[where[-1]] = data.draw(json_values)
        f.attrs[attr] = json.dumps(config)
    check(path, files[name][1]())


@given(name=names, data=st.data())
def test_damaged_datasets(files, scratch, name, data):
    path = damaged(files, scratch, name)
    with h5py.File(path, "r+") as f:
        datasets = []
        f.visititems(lambda n, node: datasets.append(n) if isinstance(node, h5py.Dataset)
                     else None)
        target = data.draw(st.sampled_from(sorted(datasets)))
        replacement = data.draw(st.sampled_from(
            ["delete", "group", "text", "scalar", "shape", "int", "empty"]))
        del f[target]
        if replacement == "group":
            f.create_group(target)
        elif replacement == "text":
            f[target] = np.array(["a", "b"], dtype=h5py.string_dtype())
        elif replacement == "scalar":
            f[target] = 1.5
        elif replacement == "shape":
            f[target] = np.zeros(data.draw(st.lists(st.integers(0, 4), max_size=4)), "float32")
        elif replacement == "int":
            f[target] = np.ones((3, 3, 1, 2), "int64")
        elif replacement == "empty":
            f.create_dataset(target, shape=None, dtype="f4")
    check(path, files[name][1]())
