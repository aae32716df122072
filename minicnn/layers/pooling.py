"""MaxPooling2D and AveragePooling2D over NHWC images."""
from .. import kernels
from .base import Layer, normalize_tuple
from .conv import check_channels_last, output_geometry, spatial_output_shape


class _Pooling2D(Layer):
    """Shared arguments of the pooling layers: a window sliding over H and W."""

    input_ndim = 4

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        check_channels_last(self, data_format)
        self.pool_size = normalize_tuple(pool_size, 2, "pool_size", self)
        self.strides = normalize_tuple(strides if strides is not None else self.pool_size,
                                       2, "strides", self)
        try:
            self.padding = kernels.normalize_padding(padding)
        except ValueError as e:
            raise ValueError(f"{type(self).__name__} '{self.name}': {e}") from None

    def compute_output_shape(self, input_shape):
        return spatial_output_shape(self, tuple(input_shape), self.pool_size, self.strides,
                                    self.padding, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "padding": self.padding, "strides": list(self.strides),
                "data_format": "channels_last"}

    def _window(self, x_shape):
        """``(KH, KW, SH, SW, padding)`` after checking the window fits ``x_shape``."""
        output_geometry(self, x_shape[1], x_shape[2], *self.pool_size, *self.strides, self.padding)
        return (*self.pool_size, *self.strides, self.padding)


class MaxPooling2D(_Pooling2D):
    """Max over each ``pool_size`` window (2x2, stride 2 halves 26 -> 13; 15 -> 7 floors).

    Backward sends each output's gradient to the input cell that held the
    maximum (the ``argmax`` kept by forward); the other cells get zero.

    Args:
        pool_size: int or ``(PH, PW)``, the window; ``(2, 2)`` by default.
        strides: int or ``(SH, SW)``; ``None`` (the default) means ``pool_size``.
        padding: ``'valid'`` (windows inside the input) or ``'same'`` (output
            ``ceil(H / SH)``, TensorFlow's split).
        data_format: ``None`` or ``'channels_last'`` (minicnn is NHWC only).
        **kwargs: ``input_shape=(28, 28, 1)`` for the first layer, ``name``, ``trainable``,
            ``dtype`` (see ``Layer``).

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, C)``.
    """

    def forward(self, x, training=False):
        """``x: (N, H, W, C)`` -> ``y: (N, OH, OW, C)``; keeps the argmax for backward."""
        x = self._prepare(x)
        y, argmax = kernels.maxpool_forward(x, *self._window(x.shape))
        self._cache = (x.shape, argmax, y.shape) if self._keep_cache else None
        return y

    def backward(self, dy, need_dx=True):
        """``dy: (N, OH, OW, C)`` -> ``dx: (N, H, W, C)``."""
        x_shape, argmax, y_shape = self._cached()
        dy = self._prepare_dy(dy, y_shape, self.dtype)
        return kernels.maxpool_backward(dy, argmax, x_shape, *self._window(x_shape))


class AveragePooling2D(_Pooling2D):
    """Mean over each window (with ``'same'`` padding, over its in-bounds cells only).

    Args:
        pool_size: int or ``(PH, PW)``, the window; ``(2, 2)`` by default.
        strides: int or ``(SH, SW)``; ``None`` (the default) means ``pool_size``.
        padding: ``'valid'`` (windows inside the input) or ``'same'`` (output
            ``ceil(H / SH)``, TensorFlow's split).
        data_format: ``None`` or ``'channels_last'`` (minicnn is NHWC only).
        **kwargs: ``input_shape=(28, 28, 1)`` for the first layer, ``name``, ``trainable``,
            ``dtype`` (see ``Layer``).

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, C)``.
    """

    def forward(self, x, training=False):
        """``x: (N, H, W, C)`` -> ``y: (N, OH, OW, C)``."""
        x = self._prepare(x)
        y = kernels.avgpool_forward(x, *self._window(x.shape))
        self._cache = (x.shape, y.shape)
        return y

    def backward(self, dy, need_dx=True):
        """``dy: (N, OH, OW, C)`` -> ``dx: (N, H, W, C)``."""
        x_shape, y_shape = self._cached()
        dy = self._prepare_dy(dy, y_shape, self.dtype)
        return kernels.avgpool_backward(dy, x_shape, *self._window(x_shape))


MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
