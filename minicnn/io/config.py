"""Keras model configs <-> minicnn models, through an explicit table of the classes minicnn has.

Reading (``model_from_config``) takes what Keras 2 (``keras`` 2.x, ``tf.keras``) and Keras 3's
legacy ``.h5`` saver write:

- ``Sequential``: ``{"name", "layers": [...]}`` (Keras 2.2: the bare list), with an explicit
  ``InputLayer`` first (``batch_input_shape``, Keras 3: ``batch_shape``), or
  ``batch_input_shape`` on the first layer, or Keras 3's ``build_input_shape``;
- ``Functional`` (or ``Model``): ``layers`` with their ``inbound_nodes``, Keras 2's
  ``[[["conv2d_1", 0, 0, {}]]]`` or Keras 3's ``[{"args": [{"class_name": "__keras_tensor__",
  "config": {"keras_history": ["conv2d", 0, 0]}}], "kwargs": {}}]``, and ``input_layers`` /
  ``output_layers`` as ``[[name, node, tensor], ...]`` (Keras 3: a bare triple for one);
- layer configs with ``dtype`` as a name or Keras 3's ``DTypePolicy`` dict, initializers as
  names or ``{"class_name", "config"}`` dicts, and Keras options minicnn lacks only at their
  defaults (``groups=1``, ``None`` regularizers and constraints).

A file's config is read twice: ``plan_from_config`` makes the layers unbuilt and follows the
shapes, so the weights it declares can be checked against the file's arrays
(``weight_plan``) before ``model_from_config`` builds anything.

Nothing in a config is ever run: a class minicnn lacks (``Lambda``, a custom layer) is an
``UnsupportedLayerError`` that names it, and Lambda's marshalled bytecode is never looked at.

Writing (``model_to_config``) follows tf.keras 2.x, which Keras 2 and Keras 3 both rebuild: an
explicit ``InputLayer`` with ``batch_input_shape`` first, then each layer's ``get_config()``.
"""
import warnings

from .. import activations, layers
from ..layers.input_layer import SymbolicTensor
from ..models.functional import Model
from ..models.sequential import Sequential
from . import config_values, weight_plan
from .errors import H5FormatError, UnsupportedLayerError

# Keras class name -> (minicnn class, the Keras arguments minicnn takes, options accepted
# at these values only). Any other option must be None (Keras' "not used").
_CONV = (layers.Conv2D, ("filters", "kernel_size", "strides", "padding", "data_format",
                         "dilation_rate", "activation", "use_bias", "kernel_initializer",
                         "bias_initializer"), {"groups": 1})
_POOL = ("pool_size", "strides", "padding", "data_format")
LAYERS = {
    "Conv2D": _CONV, "Convolution2D": _CONV,
    "MaxPooling2D": (layers.MaxPooling2D, _POOL, {}), "MaxPool2D": (layers.MaxPooling2D, _POOL, {}),
    "AveragePooling2D": (layers.AveragePooling2D, _POOL, {}),
    "AvgPool2D": (layers.AveragePooling2D, _POOL, {}),
    "Flatten": (layers.Flatten, ("data_format",), {}),
    "Dense": (layers.Dense, ("units", "activation", "use_bias", "kernel_initializer",
                             "bias_initializer"), {}),
    "Dropout": (layers.Dropout, ("rate", "noise_shape", "seed"), {}),
    "Activation": (layers.Activation, ("activation",), {}),
}
WRITTEN_AS = {layers.Conv2D: "Conv2D", layers.MaxPooling2D: "MaxPooling2D",
              layers.AveragePooling2D: "AveragePooling2D", layers.Flatten: "Flatten",
              layers.Dense: "Dense", layers.Dropout: "Dropout", layers.Activation: "Activation",
              layers.InputLayer: "InputLayer"}
MAX_DEPTH = 16               # models nested in models


def _fail(message, cls=H5FormatError):
    raise cls(f"model_config: {message}")


def _expect(condition, message):
    if not condition:
        _fail(message)


# -------------------------------------------------------------------- reading
def model_from_config(config):
    """A minicnn ``Sequential`` or ``Model`` from Keras' ``{"class_name", "config"}``."""
    return _read(config, None)


def plan_from_config(config):
    """``[weight_plan.Planned, ...]``: the weights ``config`` declares, in build order.

    The same reading as ``model_from_config``, with the same errors, but nothing is built:
    layers are made (hyper-parameters only) and their shapes followed through the graph.
    Its warnings are left to the build that follows.
    """
    planned = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _read(config, planned)
    return planned


def _read(config, plan):
    """Read ``config``: build its model, or with a list ``plan``, only plan its weights."""
    try:
        model = _layer(config, 0, plan)
    except RecursionError:
        _fail("nested too deeply")
    _expect(isinstance(model, Model), f"the top level is a {config['class_name']!r}, not a "
                                      "Sequential or functional model")
    return model


def _class_and_config(entry):
    _expect(isinstance(entry, dict) and isinstance(entry.get("class_name"), str),
            f"expected a layer entry {{'class_name': ..., 'config': ...}}, got {entry!r:.200}")
    config = entry.get("config", {})
    _expect(isinstance(config, (dict, list)), f"the config of a {entry['class_name']} "
                                              f"is a {type(config).__name__}")
    return entry["class_name"], config


def _layer(entry, depth, plan, input_shape_allowed=True):
    """One layer (or nested model) from its entry; nothing is connected yet."""
    class_name, config = _class_and_config(entry)
    if depth > MAX_DEPTH:
        _fail(f"models nested more than {MAX_DEPTH} deep")
    if class_name == "Sequential":
        return _sequential(config, depth + 1, plan)
    if class_name in ("Functional", "Model"):
        return _functional(config, depth + 1, plan)
    _expect(isinstance(config, dict), f"the config of a {class_name} is not a dict")
    name = config.get("name")
    _expect(name is None or (isinstance(name, str) and name and "/" not in name),
            f"layer name {name!r} is not a valid name")
    if class_name == "InputLayer":
        return _input_layer(config, name)
    if class_name not in LAYERS:
        what = "a Lambda layer, whose config holds Python bytecode minicnn never runs" \
            if class_name == "Lambda" else f"a {class_name}, a class minicnn does not have"
        _fail(f"layer {name!r} is {what} (minicnn has {sorted(LAYERS)} and nested models). "
              "Rebuild the model in code with minicnn's layers, then call "
              "model.load_weights(path)", UnsupportedLayerError)
    cls, arguments, defaults = LAYERS[class_name]
    kwargs = {"name": name, "trainable": bool(config.get("trainable", True)),
              "dtype": config_values.dtype(config.get("dtype"), name)}
    if input_shape_allowed and config.get("batch_input_shape") is not None:
        kwargs["batch_input_shape"] = config_values.shape(config["batch_input_shape"], name)
    for key, value in config.items():
        if key in ("name", "trainable", "dtype", "batch_input_shape"):
            continue
        if key in arguments:
            value = config_values.argument(key, value, name)
            if value is not config_values.DEFAULT:
                kwargs[key] = value
        elif value is not None and not (key in defaults and defaults[key] == value):
            _fail(f"{class_name} {name!r}: option {key}={value!r:.100} is not supported by "
                  "minicnn", UnsupportedLayerError)
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as e:     # the message names the layer, or we do
        _fail(str(e) if f"'{name}'" in str(e) else f"{class_name} {name!r}: {e}")


def _input_layer(config, name):
    for key in ("sparse", "ragged", "optional"):
        if config.get(key):
            _fail(f"InputLayer {name!r}: {key}=True is not supported", UnsupportedLayerError)
    shape = config.get("batch_input_shape", config.get("batch_shape"))
    if shape is None and config.get("input_shape") is not None:
        shape = [config.get("batch_size")] + list(config["input_shape"])
    _expect(shape is not None, f"InputLayer {name!r} has no shape")
    shape = config_values.shape(shape, name, rank=(2, 8))
    return layers.InputLayer(batch_input_shape=shape, name=name,
                             dtype=config_values.dtype(config.get("dtype"), name))


def _connect(tensor, layer, plan, model=None):
    """``layer`` called on ``tensor`` (added to the Sequential ``model``, if given): built,
    or with a list ``plan``, its weights planned and only its output shape followed."""
    try:
        shapes = weight_plan.weight_shapes(layer, tensor.shape)
        big = weight_plan.oversized(shapes)
        _expect(big is None, f"layer {layer.name!r} would have a weight of shape {big}, more "
                             f"than the {weight_plan.MAX_WEIGHT_SIZE:,} numbers minicnn makes")
        if plan is None and model is not None:
            model.add(layer)
            return model.outputs[0]
        if plan is None:
            return tensor.apply(layer)
        layer.check_input_shape(tensor.shape)
        output_shape = layer.compute_output_shape(tensor.shape)
    except H5FormatError:
        raise
    except (ValueError, TypeError, IndexError) as e:
        _fail(f"layer {layer.name!r} does not fit its input {tensor.shape}: {e}")
    plan.append(weight_plan.Planned(layer.name, type(layer).__name__, tensor.shape, shapes))
    return SymbolicTensor(output_shape, layer, tensor)


def _graph(inputs, outputs, name, config):
    """The model from ``inputs`` to ``outputs`` (while planning: of unbuilt layers)."""
    try:
        model = Model(inputs=inputs, outputs=outputs, name=name)
    except ValueError as e:
        _fail(str(e))
    if config.get("trainable") is False:
        model.trainable = False
    return model


def _sequential(config, depth, plan):
    if isinstance(config, list):                     # Keras <= 2.2: the bare list of layers
        config = {"layers": config}
    entries = config.get("layers")
    _expect(isinstance(entries, list) and entries, "a Sequential without layers")
    name = config.get("name") if isinstance(config.get("name"), str) else None
    model = Sequential(name=name) if plan is None else None    # planning: a graph at the end
    source = tensor = None
    names = set()
    for i, entry in enumerate(entries):
        layer = _layer(entry, depth, plan, input_shape_allowed=(i == 0))
        if isinstance(layer, layers.InputLayer):
            _expect(i == 0, "an InputLayer after the first layer of a Sequential")
            source = tensor = layer.output_tensor
            if model is not None:
                model.add(layer)
            continue
        _expect(layer.name not in names, f"two layers named {layer.name!r}")
        names.add(layer.name)
        if tensor is None:    # the first layer's batch_input_shape, or build_input_shape
            shape = layer.batch_input_shape
            if shape is None and config.get("build_input_shape") is not None:
                shape = config_values.shape(config["build_input_shape"], name, rank=(2, 8))
            _expect(shape is not None, f"Sequential {name or 'sequential'!r} gives no input "
                                       "shape (no InputLayer, batch_input_shape or "
                                       "build_input_shape)")
            source = tensor = layers.InputLayer(batch_input_shape=shape,
                                                name=f"{layer.name}_input").output_tensor
            if model is not None:
                model.add(tensor.layer)
        tensor = _connect(tensor, layer, plan, model)
    if model is None:
        return _graph(source, tensor, name or "sequential", config)
    if config.get("trainable") is False:
        model.trainable = False
    return model


def _functional(config, depth, plan):
    _expect(isinstance(config, dict) and isinstance(config.get("layers"), list),
            "a functional model without a list of layers")
    created, parents, order = {}, {}, []
    for entry in config["layers"]:
        layer = _layer(entry, depth, plan, input_shape_allowed=False)
        name = entry.get("name", layer.name)
        _expect(isinstance(name, str) and name not in created, f"layer name {name!r} repeats "
                                                                "or is not a string")
        created[name] = layer
        parents[name] = _inbound(entry.get("inbound_nodes", []), name)
        _expect((parents[name] is None) == isinstance(layer, layers.InputLayer),
                f"layer {name!r}: only an InputLayer may have no input")
        order.append(name)
    tensors = {n: created[n].output_tensor for n in order if parents[n] is None}
    pending = [n for n in order if parents[n] is not None]
    while pending:                       # Keras lists layers in order; be safe if it did not
        ready = [n for n in pending if parents[n] in tensors]
        _expect(ready, f"layers {pending} are not connected to an input (unknown names, or "
                       "a loop)")
        for n in ready:
            tensors[n] = _connect(tensors[parents[n]], created[n], plan)
        pending = [n for n in pending if n not in tensors]
    inputs = _references(config.get("input_layers"), tensors, "input_layers")
    outputs = _references(config.get("output_layers"), tensors, "output_layers")
    _expect(len(inputs) == 1 and isinstance(inputs[0].layer, layers.InputLayer),
            "minicnn models have exactly one input")
    name = config.get("name") if isinstance(config.get("name"), str) else None
    return _graph(inputs[0], outputs[0] if len(outputs) == 1 else outputs,
                  name if plan is None else name or "model", config)


def _inbound(nodes, name):
    """The name of the one layer whose output feeds layer ``name`` (``None``: an input)."""
    _expect(isinstance(nodes, list), f"layer {name!r}: inbound_nodes is not a list")
    if not nodes:
        return None
    if len(nodes) > 1:
        _fail(f"layer {name!r} is called {len(nodes)} times: shared layers are not supported",
              UnsupportedLayerError)
    node = nodes[0]
    if isinstance(node, dict):                               # Keras 3
        args, kwargs = node.get("args"), node.get("kwargs", {})
        _expect(isinstance(args, list) and len(args) >= 1, f"layer {name!r}: a node without args")
        if len(args) > 1 or isinstance(args[0], list):
            _fail(f"layer {name!r} takes several inputs: merge layers are not supported",
                  UnsupportedLayerError)
        tensor = args[0]
        _expect(isinstance(tensor, dict) and isinstance(tensor.get("config"), dict),
                f"layer {name!r}: its input is not a Keras tensor")
        history = tensor["config"].get("keras_history")
    else:                                                    # Keras 2
        _expect(isinstance(node, list) and node, f"layer {name!r}: an empty inbound node")
        if len(node) > 1:
            _fail(f"layer {name!r} takes {len(node)} inputs: merge layers are not supported",
                  UnsupportedLayerError)
        _expect(isinstance(node[0], list) and len(node[0]) in (3, 4),
                f"layer {name!r}: inbound node {node[0]!r:.100} is not [name, node, tensor, {{}}]")
        history, kwargs = node[0][:3], (node[0][3] if len(node[0]) == 4 else {})
    _expect(isinstance(kwargs, dict), f"layer {name!r}: call arguments are not a dict")
    for key, value in kwargs.items():
        if not (key in ("training", "mask") and value in (None, True, False)):
            _fail(f"layer {name!r} is called with {key}={value!r:.50}, which minicnn does not "
                  "support", UnsupportedLayerError)
    return _triple(history, name)[0]


def _triple(value, where):
    _expect(isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:]),
            f"{where}: {value!r:.100} is not [layer name, node index, tensor index]")
    if value[2] != 0:
        _fail(f"{where}: tensor {value[2]} of layer {value[0]!r}: minicnn layers have one "
              "output", UnsupportedLayerError)
    return value


def _references(value, tensors, key):
    _expect(isinstance(value, list) and value, f"{key} is missing or empty")
    if isinstance(value[0], str):                    # Keras 3 writes one as a bare triple
        value = [value]
    names = [_triple(v, key)[0] for v in value]
    for n in names:
        _expect(n in tensors, f"{key} names {n!r}, which is not a connected layer")
    return [tensors[n] for n in names]


# -------------------------------------------------------------------- writing
def model_to_config(model):
    """Keras' ``{"class_name": "Sequential" | "Functional", "config": {...}}`` for ``model``."""
    if isinstance(model, Sequential):
        if model.input is None:
            raise ValueError(f"Sequential '{model.name}' is not built, so its config has no "
                             "input shape: give the first layer an input_shape, or call "
                             "model.build((None, ...)) or predict once, before saving")
        entries = [layer_entry(model.input.layer)] + [layer_entry(l) for l in model.layers]
        return {"class_name": "Sequential", "config": {"name": model.name, "layers": entries}}
    if type(model) is not Model:
        raise NotImplementedError(f"'{model.name}' is a {type(model).__name__}, which has no "
                                  "Keras config; save its weights with model.save_weights")
    require_graph(model)
    source = model.input.layer
    entries = [{**layer_entry(source), "name": source.name, "inbound_nodes": []}]
    for node in model.nodes:
        entries.append({**layer_entry(node.layer), "name": node.layer.name,
                        "inbound_nodes": [[[node.parent.layer.name, 0, 0, {}]]]})
    outputs = [[o.layer.name, output_node(o.layer), 0] for o in model.outputs]
    return {"class_name": "Functional", "config": {
        "name": model.name, "layers": entries, "input_layers": [source.name, 0, 0],
        "output_layers": outputs if isinstance(model.output, list) else outputs[0]}}


def require_graph(model):
    if model.input is None:
        raise ValueError(f"Model '{model.name}' has no layers connected yet")


def output_node(layer):
    """Node numbers as Keras 3 reads them: every layer here is called once (node 0), but in
    ``output_layers`` Keras 3 counts a nested functional model's own graph as node 0, so its
    call is node 1. (tf.keras 2.x counted that extra node in ``inbound_nodes`` too: a model
    nested in a *functional* model is written for Keras 3; minicnn reads either numbering.)
    One input or output is a bare ``[name, node, tensor]``, which both Keras 2 and 3 read as
    one tensor, not a list of one."""
    return 1 if type(layer) is Model else 0


def layer_entry(layer):
    """Keras 2's ``{'class_name', 'config'}`` of one layer (a nested model's whole config)."""
    if isinstance(layer, Model):
        return model_to_config(layer)
    if type(layer) not in WRITTEN_AS:
        raise NotImplementedError(f"layer '{layer.name}' is a {type(layer).__name__}, which "
                                  "has no Keras config; save the weights with "
                                  "model.save_weights and rebuild the model in code")
    config = layer.get_config()
    if "activation" in config and config["activation"] not in activations.NAMES:
        raise NotImplementedError(f"layer '{layer.name}': activation {layer.activation!r} has "
                                  "no Keras name")
    return {"class_name": WRITTEN_AS[type(layer)], "config": config}
