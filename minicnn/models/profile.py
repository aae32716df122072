"""``model.profile(x, y)``: where one step's time goes, layer by layer, without a profiler.

::

    model.profile(x_batch, y_batch)   # training steps of a compiled model (weights restored)
    model.profile(x_batch)            # inference: forward passes only
    MINICNN_PROFILE=1 python examples/mnist_convnet.py   # fit prints the table at its end

prints, for every layer (those inside a nested model too), its forward and backward
milliseconds per step, its share of the step, and for a convolution the algorithm each
pass ran (im2col or Winograd, ``kernels.conv_algorithm``); then the loss, the optimizer and
what is left (Python between the layers, the data).
"""
import functools
import os
import time

from ..callbacks import Callback
from ..kernels import conv_algorithm
from ..layers.base import format_shape
from ..layers.conv import Conv2D

TIMED = ("forward", "backward", "backward_preactivation")


class LayerTimer:
    """Inside the block, every call of a layer's forward and backward is timed, and of the
    ``extra`` ``(object, method name, label)`` (the loss's ``value_and_grad``, the
    optimizer's ``apply_gradients``).

    The methods are wrapped on the instances and put back on exit. ``seconds`` maps
    ``(object, 'forward' | 'backward' | method name)`` to the total, ``shapes`` a layer to
    the input shape of its last forward call.
    """

    def __init__(self, layers, extra=()):
        self.layers = [layer for layer in layers if not hasattr(layer, "walk_layers")]
        self.targets = [(layer, name) for layer in self.layers for name in TIMED
                        if hasattr(layer, name)] + [(obj, name) for obj, name, _ in extra]
        self.seconds, self.shapes, self.running = {}, {}, set()
        self.enabled = True

    def __enter__(self):
        for obj, name in self.targets:
            setattr(obj, name, self._timed(obj, name, getattr(obj, name)))
        return self

    def __exit__(self, *exc):
        for obj, name in self.targets:
            obj.__dict__.pop(name, None)             # the class's method shows again

    def _timed(self, obj, name, method):
        key = (id(obj), "backward" if name.startswith("backward") else name)

        @functools.wraps(method)
        def run(*args, **kwargs):
            if key in self.running or not self.enabled:   # backward_preactivation inside
                return method(*args, **kwargs)            # backward counts once
            if name == "forward":
                self.shapes[id(obj)] = tuple(args[0].shape)
            self.running.add(key)
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - start
                self.running.discard(key)
        return run

    def total(self, obj, kind):
        return self.seconds.get((id(obj), kind), 0.0)


def algorithms(layer, x_shape):
    """``'forward / dx / dW'`` algorithms a ``Conv2D`` runs for an input of ``x_shape``."""
    return " / ".join(conv_algorithm.choose(step, x_shape, layer.filters, layer.kernel_size,
                                            layer.strides, layer.padding)
                      for step in conv_algorithm.PASSES)


def profile(model, x, y=None, steps=3, print_fn=print):
    """Time ``steps`` steps on ``x`` (after one untimed warm-up step) and print the table.

    Args:
        model: a built model; with ``y``, it must be compiled.
        x: one batch ``(N, ...)``. y: its targets: training steps; ``None``: inference.
        steps: how many timed steps to average.

    Returns:
        The rows printed: ``[(name, forward_ms, backward_ms, share, algorithm), ...]``.
    """
    if y is not None and not model.compiled:
        raise RuntimeError("profile: with y, the model must be compiled (training steps); "
                           "call model.compile(...) first, or pass y=None for inference")
    if steps < 1:
        raise ValueError(f"profile: steps must be a positive int, got {steps!r}")
    training = y is not None
    saved = model.get_weights() if training else None
    optimizer = getattr(model, "optimizer", None)
    if training:            # a fresh optimizer of the same settings: the model's keeps its state
        model.optimizer = type(optimizer)(**optimizer.get_config())
    try:
        step = (lambda: model.train_on_batch(x, y)) if training else (
            lambda: model.predict_on_batch(x))
        step()                                        # numba, BLAS, allocator warm-up
        extra = [(model.loss_function, "value_and_grad", "loss"),
                 (model.optimizer, "apply_gradients", "optimizer")] if training else []
        timer = LayerTimer(model.walk_layers(), extra)
        with timer:
            start = time.perf_counter()
            for _ in range(steps):
                step()
            elapsed = (time.perf_counter() - start) / steps
    finally:
        if training:
            model.optimizer = optimizer
            model.set_weights(saved)
    return table(timer, elapsed, steps, print_fn, extra)


def table(timer, elapsed, steps, print_fn=print, extra=()):
    """Print the per-layer table of a ``LayerTimer`` over ``steps`` steps of ``elapsed`` s;
    ``extra``: the ``(object, method name, label)`` timed besides the layers."""
    training = bool(extra)
    width = 78
    mode = "training step" if training else "inference (forward)"
    print_fn(f"Profile: {elapsed * 1e3:,.1f} ms per {mode}, mean of {steps}")
    print_fn("_" * width)
    print_fn(f"{'Layer (type)':<32}{'forward ms':>11}{'backward ms':>12}{'share':>7}  algorithm")
    print_fn("=" * width)
    rows, layered = [], 0.0
    for layer in timer.layers:
        fwd, bwd = timer.total(layer, "forward") / steps, timer.total(layer, "backward") / steps
        layered += fwd + bwd
        algo = ""
        if isinstance(layer, Conv2D) and id(layer) in timer.shapes:
            algo = algorithms(layer, timer.shapes[id(layer)])
        name = f"{layer.name} ({type(layer).__name__})"
        rows.append((name, fwd * 1e3, bwd * 1e3, (fwd + bwd) / elapsed, algo))
        print_fn(f"{name[:31]:<32}{fwd * 1e3:>11.2f}{bwd * 1e3:>12.2f}"
                 f"{(fwd + bwd) / elapsed:>7.0%}  {algo}")
    print_fn("-" * width)
    for obj, name, what in extra:
        seconds = timer.total(obj, name) / steps
        layered += seconds
        label = f"{what}: {type(obj).__name__}"
        rows.append((label, seconds * 1e3, 0.0, seconds / elapsed, ""))
        print_fn(f"{label[:31]:<32}{seconds * 1e3:>11.2f}{'':>12}{seconds / elapsed:>7.0%}")
    rest = elapsed - layered
    label = "the rest (Python, data)"
    rows.append((label, rest * 1e3, 0.0, rest / elapsed, ""))
    print_fn(f"{label:<32}{rest * 1e3:>11.2f}{'':>12}{rest / elapsed:>7.0%}")
    print_fn("_" * width)
    if timer.shapes:
        first = next(iter(timer.shapes.values()))
        print_fn(f"batch input {format_shape(first)}; convolution algorithms: forward / dx / "
                 "dW (kernels.conv_algorithm)")
    return rows


def fit_callbacks(callbacks):
    """``fit``'s callbacks, with a ``ProfileCallback`` added when ``MINICNN_PROFILE=1``."""
    if os.environ.get("MINICNN_PROFILE", "0") not in ("0", "1"):
        raise ValueError(f"MINICNN_PROFILE must be 0 or 1, got "
                         f"{os.environ['MINICNN_PROFILE']!r}")
    return callbacks + [ProfileCallback()] if os.environ.get("MINICNN_PROFILE") == "1" \
        else callbacks


class ProfileCallback(Callback):
    """Times every training step of ``fit`` layer by layer (validation excluded) and prints
    ``profile``'s table when training ends; ``MINICNN_PROFILE=1`` adds it to every ``fit``."""

    def __init__(self, print_fn=print):
        super().__init__()
        self.print_fn = print_fn

    def on_train_begin(self, logs=None):
        model = self.model
        self.extra = [(model.loss_function, "value_and_grad", "loss"),
                      (model.optimizer, "apply_gradients", "optimizer")]
        self.timer = LayerTimer(model.walk_layers(), self.extra).__enter__()
        self.timer.enabled = False
        self.steps, self.elapsed = 0, 0.0

    def on_train_batch_begin(self, batch, logs=None):
        self.timer.enabled, self.start = True, time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.elapsed += time.perf_counter() - self.start
        self.steps += 1
        self.timer.enabled = False

    def on_train_end(self, logs=None):
        self.timer.__exit__(None, None, None)
        if self.steps:
            self.rows = table(self.timer, self.elapsed / self.steps, self.steps,
                              self.print_fn, self.extra)
