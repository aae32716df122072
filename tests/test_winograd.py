"""Winograd convolution: the matrices by hand, the three twins equal to each other and to
im2col, the float32 error against float64, and the algorithm setting Conv2D follows.

Random cases come from ``cases()``: images up to 13x13, 1-5 channels and filters, batch
1-3, both paddings, both tile sizes. The chapter's layer shapes are explicit examples.
"""
import functools
import os
import subprocess
import sys
import tracemalloc
from collections import namedtuple

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from minicnn import backend, kernels, layers
from minicnn.kernels import conv_algorithm, cpu, reference, threads
from minicnn.kernels import winograd_cpu, winograd_reference, winograd_tiles, winograd_xp
from minicnn.kernels.geometry import conv_geometry
from minicnn.kernels.winograd import SLICES, matrices
from minicnn.layers import conv as conv_module

TWINS = [winograd_reference, winograd_cpu, winograd_xp]
twins = pytest.mark.parametrize("twin", TWINS, ids=lambda m: m.__name__.split("_")[-1])
Case = namedtuple("Case", "N H W C F padding m seed")


@st.composite
def cases(draw):
    """Random geometry for a 3x3, stride-1 convolution; 'valid' images are at least 3x3."""
    padding = draw(st.sampled_from(["valid", "same"]))
    low = 3 if padding == "valid" else 1
    return Case(draw(st.integers(1, 3)), draw(st.integers(low, 13)), draw(st.integers(low, 13)),
                draw(st.integers(1, 5)), draw(st.integers(1, 5)), padding,
                draw(st.sampled_from([2, 4])), draw(st.integers(0, 2**32 - 1)))


def data(c, dtype=np.float64):
    """``x (N, H, W, C)``, ``kernel (3, 3, C, F)`` and an upstream gradient ``dy``."""
    rng = np.random.default_rng(c.seed)
    OH, OW = conv_geometry(c.H, c.W, 3, 3, 1, 1, c.padding)[:2]
    x = rng.standard_normal((c.N, c.H, c.W, c.C))
    kernel = rng.standard_normal((3, 3, c.C, c.F)) / np.sqrt(9 * c.C)
    dy = rng.standard_normal((c.N, OH, OW, c.F))
    return x.astype(dtype), kernel.astype(dtype), dy.astype(dtype)


def by_im2col(x, kernel, dy, padding):
    """The same three results by im2col and col2im (reference loops): ``y, dx, dW``."""
    N, H, W, C = x.shape
    F = kernel.shape[3]
    cols = reference.im2col(x, 3, 3, 1, 1, padding)
    y = (cols @ kernel.reshape(-1, F)).reshape(dy.shape)
    dx = reference.col2im(dy.reshape(-1, F) @ kernel.reshape(-1, F).T, x.shape, 3, 3, 1, 1,
                          padding)
    return y, dx, (cols.T @ dy.reshape(-1, F)).reshape(kernel.shape)


def rel(a, b):
    """Relative L2 error of ``a`` against ``b``."""
    return float(np.linalg.norm(np.asarray(a, np.float64) - b) / np.linalg.norm(b))


def run(twin, c, x, kernel, dy):
    """``(y, dx, dW)`` of one twin."""
    return (twin.forward(x, kernel, c.m, c.padding),
            twin.backward_input(dy, kernel, c.m, c.padding),
            twin.backward_kernel(x, dy, c.m, c.padding))


def case(N, H, W, C, F, padding, m):
    """A hand-written case (the chapter's layers, edge cases)."""
    return Case(N, H, W, C, F, padding, m, 0)


# ------------------------------------------------------------ pinned by hand
def test_f23_in_one_dimension_by_hand():
    """Two outputs of a 3-tap correlation from four multiplications (Lavin & Gray's F(2, 3))."""
    d, g = np.array([1.0, 2, 3, 4]), np.array([1.0, 2, 3])
    m1 = (d[0] - d[2]) * g[0]                               # -2
    m2 = (d[1] + d[2]) * (g[0] + g[1] + g[2]) / 2           # 15
    m3 = (d[2] - d[1]) * (g[0] - g[1] + g[2]) / 2           # 1
    m4 = (d[1] - d[3]) * g[2]                               # -6
    assert (m1 + m2 + m3, m2 - m3 - m4) == (14, 20)         # 1+4+9, 2+6+12
    BT, G, AT = matrices(2)
    np.testing.assert_array_equal(BT @ d, [d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]])
    np.testing.assert_array_equal((G @ g) * (BT @ d), [m1, m2, m3, m4])
    np.testing.assert_array_equal(AT @ ((G @ g) * (BT @ d)), [14, 20])


@pytest.mark.parametrize("m", [2, 4])
def test_the_matrices_compute_a_correlation_in_one_and_two_dimensions(m):
    BT, G, AT = matrices(m)
    assert BT.shape == (m + 2, m + 2) and G.shape == (m + 2, 3) and AT.shape == (m, m + 2)
    rng = np.random.default_rng(m)
    d, g = rng.standard_normal(m + 2), rng.standard_normal(3)
    np.testing.assert_allclose(AT @ ((G @ g) * (BT @ d)), np.correlate(d, g, "valid"),
                               rtol=1e-13, atol=1e-13)
    d, g = rng.standard_normal((m + 2, m + 2)), rng.standard_normal((3, 3))
    Y = AT @ ((G @ g @ G.T) * (BT @ d @ BT.T)) @ AT.T
    direct = [[np.sum(d[i:i + 3, j:j + 3] * g) for j in range(m)] for i in range(m)]
    np.testing.assert_allclose(Y, direct, rtol=1e-12, atol=1e-12)


def test_written_out_transforms_are_the_matrices():
    """winograd_tiles' written-out formulas are BT and AT of winograd.py, column by column."""
    for m, bt, at, extra_bt, extra_at in [(2, winograd_tiles._bt2, winograd_tiles._at2, (), ()),
                                          (4, winograd_tiles._bt4, winograd_tiles._at4,
                                           (2.0, 4.0, 5.0), (2.0, 4.0, 8.0))]:
        BT, _, AT = matrices(m)
        for k, e in enumerate(np.eye(m + 2)):
            np.testing.assert_array_equal(bt.py_func(*e, *extra_bt), BT[:, k])
            np.testing.assert_array_equal(at.py_func(*e, *extra_at), AT[:, k])


@twins
@pytest.mark.parametrize("m", [2, 4])
def test_window_sums_by_hand(twin, m):
    """A kernel of ones sums each 3x3 window; 'same' sees zeros around the image."""
    x = np.arange(1.0, 17.0).reshape(1, 4, 4, 1)            # rows 1-4, 5-8, 9-12, 13-16
    ones = np.ones((3, 3, 1, 1))
    np.testing.assert_allclose(twin.forward(x, ones, m, "valid")[0, :, :, 0],
                               [[54, 63], [90, 99]], atol=1e-12)
    same = twin.forward(x, ones, m, "same")[0, :, :, 0]
    np.testing.assert_allclose(same[0], [14, 24, 30, 22], atol=1e-12)     # 1+2+5+6, ...
    np.testing.assert_allclose(same[3], [46, 72, 78, 54], atol=1e-12)     # 9+10+13+14, ...
    dx = twin.backward_input(np.ones((1, 2, 2, 1)), ones, m, "valid")     # windows over each pixel
    np.testing.assert_allclose(dx[0, :, :, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2],
                                                [1, 2, 2, 1]], atol=1e-12)
    dW = twin.backward_kernel(x, np.ones((1, 2, 2, 1)), m, "valid")      # window sums of x
    np.testing.assert_allclose(dW[:, :, 0, 0], [[14, 18, 22], [30, 34, 38], [46, 50, 54]],
                               atol=1e-12)


# ------------------------------------------------------------ the twins agree
@given(c=cases())
@example(c=case(2, 28, 28, 1, 4, "valid", 2))                # MNIST conv1 (fewer filters)
@example(c=case(2, 13, 13, 6, 5, "valid", 4))                # MNIST conv2: odd, edge tiles
@example(c=case(2, 5, 5, 5, 3, "valid", 4))                  # MNIST conv3: one tile, cut
@example(c=case(1, 9, 9, 4, 4, "same", 4))                   # VGG16 block5 at 150x150
@example(c=case(1, 1, 1, 2, 3, "same", 2))                   # one pixel, all padding around
def test_twins_equal_im2col_in_float64(c):
    x, kernel, dy = data(c)
    expected = by_im2col(x, kernel, dy, c.padding)
    for twin in TWINS:
        for got, want in zip(run(twin, c, x, kernel, dy), expected):
            assert got.shape == want.shape and got.dtype == np.float64, twin.__name__
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@given(c=cases())
def test_twins_agree_in_float32(c):
    x, kernel, dy = data(c, np.float32)
    expected = by_im2col(*(a.astype(np.float64) for a in (x, kernel, dy)), c.padding)
    results = [run(twin, c, x, kernel, dy) for twin in TWINS]
    for got in results:
        for g, want in zip(got, expected):
            assert g.dtype == np.float32
            assert rel(g, want) < 5e-6
    for other in results[1:]:                # elementwise, to a few 1e-6 of each result's scale
        for a, b in zip(other, results[0]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())


@twins
@given(c=cases())
def test_backward_is_the_adjoint_of_forward(twin, c):
    """``<conv(x, g), dy> == <x, dx> == <g, dW>``: all three are one bilinear form."""
    x, kernel, dy = data(c)
    y, dx, dW = run(twin, c, x, kernel, dy)
    lhs = np.sum(y * dy)
    np.testing.assert_allclose(np.sum(x * dx), lhs, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.sum(kernel * dW), lhs, rtol=1e-10, atol=1e-10)


@twins
def test_out_is_written_and_returned(twin):
    c = case(2, 7, 6, 3, 4, "same", 4)
    x, kernel, dy = data(c)
    y, dx = np.empty(dy.shape), np.empty(x.shape)
    assert twin.forward(x, kernel, 4, "same", out=y) is y
    assert twin.backward_input(dy, kernel, 4, "same", out=dx) is dx
    expected = by_im2col(x, kernel, dy, "same")
    np.testing.assert_allclose(y, expected[0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, expected[1], rtol=1e-10, atol=1e-10)


@twins
def test_bad_shapes_are_errors(twin):
    x = np.zeros((1, 6, 6, 2))
    with pytest.raises(ValueError, match=r"\(3, 3, C, F\) kernel, got \(5, 5, 2, 1\)"):
        twin.forward(x, np.zeros((5, 5, 2, 1)), 2, "valid")
    with pytest.raises(ValueError, match="expected dy of shape"):
        twin.backward_kernel(x, np.zeros((1, 5, 4, 1)), 2, "valid")
    with pytest.raises(ValueError, match="tile size must be one of"):
        twin.forward(x, np.zeros((3, 3, 2, 1)), 3, "valid")


def test_numba_twin_agrees_on_every_thread_count(monkeypatch):
    import numba

    c = case(3, 11, 10, 8, 6, "same", 4)
    x, kernel, dy = data(c, np.float32)
    monkeypatch.setattr(threads, "THREADS", threads.THREADS)
    monkeypatch.setattr(threads, "PARALLEL_MIN", 0)
    results = []
    for n in range(1, numba.config.NUMBA_NUM_THREADS + 1):
        threads.set_threads(n)
        results.append(run(winograd_cpu, c, x, kernel, dy))
    for other in results[1:]:
        for a, b in zip(other, results[0]):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode, twin", [("cpu", winograd_cpu), ("xp", winograd_xp),
                                        ("reference", winograd_reference), ("auto", winograd_cpu)])
def test_dispatcher_runs_the_chosen_twin(mode, twin, monkeypatch):
    calls = []
    monkeypatch.setattr(twin, "forward", lambda *args: calls.append(args) or "ran")
    with backend.kernels_scope(mode):
        assert kernels.winograd_forward(np.zeros((1, 3, 3, 1)), np.zeros((3, 3, 1, 1)), 4,
                                        "same") == "ran"
    assert calls[0][2:] == (4, "same", None)


# ------------------------------------------------------- float32 against float64
SHAPES = {                                   # (N, H, W, C, F, padding): the chapter's layers
    "mnist conv1": (4, 28, 28, 1, 32, "valid"),
    "mnist conv2": (4, 13, 13, 32, 64, "valid"),
    "mnist conv3": (4, 5, 5, 64, 64, "valid"),
    "cats-dogs conv2": (1, 74, 74, 32, 64, "valid"),
    "vgg16 block1": (1, 56, 56, 64, 64, "same"),
    "vgg16 block3": (1, 37, 37, 256, 256, "same"),
    "vgg16 block4": (1, 18, 18, 512, 512, "same"),
}


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("name", SHAPES)
def test_float32_error_against_float64_is_at_most_2e_6(name, m):
    """Relative L2 error of float32 Winograd against float64 im2col, on ReLU-like inputs."""
    N, H, W, C, F, padding = SHAPES[name]
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((N, H, W, C)), 0)
    kernel = rng.standard_normal((3, 3, C, F)) * np.sqrt(2 / (9 * C))
    OH, OW = conv_geometry(H, W, 3, 3, 1, 1, padding)[:2]
    dy = rng.standard_normal((N, OH, OW, F))
    cols = cpu.im2col(x, 3, 3, 1, 1, padding)                    # float64: the truth
    y = (cols @ kernel.reshape(-1, F)).reshape(dy.shape)
    dW = (cols.T @ dy.reshape(-1, F)).reshape(kernel.shape)
    dx = cpu.col2im(dy.reshape(-1, F) @ kernel.reshape(-1, F).T, x.shape, 3, 3, 1, 1,
                    padding)
    x32, k32, dy32 = x.astype("float32"), kernel.astype("float32"), dy.astype("float32")
    assert rel(winograd_cpu.forward(x32, k32, m, padding), y) < 2e-6
    assert rel(winograd_cpu.backward_input(dy32, k32, m, padding), dx) < 2e-6
    assert rel(winograd_cpu.backward_kernel(x32, dy32, m, padding), dW) < 2e-6


def test_f44_sums_its_products_in_slices():
    """Why SLICES[4]: one float32 product over 256 channels costs F(4x4, 3x3) its bound."""
    assert SLICES == {2: None, 4: 64}
    rng = np.random.default_rng(1)
    V = rng.standard_normal((2, 50, 256)).astype("float32")
    U = rng.standard_normal((2, 256, 7)).astype("float32")
    np.testing.assert_allclose(winograd_cpu.products(V, U, 64), V @ U, rtol=1e-4, atol=1e-4)
    Z = rng.standard_normal((2, 50, 7)).astype("float32")
    np.testing.assert_allclose(winograd_cpu.tile_sums(V, Z, 16),
                               V.transpose(0, 2, 1) @ Z, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- Conv2D
def conv_layer(padding="same", activation="relu", strides=1, kernel_size=3, C=5, F=4):
    """A built ``Conv2D(F, kernel_size)`` for ``C`` input channels."""
    layer = layers.Conv2D(F, kernel_size, strides=strides, padding=padding, activation=activation)
    layer.build((None, None, None, C))
    return layer


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("algorithm", ["winograd2", "winograd4"])
def test_conv2d_forced_winograd_equals_im2col_in_float64(float64, algorithm, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 10, 9, 5))
    layer = conv_layer(padding, "tanh")
    results = {}
    for alg in ("im2col", algorithm):
        with backend.conv_algorithm_scope(alg):
            y = layer.forward(x, training=True)
            dy = np.random.default_rng(1).standard_normal(y.shape)
            dx = layer.backward(dy)
            results[alg] = (y, dx, layer.grads["kernel"].copy(), layer.grads["bias"].copy())
            assert (layer._cache[1] is None) == (alg != "im2col")    # Winograd keeps only x
    for got, want in zip(results[algorithm], results["im2col"]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("algorithm", ["winograd2", "winograd4"])
def test_conv2d_keeps_the_backward_contract(float64, algorithm, monkeypatch):
    """need_dx=False, frozen layers, predict's empty cache and small workspaces, as im2col."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 8, 8, 5))
    layer = conv_layer()
    with backend.conv_algorithm_scope("im2col"):
        y = layer.forward(x, training=True)
        dy = rng.standard_normal(y.shape)
        dx = layer.backward(dy)
        dW = layer.grads["kernel"].copy()
    with backend.conv_algorithm_scope(algorithm):
        layer.forward(x, training=True)
        assert layer.backward(dy, need_dx=False) is None
        np.testing.assert_allclose(layer.grads["kernel"], dW, rtol=1e-12, atol=1e-12)
        monkeypatch.setattr(conv_module, "WORKSPACE_BYTES", 1)      # one sample a chunk
        np.testing.assert_allclose(layer.forward(x, training=True), y, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.backward(dy), dx, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.grads["kernel"], dW, rtol=1e-12, atol=1e-12)
        layer.trainable = False
        layer.grads["kernel"][...] = 7
        layer.forward(x, training=True)
        np.testing.assert_allclose(layer.backward(dy), dx, rtol=1e-12, atol=1e-12)
        assert (layer.grads["kernel"] == 7).all()                   # frozen: no kernel gradient
        layer._keep_cache = False
        layer.forward(x)
        assert layer._cache is None


def test_conv2d_config_has_no_new_argument():
    """The algorithm is a backend setting, not a layer argument: Keras' config, unchanged."""
    with backend.conv_algorithm_scope("winograd4"):
        config = conv_layer().get_config()
    assert sorted(config) == [
        "activation", "activity_regularizer", "bias_constraint", "bias_initializer",
        "bias_regularizer", "data_format", "dilation_rate", "dtype", "filters",
        "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "name",
        "padding", "strides", "trainable", "use_bias"]


@pytest.mark.parametrize("kernel_size, strides", [(5, 1), (3, 2), ((3, 1), 1)])
def test_forced_winograd_falls_back_to_im2col_where_it_cannot_apply(kernel_size, strides,
                                                                    monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("Winograd ran on a layer it cannot do")

    for name in ("winograd_forward", "winograd_backward_input", "winograd_backward_kernel"):
        monkeypatch.setattr(kernels, name, refuse)
    layer = conv_layer(strides=strides, kernel_size=kernel_size)
    with backend.conv_algorithm_scope("winograd4"):
        y = layer.forward(np.ones((2, 9, 9, 5), "float32"), training=True)
        layer.backward(np.ones_like(y))
        assert layer._algorithm("forward", np.ones((2, 9, 9, 5))) == "im2col"


def test_the_setting_and_its_scope():
    assert backend.conv_algorithm() == os.environ.get("MINICNN_CONV_ALGORITHM", "auto")
    with backend.conv_algorithm_scope("winograd2"):
        assert backend.conv_algorithm() == conv_algorithm.conv_algorithm() == "winograd2"
        layer = conv_layer()
        assert layer._algorithm("dx", np.zeros((1, 8, 8, 5))) == "winograd2"
    assert backend.conv_algorithm() == os.environ.get("MINICNN_CONV_ALGORITHM", "auto")
    allowed = r"\('auto', 'im2col', 'winograd2', 'winograd4'\)"
    with pytest.raises(ValueError, match=rf"set_conv_algorithm: the algorithm must be one of "
                                         rf"{allowed}, got 'fast'"):
        backend.set_conv_algorithm("fast")


def test_a_bad_environment_setting_is_named_on_import():
    env = dict(os.environ, MINICNN_CONV_ALGORITHM="winograd3")
    result = subprocess.run([sys.executable, "-c", "import minicnn"], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert ("MINICNN_CONV_ALGORITHM must be one of ('auto', 'im2col', 'winograd2', "
            "'winograd4'), got 'winograd3'") in result.stderr


def test_auto_follows_its_rule_and_keeps_im2col_off_numpy():
    picks = {   # (pass, x shape, F, padding): the rule's pick, by conv_algorithm.auto's docstring
        ("forward", (64, 28, 28, 1), 32, "valid"): "im2col",          # MNIST conv1: C = 1
        ("forward", (64, 13, 13, 32), 64, "valid"): "im2col",         # MNIST conv2: 11x11x32
        ("forward", (32, 74, 74, 32), 64, "valid"): "winograd4",      # cats-vs-dogs conv2
        ("forward", (20, 37, 37, 256), 256, "same"): "winograd4",     # VGG16 block3
        ("dx", (20, 37, 37, 256), 256, "same"): "winograd4",
        ("dW", (20, 37, 37, 256), 256, "same"): "winograd2",
        ("dW", (32, 74, 74, 32), 64, "valid"): "im2col",
        ("forward", (20, 18, 18, 512), 512, "same"): "winograd2",     # 20x20 of F(4x4) tiles
        ("forward", (20, 9, 9, 512), 512, "same"): "winograd2",
    }
    with backend.conv_algorithm_scope("auto"):
        for (step, shape, F, padding), algorithm in picks.items():
            choose = functools.partial(conv_algorithm.choose, step, shape, F, (3, 3), (1, 1),
                                       padding)
            assert choose() == algorithm, (step, shape)
            assert choose(on_numpy=False) == "im2col"
        assert conv_algorithm.choose("forward", (20, 37, 37, 256), 256, (3, 3), (2, 2),
                                     "same") == "im2col"
        with pytest.raises(ValueError, match="step must be one of"):
            conv_algorithm.choose("backward", (1, 8, 8, 1), 1, (3, 3), (1, 1), "same")


def test_winograd_memory_is_bounded_by_the_workspace(monkeypatch):
    """A batch through a forced Winograd layer: the peak is the output, the input gradient
    and one workspace, whatever the batch size."""
    layer = conv_layer(C=32, F=32)
    x = np.random.default_rng(0).random((32, 24, 24, 32), dtype=np.float32)   # 2.4 MB
    monkeypatch.setattr(conv_module, "WORKSPACE_BYTES", 2**20)
    with backend.conv_algorithm_scope("winograd4"):
        y = layer.forward(x[:2], training=True)
        layer.backward(np.ones_like(y))

        def peak(n):
            tracemalloc.start()
            try:
                y = layer.forward(x[:n], training=True)
                layer.backward(np.ones_like(y))
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        assert peak(32) < 4 * x.nbytes + 2 * 2**20 + 2**20          # y, dy, dz, dx + workspace
        assert peak(32) < peak(4) + 4 * x.nbytes



# ---------------------------------------------------------------- the docs' figures
def _make_figures():
    """``docs/make_figures.py`` as a module (docs/ is not a package)."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "docs" / "make_figures.py"
    spec = importlib.util.spec_from_file_location("make_figures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tiles_figure_is_winograd_on_the_digit(tmp_path):
    r = _make_figures().figure_winograd_tiles(str(tmp_path))
    for m in (2, 4):
        BT, G, AT = matrices(m)
        t = r[m]
        oh, ow = t["top_left"]
        np.testing.assert_array_equal(t["patch"], r["digit"][oh:oh + m + 2, ow:ow + m + 2])
        np.testing.assert_allclose(t["V"], BT @ t["patch"] @ BT.T, atol=1e-12)
        np.testing.assert_allclose(t["M"], t["U"] * t["V"], atol=1e-12)
        np.testing.assert_allclose(t["Y"], t["direct"], atol=1e-12)     # = the window sums
        np.testing.assert_allclose(t["Y"], t["im2col"][oh:oh + m, ow:ow + m], atol=1e-12)
        np.testing.assert_allclose(t["maps"], t["im2col"], atol=1e-12)  # the whole map
    assert (tmp_path / "tiles.png").read_bytes()[:4] == b"\x89PNG"


def test_the_error_figure_holds_the_2e_6_bound(tmp_path):
    r = _make_figures().figure_winograd_error(str(tmp_path))
    errors = r["errors"]                                       # (layers, algorithms, passes)
    assert errors.shape == (len(r["layers"]), 3, 3) and r["algorithms"][0] == "im2col"
    assert (errors > 0).all() and errors.max() < 2e-6
    assert errors[:, 0].max() < 5e-7                           # im2col's own float32 error
    assert np.median(errors[:, 2]) > np.median(errors[:, 0])    # F(4x4) pays for its savings
