"""The io's hardening: files are read, never followed elsewhere; configs are planned against
the file's arrays before anything is built; killed saves leave nothing a later save keeps.

1. Every reader (Keras 2 whole models and weights, Keras 1/ImageNet files and VGG16 through
   them, Keras 3 ``.weights.h5`` and ``.keras``, optimizer state) refuses external storage,
   external and soft links, virtual datasets and filter plugins, naming the file and the
   dataset, and changes nothing; a FIFO behind any of them cannot make a load block.
2. A config that declares weights the file does not hold is refused before it is built,
   in a fraction of a second and a few MB, in both formats.
3. Temporary files of saves killed with SIGKILL are removed by the next save to that path,
   and only those: a live writer's stay.
"""
import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile

import h5py
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vgg16_files
from helpers import book_mnist_convnet
from minicnn import layers, models
from minicnn.applications import VGG16
from minicnn.io import ExternalDataError, H5FormatError, atomic, config, weight_plan
from test_h5 import tapped_functional

def small():
    return models.Sequential([layers.Conv2D(2, 3, input_shape=(5, 5, 1)), layers.Flatten(),
                              layers.Dense(3)], name="small")


def trained_small():
    """``small()`` compiled with Adam and trained a step: the files hold optimizer state."""
    model = small()
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((2, 5, 5, 1)).astype("float32")
    model.train_on_batch(x, np.ones((2, 3), "float32"))
    return model


def datasets(f):
    """The paths of every dataset in an h5py file, in the file's order."""
    found = []
    f.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset)
                 else None)
    return found


# ----------------------------------------------------- 1. nothing outside the file
def redirect(f, name, how, folder):
    """Replace dataset ``name`` of the open file ``f`` by the same values kept elsewhere."""
    value = f[name][()]
    del f[name]
    other = str(folder / "other.h5")
    if how in ("external link", "virtual dataset"):
        with h5py.File(other, "w") as o:
            o["y"] = value
    if how == "external storage":
        value.tofile(folder / "raw.bin")
        f.create_dataset(name, shape=value.shape, dtype=value.dtype,
                         external=[(str(folder / "raw.bin"), 0, value.nbytes)])
    elif how == "external link":
        f[name] = h5py.ExternalLink(other, "/y")
    elif how == "soft link":
        f["elsewhere"] = value
        f[name] = h5py.SoftLink("/elsewhere")
    elif how == "virtual dataset":
        layout = h5py.VirtualLayout(shape=value.shape, dtype=value.dtype)
        layout[...] = h5py.VirtualSource(other, "y", shape=value.shape)
        f.create_virtual_dataset(name, layout)
    elif how == "filter plugin":      # an optional filter HDF5 would look for in its plugins
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk(value.shape)
        dcpl.set_filter(32999, h5py.h5z.FLAG_OPTIONAL)
        ds = h5py.h5d.create(f.id, f"/{name}".encode(), h5py.h5t.py_create(value.dtype),
                             h5py.h5s.create_simple(value.shape), dcpl=dcpl)
        ds.write(h5py.h5s.ALL, h5py.h5s.ALL, value)
    elif how == "external link to the group":
        group = name.rsplit("/", 1)[0]
        f[name] = value
        with h5py.File(other, "w") as o:
            f.copy(f[group], o, "g")
        del f[group]
        f[group] = h5py.ExternalLink(other, "/g")


def edit_member(path, change):
    """Change ``model.weights.h5`` inside a ``.keras`` archive with ``change(h5py.File)``."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as f:
        change(f)
    members["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def keras1_file(path, model):
    """``model``'s weights in Keras 1's ImageNet layout (``name_W_1:0`` in root groups)."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([layer.name.encode() for layer in model.layers])
        for layer in model.layers:
            values = layer.get_weights()
            names = [f"{layer.name}_{w}_1:0" for w in "Wb"][:len(values)]
            group = f.create_group(layer.name)
            group.attrs["weight_names"] = np.array([n.encode() for n in names]) if names \
                else np.zeros((0,))
            for name, value in zip(names, values):
                group[name] = value


# format -> (suffix, which datasets to redirect: a weight, and an optimizer slot if any)
FORMATS = {"keras2 model": ".h5", "keras2 weights": ".h5", "keras1 weights": ".h5",
           "keras3 weights": ".weights.h5", "keras archive": ".keras"}
HOWS = ["external storage", "external link", "soft link", "virtual dataset", "filter plugin",
        "external link to the group"]


def write(kind, path):
    model = trained_small()
    if kind == "keras2 model" or kind == "keras archive":
        model.save(path)
    elif kind == "keras1 weights":
        keras1_file(path, model)
    else:
        model.save_weights(path)


def targets(kind, path):
    """The datasets to redirect: the first kernel, and an optimizer slot if the file has one."""
    if kind == "keras archive":
        with zipfile.ZipFile(path) as zf, h5py.File(io.BytesIO(zf.read("model.weights.h5"))) as f:
            names = datasets(f)
    else:
        with h5py.File(path, "r") as f:
            names = datasets(f)
    weights = [n for n in names if "optimizer" not in n and len(n.split("/")) > 1]
    slots = [n for n in names if "optimizer" in n and not re.search(r"iteration|vars/[01]$", n)]
    return [weights[0]] + slots[:1]


@pytest.mark.parametrize("kind", list(FORMATS))
@pytest.mark.parametrize("how", HOWS)
def test_every_reader_refuses_arrays_kept_outside_the_file(tmp_path, kind, how):
    good = tmp_path / f"good{FORMATS[kind]}"
    write(kind, good)
    for target in targets(kind, good):
        path = tmp_path / f"bad{FORMATS[kind]}"
        path.write_bytes(good.read_bytes())
        if kind == "keras archive":
            edit_member(path, lambda f: redirect(f, target, how, tmp_path))
        else:
            with h5py.File(path, "r+") as f:
                redirect(f, target, how, tmp_path)
        shown = target.rsplit("/", 1)[0] if how == "external link to the group" else target
        message = rf"{re.escape(str(path))}: .*'/{re.escape(shown)}'"
        model = trained_small()
        before = model.get_weights()
        if not (kind == "keras2 model" and "optimizer" in target):   # load_weights skips it
            with pytest.raises(ExternalDataError, match=message):
                model.load_weights(path)
        assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
        if kind in ("keras2 model", "keras archive"):
            with pytest.raises(ExternalDataError, match=message):
                models.load_model(path)


def test_vgg16_refuses_an_imagenet_file_whose_kernel_is_kept_outside(tmp_path):
    path = tmp_path / "vgg16_notop.h5"
    vgg16_files.write_official(path, include_top=False)
    with h5py.File(path, "r+") as f:
        redirect(f, "block3_conv2/block3_conv2_W_1:0", "external storage", tmp_path)
    with pytest.raises(ExternalDataError, match="'/block3_conv2/block3_conv2_W_1:0' keeps "
                                                r"its values in external file\(s\)"):
        VGG16(include_top=False, weights=str(path), input_shape=(32, 32, 3))


FIFO_SCRIPT = textwrap.dedent("""
    import os, sys, h5py
    from minicnn import layers, models
    folder, how = sys.argv[1], sys.argv[2]
    fifo, path = os.path.join(folder, "fifo"), os.path.join(folder, "m.h5")
    model = models.Sequential([layers.Dense(3, input_shape=(4,), name="dense")])
    model.save(path)
    name = "model_weights/dense/dense/kernel:0"
    with h5py.File(path, "r+") as f:
        del f[name]
        if how == "external storage":
            f.create_dataset(name, shape=(4, 3), dtype="float32", external=[(fifo, 0, 48)])
        elif how == "external link":
            f[name] = h5py.ExternalLink(fifo, "/y")
        elif how == "virtual dataset":
            layout = h5py.VirtualLayout(shape=(4, 3), dtype="float32")
            layout[...] = h5py.VirtualSource(fifo, "y", shape=(4, 3))
            f.create_virtual_dataset(name, layout)
        else:
            path = fifo
    for load in (model.load_weights, models.load_model):
        try:
            load(path)
            print("LOADED", flush=True)
        except ValueError as e:
            print(type(e).__name__, str(e)[:300], flush=True)
""")


@pytest.mark.parametrize("how", ["external storage", "external link", "virtual dataset",
                                 "the file itself"])
def test_a_fifo_behind_a_dataset_or_as_the_file_cannot_make_a_load_block(tmp_path, how):
    """HDF5 opens what a dataset points at, and opening a FIFO with no writer blocks
    forever: the loads run in a child process, so a regression fails instead of hanging."""
    os.mkfifo(tmp_path / "fifo")
    try:
        result = subprocess.run([sys.executable, "-c", FIFO_SCRIPT, str(tmp_path), how],
                                capture_output=True, text=True, timeout=120, cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"a load through {how} to a FIFO blocked")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    if how == "the file itself":
        assert all(line.startswith("H5FormatError") and "not a regular file" in line
                   for line in lines), lines
    else:
        assert all(line.startswith("ExternalDataError") and
                   "'/model_weights/dense/dense/kernel:0'" in line for line in lines), lines


# ------------------------------------------- 2. configs planned against the file
def bomb_config(count):
    """A Sequential of ``count`` ``Dense(16384)`` on 16,384 inputs: 1 GiB of kernel each."""
    entries = [{"class_name": "InputLayer",
                "config": {"batch_input_shape": [None, 16384], "name": "inputs"}}]
    entries += [{"class_name": "Dense", "config": {"name": f"huge_{i}", "units": 16384}}
                for i in range(count)]
    return {"class_name": "Sequential", "config": {"name": "bomb", "layers": entries}}


def with_config(path, config, change_weights=None):
    """A small model's file at ``path`` whose config is replaced by ``config``."""
    small().save(path)
    if path.suffix == ".h5":
        with h5py.File(path, "r+") as f:
            f.attrs["model_config"] = json.dumps(config)
            if change_weights:
                change_weights(f["model_weights"])
        return
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    if change_weights:
        edit_member(path, change_weights)


def refused_quickly(path, match):
    """Load ``path``, expecting a refusal; ``(seconds, peak bytes traced)``."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(H5FormatError, match=match):
            models.load_model(path)
        return time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
@pytest.mark.parametrize("count", [1, 2])
def test_a_config_bomb_is_refused_before_anything_is_built(tmp_path, suffix, count):
    """A 7 kB file declaring Dense(16384) on 16,384 inputs cost 3 GiB and 15 s (two: 6 GiB,
    78 s) before the comparison found no such weights; the plan refuses it unbuilt."""
    path = tmp_path / f"bomb{suffix}"
    with_config(path, bomb_config(count))
    assert path.stat().st_size < 32 << 10
    seconds, peak = refused_quickly(path, r"layer 'huge_0' \(Dense on inputs \(None, 16384\)\) "
                                          r"declares weights of shapes \[\(16384, 16384\), "
                                          r"\(16384,\)\], but the file holds no array of shape "
                                          r"\(16384, 16384\) \(it holds 4 arrays.*refused "
                                          "before anything was built")
    assert seconds < 0.5 and peak < 8 << 20, (seconds, peak)


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_declared_arrays_that_store_nothing_are_refused_unread(tmp_path, suffix):
    """The bomb's next step: the config and a (16384, 16384) dataset that was never written
    (HDF5 would read it back as 1 GiB of fill values from a few bytes of file)."""
    def hollow(group):
        name = datasets(group)[-1]
        del group[name]
        group.create_dataset(name, shape=(16384, 16384), dtype="float32")
    path = tmp_path / f"hollow{suffix}"
    with_config(path, bomb_config(1), hollow)
    seconds, peak = refused_quickly(path, r"has shape \(16384, 16384\) \(1,073,741,824 bytes\) "
                                          r"but stores only 0 bytes")
    assert seconds < 0.5 and peak < 8 << 20, (seconds, peak)


LAYER_EXAMPLES = {   # one of each class the config table reads, with and without a bias
    layers.Conv2D: [lambda: layers.Conv2D(4, (3, 2), padding="same"),
                    lambda: layers.Conv2D(2, 1, use_bias=False)],
    layers.Dense: [lambda: layers.Dense(5), lambda: layers.Dense(2, use_bias=False)],
    layers.MaxPooling2D: [lambda: layers.MaxPooling2D(2)],
    layers.AveragePooling2D: [lambda: layers.AveragePooling2D(2)],
    layers.Flatten: [layers.Flatten], layers.Dropout: [lambda: layers.Dropout(0.5)],
    layers.Activation: [lambda: layers.Activation("relu")],
}


def test_the_planned_weight_shapes_are_the_built_ones_for_every_class_read():
    assert {cls for cls, _, _ in config.LAYERS.values()} <= set(LAYER_EXAMPLES)
    for makers in LAYER_EXAMPLES.values():
        for make in makers:
            for shape in [(None, 6, 5, 3), (None, 7)]:
                layer = make()
                if layer.input_ndim not in (None, len(shape)):
                    continue
                planned = weight_plan.weight_shapes(layer, shape)
                layer.build(shape)
                assert planned == [tuple(w.shape) for w in layer.params.values()], layer


@pytest.mark.parametrize("build", [small, tapped_functional, book_mnist_convnet])
def test_the_plan_of_a_config_is_what_building_it_makes(build):
    model = build()
    planned = config.plan_from_config(config.model_to_config(model))
    assert weight_plan.total(planned) == model.count_params()
    built = {layer.name: [tuple(w.shape) for w in layer.params.values()]
             for layer in model.walk_layers() if not isinstance(layer, models.Model)}
    assert {entry.name: entry.shapes for entry in planned if entry.shapes} == \
        {name: shapes for name, shapes in built.items() if shapes}


# ------------------------------------------------ 3. killed saves leave no debris
SAVER_SCRIPT = textwrap.dedent("""
    import sys
    from minicnn import layers, models
    model = models.Sequential([layers.Dense(1536, input_shape=(1536,)), layers.Dense(256)])
    print("ready", flush=True)
    while True:                                    # about 10 MB a save, until killed
        model.save(sys.argv[1])
""")


def temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def kill_mid_save(path, attempts=5):
    """Start a child that saves ``path`` in a loop and SIGKILL it while one of its saves is
    under way (its temporary file exists), after one save completed; the temporary files
    the killed child left."""
    for _ in range(attempts):
        child = subprocess.Popen([sys.executable, "-c", SAVER_SCRIPT, str(path)],
                                 stdout=subprocess.PIPE, text=True)
        mine = f".{path.name}.{child.pid}."
        try:
            assert child.stdout.readline() == "ready\n"
            deadline = time.monotonic() + 60
            while not (path.exists() and any(n.startswith(mine)
                                             for n in temporaries(path.parent))):
                assert time.monotonic() < deadline and child.poll() is None, "no save"
                time.sleep(0.002)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
            child.stdout.close()
        left = [n for n in temporaries(path.parent) if n.startswith(mine)]
        if left:                       # else the save ended between the look and the kill
            return left
    pytest.fail(f"no SIGKILL in {attempts} caught a save under way")


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_temporaries_of_saves_killed_with_sigkill_are_removed_by_the_next_save(tmp_path,
                                                                             suffix):
    """Before, each kill left a hidden temporary file that no later save removed."""
    path = tmp_path / f"m{suffix}"
    first = kill_mid_save(path)
    second = kill_mid_save(path)               # its saves removed what the first one left
    assert temporaries(tmp_path) == second and len(second) == 1
    assert re.fullmatch(rf"\.m{re.escape(suffix)}\.\d+\.{atomic.HOST}\.[0-9a-f]{{16}}\.tmp",
                        second[0]) and first != second
    models.load_model(path)                      # the old file always survived, whole
    model = small()
    model.save(path)
    assert os.listdir(tmp_path) == [path.name]
    assert [w.shape for w in models.load_model(path).get_weights()] == \
        [w.shape for w in model.get_weights()]


def test_only_our_own_stale_temporaries_of_that_target_are_removed(tmp_path):
    """A live writer's file stays (two processes may save at once), and so does anything
    not named like our temporary files of that very target; an old legacy one goes."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout.strip()
        names = {
            "live": f".m.h5.{sleeper.pid}.{atomic.HOST}.{'a' * 16}.tmp",
            "this process": f".m.h5.{os.getpid()}.{atomic.HOST}.{'b' * 16}.tmp",
            "dead": f".m.h5.{dead}.{atomic.HOST}.{'c' * 16}.tmp",
            "dead, other host": f".m.h5.{dead}.0badc0de.{'d' * 16}.tmp",
            "old other host": f".m.h5.{dead}.0badc0de.{'e' * 16}.tmp",
            "legacy": ".m.h5.k3x_9qzt.tmp", "old legacy": ".m.h5.q0_abcde.tmp",
            "other target": f".m.h5x.{dead}.{atomic.HOST}.{'f' * 16}.tmp",
            "not ours": ".m.h5.tmp", "user's": "m.h5.bak.tmp",
        }
        for key, name in names.items():
            (tmp_path / name).write_bytes(b"partial")
            if key.startswith("old"):
                old = time.time() - 2 * atomic.STALE_SECONDS
                os.utime(tmp_path / name, (old, old))
        small().save(tmp_path / "m.h5")
        gone = {key for key, name in names.items() if not (tmp_path / name).exists()}
        assert gone == {"dead", "old other host", "old legacy"}
    finally:
        sleeper.kill()
        sleeper.wait()
    small().save(tmp_path / "m.h5")              # the writer is gone now: so is its file
    assert not (tmp_path / names["live"]).exists()
    assert (tmp_path / names["this process"]).exists()


PADDINGS = st.sampled_from(["valid", "same"])
POOLING = st.fixed_dictionaries({"pool_size": st.integers(1, 3), "padding": PADDINGS})
OPTIONS = {   # Keras class -> its drawn options
    "Conv2D": st.fixed_dictionaries({"filters": st.integers(1, 3),
                                     "kernel_size": st.integers(1, 3),
                                     "strides": st.integers(1, 2), "padding": PADDINGS,
                                     "use_bias": st.booleans()}),
    "MaxPooling2D": POOLING, "AveragePooling2D": POOLING, "Flatten": st.just({}),
    "Dense": st.fixed_dictionaries({"units": st.integers(1, 4), "use_bias": st.booleans()}),
    "Dropout": st.just({"rate": 0.5}), "Activation": st.just({"activation": "relu"}),
}


@st.composite
def sequential_configs(draw):
    """Keras configs of small Sequentials, valid or not (shapes that do not fit)."""
    shape = draw(st.sampled_from([[None, 6], [None, 7, 5, 2], [None, 3, 3, 1], [None, 1]]))
    entries = [{"class_name": "InputLayer", "config": {"batch_input_shape": shape,
                                                       "name": "inputs"}}]
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(sorted(OPTIONS)))
        entries.append({"class_name": kind, "config": {"name": f"layer_{i}",
                                                       **draw(OPTIONS[kind])}})
    return {"class_name": "Sequential", "config": {"name": "drawn", "layers": entries}}


@given(sequential_configs())
def test_a_config_that_builds_plans_the_weights_it_builds(drawn):
    """The plan never refuses what builds, and never differs from it: a wrong plan would
    refuse good files or let a bomb through."""
    try:
        model = config.model_from_config(drawn)
    except H5FormatError:
        return                     # the plan may or may not refuse it: the build does
    planned = config.plan_from_config(drawn)
    assert [(entry.name, entry.shapes) for entry in planned] == \
        [(layer.name, [tuple(w.shape) for w in layer.params.values()])
         for layer in model.layers]
