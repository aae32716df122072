"""``Model``: layers wired into a graph by the functional API, usable as a layer.

Its public face: ``inputs``/``input``, ``outputs``/``output``, ``nodes`` (the tensors in
forward order), ``layers``, ``walk_layers()`` (nested models' layers too), ``forward`` and
``backward(dy, need_dx, start=None)``. Taps and gradients are functions over that face, in
``models/gradients.py``; training is in ``models/training.py``.

Supported graphs: one input, and layers that each take exactly one input
tensor and are used once. That covers chains (``Input -> Conv2D -> ... ->
Dense``), models nested as layers (VGG16 inside a Sequential) and *taps*:
``Model(inputs=model.input, outputs=[l.output for l in model.layers[:8]])``,
whose ``predict`` returns one array per output. Layers that merge several
tensors (``Concatenate``, ``Add``) do not exist in minicnn.

Forward runs the nodes in topological order; backward runs them in reverse,
adding up the gradients that reach a tensor from several consumers.
"""
from .. import backend
from ..layers.base import Layer
from ..layers.input_layer import SymbolicTensor
from . import gradients as gradients_module
from .training import TrainingMixin


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


class Model(TrainingMixin, Layer):
    """A graph of layers from ``inputs`` to ``outputs`` (Keras' functional ``Model``).

    Args:
        inputs: the ``SymbolicTensor`` from ``layers.Input`` (or ``model.input``).
        outputs: a symbolic tensor or a list of them; ``predict`` then returns an
            array or a list of arrays.
        name: model name (automatic ``model_1``... when ``None``).
    """

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._input = None
        self._outputs = []
        self._nodes = []
        self._layers = []
        if inputs is not None or outputs is not None:
            self._init_graph(inputs, outputs)

    # ---------------------------------------------------------------- the graph
    def _init_graph(self, inputs, outputs):
        inputs = _as_list(inputs)
        if len(inputs) != 1 or not isinstance(inputs[0], SymbolicTensor):
            raise ValueError(f"Model '{self.name}': expected one input tensor from layers.Input "
                             f"or model.input, got {inputs!r}")
        self._single_output = not isinstance(outputs, (list, tuple))
        outputs = _as_list(outputs)
        if not outputs or not all(isinstance(o, SymbolicTensor) for o in outputs):
            raise ValueError(f"Model '{self.name}': outputs must be symbolic tensors "
                             f"(layer outputs), got {outputs!r}")
        source = inputs[0]
        depth = {id(source): 0}
        nodes = {}
        for out in outputs:
            chain, t = [], out
            while t is not source and id(t) not in depth:
                if t.parent is None:
                    raise ValueError(f"Model '{self.name}': output {t!r} is not computed from "
                                     f"the given input {source!r}")
                chain.append(t)
                t = t.parent
            for node in reversed(chain):
                depth[id(node)] = depth[id(node.parent)] + 1
                nodes[id(node)] = node
        ordered = sorted(nodes.values(), key=lambda n: depth[id(n)])
        seen = {}
        for node in ordered:
            if id(node.layer) in seen or node.layer is source.layer:
                raise ValueError(f"Model '{self.name}': layer '{node.layer.name}' is used twice; "
                                 "shared layers are not supported")
            seen[id(node.layer)] = node.layer
        names = [source.layer.name] + [n.layer.name for n in ordered]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Model '{self.name}': layer names must be unique, "
                             f"{duplicates} appear more than once")
        self._input, self._outputs, self._nodes = source, outputs, ordered
        self._consumers = {}  # how many nodes read each tensor: forward frees it after the last
        for node in ordered:
            self._consumers[id(node.parent)] = self._consumers.get(id(node.parent), 0) + 1
        self._layers = [n.layer for n in ordered]
        self._batch_input_shape = source.shape
        self._built_input_shape = source.shape
        self.dtype = self.dtype or backend.floatx()
        self.built = True

    @property
    def layers(self):
        """The model's layers in order; a functional model starts with its ``InputLayer``."""
        return [self._input.layer] + self._layers if self._input is not None else []

    @property
    def input(self):
        return self._input

    @property
    def output(self):
        return self._outputs[0] if self._single_output else list(self._outputs)

    @property
    def inputs(self):
        return [self._input]

    @property
    def outputs(self):
        return list(self._outputs)

    @property
    def nodes(self):
        """The graph's layer-output tensors in the order forward runs them (read-only).

        Each is a ``SymbolicTensor`` with ``.layer`` (the layer that makes it) and
        ``.parent`` (the tensor that layer reads; ``inputs[0]`` for the first).
        """
        return tuple(self._nodes)

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by position ``index`` in ``model.layers``."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Model '{self.name}': index {index} is out of range, "
                                 f"the model has {len(self.layers)} layers")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"Model '{self.name}' has no layer named {name!r}; its layers are "
                         f"{[l.name for l in self.layers]}")

    def input_spec(self):
        return self._built_input_shape

    def compute_output_shape(self, input_shape):
        shapes = {id(self._input): tuple(input_shape)}
        for node in self._nodes:
            shapes[id(node)] = node.layer.compute_output_shape(shapes[id(node.parent)])
        result = [shapes[id(o)] for o in self._outputs]
        return result[0] if self._single_output else result

    # ------------------------------------------------------------ forward, back
    def forward(self, x, training=False):
        """``x: (N, ...)`` the input -> the output array (or a list, one per output)."""
        self._require_graph()
        x = self._prepare(x)
        self._x_shape = x.shape
        values = {id(self._input): x}
        left = dict(self._consumers)
        keep = {id(o) for o in self._outputs}
        for node in self._nodes:
            values[id(node)] = node.layer.forward(values[id(node.parent)], training=training)
            left[id(node.parent)] -= 1
            if not left[id(node.parent)] and id(node.parent) not in keep:
                del values[id(node.parent)]   # read by no later node: free it (predict memory)
        result = [values[id(o)] for o in self._outputs]
        return result[0] if self._single_output else result

    def backward(self, dy, need_dx=True, start=None):
        """Gradient of the outputs -> gradient of the input, after a ``forward``.

        Args:
            dy: the gradient of each output, shaped like it (a list for several outputs;
                ``None`` entries for outputs that do not matter).
            need_dx: ``False`` skips the input's gradient (training: the data needs none),
                and with it every frozen layer that has nothing trainable behind it.
            start: a tensor of this graph (an entry of ``nodes``): ``dy`` is then the
                gradient of that one tensor and backward starts there.

        Returns:
            ``dx`` shaped like the input (zeros if no gradient reaches it), or ``None``
            when ``need_dx`` is ``False``.
        """
        grads = {}
        if start is not None:
            if not any(start is t for t in self.nodes + (self._input,)):
                raise ValueError(f"Model '{self.name}': backward(start=...) must be one of the "
                                 f"model's tensors, got {start!r}")
            grads[id(start)] = dy
        else:
            for out, g in zip(self._outputs, [dy] if self._single_output else list(dy)):
                if g is not None:
                    _accumulate(grads, out, g)
        wanted = {id(self._input): need_dx}  # does anything trainable lie behind a tensor?
        for node in self._nodes:
            wanted[id(node)] = wanted[id(node.parent)] or node.layer._has_weight_grads()
        for node in reversed(self._nodes):
            g = grads.pop(id(node), None)
            if g is None or not wanted[id(node)]:
                continue                      # no gradient here, or frozen with nothing behind
            dparent = node.layer.backward(g, need_dx=wanted[id(node.parent)])
            if dparent is not None:
                _accumulate(grads, node.parent, dparent)
        if not need_dx:
            return None
        if id(self._input) not in grads:  # no seed reached the input: its gradient is zero
            return backend.array_module().zeros(self._x_shape, self.dtype)
        return grads[id(self._input)]

    def _has_weight_grads(self):
        return any(layer._has_weight_grads() for layer in self.layers)

    def walk_layers(self):
        """Every layer, depth first: nested models and their layers too."""
        for layer in self.layers:
            yield layer
            if isinstance(layer, Model):
                yield from layer.walk_layers()

    def find_layer(self, layer):
        """A layer of this model (nested models searched) from a name or the layer itself."""
        names = []
        for candidate in self.walk_layers():
            if candidate is layer or candidate.name == layer:
                return candidate
            names.append(candidate.name)
        raise ValueError(f"model '{self.name}' has no layer {getattr(layer, 'name', layer)!r}; "
                         f"its layers are {names}")

    def contains(self, layer):
        """Whether ``layer`` is one of this model's layers, nested models searched too."""
        return any(l is layer for l in self.walk_layers())

    def gradients(self, x, output_layer, output_grad, wrt="input"):
        """Gradient of a scalar of ``output_layer``'s output: see ``minicnn.models.gradients``."""
        return gradients_module.gradients(self, x, output_layer, output_grad, wrt)

    def profile(self, x, y=None, steps=3, print_fn=print):
        """Print each layer's forward and backward time per step and its share: see
        ``minicnn.models.profile``. ``x: (N, ...)`` one batch; ``y`` for training steps."""
        from . import profile as profile_module

        return profile_module.profile(self, x, y, steps, print_fn)

    def _require_graph(self):
        if self._input is None:
            raise ValueError(f"Model '{self.name}' has no layers connected yet")

    # ----------------------------------------------------------------- weights
    @Layer.trainable.setter
    def trainable(self, value):
        """Freezing a model freezes every layer in it (as tf.keras does)."""
        self._trainable = bool(value)
        for layer in self.layers:
            layer.trainable = value

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    @property
    def weights(self):
        """All weights, layer by layer (each layer in Keras' order)."""
        return [w for layer in self.layers for w in layer.weights]

    def trainable_slots(self):
        if not self.trainable:
            return []
        return [slot for layer in self.layers for slot in layer.trainable_slots()]

    def count_params(self):
        return int(sum(layer.count_params() for layer in self.layers if layer.built))

    def get_weights(self):
        """Every layer's weights in layer order, Keras' order within a layer (NumPy arrays)."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Set all weights from a list like ``get_weights()``'s; checked fully before any change."""
        weights = list(weights)
        counts = [len(layer.get_weights()) for layer in self.layers]
        if sum(counts) != len(weights):
            raise ValueError(f"Model '{self.name}' has {sum(counts)} weight arrays, "
                             f"got a list of {len(weights)}")
        start, plan = 0, []
        for layer, n in zip(self.layers, counts):
            chunk = weights[start:start + n]
            for current, new in zip(layer.get_weights(), chunk):
                if tuple(current.shape) != tuple(new.shape):
                    raise ValueError(f"layer '{layer.name}': weight of shape "
                                     f"{tuple(current.shape)} cannot take shape {tuple(new.shape)}")
            plan.append((layer, chunk))
            start += n
        for layer, chunk in plan:
            if chunk:
                layer.set_weights(chunk)

    # ------------------------------------------------ Keras .h5 files (minicnn.io)
    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None):
        """Save architecture, weights, compile settings and optimizer state. The format
        follows the name, as in Keras: ``'m.keras'`` is Keras 3's archive, ``'m.h5'`` Keras
        2's ``.h5``; ``keras.models.load_model`` reads both in Keras 3 (Keras 2: the ``.h5``)."""
        from .. import io

        wanted = "keras" if str(filepath).endswith(".keras") else "h5"
        if save_format not in (None, wanted):
            raise ValueError(f"save: the format follows the file name ('m.keras': Keras 3's "
                             f"archive, 'm.h5': Keras 2's .h5); save_format={save_format!r} "
                             f"does not fit {str(filepath)!r}")
        io.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True, save_format=None):
        """Save the weights only: Keras 3's layout for ``'w.weights.h5'``, Keras 2's for any
        other ``.h5`` name."""
        from .. import io

        if save_format not in (None, "h5"):
            raise ValueError(f"save_weights: minicnn writes save_format='h5' only, "
                             f"got {save_format!r}")
        io.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        """Load weights from a Keras 3 ``.weights.h5`` or ``.keras``, or a Keras 2 ``.h5`` (a
        whole model, weights only, or Keras 1 and ImageNet weight files); everything is
        checked before any weight changes."""
        from .. import io

        io.load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)

    def get_config(self):
        """Keras' model config: what ``save`` writes as ``model_config``."""
        from ..io import config

        return config.model_to_config(self)["config"]


def _accumulate(grads, tensor, g):
    """``grads[tensor] += g``, without writing into arrays that layers own."""
    key = id(tensor)
    grads[key] = g if key not in grads else grads[key] + g
