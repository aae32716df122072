"""Which algorithm a convolution runs: im2col, Winograd F(2x2, 3x3) or F(4x4, 3x3).

The setting (``MINICNN_CONV_ALGORITHM`` at import, ``set_conv_algorithm`` later, both
also in ``minicnn.backend``):

- ``'auto'`` (the default): each layer, each pass (forward, input gradient, kernel
  gradient), by the rule of ``auto`` below, measured with ``benchmarks/conv_algorithms.py``;
- ``'im2col'``, ``'winograd2'``, ``'winograd4'``: forced for every layer Winograd can do.

Winograd does 3x3, stride-1 convolutions only; any other layer runs im2col whatever the
setting. ``Conv2D`` asks ``choose`` once per pass; its Keras arguments do not change.
"""
import contextlib
import os

ALGORITHMS = ("auto", "im2col", "winograd2", "winograd4")
TILE = {"winograd2": 2, "winograd4": 4}      # the output tile m of each Winograd algorithm
PASSES = ("forward", "dx", "dW")


def _checked(name, where):
    """``name`` when it is one of ``ALGORITHMS``, else an error naming ``where``."""
    if name not in ALGORITHMS:
        raise ValueError(f"{where} must be one of {ALGORITHMS}, got {name!r}")
    return name


ALGORITHM = _checked(os.environ.get("MINICNN_CONV_ALGORITHM", "auto"), "MINICNN_CONV_ALGORITHM")


def conv_algorithm():
    """The setting: ``'auto'``, ``'im2col'``, ``'winograd2'`` or ``'winograd4'``."""
    return ALGORITHM


def set_conv_algorithm(name):
    """Force a convolution algorithm for every layer it applies to, or ``'auto'``."""
    global ALGORITHM
    ALGORITHM = _checked(name, "set_conv_algorithm: the algorithm")


@contextlib.contextmanager
def conv_algorithm_scope(name):
    """Temporarily run another convolution algorithm (tests, benchmarks)."""
    old = conv_algorithm()
    set_conv_algorithm(name)
    try:
        yield
    finally:
        set_conv_algorithm(old)


def winograd_applies(kernel_size, strides):
    """Whether Winograd can do the layer: a 3x3 kernel at stride 1."""
    return tuple(kernel_size) == (3, 3) and tuple(strides) == (1, 1)


def choose(step, x_shape, filters, kernel_size, strides, padding, on_numpy=True):
    """The algorithm of one pass of one layer: ``'im2col'``, ``'winograd2'`` or ``'winograd4'``.

    Args:
        step: ``'forward'``, ``'dx'`` or ``'dW'``.
        x_shape: the layer's input ``(N, H, W, C)``.
        filters: ``F``.
        kernel_size, strides, padding: the layer's.
        on_numpy: the arrays are NumPy's (``'auto'`` was measured there; on CuPy it
            keeps im2col, one large cuBLAS product).
    """
    if step not in PASSES:
        raise ValueError(f"choose: step must be one of {PASSES}, got {step!r}")
    if not winograd_applies(kernel_size, strides):
        return "im2col"
    if ALGORITHM != "auto":
        return ALGORITHM
    if not on_numpy:
        return "im2col"
    N, H, W, C = x_shape
    if step != "dx" and padding == "valid":        # the map the pass cuts into tiles
        H, W = H - 2, W - 2
    return auto(step, N, H, W, C, filters)


def _waste(H, W, m):
    """How much larger than ``H x W`` the grid of ``m x m`` tiles covering it is."""
    return (-(-H // m) * m) * (-(-W // m) * m) / (H * W)


def auto(step, N, H, W, C, F):
    """The rule ``'auto'`` follows for a 3x3, stride-1 layer on NumPy arrays.

    ``H x W`` is the map the pass cuts into tiles: the output (``forward``, ``dW``), the
    input (``dx``). From the table of ``benchmarks/conv_algorithms.py`` in docs/winograd.md
    (5 interleaved repeats on a shared 2-core AMD EPYC, OpenBLAS' Haswell kernels, in a
    quiet spell: other processes took 1% of the CPUs; a first cut, to retune):

    - few channels (``C`` or ``F`` under 16: MNIST's and VGG16's first layers) or small
      maps (``H*W*C`` under 10,000: MNIST's 11x11x32 and 3x3x64): im2col, whose one
      product has ``9*C`` terms per output, wins or ties; Winograd's 36 have ``C`` each;
    - ``dW``: F(2x2) where ``C`` and ``F`` are at least 64 (1.1-1.9x faster than im2col on
      VGG16); F(4x4)'s tile sums run in float64-added slices (accuracy) and lose to it;
    - ``forward``, ``dx``: F(4x4) (1.7-2.7x faster than im2col on VGG16, 1.7-2x on the
      cats-vs-dogs net), unless its tile grid overhangs the map by 20% more than F(2x2)'s:
      VGG16's 18x18, 14x14 and 9x9 maps (20x20, 16x16, 12x12 of F(4x4) tiles) run F(2x2).

    The batch size ``N`` did not change the winner in the table (MNIST at 16, 64, 256).
    """
    if min(C, F) < 16 or H * W * C < 10_000:
        return "im2col"
    if step == "dW":
        return "winograd2" if min(C, F) >= 64 else "im2col"
    return "winograd2" if _waste(H, W, 4) > 1.2 * _waste(H, W, 2) else "winograd4"
