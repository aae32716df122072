"""The layer contract every minicnn layer follows.

- ``__init__`` stores hyper-parameters only, in Keras' words.
- ``build(input_shape)`` makes the weights through ``add_weight`` and sets
  ``built``; the first call builds lazily, as in Keras.
- ``forward(x, training=False) -> y`` keeps in the layer what backward needs.
- ``backward(dy) -> dx`` fills ``grads[key]`` for every trainable weight
  ``params[key]`` and always returns ``dx`` (gradients flow through frozen
  layers too). It never changes a weight: optimizers do.

Shapes use ``None`` for the batch axis, as Keras prints them:
``(None, 28, 28, 1)``.
"""
import contextlib
import difflib
import inspect
import re

from .. import backend
from .. import initializers as initializers_module

_COMMON_KWARGS = ("input_shape", "batch_input_shape", "input_dim", "batch_size", "dtype")
# Keras options minicnn does not have, written as Keras writes their defaults
NO_REGULARIZERS = dict.fromkeys(("kernel_regularizer", "bias_regularizer", "activity_regularizer",
                                 "kernel_constraint", "bias_constraint"))


def accepted_arguments(cls):
    """The keyword arguments the layer class ``cls`` accepts: its own ``__init__``'s and
    those of its bases (``Conv2D``: ``filters, kernel_size, ...``), then the common ones."""
    names = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        for p in list(inspect.signature(init).parameters.values())[1:]:   # after self
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in names:
                names.append(p.name)
    return names + [n for n in _COMMON_KWARGS if n not in names]


def _unknown_arguments(cls, unknown):
    """The ``TypeError`` for keyword arguments ``cls`` does not accept, with the nearest
    accepted name for each (``difflib``), or why a Keras option is missing."""
    accepted = accepted_arguments(cls)
    words = []
    for name in sorted(unknown):
        if name in NO_REGULARIZERS:
            words.append(f"{name!r} (Keras has it; minicnn has no regularizers or constraints)")
            continue
        close = difflib.get_close_matches(name, accepted, n=1)
        words.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return TypeError(f"{cls.__name__}: unexpected argument(s) {', '.join(words)}; "
                     f"{cls.__name__} accepts {', '.join(accepted)}")


def to_snake_case(name):
    """``'MaxPooling2D'`` -> ``'max_pooling2d'``, as Keras names layers."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def normalize_tuple(value, n, name, layer=None):
    """An int or an n-sequence of positive ints -> a tuple of n ints."""
    where = f"{layer.__class__.__name__}: " if layer is not None else ""
    if isinstance(value, int):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = ()
    if len(values) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{where}{name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < 1 for v in values):
        raise ValueError(f"{where}{name} must be positive, got {value!r}")
    return values


def format_shape(shape):
    """``(None, 28, 28, 1)`` as Keras prints it."""
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


@contextlib.contextmanager
def _flags(layers, **flags):
    layers = list(layers)
    saved = [{k: getattr(layer, k) for k in flags} for layer in layers]
    for layer in layers:
        for k, v in flags.items():
            setattr(layer, k, v)
    try:
        yield
    finally:
        for layer, old in zip(layers, saved):
            for k, v in old.items():
                setattr(layer, k, v)


def inference_only(layers):
    """Inside the block the ``layers`` keep nothing for backward (``predict``'s bounded memory)."""
    return _flags(layers, _keep_cache=False)


def input_gradients_only(layers):
    """Inside the block ``backward`` of the ``layers`` computes ``dx`` and no weight gradient
    (``K.gradients`` and ``model.gradients`` need only the gradients that flow through)."""
    return _flags(layers, _weight_grads_off=True)


class Layer:
    """Base class: weights in ``params``, their gradients in ``grads`` (same keys).

    Every layer (``Conv2D``, ``Dense``, ``MaxPooling2D``, ...) takes these keyword arguments
    besides its own, as in Keras; its docstring lists them as ``**kwargs``. An argument no
    layer knows is a ``TypeError`` naming the layer and the closest accepted name
    (``activaton`` -> ``activation``).

    Args:
        input_shape: shape of one sample, without the batch axis, e.g. ``(28, 28, 1)``:
            give it to the first layer of a ``Sequential`` model
            (``Conv2D(32, (3, 3), input_shape=(28, 28, 1))``).
        batch_input_shape: the same with the batch axis first, e.g. ``(None, 28, 28, 1)``.
        input_dim: for inputs of one axis, ``input_dim=8192`` means ``input_shape=(8192,)``.
        batch_size: the batch axis of ``input_shape`` / ``input_dim``; ``None`` (any) when
            not given.
        dtype: weight and output type; ``backend.floatx()`` (float32) when ``None``.
        name: the layer's name; automatic (``conv2d_1``, ``conv2d_2``...) when ``None``.
        trainable: whether the optimizer updates this layer's weights (``False``: frozen;
            gradients still flow through to the layers before it).
    """

    def __init__(self, name=None, trainable=True, **kwargs):
        unknown = set(kwargs) - set(_COMMON_KWARGS)
        if unknown:
            raise _unknown_arguments(type(self), unknown)
        self.name = name or backend.unique_name(to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.params = {}
        self.grads = {}
        self._param_trainable = {}
        self.built = False
        self.dtype = kwargs.get("dtype")
        self._batch_input_shape = self._declared_input_shape(kwargs)
        self._built_input_shape = None
        self._inbound_nodes = []  # symbolic calls (functional API), filled by __call__

    # --------------------------------------------------------------- shapes
    def _declared_input_shape(self, kwargs):
        if kwargs.get("batch_input_shape") is not None:
            return tuple(kwargs["batch_input_shape"])
        if kwargs.get("input_shape") is not None:
            return (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
        if kwargs.get("input_dim") is not None:
            return (kwargs.get("batch_size"), int(kwargs["input_dim"]))
        return None

    @property
    def input_shape(self):
        """The shape this layer was built for, batch axis ``None``."""
        if self._built_input_shape is None:
            raise AttributeError(f"layer '{self.name}' has no input shape yet: it is not built")
        return self._built_input_shape

    @property
    def output_shape(self):
        return self.compute_output_shape(self.input_shape)

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape`` (batch axis first, ``None`` when unknown).

        Layers that keep the shape (``Dropout``, ``Activation``, ``InputLayer``) inherit
        this one, which returns ``input_shape`` unchanged; every layer that changes the
        shape (``Conv2D``, the pooling layers, ``Flatten``, ``Dense``, models) overrides it.
        """
        return tuple(input_shape)

    # --------------------------------------------------------------- weights
    def build(self, input_shape):
        """Create the weights for ``input_shape`` (batch axis ``None``)."""
        self._built_input_shape = (None,) + tuple(input_shape[1:])
        if self.dtype is None:
            self.dtype = backend.floatx()
        self.built = True

    def add_weight(self, name, shape, initializer, trainable=True):
        """Create ``params[name]`` with ``initializer`` and a zero ``grads[name]``."""
        init = initializers_module.get(initializer)
        value = init(tuple(shape), dtype=self.dtype or backend.floatx())
        xp = backend.get_array_module(value)
        self.params[name] = value
        self.grads[name] = xp.zeros_like(value)
        self._param_trainable[name] = bool(trainable)
        return value

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)

    _weight_grads_off = False  # set by input_gradients_only: only dx is wanted
    _keep_cache = True         # cleared by inference_only (predict): no backward will follow
    _cache = None

    def _cached(self):
        """What forward kept for backward; an error if forward did not keep it."""
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__} '{self.name}': backward needs a forward "
                               "pass first (predict and evaluate keep nothing for backward)")
        return self._cache

    def _trains(self, key):
        """Whether ``params[key]`` is trained (the optimizer updates it)."""
        return self._trainable and self._param_trainable[key]

    def _wants_grad(self, key):
        """Whether backward must compute the gradient of ``params[key]``."""
        return self._trains(key) and not self._weight_grads_off

    def _has_weight_grads(self):
        """Whether backward computes any weight gradient here."""
        return any(self._wants_grad(k) for k in self.params)

    def trainable_slots(self):
        """``(layer, key)`` of each weight the optimizer updates."""
        return [(self, k) for k in self.params if self._trains(k)]

    @property
    def trainable_weights(self):
        return [w for k, w in self.params.items() if self._trains(k)]

    @property
    def non_trainable_weights(self):
        return [w for k, w in self.params.items() if not self._trains(k)]

    @property
    def weights(self):
        """All weight arrays, trainable first (Keras' order)."""
        return self.trainable_weights + self.non_trainable_weights

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"layer '{self.name}' is not built yet, so it has no weights to count; "
                "give the first layer an input_shape or call the model on data")
        return int(sum(w.size for w in self.params.values()))

    def get_weights(self):
        """The weights as NumPy arrays, in Keras' order (kernel, bias)."""
        return [backend.to_numpy(w).copy() for w in self.params.values()]

    def set_weights(self, weights):
        """Copy ``weights`` (Keras' order) into the layer; all shapes are checked first."""
        weights = list(weights)
        if len(weights) != len(self.params):
            raise ValueError(
                f"layer '{self.name}' has {len(self.params)} weight(s), "
                f"got a list of {len(weights)}")
        for (key, current), new in zip(self.params.items(), weights):
            if tuple(current.shape) != tuple(new.shape):
                raise ValueError(
                    f"layer '{self.name}': weight '{key}' has shape {tuple(current.shape)}, "
                    f"got {tuple(new.shape)}")
        for current, new in zip(self.params.values(), weights):
            current[...] = backend.get_array_module(current).asarray(new)

    # --------------------------------------------------------------- calling
    input_ndim = None  # the rank the layer expects, batch axis included (None: any)

    def input_spec(self):
        """After ``build``: the input shape the layer needs, ``None`` where any size fits."""
        return None

    def check_input_shape(self, shape):
        """Raise ``ValueError`` when an input of ``shape`` (batch first) does not fit."""
        spec = self.input_spec() if self.built else None
        bad = (self.input_ndim is not None and len(shape) != self.input_ndim) or (
            spec is not None and (len(shape) != len(spec) or any(
                e is not None and e != s for e, s in zip(spec[1:], shape[1:]))))
        if bad:
            if self._built_input_shape is not None:
                want = format_shape(self._built_input_shape)
            else:
                want = f"a rank-{self.input_ndim} input (batch first)"
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects {want}, got {tuple(shape)}")

    def _prepare(self, x):
        """Build on first use, check the shape, cast to the layer's dtype."""
        if not hasattr(x, "shape"):
            x = backend.array_module().asarray(x)
        if self.params:  # data and weights must live on the same device: no silent copies
            try:
                backend.get_array_module(x, next(iter(self.params.values())))
            except ValueError:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': the input is a "
                    f"{type(x).__module__}.{type(x).__name__} but the weights are "
                    f"{type(next(iter(self.params.values()))).__module__} arrays; move the "
                    "input with minicnn.backend.to_device(x), or use model.predict/fit, "
                    "which move each batch") from None
        if not self.built:
            self.check_input_shape(x.shape)
            self.build((None,) + tuple(x.shape[1:]))
        self.check_input_shape(x.shape)
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        return x

    def _prepare_dy(self, dy, shape, dtype):
        """Check that the upstream gradient ``dy`` has the output's shape; cast to ``dtype``."""
        if tuple(dy.shape) != tuple(shape):
            raise ValueError(f"{type(self).__name__} '{self.name}': backward expects dy of shape "
                             f"{tuple(shape)}, got {tuple(dy.shape)}")
        return dy if dy.dtype == dtype else dy.astype(dtype)

    def __call__(self, x, training=False):
        """Run the layer on an array (``forward``), or on a symbolic tensor (functional API)."""
        from .input_layer import SymbolicTensor  # the functional API's handles

        if isinstance(x, SymbolicTensor):
            return x.apply(self)
        return self.forward(x, training=training)

    @property
    def inbound_nodes(self):
        """``(input tensor, output tensor)`` of each symbolic call of this layer, in order."""
        return list(self._inbound_nodes)

    @property
    def batch_input_shape(self):
        """The input shape declared at construction (``input_shape=``, with the batch
        axis), or ``None``."""
        return self._batch_input_shape

    @property
    def input(self):
        """The symbolic tensor this layer was first called on (functional API)."""
        return self._first_node()[0]

    @property
    def output(self):
        """The symbolic tensor this layer's first call returned (functional API)."""
        return self._first_node()[1]

    def _first_node(self):
        if not self._inbound_nodes:
            raise AttributeError(
                f"layer '{self.name}' is not connected: it has no input or output yet "
                "(give the model an input shape, or call the layer on layers.Input(...))")
        return self._inbound_nodes[0]

    def get_config(self):
        """Keras' layer config (what ``model.save`` writes): subclasses add their arguments."""
        return {"name": self.name, "trainable": self.trainable,
                "dtype": self.dtype or backend.floatx()}

    def __repr__(self):
        return f"<{type(self).__name__} '{self.name}'>"
