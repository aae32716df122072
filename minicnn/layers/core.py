"""Dense, Flatten, Dropout and Activation."""
import math

from .. import activations, backend, initializers, kernels
from ..backend import get_array_module
from .base import NO_REGULARIZERS, Layer


class Dense(Layer):
    """Fully connected layer: ``y = activation(x @ kernel + bias)``.

    Args:
        units: output size ``U``.
        activation: activation name or ``None`` (linear).
        use_bias: add a bias per unit.
        kernel_initializer, bias_initializer: names or initializers.
        **kwargs: ``input_shape=(8192,)`` (or ``input_dim=8192``) for the first layer,
            ``name``, ``trainable``, ``dtype`` (see ``Layer``).

    Weights: ``kernel (D, U)``, ``bias (U,)``, Keras' layout.

    Input shape: ``(N, D)`` (or ``(N, ..., D)``: applied to the last axis).
    Output shape: ``(N, U)`` (``(N, ..., U)``).
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"Dense '{self.name}': units must be a positive int, got {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Dense '{self.name}' needs inputs of known last size, "
                             f"got shape {tuple(input_shape)}")
        super().build(input_shape)
        self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer)

    def input_spec(self):
        return (None,) * (len(self._built_input_shape) - 1) + (self.params["kernel"].shape[0],)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation.name,
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                **NO_REGULARIZERS}

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def forward(self, x, training=False):
        """``x: (N, ..., D)`` -> ``y: (N, ..., U)``; keeps ``x`` and ``y`` for backward."""
        x = self._prepare(x)
        x2 = x.reshape(-1, x.shape[-1])                # (M, D), M = N * ...
        z = kernels.matmul(x2, self.params["kernel"])  # (M, U)
        y = self.activation.forward_biased(
            z, self.params["bias"] if self.use_bias else None)
        self._cache = (x.shape, x2, y) if self._keep_cache else None
        return y.reshape(x.shape[:-1] + (self.units,))

    def backward(self, dy, need_dx=True):
        """``dy: (N, ..., U)`` -> ``dx: (N, ..., D)``; fills ``grads['kernel']``, ``grads['bias']``.

        ``need_dx=False`` (the model's first layer, in training) skips ``dx``: returns ``None``.
        """
        x_shape, _, y = self._cached()
        dy = self._prepare_dy(dy, x_shape[:-1] + (self.units,), y.dtype)
        return self.backward_preactivation(self.activation.backward(dy.reshape(y.shape), y),
                                           need_dx)

    def backward_preactivation(self, dz, need_dx=True):
        """Backward from the gradient w.r.t. the pre-activation ``z``: ``(M, U)``."""
        x_shape, x2, _ = self._cached()
        dz = dz.reshape(-1, self.units)
        if self._wants_grad("kernel"):
            kernels.matmul(x2.T, dz, out=self.grads["kernel"])  # dW = x^T dz
        if self.use_bias and self._wants_grad("bias"):
            dz.sum(axis=0, out=self.grads["bias"])             # db = sum dz
        if not need_dx:
            return None
        return kernels.matmul(dz, self.params["kernel"].T).reshape(x_shape)  # dx = dz W^T


class Flatten(Layer):
    """Flatten each sample: ``(N, H, W, C)`` -> ``(N, H*W*C)`` in ``(h, w, c)`` order (Keras').

    Args:
        data_format: ``None`` or ``'channels_last'`` (minicnn is NHWC only).
        **kwargs: ``input_shape=(7, 7, 128)`` for the first layer, ``name``, ``trainable``,
            ``dtype`` (see ``Layer``).

    Input shape: ``(N, d1, d2, ...)``. Output shape: ``(N, d1*d2*...)``.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Flatten '{self.name}': only data_format='channels_last' is "
                             f"supported, got {data_format!r}")

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last"}

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(s is None for s in rest) else math.prod(rest)
        return (input_shape[0], size)

    def forward(self, x, training=False):
        x = self._prepare(x)
        self._cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy, need_dx=True):
        x_shape = self._cache
        dy = self._prepare_dy(dy, (x_shape[0], math.prod(x_shape[1:])), self.dtype)
        return dy.reshape(x_shape)


class Dropout(Layer):
    """Inverted dropout: in training, zero each value with probability ``rate`` and
    scale the rest by ``1 / (1 - rate)``; at inference, the identity.

    Args:
        rate: fraction to drop, in ``[0, 1)``.
        noise_shape: shape of the mask (``None``: the input's), broadcast over the input;
            ``None`` entries take the input's size.
        seed: seed of this layer's own random generator (reproducible masks).
        **kwargs: ``input_shape=(8192,)`` for the first layer, ``name``, ``trainable``,
            ``dtype`` (see ``Layer``).

    Input shape: any. Output shape: the same.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout '{self.name}': rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = backend.rng(seed) if seed is not None else None

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape,
                "seed": self.seed}

    def forward(self, x, training=False):
        x = self._prepare(x)
        if not training or self.rate == 0:
            self._cache = None
            return x
        shape = x.shape if self.noise_shape is None else tuple(
            d if n is None else n for n, d in zip(self.noise_shape, x.shape))
        xp = get_array_module(x)
        keep = backend.random_uniform(shape, self._rng or backend.rng(), xp) >= self.rate
        mask = keep.astype(x.dtype) * (1 / (1 - self.rate))    # drawn where x lives
        self._cache = mask
        return x * mask

    def backward(self, dy, need_dx=True):
        mask = self._cache
        return dy if mask is None else dy * mask


class Activation(Layer):
    """Apply an activation function: ``y = activation(x)``.

    Args:
        activation: ``'relu'``, ``'sigmoid'``, ``'softmax'``, ``'tanh'``, ``'linear'``
            (see ``minicnn.activations``).
        **kwargs: ``input_shape=(28, 28, 1)`` for the first layer, ``name``, ``trainable``,
            ``dtype`` (see ``Layer``).

    Input shape: any. Output shape: the same.
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation.name}

    def forward(self, x, training=False):
        x = self._prepare(x)
        y = self.activation.forward(x)
        self._cache = y if self._keep_cache else None
        return y

    def backward(self, dy, need_dx=True):
        y = self._cached()
        dy = self._prepare_dy(dy, y.shape, y.dtype)
        return self.activation.backward(dy, y)

    def backward_preactivation(self, dz, need_dx=True):
        """Backward from the gradient w.r.t. the activation's input: nothing to do."""
        return dz
