"""Conv2D: a 2D convolution as im2col plus one matrix product, or Winograd's for 3x3 stride 1."""
from .. import activations, initializers, kernels
from ..kernels import conv_algorithm
from ..backend import get_array_module
from .base import NO_REGULARIZERS, Layer, normalize_tuple


def check_channels_last(layer, data_format):
    """minicnn is NHWC only; say so plainly for ``data_format='channels_first'``."""
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{type(layer).__name__}: only data_format='channels_last' (NHWC) "
                         f"is supported, got {data_format!r}")


def output_geometry(layer, H, W, KH, KW, SH, SW, padding):
    """``kernels.conv_geometry`` with the layer named in any error."""
    try:
        return kernels.conv_geometry(H, W, KH, KW, SH, SW, padding)
    except ValueError as e:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': {e}") from None


def spatial_output_shape(layer, input_shape, window, strides, padding, channels):
    """``(None, OH, OW, channels)`` for a sliding window; unknown sizes stay ``None``."""
    _, H, W, _ = input_shape
    OH = OW = None
    if H is not None and W is not None:
        OH, OW, *_ = output_geometry(layer, H, W, *window, *strides, padding)
    elif H is not None or W is not None:
        known = H if H is not None else W
        k, s = (window[0], strides[0]) if H is not None else (window[1], strides[1])
        n, *_ = output_geometry(layer, known, known, k, k, s, s, padding)
        OH, OW = (n, None) if H is not None else (None, n)
    return (input_shape[0], OH, OW, channels)


# im2col matrices (and Winograd's tiles) larger than this are built a few samples at a time
WORKSPACE_BYTES = 128 * 2**20


class Conv2D(Layer):
    """2D convolution over NHWC images, with an optional fused activation.

    ``y = activation(im2col(x) @ kernel.reshape(KH*KW*C, F) + bias)``, or the same
    convolution by Winograd's F(2x2, 3x3) or F(4x4, 3x3) for a 3x3, stride-1 layer, as
    ``minicnn.backend.set_conv_algorithm`` says (``'auto'``: by the layer's shape).

    Args:
        filters: number of output channels ``F``.
        kernel_size: int or ``(KH, KW)``.
        strides: int or ``(SH, SW)``.
        padding: ``'valid'`` (no padding) or ``'same'`` (output ``ceil(H / SH)``;
            TensorFlow's split, the extra pixel at the bottom/right).
        activation: ``'relu'``, ``'sigmoid'``, ``'softmax'``, ``'tanh'``, ``'linear'`` or ``None``.
        use_bias: add a bias per filter.
        kernel_initializer, bias_initializer: names or initializers.
        data_format: ``None`` or ``'channels_last'`` (minicnn is NHWC only).
        dilation_rate: ``(1, 1)`` only (Keras' default); others are refused.
        **kwargs: ``input_shape=(28, 28, 1)`` for the first layer (listing 5-1), ``name``,
            ``trainable``, ``dtype`` (see ``Layer``).

    Weights: ``kernel (KH, KW, C, F)``, ``bias (F,)``, Keras' layout.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, F)``.
    """

    input_ndim = 4

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        check_channels_last(self, data_format)
        if normalize_tuple(dilation_rate, 2, "dilation_rate", self) != (1, 1):
            raise ValueError(f"Conv2D '{self.name}': dilation_rate other than 1 is not supported, "
                             f"got {dilation_rate!r}")
        if not isinstance(filters, int) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"Conv2D '{self.name}': filters must be a positive int, got {filters!r}")
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, 2, "kernel_size", self)
        self.strides = normalize_tuple(strides, 2, "strides", self)
        try:
            self.padding = kernels.normalize_padding(padding)
        except ValueError as e:
            raise ValueError(f"Conv2D '{self.name}': {e}") from None
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer

    def build(self, input_shape):
        super().build(input_shape)
        C = input_shape[-1]
        if C is None:
            raise ValueError(f"Conv2D '{self.name}': the channel axis of the input must be known")
        self.add_weight("kernel", self.kernel_size + (C, self.filters), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)

    def input_spec(self):
        return (None, None, None, self.params["kernel"].shape[2])

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": "channels_last", "dilation_rate": [1, 1],
                "activation": self.activation.name, "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                **NO_REGULARIZERS}

    def compute_output_shape(self, input_shape):
        return spatial_output_shape(self, tuple(input_shape), self.kernel_size, self.strides,
                                    self.padding, self.filters)

    def forward(self, x, training=False):
        """``x: (N, H, W, C)`` -> ``y: (N, OH, OW, F)``; keeps ``x``, ``y`` (and ``cols``) for backward.

        The algorithm is ``kernels.conv_algorithm.choose``'s (im2col, or Winograd for a 3x3,
        stride-1 layer). im2col's matrix is kept for the weight gradient when training a
        layer whose ``cols`` fit ``WORKSPACE_BYTES`` and whose weight gradient runs im2col
        too; otherwise it is built a few samples at a time (and rebuilt by backward), so
        memory stays bounded at any batch size. Winograd keeps nothing but ``x``: backward
        transforms its tiles again.
        """
        x = self._prepare(x)
        N, H, W, _ = x.shape
        (KH, KW), (SH, SW), F = self.kernel_size, self.strides, self.filters
        OH, OW, *_ = output_geometry(self, H, W, KH, KW, SH, SW, self.padding)
        algorithm = self._algorithm("forward", x)
        cols = None
        if algorithm != "im2col":
            z = self._winograd_forward(x, conv_algorithm.TILE[algorithm], OH, OW)
        else:
            kernel = self.params["kernel"].reshape(-1, F)         # (KH*KW*C, F)
            chunk = self._chunk(x.shape, OH, OW)
            if (chunk >= N and training and self._keep_cache and self._wants_grad("kernel")
                    and self._algorithm("dW", x) == "im2col"):
                cols = kernels.im2col(x, KH, KW, SH, SW, self.padding)  # (N*OH*OW, KH*KW*C)
                z = kernels.matmul(cols, kernel)                     # (N*OH*OW, F)
            else:
                xp = get_array_module(x)
                z = xp.empty((N * OH * OW, F), dtype=x.dtype)
                for n0 in range(0, N, chunk):                        # a few samples at a time
                    rows = slice(n0 * OH * OW, min(n0 + chunk, N) * OH * OW)
                    part = kernels.im2col(x[n0:n0 + chunk], KH, KW, SH, SW, self.padding)
                    kernels.matmul(part, kernel, out=z[rows])
        y = self.activation.forward_biased(
            z, self.params["bias"] if self.use_bias else None).reshape(N, OH, OW, F)
        self._cache = (x, cols, y) if self._keep_cache else None
        return y

    def _algorithm(self, step, x):
        """``'im2col'``, ``'winograd2'`` or ``'winograd4'`` for pass ``step`` on input ``x``."""
        return conv_algorithm.choose(step, x.shape, self.filters, self.kernel_size, self.strides,
                                     self.padding, get_array_module(x).__name__ == "numpy")

    def _chunk(self, x_shape, OH, OW):
        """How many samples' im2col matrices fit in ``WORKSPACE_BYTES`` (at least 1)."""
        KH, KW = self.kernel_size
        per_sample = OH * OW * KH * KW * x_shape[3] * self.params["kernel"].itemsize
        return max(1, WORKSPACE_BYTES // max(per_sample, 1))

    def _winograd_chunk(self, x_shape, m):
        """How many samples' Winograd tiles fit in ``WORKSPACE_BYTES`` (at least 1).

        A pass holds the transformed tiles of its input and of its result, ``(m+2)^2``
        numbers per tile and channel, ``C + F`` channels; ``H x W`` tiles the largest pass
        (the input gradient's).
        """
        _, H, W, C = x_shape
        per_sample = (m + 2) ** 2 * -(-H // m) * -(-W // m) * (C + self.filters)
        return max(1, WORKSPACE_BYTES // max(per_sample * self.params["kernel"].itemsize, 1))

    def _winograd_forward(self, x, m, OH, OW):
        """``z: (N*OH*OW, F)`` by F(m x m, 3 x 3), a chunk of samples at a time."""
        N, F = x.shape[0], self.filters
        z = get_array_module(x).empty((N * OH * OW, F), dtype=x.dtype)
        y = z.reshape(N, OH, OW, F)
        chunk = self._winograd_chunk(x.shape, m)
        for n0 in range(0, N, chunk):
            kernels.winograd_forward(x[n0:n0 + chunk], self.params["kernel"], m, self.padding,
                                     out=y[n0:n0 + chunk])
        return z

    def backward(self, dy, need_dx=True):
        """``dy: (N, OH, OW, F)`` -> ``dx: (N, H, W, C)``; fills ``grads['kernel']``, ``grads['bias']``.

        ``need_dx=False`` (the model's first layer, in training) skips ``dx``: returns ``None``.
        """
        y = self._cached()[2]
        dy = self._prepare_dy(dy, y.shape, y.dtype)
        return self.backward_preactivation(self.activation.backward(dy, y), need_dx)

    def backward_preactivation(self, dz, need_dx=True):
        """Backward from the gradient w.r.t. the pre-activation ``z``: ``(N, OH, OW, F)``.

        Each gradient runs the algorithm ``_algorithm`` picks for it (``'dW'``, ``'dx'``).
        """
        x, cols, y = self._cached()
        N, OH, OW, F = y.shape
        (KH, KW), (SH, SW) = self.kernel_size, self.strides
        xp = get_array_module(dz)
        dz4 = dz.reshape(N, OH, OW, F)
        dz = dz.reshape(-1, F)                                    # (N*OH*OW, F)
        kernel = self.params["kernel"].reshape(-1, F)             # (KH*KW*C, F)
        chunk = N if cols is not None else self._chunk(x.shape, OH, OW)
        if self._wants_grad("kernel"):
            dW = self.grads["kernel"].reshape(-1, F)
            algorithm = "im2col" if cols is not None else self._algorithm("dW", x)
            if cols is not None:
                kernels.matmul(cols.T, dz, out=dW)                # dW = cols^T dz
            elif algorithm == "im2col":
                dW[...] = 0
                for n0 in range(0, N, chunk):                     # the same, a chunk at a time
                    rows = slice(n0 * OH * OW, min(n0 + chunk, N) * OH * OW)
                    part = kernels.im2col(x[n0:n0 + chunk], KH, KW, SH, SW, self.padding)
                    dW += kernels.matmul(part.T, dz[rows])
            else:
                m = conv_algorithm.TILE[algorithm]
                step = self._winograd_chunk(x.shape, m)
                dW[...] = 0
                for n0 in range(0, N, step):
                    dW += kernels.winograd_backward_kernel(
                        x[n0:n0 + step], dz4[n0:n0 + step], m, self.padding).reshape(-1, F)
        if self.use_bias and self._wants_grad("bias"):
            dz.sum(axis=0, out=self.grads["bias"])                # db = sum dz
        if not need_dx:
            return None
        algorithm = self._algorithm("dx", x)
        if algorithm != "im2col":
            m = conv_algorithm.TILE[algorithm]
            step = self._winograd_chunk(x.shape, m)
            dx = xp.empty(x.shape, dtype=x.dtype)
            for n0 in range(0, N, step):
                kernels.winograd_backward_input(dz4[n0:n0 + step], self.params["kernel"], m,
                                                self.padding, out=dx[n0:n0 + step])
            return dx
        if chunk >= N:
            dcols = kernels.matmul(dz, kernel.T)                  # (N*OH*OW, KH*KW*C)
            return kernels.col2im(dcols, x.shape, KH, KW, SH, SW, self.padding)
        dx = xp.empty(x.shape, dtype=x.dtype)
        for n0 in range(0, N, chunk):
            n1 = min(n0 + chunk, N)
            dcols = kernels.matmul(dz[n0 * OH * OW:n1 * OH * OW], kernel.T)
            dx[n0:n1] = kernels.col2im(dcols, (n1 - n0,) + x.shape[1:], KH, KW, SH, SW,
                                       self.padding)
        return dx
