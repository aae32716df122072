"""Draw every figure of minicnn's docs from real MNIST digits (the bundled sample).

    python docs/make_figures.py                           # every figure into docs/figures (~20 s)
    python docs/make_figures.py --out /tmp/figs --quick   # RMSprop on a few hundred images

One function per figure, ``figure_<name>(out, ...)``: it computes with minicnn, draws
on a ``matplotlib.figure.Figure`` (the Agg canvas, never pyplot), saves
``<out>/<name>.png`` and returns the arrays it drew, so that
``tests/test_docs_figures.py`` can check each picture against the engine.
The digits come from ``mnist.load_sample()``: no network, nothing drawn by hand.
"""
import argparse
import functools
import os
import sys
import time

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from minicnn import backend, gradcheck, kernels, layers, losses, models
from minicnn.activations import Softmax
from minicnn.datasets import mnist
from minicnn.utils import to_categorical

HERE = os.path.dirname(os.path.abspath(__file__))
DIGIT = 0                 # index in the sample's training split: a handwritten 5
WINDOW = (7, 16)          # output pixel (oh, ow) whose window the im2col figure follows
DPI = 90                  # small PNGs: the figures are read on a screen
LR, RHO, EPS = 1e-3, 0.9, 1e-7          # RMSprop's defaults (Keras' and minicnn's)
BATCH_SIZE = 64
QUICK_IMAGES = 384        # --quick: 6 batches instead of the sample's 8,000 images (125)
ZOOM = (12, 12)           # top-left of the 8x8 crop the max-pooling figure enlarges
FIGURES = ("im2col", "conv_geometry", "conv_backward", "col2im_coverage", "maxpool",
           "rmsprop_steps", "softmax_crossentropy", "gradcheck", "symbolic_graph")


# ------------------------------------------------------------------ shared data
@functools.lru_cache(maxsize=1)
def sample():
    """The bundled MNIST sample as floats: ``x: (10000, 28, 28, 1)`` float32 in [0, 1],
    ``y: (10000,)`` uint8; the first 8,000 are the training split."""
    (x, y), (xt, yt) = mnist.load_sample()
    x = np.concatenate([x, xt]).reshape(-1, 28, 28, 1).astype("float32") / 255
    return x, np.concatenate([y, yt])


def digit(index=DIGIT):
    """One real digit as a batch of one: ``(1, 28, 28, 1)`` float32."""
    return sample()[0][index:index + 1].copy()


def sobel_kernel():
    """Four fixed 3x3 edge filters (Sobel's, /4), Keras' layout ``(KH, KW, C, F) = (3, 3, 1, 4)``.

    Filter 0 answers dark-to-bright from left to right, 1 from top to bottom, 2 and 3 along
    the diagonals. Fixed filters make the feature maps readable; a trained first layer
    learns similar ones.
    """
    v = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype="float32") / 4
    d = np.array([[-2, -1, 0], [-1, 0, 1], [0, 1, 2]], dtype="float32") / 4
    return np.stack([v, v.T, d, d[:, ::-1]], axis=-1)[:, :, None, :]


def edge_conv(strides=1, padding="valid", activation=None):
    """A ``Conv2D(4, 3)`` holding ``sobel_kernel()`` and a zero bias, built for ``(28, 28, 1)``."""
    conv = layers.Conv2D(4, (3, 3), strides=strides, padding=padding, activation=activation)
    conv.build((None, 28, 28, 1))
    conv.set_weights([sobel_kernel(), np.zeros(4, "float32")])
    return conv


def book_net():
    """The chapter's MNIST convnet (listing 5-2), compiled with ``rmsprop`` as in listing 5-3.

    Layer names restart at ``conv2d_1`` (``backend.clear_session()``), as in the book.
    """
    backend.clear_session()
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def smooth_curve(points, factor=0.8):
    """The chapter's exponential moving average (section 5.3): ``(B,)`` -> ``(B,)``."""
    smoothed = []
    for p in points:
        smoothed.append(smoothed[-1] * factor + p * (1 - factor) if smoothed else p)
    return np.array(smoothed)


def _save(fig, out, name):
    """Write ``fig`` as ``<out>/<name>.png`` at ``DPI``; returns the path."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, name + ".png")
    fig.savefig(path, dpi=DPI)
    return path


def _show(ax, image, title, cmap="gray", symmetric=False, **kw):
    """``imshow`` of ``image: (H, W)`` without ticks; ``symmetric`` centres a diverging map on 0."""
    if symmetric:
        m = float(np.abs(image).max()) or 1.0
        kw.update(vmin=-m, vmax=m)
        cmap = "RdBu_r"
    im = ax.imshow(image, cmap=cmap, interpolation="nearest", **kw)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return im


def _annotate(ax, values, fmt="{:.2f}", size=7, white_above=np.inf):
    """Write each value of ``values: (R, C)`` in its cell (NaN cells stay blank; white text
    where ``|value| > white_above``, on dark cells)."""
    for (i, j), v in np.ndenumerate(values):
        if np.isnan(v):
            continue
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=size,
                color="w" if abs(v) > white_above else "k")


def _box(ax, top, left, h, w, color="red"):
    """Outline the cells ``[top:top+h, left:left+w]`` of an ``imshow``."""
    ax.add_patch(Rectangle((left - .5, top - .5), w, h, fill=False, ec=color, lw=1.5))


# ------------------------------------------------------------------------ im2col
def figure_im2col(out):
    """Convolution as im2col plus one matrix product, on one digit.

    Returns:
        dict: ``digit (28, 28)``, ``cols (676, 9)`` = ``kernels.im2col`` of the digit,
        ``kernel_matrix (9, 4)`` = the kernel reshaped from ``(3, 3, 1, 4)``,
        ``z (676, 4)`` = ``cols @ kernel_matrix``, ``maps (26, 26, 4)`` = the ``Conv2D``
        output, ``window (oh, ow)``, ``row`` = ``oh*OW + ow`` and ``rows``, the slice of
        ``cols`` drawn (output row ``oh``: ``ow = 0..25``).
    """
    x = digit()
    conv = edge_conv()
    cols = kernels.im2col(x, 3, 3, 1, 1, "valid")             # (1*26*26, 3*3*1)
    K = conv.params["kernel"].reshape(-1, 4)                  # (3*3*1, 4)
    z = cols @ K                                              # (676, 4)
    maps = conv.forward(x)[0]                                 # (26, 26, 4)
    oh, ow = WINDOW
    row, rows = oh * 26 + ow, slice(oh * 26, oh * 26 + 26)
    fig = Figure(figsize=(11, 4.6))
    gs = fig.add_gridspec(2, 5, width_ratios=[1.5, .75, .75, .6, 2.2], wspace=.25, hspace=.3)
    ax = fig.add_subplot(gs[0, 0])
    _show(ax, x[0, :, :, 0], "x: one digit (28, 28, 1)")
    _box(ax, oh, ow, 3, 3)
    ax.axhspan(oh - .5, oh + 2.5, color="yellow", alpha=.15)
    ax = fig.add_subplot(gs[1, 0])
    _show(ax, x[0, oh:oh + 3, ow:ow + 3, 0], f"red window = row {row} of cols", vmin=-.3)
    _annotate(ax, x[0, oh:oh + 3, ow:ow + 3, 0], "{:.2f}", 8)
    ax = fig.add_subplot(gs[:, 1])
    _show(ax, cols[rows], f"cols = im2col(x)\n(676, 9): rows\n{rows.start}-{rows.stop - 1}",
          vmin=-.3, aspect="auto", extent=(-.5, 8.5, rows.stop - .5, rows.start - .5))
    _box(ax, row, 0, 1, 9)
    ax.set_yticks([rows.start, row, rows.stop - 1])
    ax.tick_params(labelsize=7)
    ax = fig.add_subplot(gs[:, 2])
    _show(ax, K, "@ kernel as\n(3*3*1, 4)", cmap="RdBu_r", vmin=-1.2, vmax=1.2)
    _annotate(ax, K, "{:.2g}", 7)
    ax = fig.add_subplot(gs[:, 3])
    _show(ax, z[rows], "= z\n(676, 4)", cmap="RdBu_r", vmin=-1.5, vmax=1.5, aspect="auto",
          extent=(-.5, 3.5, rows.stop - .5, rows.start - .5))
    _box(ax, row, 0, 1, 4, "k")
    ax.set_yticks([rows.start, row, rows.stop - 1])
    ax.tick_params(labelsize=7)
    sub = gs[:, 4].subgridspec(2, 2, hspace=.3, wspace=.05)
    names = ("left-right", "top-bottom", "diagonal", "anti-diagonal")
    for f in range(4):
        ax = fig.add_subplot(sub[f // 2, f % 2])
        _show(ax, maps[:, :, f], f"y[..., {f}]: {names[f]}", symmetric=True)
        ax.axhspan(oh - .5, oh + .5, color="yellow", alpha=.3)
        ax.plot(ow, oh, "k+", ms=9)
    fig.suptitle("Conv2D.forward: z = im2col(x) @ kernel.reshape(KH*KW*C, F), then "
                 "(N*OH*OW, F) -> (N, OH, OW, F); the band = output row %d" % oh, fontsize=10)
    fig.subplots_adjust(top=.83, bottom=.04, left=.03, right=.99)
    return {"digit": x[0, :, :, 0], "cols": cols, "kernel_matrix": K, "z": z, "maps": maps,
            "window": WINDOW, "row": row, "rows": rows, "path": _save(fig, out, "im2col")}


GEOMETRIES = (("valid", 1), ("same", 1), ("valid", 2), ("same", 2))


def figure_conv_geometry(out):
    """``padding`` and ``strides``: the same filter over the digit, four ways.

    Returns:
        dict: ``configs`` (the ``(padding, stride)`` pairs), ``geometry`` the
        ``conv_geometry(28, 28, 3, 3, s, s, padding)`` tuples ``(OH, OW, PT, PB, PL, PR)``,
        ``maps`` the ``Conv2D`` outputs of filter 0, each ``(OH, OW)``.
    """
    x = digit()
    geometry, maps = [], []
    fig = Figure(figsize=(11, 3.3))
    for i, (padding, s) in enumerate(GEOMETRIES):
        g = kernels.conv_geometry(28, 28, 3, 3, s, s, padding)
        y = edge_conv(s, padding).forward(x)[0, :, :, 0]
        geometry.append(g)
        maps.append(y)
        OH, _, PT, PB, _, _ = g
        rule = (f"(28 - 3) // {s} + 1 = {OH}" if padding == "valid"
                else f"ceil(28 / {s}) = {OH}, pad top {PT} bottom {PB}")
        ax = fig.add_subplot(1, 4, i + 1)
        _show(ax, y, f"padding='{padding}', strides={s}\n{rule}", symmetric=True)
        ax.set_xlabel(f"output {y.shape[0]}x{y.shape[1]}", fontsize=8)
    fig.suptitle("kernels.conv_geometry: one output-size rule for every layer "
                 "(filter 0 of the edge kernel on the digit)", fontsize=10)
    return {"configs": GEOMETRIES, "geometry": geometry, "maps": maps,
            "path": _save(fig, out, "conv_geometry")}


# -------------------------------------------------------------- conv backward
def figure_conv_backward(out):
    """``Conv2D.backward`` on the digit for ``L = sum(y**2) / 2`` (so ``dy = y``), and for one
    output pixel alone (``dy`` one-hot).

    Returns:
        dict: ``x (1, 28, 28, 1)``, ``cols (676, 9)``, ``dy (1, 26, 26, 4)`` = the
        forward output, ``dW (3, 3, 1, 4)``, ``db (4,)``, ``dx (1, 28, 28, 1)`` from
        ``Conv2D.backward``; ``kernel (3, 3, 1, 4)``; ``onehot (oh, ow, f)`` and
        ``dx_onehot (28, 28)`` the input gradient of that single output value.
    """
    x = digit()
    conv = edge_conv()
    dy = conv.forward(x, training=True)                         # L = sum(y**2)/2: dy = y
    dx = conv.backward(dy)
    dW, db = conv.grads["kernel"].copy(), conv.grads["bias"].copy()
    cols = kernels.im2col(x, 3, 3, 1, 1, "valid")
    oh, ow, f = WINDOW + (0,)
    one = np.zeros_like(dy)
    one[0, oh, ow, f] = 1
    conv.forward(x, training=True)
    dx_one = conv.backward(one)[0, :, :, 0]
    K = conv.params["kernel"]
    fig = Figure(figsize=(11, 3.8))
    gs = fig.add_gridspec(2, 5, width_ratios=[1, 1, 1, .55, .55], hspace=.45)
    _show(fig.add_subplot(gs[:, 0]), dy[0, :, :, 0], "dy = y, filter 0\n(26, 26)", symmetric=True)
    _show(fig.add_subplot(gs[:, 1]), dx[0, :, :, 0],
          "dx = col2im(dy @ W.T)\n(28, 28)", symmetric=True)
    ax = fig.add_subplot(gs[:, 2])
    zoom = dx_one[oh - 2:oh + 5, ow - 2:ow + 5]
    _show(ax, zoom, f"dx for dy one-hot at ({oh}, {ow}), f=0:\n"
          f"the filter, in its window (rows {oh - 2}-{oh + 4})", symmetric=True)
    _annotate(ax, zoom, "{:.2g}", 7)
    _box(ax, 2, 2, 3, 3, "k")
    for j in range(4):
        ax = fig.add_subplot(gs[j // 2, 3 + j % 2])
        _show(ax, dW[:, :, 0, j], f"dW[..., {j}]\ndb[{j}] = {db[j]:.1e}", symmetric=True)
    fig.suptitle("Conv2D.backward_preactivation: dW = cols.T @ dy, db = dy.sum(0), "
                 "dx = col2im(dy @ kernel.T)", fontsize=10)
    fig.subplots_adjust(top=.8, bottom=.03, left=.02, right=.98)
    return {"x": x, "cols": cols, "dy": dy, "dW": dW, "db": db, "dx": dx, "kernel": K.copy(),
            "onehot": (oh, ow, f), "dx_onehot": dx_one, "path": _save(fig, out, "conv_backward")}


COVERAGE = ((3, 1, "valid"), (3, 1, "same"), (3, 2, "same"), (2, 2, "valid"))


def figure_col2im_coverage(out):
    """``col2im(ones)``: how many windows cover each pixel of a 28x28 image.

    Returns:
        dict: ``configs`` the ``(K, S, padding)`` triples, ``counts`` one ``(28, 28)``
        array each: ``kernels.col2im`` of a ``(OH*OW, K*K)`` matrix of ones.
    """
    counts = []
    fig = Figure(figsize=(11, 5))
    for i, (k, s, padding) in enumerate(COVERAGE):
        OH, OW, *_ = kernels.conv_geometry(28, 28, k, k, s, s, padding)
        ones = np.ones((OH * OW, k * k), dtype="float32")          # (OH*OW, KH*KW*C)
        c = kernels.col2im(ones, (1, 28, 28, 1), k, k, s, s, padding)[0, :, :, 0]
        counts.append(c)
        ax = fig.add_subplot(2, 4, i + 1)
        title = f"{k}x{k}, strides {s}, '{padding}'\n{OH}x{OW} windows; at most {int(c.max())}"
        _show(ax, c, title, cmap="viridis", vmin=0, vmax=9)
        _box(ax, 0, 0, 7, 7, "w")
        ax = fig.add_subplot(2, 4, i + 5)
        _show(ax, c[:7, :7], "top-left 7x7", cmap="viridis", vmin=0, vmax=9)
        _annotate(ax, c[:7, :7], "{:.0f}", 8)
    fig.suptitle("kernels.col2im(ones): how many windows cover each pixel of a 28x28 input = "
                 "how many gradients add up there", fontsize=10)
    fig.subplots_adjust(top=.86, bottom=.02, hspace=.3)
    return {"configs": COVERAGE, "counts": counts, "path": _save(fig, out, "col2im_coverage")}


# ------------------------------------------------------------------- pooling
def figure_maxpool(out):
    """``MaxPooling2D((2, 2))`` forward and backward on a ReLU edge map of the digit, and an
    overlapping 3x3 / stride-2 pool whose windows can share a winner.

    Returns:
        dict: ``fmap (26, 26)`` the input (filter 0, ReLU), ``pooled (13, 13)``,
        ``argmax (13, 13)`` from ``kernels.maxpool_forward`` (``ki*KW + kj``),
        ``mask (26, 26)`` bool, true at each window's winner, ``dx (26, 26)``
        ``MaxPooling2D.backward`` of ``dy = ones``; ``dx_overlap (26, 26)`` the same for
        ``MaxPooling2D((3, 3), strides=2)``.
    """
    fmap = edge_conv(activation="relu").forward(digit())[:, :, :, :1]   # (1, 26, 26, 1)
    pool = layers.MaxPooling2D((2, 2))
    pooled = pool.forward(fmap, training=True)
    dx = pool.backward(np.ones_like(pooled))
    _, argmax = kernels.maxpool_forward(fmap, 2, 2, 2, 2, "valid")
    ki, kj = np.divmod(argmax[0, :, :, 0].astype(int), 2)
    mask = np.zeros((26, 26), bool)
    mask[2 * np.arange(13)[:, None] + ki, 2 * np.arange(13)[None, :] + kj] = True
    pool3 = layers.MaxPooling2D((3, 3), strides=2)
    dx3 = pool3.backward(np.ones_like(pool3.forward(fmap, training=True)))
    fig = Figure(figsize=(12, 3.3))
    ax = fig.add_subplot(1, 5, 1)
    _show(ax, fmap[0, :, :, 0], "x: ReLU edge map (26, 26)\n2x2 windows, dots = argmax",
          cmap="magma")
    for t in np.arange(2, 26, 2) - .5:
        ax.axhline(t, color="w", lw=.3)
        ax.axvline(t, color="w", lw=.3)
    r, c = np.nonzero(mask & (fmap[0, :, :, 0] > 0))
    ax.plot(c, r, "c.", ms=3)
    top, left = ZOOM
    _box(ax, top, left, 8, 8, "yellow")
    ax = fig.add_subplot(1, 5, 2)
    crop = fmap[0, top:top + 8, left:left + 8, 0]
    _show(ax, crop, f"zoom: rows {top}-{top + 7}, cols {left}-{left + 7}\nwinners boxed",
          cmap="magma", vmin=-.5 * crop.max())
    _annotate(ax, crop, "{:.2f}", 6)
    for i, j in zip(*np.nonzero(mask[top:top + 8, left:left + 8])):
        _box(ax, i, j, 1, 1, "c")
    for t in (1.5, 3.5, 5.5):
        ax.axhline(t, color="w", lw=1)
        ax.axvline(t, color="w", lw=1)
    _show(fig.add_subplot(1, 5, 3), pooled[0, :, :, 0], "y = max per window\n(13, 13)",
          cmap="magma")
    _show(fig.add_subplot(1, 5, 4), dx[0, :, :, 0],
          "dx for dy = 1: each window's\ngradient lands on its winner", cmap="gray_r")
    ax = fig.add_subplot(1, 5, 5)
    _show(ax, dx3[0, :, :, 0], f"3x3 windows, strides 2: overlap;\n"
          f"dx for dy = 1 up to {int(dx3.max())} (dark)", cmap="gray_r")
    fig.suptitle("MaxPooling2D: kernels.maxpool_forward keeps the argmax, maxpool_backward sends "
                 "dy there (ties, as in blank windows, go to the first cell)", fontsize=10)
    fig.subplots_adjust(top=.78, bottom=.02, left=.01, right=.99, wspace=.12)
    return {"fmap": fmap[0, :, :, 0], "pooled": pooled[0, :, :, 0],
            "argmax": argmax[0, :, :, 0], "mask": mask, "dx": dx[0, :, :, 0],
            "dx_overlap": dx3[0, :, :, 0], "path": _save(fig, out, "maxpool")}


# ------------------------------------------------------------------- RMSprop
def train_and_record(n_images, seed=0):
    """Train ``book_net()`` one epoch with ``train_on_batch`` (batch 64), recording RMSprop.

    After each batch, for every layer with weights, it reads each weight's gradient
    ``g = layer.grads[key]`` and RMSprop's running mean ``a = optimizer.state_for(w)['velocity']``
    (already updated with this ``g``) and takes the step sizes ``|lr * g / sqrt(a + eps)|``
    of all the layer's weights (kernel and bias together).

    Args:
        n_images: how many training images of the sample (8,000 for one epoch).

    Returns:
        dict: ``model``; ``n_images``; ``layers`` the L layer names; ``losses (B,)``;
        ``stats (B, L, 2)`` median and 90th percentile of the step sizes;
        ``stats_keras22 (B, L, 2)`` the same for Keras 2.2's ``lr * g / (sqrt(a) + eps)``
        from the same ``g`` and ``a``;
        ``hist`` ``{batch: (counts (60,), counts_keras22 (60,))}`` of ``log10`` step sizes
        over all weights, bins ``hist_edges (61,)``; ``records`` ``{batch: {(layer, key):
        {'g', 'a', 'w_before', 'w_after'}}}`` for the first and last batch.
    """
    backend.set_seed(seed)
    x_all, y_all = sample()
    order = np.random.default_rng(seed).permutation(min(n_images, 8000))
    x, y = x_all[order], to_categorical(y_all[order], 10)
    model = book_net()
    opt = model.optimizer                                       # RMSprop(LR, RHO, EPS)
    lr, eps = opt.learning_rate, opt.epsilon
    slots = [(layer, key) for layer in model.layers for key in layer.params]
    names = list(dict.fromkeys(layer.name for layer, _ in slots))
    B = -(-len(x) // BATCH_SIZE)
    watch = sorted({0, B // 2, B - 1})
    edges = np.linspace(-9, -1.5, 61)
    losses_, stats, stats22, hist, records = [], [], [], {}, {}
    for b in range(B):
        keep = b in (0, B - 1)
        before = {(l.name, k): l.params[k].copy() for l, k in slots} if keep else None
        losses_.append(model.train_on_batch(x[b * BATCH_SIZE:(b + 1) * BATCH_SIZE],
                                            y[b * BATCH_SIZE:(b + 1) * BATCH_SIZE])[0])
        steps = {n: [] for n in names}
        steps22 = {n: [] for n in names}
        for layer, key in slots:
            w = layer.params[key]
            g, a = layer.grads[key], opt.state_for(w)["velocity"]
            steps[layer.name].append(np.abs(lr * g / np.sqrt(a + eps)).ravel())
            steps22[layer.name].append(np.abs(lr * g / (np.sqrt(a) + eps)).ravel())
            if keep:
                records.setdefault(b, {})[(layer.name, key)] = {
                    "g": g.copy(), "a": a.copy(), "w_before": before[(layer.name, key)],
                    "w_after": w.copy()}
        per = [np.concatenate(steps[n]) for n in names]
        per22 = [np.concatenate(steps22[n]) for n in names]
        stats.append([np.percentile(s, [50, 90]) for s in per])
        stats22.append([np.percentile(s, [50, 90]) for s in per22])
        if b in watch:
            every, every22 = np.concatenate(per), np.concatenate(per22)
            hist[b] = tuple(np.histogram(np.log10(v[v > 0]), edges)[0] for v in (every, every22))
    return {"model": model, "n_images": len(x), "layers": names, "losses": np.array(losses_),
            "stats": np.array(stats), "stats_keras22": np.array(stats22), "hist": hist,
            "hist_edges": edges, "records": records}


def figure_rmsprop_steps(out, quick=False, seed=0):
    """RMSprop's per-weight step sizes while the book's net trains one epoch on the sample.

    Returns:
        ``train_and_record``'s dict (``quick``: ``QUICK_IMAGES`` images, else 8,000),
        plus ``path``.
    """
    rec = train_and_record(QUICK_IMAGES if quick else 8000, seed)
    stats, B = rec["stats"], len(rec["losses"])
    batches = np.arange(1, B + 1)
    fig = Figure(figsize=(13, 3.8))
    for panel, (q, what) in enumerate(((0, "median"), (1, "90th percentile"))):
        ax = fig.add_subplot(1, 4, panel + 1)
        for i, name in enumerate(rec["layers"]):
            ax.plot(batches, stats[:, i, q], color=f"C{i}", lw=.5, alpha=.4)
            ax.plot(batches, smooth_curve(stats[:, i, q]), color=f"C{i}", lw=1.5, label=name)
        for level, text in ((LR / np.sqrt(1 - RHO), "lr / sqrt(1 - rho)"), (LR, "lr")):
            ax.axhline(level, color="k", lw=.6, ls="--")
            ax.text(B, level * 1.08, text, ha="right", va="bottom", fontsize=7)
        ax.set_yscale("log")
        ax.set_ylim(3e-5, 5e-3)
        ax.set_xlabel("batch (64 images)", fontsize=8)
        ax.set_title(f"{what} of |lr * g / sqrt(a + eps)|\nper layer (bold: smoothed, 0.8)",
                     fontsize=9)
        ax.tick_params(labelsize=7)
        if panel == 0:
            ax.legend(fontsize=6, loc="lower left", ncol=2)
    ax = fig.add_subplot(1, 4, 3)
    centres = (rec["hist_edges"][1:] + rec["hist_edges"][:-1]) / 2
    for j, (b, (h, h22)) in enumerate(sorted(rec["hist"].items())):
        ax.semilogy(centres, h, color=f"C{j}", label=f"batch {b + 1}")
        ax.semilogy(centres, h22, color=f"C{j}", ls=":", lw=.8)
    ax.axvline(np.log10(LR / np.sqrt(1 - RHO)), color="k", lw=.6, ls="--")
    ax.set_xlabel("log10 step size, all weights", fontsize=8)
    ax.set_title("distribution of step sizes\n(dotted: Keras 2.2's g / (sqrt(a) + eps))",
                 fontsize=9)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    ax = fig.add_subplot(1, 4, 4)
    ax.plot(batches, rec["losses"], color="k", lw=.8)
    ax.set_xlabel("batch", fontsize=8)
    ax.set_title("training loss per batch\n(before each update)", fontsize=9)
    ax.tick_params(labelsize=7)
    fig.suptitle(f"RMSprop(lr={LR}, rho={RHO}, eps={EPS:g}) on the chapter's MNIST convnet, "
                 f"one epoch of {rec['n_images']:,} sample images", fontsize=10)
    fig.subplots_adjust(top=.8, bottom=.13, left=.04, right=.99, wspace=.25)
    return dict(rec, path=_save(fig, out, "rmsprop_steps"))


# ------------------------------------------------------ softmax, crossentropy
def figure_softmax_crossentropy(out, model=None):
    """Softmax + categorical crossentropy on real test digits: ``p``, ``y`` and ``(p - y) / N``.

    Args:
        model: a trained ``book_net()``; ``None`` trains one on ``QUICK_IMAGES`` images.

    Returns:
        dict: ``indices (8,)`` into the sample, ``images (8, 28, 28)``, ``p (8, 10)`` the
        model's softmax output, ``y (8, 10)`` one-hot labels, ``grad (8, 10)`` the
        fused gradient ``loss.fused_grad(y, p)`` at the logits, ``chain (8, 10)`` the same
        through ``value_and_grad`` and ``Softmax.backward``; for the clipping panel,
        ``p_true (200,)`` of a 2-class softmax, ``loss_curve``, ``fused_curve`` and
        ``chain_curve`` (each ``(200,)``, the logit gradient of the true class).
    """
    if model is None:
        model = train_and_record(QUICK_IMAGES)["model"]
    x_all, y_all = sample()
    xt, yt = x_all[8000:8300], to_categorical(y_all[8000:8300], 10)
    p_all = model.predict(xt, batch_size=300)
    worst = np.argsort(-(-np.log(np.clip((p_all * yt).sum(1), 1e-7, 1))))
    picks = [0, 1, 2, 3, 4] + [i for i in worst if i > 4][:3]
    idx = 8000 + np.array(picks)
    p, y = p_all[picks], yt[picks]
    loss = losses.CategoricalCrossentropy()
    grad = loss.fused_grad(y, p)
    chain = Softmax().backward(loss.value_and_grad(y, p)[1], p)
    # clipping: a 2-class softmax with logits (t, 0), the true class first
    t = np.linspace(-30, 8, 200)
    p2 = np.stack([1 / (1 + np.exp(-t)), 1 / (1 + np.exp(t))], axis=1)
    y2 = np.tile([1.0, 0.0], (len(t), 1))
    loss_curve = -np.log(np.clip(p2[:, 0], losses.EPSILON, 1 - losses.EPSILON))
    fused_curve = (p2 - y2)[:, 0]
    chain_curve = np.array([Softmax().backward(loss.value_and_grad(y2[i:i + 1], p2[i:i + 1])[1],
                                               p2[i:i + 1])[0, 0] for i in range(len(t))])
    fig = Figure(figsize=(11, 3.9))
    gs = fig.add_gridspec(1, 5, width_ratios=[.45, 1.3, 1.3, 1.3, 2.2], wspace=.35)
    _show(fig.add_subplot(gs[0]), np.concatenate(sample()[0][idx, :, :, 0]), "x")
    ax = fig.add_subplot(gs[1])
    _show(ax, p, "p = softmax(z)", cmap="Blues", vmin=0, vmax=1, aspect="auto")
    _annotate(ax, np.where(p >= .095, p, np.nan), "{:.1f}", 6, white_above=.6)
    _show(fig.add_subplot(gs[2]), y, "y (one-hot)", cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax = fig.add_subplot(gs[3])
    _show(ax, grad * len(p), f"(p - y) / N, times N = {len(p)}", symmetric=True, aspect="auto")
    _annotate(ax, np.where(np.abs(grad * len(p)) >= .095, grad * len(p), np.nan), "{:.1f}", 6,
              white_above=.6)
    for a in fig.axes[1:4]:
        a.set_xticks(range(10))
        a.tick_params(labelsize=6)
    ax = fig.add_subplot(gs[4])
    ax.semilogx(p2[:, 0], fused_curve, "C0", lw=2, label="fused: p - y (what training uses)")
    ax.semilogx(p2[:, 0], chain_curve, "C1--", label="clipped loss, then softmax backward")
    ax.set_ylabel("gradient at the true class's logit", fontsize=7)
    ax.axvline(losses.EPSILON, color="gray", lw=.6)
    ax.text(losses.EPSILON * 1.5, -.05, "p = 1e-7", fontsize=7, color="gray")
    twin = ax.twinx()
    twin.semilogx(p2[:, 0], loss_curve, "k:", lw=1)
    twin.set_ylabel("loss -log(clip(p)) (dotted)", fontsize=7)
    twin.tick_params(labelsize=7)
    ax.set_xlabel("p of the true class (2 classes)", fontsize=8)
    ax.set_title("below 1e-7 the clipped loss is flat,\nthe fused gradient keeps pulling",
                 fontsize=9)
    ax.legend(fontsize=6, loc="center left")
    ax.tick_params(labelsize=7)
    fig.suptitle("CategoricalCrossentropy.fused_grad: the gradient at the softmax's input is "
                 "(p - y) / N  (5 test digits, then the 3 worst of 300)", fontsize=10)
    fig.subplots_adjust(top=.8, bottom=.12, left=.02, right=.95)
    return {"indices": idx, "images": sample()[0][idx, :, :, 0], "p": p, "y": y, "grad": grad,
            "chain": chain, "p_true": p2[:, 0], "loss_curve": loss_curve,
            "fused_curve": fused_curve, "chain_curve": chain_curve,
            "path": _save(fig, out, "softmax_crossentropy")}


# ------------------------------------------------------------------ gradcheck
def figure_gradcheck(out):
    """``gradcheck`` on a ``Conv2D(3, 3, activation='tanh')`` over a 10x10 crop of the digit
    (float64): analytic against numeric gradients, and the error against ``eps``.

    Returns:
        dict: ``x (1, 10, 10, 1)`` float64, ``dy (1, 8, 8, 3)``; ``analytic`` and ``numeric``
        ``{'x', 'kernel', 'bias'}`` arrays (numeric at ``eps = 1e-6``); ``eps (12,)``;
        ``errors`` ``{'x', 'kernel'}`` each ``(12,)`` ``norm_rel_error`` per ``eps``.
    """
    with backend.floatx_scope("float64"):
        backend.set_seed(0)
        x = digit()[:, 10:20, 8:18].astype("float64")
        conv = layers.Conv2D(3, (3, 3), activation="tanh")
        y = conv.forward(x)
        dy = np.random.default_rng(0).standard_normal(y.shape)
        conv.params["bias"][:] = [.1, -.2, .3]
        analytic = gradcheck.layer_gradients(conv, x, dy)

        def numeric(eps):
            """Central differences at ``eps``: ``{'x', 'kernel', 'bias'}``, shapes as analytic."""
            f = lambda _: conv.forward(x)   # noqa: E731 (the value of the nudged array)
            return {"x": gradcheck.numeric_grad(f, x, dy, eps),
                    "kernel": gradcheck.numeric_grad(f, conv.params["kernel"], dy, eps),
                    "bias": gradcheck.numeric_grad(f, conv.params["bias"], dy, eps)}

        eps = 10.0 ** -np.arange(1, 13)
        sweep = [numeric(e) for e in eps]
        num = numeric(1e-6)
    errors = {k: np.array([gradcheck.norm_rel_error(analytic[k], s[k]) for s in sweep])
              for k in ("x", "kernel")}
    fig = Figure(figsize=(10, 3.8))
    ax = fig.add_subplot(1, 2, 1)
    for k, m in (("x", "o"), ("kernel", "s"), ("bias", "^")):
        ax.plot(num[k].ravel(), analytic[k].ravel(), m, ms=3, label=k, alpha=.7)
    lim = max(np.abs(num[k]).max() for k in num) * 1.1
    ax.plot([-lim, lim], [-lim, lim], "k", lw=.5)
    ax.set_xlabel("numeric (central differences, eps = 1e-6)", fontsize=8)
    ax.set_ylabel("analytic (Conv2D.backward)", fontsize=8)
    ax.set_title("every gradient value on the diagonal", fontsize=9)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    ax = fig.add_subplot(1, 2, 2)
    for k in errors:
        ax.loglog(eps, errors[k], "o-", ms=3, label=k)
    ax.axhline(1e-6, color="gray", lw=.6, ls="--")
    ax.text(eps[-1], 1.5e-6, "the tests' tolerance", fontsize=7, ha="right")
    ax.invert_xaxis()
    ax.set_xlabel("eps", fontsize=8)
    ax.set_ylabel("norm_rel_error", fontsize=8)
    ax.set_title("too big: truncation error; too small: rounding", fontsize=9)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    fig.suptitle("gradcheck on Conv2D(3, 3, activation='tanh') over a 10x10 crop of the digit "
                 "(float64)", fontsize=10)
    fig.subplots_adjust(wspace=.3, bottom=.15, top=.85)
    return {"x": x, "dy": dy, "analytic": analytic, "numeric": num, "eps": eps,
            "errors": errors, "path": _save(fig, out, "gradcheck")}


# ------------------------------------------------------------------ winograd
WINOGRAD_TILE = (1, 4)    # (th, tw) of the F(4x4, 3x3) tile the Winograd figure follows


def figure_winograd_tiles(out):
    """Winograd's transforms on one tile of the digit, for F(2x2, 3x3) and F(4x4, 3x3).

    Filter 0 of ``sobel_kernel()`` (left-right edges) on the digit, ``'valid'``. The
    F(4x4) tile ``WINOGRAD_TILE`` covers outputs rows 4-7, columns 16-19; the F(2x2) tile
    is the one holding the same top-left output.

    Returns:
        dict: ``digit (28, 28)``; per tile size ``m`` (2, 4): ``patch (A, A)`` the input
        tile, ``V = BT d BT.T``, ``U = G g G.T``, ``M = U * V`` (all ``(A, A)``),
        ``Y = AT M AT.T`` and ``direct`` (both ``(m, m)``), ``top_left`` of the output tile,
        ``maps`` the whole ``(26, 26)`` map by ``kernels.winograd_forward`` and ``im2col``
        the same by ``Conv2D`` with im2col.
    """
    from minicnn.kernels.winograd import matrices

    x = digit().astype("float64")
    g = sobel_kernel()[:, :, :, :1].astype("float64")               # (3, 3, 1, 1)
    with backend.conv_algorithm_scope("im2col"):
        conv = layers.Conv2D(1, (3, 3), use_bias=False, dtype="float64")
        conv.build((None, 28, 28, 1))
        conv.set_weights([g])
        im2col_map = conv.forward(x)[0, :, :, 0]
    oh, ow = WINOGRAD_TILE[0] * 4, WINOGRAD_TILE[1] * 4
    result = {"digit": x[0, :, :, 0]}
    fig = Figure(figsize=(12, 5))
    names = ("input tile d", "V = BT d BT.T", "U = G g G.T", "M = U * V",
             "Y = AT M AT.T", "direct: windows . g")
    for row, m in enumerate((2, 4)):
        BT, G, AT = matrices(m)
        A = m + 2
        d = x[0, oh:oh + A, ow:ow + A, 0]                            # the tile: rows oh..oh+A-1
        V, U = BT @ d @ BT.T, G @ g[:, :, 0, 0] @ G.T
        M = U * V
        Y = AT @ M @ AT.T
        direct = np.array([[np.sum(d[i:i + 3, j:j + 3] * g[:, :, 0, 0]) for j in range(m)]
                           for i in range(m)])
        maps = kernels.winograd_forward(x, g, m, "valid")[0, :, :, 0]
        result[m] = {"patch": d, "V": V, "U": U, "M": M, "Y": Y, "direct": direct,
                     "top_left": (oh, ow), "maps": maps, "im2col": im2col_map}
        ax = fig.add_subplot(2, 7, 7 * row + 1)
        _show(ax, x[0, :, :, 0], f"F({m}x{m}, 3x3): {A}x{A} tiles\nevery {m} pixels")
        for t in range(0, 26, m):
            ax.axhline(t - .5, color="c", lw=.3)
            ax.axvline(t - .5, color="c", lw=.3)
        _box(ax, oh, ow, A, A)
        for k, (name, a) in enumerate(zip(names, (d, V, U, M, Y, direct))):
            ax = fig.add_subplot(2, 7, 7 * row + 2 + k)
            _show(ax, a, f"{name}\n({a.shape[0]}, {a.shape[1]})", symmetric=k > 0)
            if m == 2 or k >= 4:
                _annotate(ax, a, "{:.2f}", 6 if m == 4 else 7)
    fig.suptitle(f"Winograd on one tile of the digit, filter 0 (left-right edges): {16} "
                 f"and {36} products per tile instead of 36 and 144", fontsize=10)
    fig.subplots_adjust(top=.85, bottom=.02, left=.02, right=.98, wspace=.25, hspace=.35)
    result["path"] = _save(fig, out, "tiles")
    return result


WINOGRAD_SHAPES = {       # (N, H, W, C, F, padding): the chapter's layers, a sample or two
    "MNIST conv1": (8, 28, 28, 1, 32, "valid"),
    "MNIST conv2": (8, 13, 13, 32, 64, "valid"),
    "MNIST conv3": (8, 5, 5, 64, 64, "valid"),
    "cats conv2": (1, 74, 74, 32, 64, "valid"),
    "cats conv4": (2, 17, 17, 128, 128, "valid"),
    "VGG block1": (1, 75, 75, 64, 64, "same"),
    "VGG block2": (1, 37, 37, 128, 128, "same"),
    "VGG block3": (1, 37, 37, 256, 256, "same"),
    "VGG block4": (1, 18, 18, 512, 512, "same"),
}


def figure_winograd_error(out):
    """Relative L2 error of float32 convolutions against float64 im2col, per pass.

    MNIST conv1 reads real digits; the other layers ReLU'd normal numbers (what a ReLU
    layer passes on), kernels He-normal, ``dy`` normal.

    Returns:
        dict: ``layers`` the names, ``algorithms`` ``('im2col', 'winograd2', 'winograd4')``,
        ``passes`` ``('forward', 'dx', 'dW')``, ``errors (layers, 3, 3)``.
    """
    from minicnn.kernels import cpu

    algorithms, passes = ("im2col", "winograd2", "winograd4"), ("forward", "dx", "dW")
    rng = np.random.default_rng(0)
    errors = np.zeros((len(WINOGRAD_SHAPES), 3, 3))
    for i, (N, H, W, C, F, padding) in enumerate(WINOGRAD_SHAPES.values()):
        x = sample()[0][:N].astype("float64") if C == 1 else np.maximum(
            rng.standard_normal((N, H, W, C)), 0)
        g = rng.standard_normal((3, 3, C, F)) * np.sqrt(2 / (9 * C))
        cols = cpu.im2col(x, 3, 3, 1, 1, padding)
        OH, OW = kernels.conv_geometry(H, W, 3, 3, 1, 1, padding)[:2]
        dy = rng.standard_normal((N, OH, OW, F))
        exact = ((cols @ g.reshape(-1, F)).reshape(dy.shape),
                 cpu.col2im(dy.reshape(-1, F) @ g.reshape(-1, F).T, x.shape, 3, 3, 1, 1, padding),
                 cols.T @ dy.reshape(-1, F))
        x32, g32, dy32 = x.astype("float32"), g.astype("float32"), dy.astype("float32")
        for a, algorithm in enumerate(algorithms):
            with backend.floatx_scope("float32"), backend.conv_algorithm_scope(algorithm):
                conv = layers.Conv2D(F, (3, 3), padding=padding, use_bias=False)
                conv.build((None, H, W, C))
                conv.set_weights([g32])
                y = conv.forward(x32, training=True)
                dx = conv.backward(dy32)
                got = (y, dx, conv.grads["kernel"].reshape(-1, F))
            for p in range(3):
                errors[i, a, p] = np.linalg.norm(got[p] - exact[p]) / np.linalg.norm(exact[p])
    fig = Figure(figsize=(11, 3.6))
    for p, name in enumerate(passes):
        ax = fig.add_subplot(1, 3, p + 1)
        where = np.arange(len(WINOGRAD_SHAPES))
        for a, algorithm in enumerate(algorithms):
            ax.bar(where + (a - 1) * .27, errors[:, a, p], .27, label=algorithm)
        ax.axhline(2e-6, color="k", lw=.8, ls="--", label="2e-6, what the tests hold")
        ax.set_yscale("log")
        ax.set_ylim(3e-8, 4e-6)
        ax.set_xticks(where)
        ax.set_xticklabels(list(WINOGRAD_SHAPES), rotation=60, ha="right", fontsize=7)
        ax.set_title(f"{name}: relative L2 error vs float64", fontsize=9)
        if p == 0:
            ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("float32 convolutions through Conv2D against float64 im2col, on the chapter's "
                 "layer shapes", fontsize=10)
    fig.subplots_adjust(bottom=.33, top=.84, left=.06, right=.99, wspace=.25)
    return {"layers": list(WINOGRAD_SHAPES), "algorithms": algorithms, "passes": passes,
            "errors": errors, "path": _save(fig, out, "error")}


def make_winograd(out):
    """The Winograd page's figures into ``out`` (``docs/figures/winograd``)."""
    return {"tiles": figure_winograd_tiles(out), "error": figure_winograd_error(out)}


# ---------------------------------------------------------------------- main
def make_all(out, quick=False):
    """Draw every figure into ``out``; returns ``{name: the figure's dict}`` (``FIGURES`` order)."""
    results = {}
    for name in FIGURES:
        start = time.time()
        if name == "rmsprop_steps":
            results[name] = figure_rmsprop_steps(out, quick)
        elif name == "softmax_crossentropy":
            results[name] = figure_softmax_crossentropy(out, results["rmsprop_steps"]["model"])
        elif name == "symbolic_graph":
            sys.path.insert(0, HERE)                 # docs/ is not a package
            from figure_symbolic import figure_symbolic_graph

            results[name] = figure_symbolic_graph(out, _save)
        else:
            results[name] = globals()["figure_" + name](out)
        path = results[name]["path"]
        print(f"{path}  {os.path.getsize(path) / 1024:.0f} KiB  {time.time() - start:.1f} s")
    return results


def main(argv=None):
    """Command line: ``--out`` folder (default ``docs/figures``), ``--quick``; returns
    ``make_all``'s dict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "figures"))
    parser.add_argument("--quick", action="store_true",
                        help=f"train RMSprop's figure on {QUICK_IMAGES} images, not 8,000")
    args = parser.parse_args(argv)
    results = make_all(args.out, args.quick)
    make_winograd(os.path.join(args.out, "winograd"))          # docs/winograd.md's
    return results


if __name__ == "__main__":
    main()
