"""The functional API's handles: ``Input``, ``InputLayer`` and symbolic tensors.

``x = layers.Input(shape=(28, 28, 1))`` makes a ``SymbolicTensor``: no data,
only a shape and where it came from. Calling a layer on it
(``layers.Conv2D(32, 3)(x)``) builds the layer for that shape and returns a new
symbolic tensor that remembers the layer and its input, so ``models.Model``
can later walk back from outputs to the input. Each layer remembers its
first call as ``layer.input`` / ``layer.output``, as in Keras.
"""
from ..symbolic.tensor import TensorOps
from .base import Layer, format_shape


class SymbolicTensor(TensorOps):
    """A placeholder for a layer's output while a model is being defined.

    It takes part in ``K.*`` expressions (``model.output[:, 386]``, ``K.mean(t)``): see
    ``minicnn.symbolic``.

    Attributes:
        shape: the shape with ``None`` for the batch, e.g. ``(None, 26, 26, 32)``.
        layer: the layer whose output this is (an ``InputLayer`` for model inputs).
        parent: the ``SymbolicTensor`` that layer was called on (``None`` for inputs).
        consumers: the tensors computed from this one (layer calls on it), in call order.
    """

    def __init__(self, shape, layer, parent=None):
        self.shape = tuple(shape)
        self.layer = layer
        self.parent = parent
        self.consumers = []

    def apply(self, layer):
        """``layer(self)``: build ``layer`` for this shape and return its output tensor."""
        if not layer.built:
            layer.check_input_shape(self.shape)
            layer.build(self.shape)
        else:
            layer.check_input_shape(tuple(1 if s is None else s for s in self.shape))
        out = SymbolicTensor(layer.compute_output_shape(self.shape), layer, self)
        layer._inbound_nodes.append((self, out))
        self.consumers.append(out)
        return out

    @property
    def name(self):
        return f"{self.layer.name}/output"

    def __repr__(self):
        return f"<SymbolicTensor shape={format_shape(self.shape)} from '{self.layer.name}'>"


class InputLayer(Layer):
    """The layer that stands for a model's input; forward and backward pass data through.

    ``layers.Input(shape=...)`` makes one; a ``Sequential`` model makes one from its first
    layer's ``input_shape``.

    Args:
        input_shape: shape of one sample, without the batch axis, e.g. ``(28, 28, 1)``.
        batch_size: the batch axis of ``input_shape``; ``None`` (any) when not given.
        batch_input_shape (or Keras 3's ``batch_shape``): the same with the batch axis.
        dtype: the input's type; ``backend.floatx()`` (float32) when ``None``.
        name: the layer's name; automatic when ``None``.
        **kwargs: ``trainable`` (see ``Layer``); Keras' ``sparse``, ``ragged`` and
            ``optional`` are accepted and ignored.

    Input shape and output shape: ``batch_input_shape``.
    """

    def __init__(self, input_shape=None, batch_size=None, batch_input_shape=None,
                 batch_shape=None, dtype=None, name=None, **kwargs):
        kwargs.pop("sparse", None), kwargs.pop("ragged", None), kwargs.pop("optional", None)
        if batch_input_shape is None:
            batch_input_shape = batch_shape
        if batch_input_shape is None:
            if input_shape is None:
                raise ValueError("InputLayer needs input_shape (one sample's shape) "
                                 "or batch_input_shape")
            batch_input_shape = (batch_size,) + tuple(input_shape)
        super().__init__(name=name, batch_input_shape=batch_input_shape, dtype=dtype, **kwargs)
        self.build(self._batch_input_shape)
        self._built_input_shape = tuple(self._batch_input_shape)
        self.output_tensor = SymbolicTensor(self._built_input_shape, self)

    def input_spec(self):
        return self._built_input_shape

    def get_config(self):
        """tf.keras 2.x's InputLayer config, which Keras 2 and Keras 3 both read."""
        return {"batch_input_shape": list(self._batch_input_shape), "dtype": self.dtype,
                "sparse": False, "name": self.name}

    def _first_node(self):
        return (self.output_tensor, self.output_tensor)

    def forward(self, x, training=False):
        return self._prepare(x)

    def backward(self, dy, need_dx=True):
        return dy


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):
    """A model input: ``Input(shape=(28, 28, 1))`` -> a ``SymbolicTensor`` ``(None, 28, 28, 1)``."""
    layer = InputLayer(input_shape=shape, batch_size=batch_size, batch_shape=batch_shape,
                       name=name, dtype=dtype)
    return layer.output_tensor
