"""The kernel twins: reference == cpu (numba) == xp, and the reference pinned by hand.

Random cases come from ``cases()``: kernels 1-5 (non-square too), strides 1-3,
images up to 16x16 with up to 4 channels, batch 1-3, both paddings. The
chapter's real layer shapes are added as explicit ``@example``s.
"""
import os
from collections import namedtuple

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from minicnn import backend, kernels
from minicnn.kernels import cpu, reference, threads, xp
from minicnn.kernels.geometry import conv_geometry

TWINS = [reference, cpu, xp]
FAST = [cpu, xp]
twins = pytest.mark.parametrize("twin", TWINS, ids=lambda m: m.__name__.split(".")[-1])

Case = namedtuple("Case", "N H W C KH KW SH SW padding seed ties")


def case(N, H, W, C, KH, KW, SH, SW, padding, ties=False):
    """A hand-written case (the chapter's layers)."""
    return Case(N, H, W, C, KH, KW, SH, SW, padding, 0, ties)


@st.composite
def cases(draw):
    """Random geometry; 'valid' windows always fit. ``ties``: small integers as data."""
    padding = draw(st.sampled_from(["valid", "same"]))
    KH, KW = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    SH, SW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H = draw(st.integers(KH if padding == "valid" else 1, 16))
    W = draw(st.integers(KW if padding == "valid" else 1, 16))
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    return Case(N, H, W, C, KH, KW, SH, SW, padding,
                draw(st.integers(0, 2**32 - 1)), draw(st.booleans()))


def data(c, dtype=np.float64):
    """Input ``x`` and an upstream gradient for ``cols`` and for the pooled output."""
    rng = np.random.default_rng(c.seed)
    OH, OW = conv_geometry(c.H, c.W, c.KH, c.KW, c.SH, c.SW, c.padding)[:2]
    shape = (c.N, c.H, c.W, c.C)
    x = rng.integers(-2, 3, shape) if c.ties else rng.standard_normal(shape)
    dcols = rng.standard_normal((c.N * OH * OW, c.KH * c.KW * c.C))
    dy = rng.standard_normal((c.N, OH, OW, c.C))
    return x.astype(dtype), dcols.astype(dtype), dy.astype(dtype)


def geom(c):
    """The window arguments every kernel takes: ``KH, KW, SH, SW, padding``."""
    return c.KH, c.KW, c.SH, c.SW, c.padding


def close(a, b, rtol=1e-12, atol=1e-12):
    """Same shape, same dtype, same numbers up to summation order."""
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# ------------------------------------------------------------ the twins agree
@given(c=cases())
@example(c=case(2, 28, 28, 1, 3, 3, 1, 1, "valid"))  # MNIST conv1
@example(c=case(2, 13, 13, 32, 3, 3, 1, 1, "valid"))  # MNIST conv2
@example(c=case(2, 5, 5, 64, 3, 3, 1, 1, "valid"))  # MNIST conv3
@example(c=case(1, 150, 150, 3, 3, 3, 1, 1, "valid"))  # cats-vs-dogs conv1
@example(c=case(2, 18, 18, 8, 3, 3, 1, 1, "same"))  # VGG16 block
def test_im2col_col2im_twins_agree(c):
    x, dcols, _ = data(c)
    ref = reference.im2col(x, *geom(c))
    OH, OW = conv_geometry(c.H, c.W, *geom(c))[:2]
    assert ref.shape == (c.N * OH * OW, c.KH * c.KW * c.C)
    ref_dx = reference.col2im(dcols, x.shape, *geom(c))
    for twin in FAST:
        cols = twin.im2col(x, *geom(c))
        assert cols.flags.c_contiguous
        np.testing.assert_array_equal(cols, ref)  # copies: exact
        close(twin.col2im(dcols, x.shape, *geom(c)), ref_dx)


@given(c=cases())
@example(c=case(2, 26, 26, 32, 2, 2, 2, 2, "valid"))  # MNIST pool1
@example(c=case(2, 11, 11, 64, 2, 2, 2, 2, "valid"))  # MNIST pool2 (11 -> 5)
@example(c=case(1, 148, 148, 32, 2, 2, 2, 2, "valid"))  # cats-vs-dogs pool1
@example(c=case(2, 9, 9, 8, 2, 2, 2, 2, "valid"))  # VGG16 pool on odd 9x9
@example(c=case(2, 9, 9, 8, 2, 2, 2, 2, "same"))
@example(c=case(2, 9, 9, 3, 3, 3, 2, 2, "same", ties=True))  # overlapping, many ties
def test_maxpool_twins_agree(c):
    x, _, dy = data(c)
    ref_y, ref_argmax = reference.maxpool_forward(x, *geom(c))
    ref_dx = reference.maxpool_backward(dy, ref_argmax, x.shape, *geom(c))
    for twin in FAST:
        y, argmax = twin.maxpool_forward(x, *geom(c))
        np.testing.assert_array_equal(y, ref_y)
        np.testing.assert_array_equal(argmax, ref_argmax)
        assert argmax.dtype == ref_argmax.dtype == kernels.argmax_dtype(c.KH, c.KW)
        close(twin.maxpool_backward(dy, argmax, x.shape, *geom(c)), ref_dx)


@given(c=cases())
@example(c=case(2, 26, 26, 32, 2, 2, 2, 2, "valid"))
@example(c=case(2, 11, 11, 64, 2, 2, 2, 2, "valid"))
@example(c=case(1, 148, 148, 32, 2, 2, 2, 2, "valid"))
@example(c=case(2, 9, 9, 8, 2, 2, 2, 2, "same"))
def test_avgpool_twins_agree(c):
    x, _, dy = data(c)
    ref_y = reference.avgpool_forward(x, *geom(c))
    ref_dx = reference.avgpool_backward(dy, x.shape, *geom(c))
    for twin in FAST:
        close(twin.avgpool_forward(x, *geom(c)), ref_y)
        close(twin.avgpool_backward(dy, x.shape, *geom(c)), ref_dx)


@given(c=cases())
def test_float32_stays_float32(c):
    x, dcols, dy = data(c, np.float32)
    for twin in TWINS:
        outputs = [twin.im2col(x, *geom(c)), twin.col2im(dcols, x.shape, *geom(c))]
        y, argmax = twin.maxpool_forward(x, *geom(c))
        outputs += [y, twin.maxpool_backward(dy, argmax, x.shape, *geom(c)),
                    twin.avgpool_forward(x, *geom(c)),
                    twin.avgpool_backward(dy, x.shape, *geom(c))]
        assert [o.dtype for o in outputs] == [np.float32] * 6, twin.__name__
        if twin is reference:
            expected = outputs
        else:
            for out, ref in zip(outputs, expected):
                close(out, ref, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ adjoints
@twins
@given(c=cases())
def test_col2im_is_the_adjoint_of_im2col(twin, c):
    x, dcols, _ = data(c)
    lhs = np.sum(twin.im2col(x, *geom(c)) * dcols)
    rhs = np.sum(x * twin.col2im(dcols, x.shape, *geom(c)))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10)


@twins
@given(c=cases())
def test_pooling_backward_is_the_adjoint_of_forward(twin, c):
    x, _, dy = data(c)
    lhs = np.sum(twin.avgpool_forward(x, *geom(c)) * dy)
    rhs = np.sum(x * twin.avgpool_backward(dy, x.shape, *geom(c)))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10)
    # for a fixed argmax, max pooling is linear: y picks x at the argmax
    y, argmax = twin.maxpool_forward(x, *geom(c))
    rhs = np.sum(x * twin.maxpool_backward(dy, argmax, x.shape, *geom(c)))
    np.testing.assert_allclose(np.sum(y * dy), rhs, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------ pinned by hand
def img(rows):
    """A (1, H, W, 1) float64 image from nested lists."""
    return np.array(rows, dtype=np.float64)[None, :, :, None]


@twins
def test_im2col_by_hand(twin):
    x = img([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    np.testing.assert_array_equal(
        twin.im2col(x, 2, 2, 1, 1, "valid"),
        [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]])
    # 'same' 2x2 pads only bottom/right (TensorFlow's split)
    np.testing.assert_array_equal(
        twin.im2col(img([[1, 2], [3, 4]]), 2, 2, 1, 1, "same"),
        [[1, 2, 3, 4], [2, 0, 4, 0], [3, 4, 0, 0], [4, 0, 0, 0]])
    # 'same' 3x3 pads one on every side; row 0 is the window centred on pixel (0, 0)
    cols = twin.im2col(img([[1, 2], [3, 4]]), 3, 3, 1, 1, "same")
    np.testing.assert_array_equal(cols[0], [0, 0, 0, 0, 1, 2, 0, 3, 4])
    np.testing.assert_array_equal(cols[3], [1, 2, 0, 3, 4, 0, 0, 0, 0])
    # columns run (ki, kj, c): channels of a pixel stay together
    x = np.array([[[[1, 10], [2, 20]]]], dtype=np.float64)  # (1, 1, 2, 2)
    np.testing.assert_array_equal(twin.im2col(x, 1, 2, 1, 1, "valid"), [[1, 10, 2, 20]])
    # strides (2, 1), batch 2: rows run (n, oh, ow)
    x = np.stack([img([[1, 2], [3, 4], [5, 6]])[0], img([[7, 8], [9, 0], [1, 2]])[0]])
    np.testing.assert_array_equal(
        twin.im2col(x, 1, 1, 2, 1, "valid").ravel(), [1, 2, 5, 6, 7, 8, 1, 2])


@twins
def test_col2im_by_hand(twin):
    dx = twin.col2im(np.ones((4, 4)), (1, 3, 3, 1), 2, 2, 1, 1, "valid")
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    # padding cells are dropped: each pixel of a 2x2 image is in all four 3x3 windows
    dx = twin.col2im(np.ones((4, 9)), (1, 2, 2, 1), 3, 3, 1, 1, "same")
    np.testing.assert_array_equal(dx[0, :, :, 0], [[4, 4], [4, 4]])
    cols = np.arange(1.0, 5.0)[:, None] * np.ones((4, 4))  # row r holds r + 1
    dx = twin.col2im(cols, (1, 3, 3, 1), 2, 2, 1, 1, "valid")
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 3, 2], [4, 10, 6], [3, 7, 4]])


@twins
def test_maxpool_by_hand(twin):
    x = img([[1, 3, 2, 0],
             [4, 2, 1, 5],
             [0, 1, 7, 7],
             [2, 2, 6, 1]])
    y, argmax = twin.maxpool_forward(x, 2, 2, 2, 2, "valid")
    np.testing.assert_array_equal(y[0, :, :, 0], [[4, 5], [2, 7]])
    # window positions ki*KW + kj; the ties (2, 2) and (7, 7) keep the first
    np.testing.assert_array_equal(argmax[0, :, :, 0], [[2, 3], [2, 0]])
    dx = twin.maxpool_backward(img([[10, 20], [30, 40]]), argmax, x.shape, 2, 2, 2, 2, "valid")
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 0, 0, 0],
                                                   [10, 0, 0, 20],
                                                   [0, 0, 40, 0],
                                                   [30, 0, 0, 0]])
    # overlapping windows (stride 1 < kernel 2) add at the shared winner
    x = img([[1, 3, 2]])
    y, argmax = twin.maxpool_forward(x, 1, 2, 1, 1, "valid")
    np.testing.assert_array_equal(argmax.ravel(), [1, 0])
    dx = twin.maxpool_backward(img([[1, 1]]), argmax, x.shape, 1, 2, 1, 1, "valid")
    np.testing.assert_array_equal(dx.ravel(), [0, 2, 0])


@twins
def test_same_maxpool_padding_never_wins(twin):
    x = -img([[1, 2, 3], [4, 5, 6], [7, 8, 9]])  # all negative: a 0 from padding would win
    y, argmax = twin.maxpool_forward(x, 2, 2, 2, 2, "same")  # pads bottom/right
    np.testing.assert_array_equal(y[0, :, :, 0], [[-1, -3], [-7, -9]])
    np.testing.assert_array_equal(argmax[0, :, :, 0], [[0, 0], [0, 0]])
    x = img([[-4, -3], [-2, -1]])
    y, argmax = twin.maxpool_forward(x, 3, 3, 1, 1, "same")  # pads one on every side
    np.testing.assert_array_equal(y[0, :, :, 0], [[-1, -1], [-1, -1]])
    np.testing.assert_array_equal(argmax[0, :, :, 0], [[8, 7], [5, 4]])
    x = np.full((1, 2, 2, 1), -np.inf)  # even -inf beats padding
    y, argmax = twin.maxpool_forward(x, 3, 3, 1, 1, "same")
    np.testing.assert_array_equal(argmax[0, :, :, 0], [[4, 3], [1, 0]])


@twins
def test_maxpool_ties_pick_the_first_index(twin):
    x = np.zeros((2, 5, 5, 3))
    _, argmax = twin.maxpool_forward(x, 3, 2, 1, 2, "valid")
    assert (argmax == 0).all()
    _, argmax = twin.maxpool_forward(x, 3, 3, 2, 2, "same")  # PT = PL = 1 on 5x5
    # the first real cell of each window: (1, 1) at the top/left border, else (0, 0)
    np.testing.assert_array_equal(argmax[0, :, :, 0], [[4, 3, 3], [1, 0, 0], [1, 0, 0]])


def test_maxpool_nan_follows_the_reference_rule():
    """A NaN wins only as a window's first real pixel (then nothing beats it)."""
    x = img([[np.nan, 1, 2, np.nan], [0, 3, 4, 5]])
    for twin in TWINS:
        y, argmax = twin.maxpool_forward(x, 2, 2, 2, 2, "valid")
        np.testing.assert_array_equal(y.ravel(), [np.nan, 5])
        np.testing.assert_array_equal(argmax.ravel(), [0, 3])


@twins
def test_avgpool_by_hand(twin):
    x = img([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    y = twin.avgpool_forward(x, 2, 2, 1, 1, "valid")
    np.testing.assert_array_equal(y[0, :, :, 0], [[3, 4], [6, 7]])
    # 'same': padding cells are not counted (Keras/TensorFlow)
    y = twin.avgpool_forward(x, 2, 2, 2, 2, "same")
    np.testing.assert_array_equal(y[0, :, :, 0], [[3, 4.5], [7.5, 9]])
    dx = twin.avgpool_backward(np.ones((1, 2, 2, 1)), x.shape, 2, 2, 2, 2, "same")
    np.testing.assert_array_equal(dx[0, :, :, 0], [[.25, .25, .5], [.25, .25, .5], [.5, .5, 1]])


@twins
def test_valid_pooling_floors_and_the_last_row_gets_no_gradient(twin):
    x = np.random.default_rng(0).standard_normal((2, 15, 15, 3))
    y, argmax = twin.maxpool_forward(x, 2, 2, 2, 2, "valid")
    assert y.shape == (2, 7, 7, 3)
    for dx in (twin.maxpool_backward(np.ones_like(y), argmax, x.shape, 2, 2, 2, 2, "valid"),
               twin.avgpool_backward(np.ones_like(y), x.shape, 2, 2, 2, 2, "valid")):
        assert (dx[:, 14, :, :] == 0).all() and (dx[:, :, 14, :] == 0).all()
        np.testing.assert_allclose(dx.sum(), y.size)


@twins
def test_argmax_dtype(twin):
    x = np.random.default_rng(0).standard_normal((1, 12, 12, 2))
    _, argmax = twin.maxpool_forward(x, 3, 3, 1, 1, "same")
    assert argmax.dtype == np.int8
    _, argmax = twin.maxpool_forward(x, 12, 12, 1, 1, "valid")  # 144 positions > 127
    assert argmax.dtype == np.int32
    np.testing.assert_array_equal(argmax.ravel(), x.reshape(144, 2).argmax(axis=0))
    dx = twin.maxpool_backward(np.ones((1, 1, 1, 2)), argmax, x.shape, 12, 12, 1, 1, "valid")
    np.testing.assert_array_equal(dx, x == x.max(axis=(1, 2), keepdims=True))


# ---------------------------------------------------------------- arguments
def call(twin, name, x, KH, KW, SH, SW, padding):
    """Call kernel ``name`` of ``twin`` on image ``x`` with dummy gradients."""
    g = (KH, KW, SH, SW, padding)
    dy = np.zeros((1, 1, 1, 1))
    calls = {
        "im2col": lambda: twin.im2col(x, *g),
        "col2im": lambda: twin.col2im(np.zeros((1, 1)), x.shape, *g),
        "maxpool_forward": lambda: twin.maxpool_forward(x, *g),
        "maxpool_backward": lambda: twin.maxpool_backward(dy, dy.astype(np.int8), x.shape, *g),
        "avgpool_forward": lambda: twin.avgpool_forward(x, *g),
        "avgpool_backward": lambda: twin.avgpool_backward(dy, x.shape, *g),
    }
    return calls[name]()


@twins
@pytest.mark.parametrize("args, message", [
    ((3, 3, 1, 1, "valid"), "does not fit"),
    ((2, 2, 0, 1, "valid"), "strides must be positive"),
    ((2, 2, 1, 0, "same"), "strides must be positive"),
    ((2, 2, 1, 1, "full"), "'valid' or 'same'"),
])
def test_bad_geometry_is_an_error(twin, args, message):
    for name in ("im2col", "col2im", "maxpool_forward", "maxpool_backward",
                 "avgpool_forward", "avgpool_backward"):
        with pytest.raises(ValueError, match=message):
            call(twin, name, np.zeros((1, 2, 2, 1)), *args)


@twins
def test_gradients_of_the_wrong_shape_are_an_error(twin):
    """numba does not check indices, so the cpu twin checks shapes first."""
    x_shape, g = (2, 6, 6, 3), (2, 2, 2, 2, "valid")
    dy = np.zeros((2, 3, 2, 3))  # (2, 3, 3, 3) expected
    with pytest.raises((ValueError, IndexError)):
        twin.col2im(np.zeros((18, 11)), x_shape, *g)  # (18, 12) expected
    with pytest.raises((ValueError, IndexError)):
        twin.maxpool_backward(dy, dy.astype(np.int8), x_shape, *g)
    with pytest.raises((ValueError, IndexError)):
        twin.avgpool_backward(dy, x_shape, *g)


@twins
def test_padding_in_any_case(twin):
    x = np.random.default_rng(0).standard_normal((1, 5, 5, 2))
    np.testing.assert_array_equal(twin.im2col(x, 3, 3, 2, 2, "SAME"),
                                  twin.im2col(x, 3, 3, 2, 2, "same"))
    np.testing.assert_array_equal(twin.avgpool_forward(x, 2, 2, 2, 2, "Valid"),
                                  twin.avgpool_forward(x, 2, 2, 2, 2, "valid"))


@pytest.mark.parametrize("mode, twin", [("cpu", cpu), ("xp", xp), ("reference", reference),
                                        ("auto", cpu)])
def test_dispatcher_runs_the_chosen_twin(mode, twin, monkeypatch):
    calls = []

    def fake_im2col(*args):
        calls.append(args)
        return "ran"

    monkeypatch.setattr(twin, "im2col", fake_im2col)
    x = np.zeros((1, 3, 3, 1))
    with backend.kernels_scope(mode):
        assert kernels.im2col(x, 2, 2, 1, 1, "valid") == "ran"
    assert calls[0][1:] == (2, 2, 1, 1, "valid")


# ------------------------------------------------------------ threads
def test_kernels_agree_on_every_thread_count_and_refuse_a_bad_one(monkeypatch):
    """threads.THREADS only splits the prange loops: the numbers are the same on 1 or 2 threads."""
    import numba

    x = np.random.default_rng(0).standard_normal((3, 9, 9, 4)).astype("float32")
    expected_cols = reference.im2col(x, 3, 3, 1, 1, "same")
    expected_pool = reference.maxpool_forward(x, 2, 2, 2, 2, "valid")
    monkeypatch.setattr(threads, "THREADS", threads.THREADS)   # restored after the test
    monkeypatch.setattr(threads, "PARALLEL_MIN", 0)           # threads even for small arrays
    for n in range(1, numba.config.NUMBA_NUM_THREADS + 1):
        cpu.set_threads(n)
        assert threads.THREADS == n
        np.testing.assert_array_equal(cpu.im2col(x, 3, 3, 1, 1, "same"), expected_cols)
        y, argmax = cpu.maxpool_forward(x, 2, 2, 2, 2, "valid")
        np.testing.assert_array_equal(y, expected_pool[0])
        np.testing.assert_array_equal(argmax, expected_pool[1])
    for bad in (0, -1, 1.5, "two"):
        with pytest.raises(ValueError, match="set_threads: threads must be a whole number"):
            cpu.set_threads(bad)
    cpu.set_threads(numba.config.NUMBA_NUM_THREADS + 1)      # more than numba has: capped there
    assert threads.kernel_threads([x]) == numba.config.NUMBA_NUM_THREADS


@pytest.mark.parametrize("name", ["MINICNN_THREADS", "MINICNN_KERNEL_THREADS"])
def test_a_bad_thread_setting_is_named_on_import(name):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if "THREADS" not in k}
    env[name] = "lots"
    run = subprocess.run([sys.executable, "-c", "import minicnn.kernels.cpu"], env=env,
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert f"{name}: threads must be a whole number" in run.stderr


def test_small_kernels_run_on_one_thread():
    assert threads.kernel_threads([np.zeros(10), np.zeros((4, 4))]) == 1
    big = np.zeros(threads.PARALLEL_MIN, dtype=np.float32)
    assert threads.kernel_threads([big, 3]) == min(threads.THREADS,
                                                   __import__("numba").config.NUMBA_NUM_THREADS)


# ------------------------------------------------------------ bias + ReLU
@given(M=st.integers(1, 40), F=st.integers(1, 9), seed=st.integers(0, 2**16),
       dtype=st.sampled_from(["float32", "float64"]))
def test_bias_relu_twins_agree_and_work_in_place(M, F, seed, dtype):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((M, F)).astype(dtype)
    bias = rng.standard_normal(F).astype(dtype)
    expected = np.maximum(z + bias, 0)                          # what the layers did before
    for twin in TWINS:
        out = z.copy()
        assert twin.bias_relu(out, bias) is out                 # in place
        np.testing.assert_array_equal(out, expected)
        assert out.dtype == z.dtype


@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_relu_backward_twins_agree(shape, seed):
    rng = np.random.default_rng(seed)
    dy = rng.standard_normal(shape).astype("float32")
    y = np.maximum(rng.standard_normal(shape), 0).astype("float32")   # about half the units off
    for twin in TWINS:
        dz = twin.relu_backward(dy, y)
        assert dz.shape == dy.shape and dz.dtype == dy.dtype
        np.testing.assert_array_equal(dz, dy * (y > 0))


@twins
def test_relu_kernels_keep_nan(twin):
    """A NaN stays NaN forward (as np.maximum) and backward (NaN * 0, as TensorFlow's ReluGrad)."""
    z = np.array([[np.nan, -1.0, 2.0]], dtype="float32")
    np.testing.assert_array_equal(twin.bias_relu(z, np.zeros(3, "float32")), [[np.nan, 0, 2]])
    dy = np.array([np.nan, np.nan, 1.0, np.inf], dtype="float32")
    y = np.array([0.0, 1.0, 0.0, 0.0], dtype="float32")
    with np.errstate(invalid="ignore"):                         # inf * 0, on purpose
        np.testing.assert_array_equal(twin.relu_backward(dy, y), [np.nan, np.nan, 0, np.nan])


def test_relu_kernels_refuse_bad_shapes():
    with pytest.raises(ValueError, match="bias_relu: expected bias of shape"):
        cpu.bias_relu(np.zeros((2, 3), "float32"), np.zeros(4, "float32"))
    with pytest.raises(ValueError, match="relu_backward: expected y of shape"):
        cpu.relu_backward(np.zeros((2, 3), "float32"), np.zeros((3, 2), "float32"))
