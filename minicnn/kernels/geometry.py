"""Output size and padding of a sliding window: the one helper every kernel uses."""
import numpy


def normalize_padding(padding):
    """``'valid'`` or ``'same'`` (any case); anything else is a ``ValueError``."""
    value = str(padding).lower()
    if value not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return value


def conv_geometry(H, W, KH, KW, SH, SW, padding):
    """Output size and zero padding of a KHxKW window sliding with strides (SH, SW).

    ``'valid'``: no padding, ``OH = (H - KH) // SH + 1`` (the window must fit).
    ``'same'``: ``OH = ceil(H / SH)``; the padding needed is split as TensorFlow
    does, the extra pixel going to the bottom (right).

    Returns:
        ``(OH, OW, PT, PB, PL, PR)``, all ints.
    """
    padding = normalize_padding(padding)
    if H < 1 or W < 1:
        raise ValueError(f"input height and width must be positive, got ({H}, {W})")
    if KH < 1 or KW < 1:
        raise ValueError(f"window size must be positive, got ({KH}, {KW})")
    if SH < 1 or SW < 1:
        raise ValueError(f"strides must be positive, got ({SH}, {SW})")
    if padding == "valid":
        if KH > H or KW > W:
            raise ValueError(
                f"a {KH}x{KW} window does not fit a {H}x{W} input with padding='valid'")
        return (H - KH) // SH + 1, (W - KW) // SW + 1, 0, 0, 0, 0
    OH, OW = -(-H // SH), -(-W // SW)
    pad_h = max((OH - 1) * SH + KH - H, 0)
    pad_w = max((OW - 1) * SW + KW - W, 0)
    return OH, OW, pad_h // 2, pad_h - pad_h // 2, pad_w // 2, pad_w - pad_w // 2


def argmax_dtype(KH, KW):
    """The compact integer type of max-pooling's argmax: int8 when it fits."""
    return numpy.int8 if KH * KW <= 127 else numpy.int32
