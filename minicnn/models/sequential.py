"""``Sequential``: a plain stack of layers, each feeding the next."""
import numpy

from ..layers.base import Layer
from ..layers.input_layer import InputLayer
from .functional import Model


class Sequential(Model):
    """A linear stack of layers (Keras 2's ``Sequential``).

    ``model.layers`` lists the layers added, without an input layer (so the
    chapter's ``model.layers[:8]`` starts at the first conv). When the first
    layer knows its input shape (``input_shape=(28, 28, 1)``) the model is
    built at once and ``summary()`` works; otherwise it is built by the first
    call on data.

    Args:
        layers: optional list of layers to add.
        name: model name (``sequential_1``... when ``None``).
    """

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._pending = []
        self._single_output = True
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._layers) if self._input is not None else list(self._pending)

    def add(self, layer):
        """Append ``layer``; it is connected now if the model's input shape is known."""
        if not isinstance(layer, Layer) or isinstance(layer, InputLayer):
            if isinstance(layer, InputLayer):  # Keras allows an explicit input layer first
                if self._input is not None or self._pending:
                    raise ValueError(f"Sequential '{self.name}': an InputLayer must come first")
                self._init_graph(layer.output_tensor, layer.output_tensor)
                self._single_output = True
                return
            raise TypeError(f"Sequential '{self.name}': add() expects a layer, got {layer!r}")
        if any(existing.name == layer.name for existing in self.layers):
            raise ValueError(f"Sequential '{self.name}': a layer named '{layer.name}' is already "
                             "in the model; layer names must be unique")
        if self._input is not None:
            self._init_graph(self._input, self._outputs[0].apply(layer))
            self._single_output = True
            return
        self._pending.append(layer)
        shape = self._pending[0]._batch_input_shape
        if shape is not None:
            self._build_graph(shape)

    def pop(self):
        """Remove the last layer."""
        if not self.layers:
            raise TypeError(f"Sequential '{self.name}' has no layers to pop")
        if self._input is None:
            return self._pending.pop()
        layer = self._layers[-1]
        if self._layers[:-1]:
            self._init_graph(self._input, self._nodes[-1].parent)
        else:
            self._pending = []
            self._input, self._outputs, self._nodes, self._layers = None, [], [], []
            self.built = False
        return layer

    def _build_graph(self, batch_input_shape):
        """Connect the pending layers from a new input of ``batch_input_shape``."""
        first = self._pending[0]
        source = InputLayer(batch_input_shape=tuple(batch_input_shape),
                            name=f"{first.name}_input").output_tensor
        tensor = source
        for layer in self._pending:
            tensor = tensor.apply(layer)
        self._init_graph(source, tensor)
        self._single_output = True
        self._pending = []

    def build(self, input_shape=None):
        """Build for ``input_shape`` (with the batch axis, e.g. ``(None, 28, 28, 1)``)."""
        if self._input is None:
            if not self._pending:
                raise ValueError(f"Sequential '{self.name}' has no layers to build")
            self._build_graph(input_shape)

    def _build_from_data(self, x):
        if self._input is None and self._pending:
            self._build_graph((None,) + tuple(numpy.shape(x)[1:]))

    def forward(self, x, training=False):
        self._build_from_data(x)
        return super().forward(x, training=training)
