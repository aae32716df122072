"""Keras 3's ``config.json``: the serialised model and its ``compile_config``.

Keras 3 writes every object as ``{"module", "class_name", "config", "registered_name"}``
(``serialization_lib.serialize_keras_object``), layers with a ``build_config``, dtypes as
``DTypePolicy`` objects and ``InputLayer`` with ``batch_shape``::

    {"module": "keras", "class_name": "Sequential", "registered_name": null,
     "config": {"name": "sequential", "trainable": true, "dtype": {DTypePolicy},
                "layers": [{"module": "keras.layers", "class_name": "InputLayer", ...}, ...],
                "build_input_shape": [null, 28, 28, 1]},
     "build_config": {"input_shape": [null, 28, 28, 1]},
     "compile_config": {"optimizer": {...}, "loss": "...", "metrics": [...], ...}}

Reading goes through ``config.model_from_config`` (its table of the layer classes minicnn has
reads Keras 3's layer configs already); first, ``check_objects`` refuses any object whose
``module`` is not Keras' or that carries a ``registered_name`` of its own (a custom layer,
``"my_package>MyLayer"``), naming it. Nothing in a config is imported, run or unpickled.
Writing wraps ``config``'s per-layer entries (the same class table) in Keras 3's form.
"""
import warnings

from ..layers.input_layer import InputLayer
from ..models.functional import Model
from ..models.sequential import Sequential
from . import config as config_module
from . import training_config
from .errors import UnsupportedLayerError
from .keras3_weights import keras_layers

BUILT = ("Conv2D", "Dense", "Flatten")     # the classes Keras 3 writes a build_config for


# -------------------------------------------------------------------- checking
def check_objects(value, where="config.json"):
    """Raise ``UnsupportedLayerError`` at the first object that is not Keras' own."""
    stack = [(value, where)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, list):
            stack += [(v, where) for v in reversed(value)]     # report the first one first
            continue
        if not isinstance(value, dict):
            continue
        if "class_name" in value and ("module" in value or "registered_name" in value):
            class_name, module = value.get("class_name"), value.get("module")
            registered = value.get("registered_name")
            name = value.get("config", {}).get("name") if isinstance(
                value.get("config"), dict) else None
            if not (module == "keras" or (isinstance(module, str)
                                          and module.startswith("keras."))) \
                    or registered not in (None, class_name):
                label = f"{class_name!r:.80}" + (f" named {name!r:.80}"
                                                 if isinstance(name, str) else "")
                raise UnsupportedLayerError(
                    f"{where}: {label} is a class from module {module!r:.80} (registered as "
                    f"{registered!r:.80}), not one of Keras' own: a custom object, whose code "
                    "minicnn never imports or runs. Rebuild the model in code with "
                    "minicnn's layers, then call model.load_weights(path)")
            if isinstance(name, str) and name:
                where = f"{where} > {name[:40]}"      # a breadcrumb: config.json > vgg16 > ...
        stack += [(v, where) for k, v in reversed(value.items()) if k != "class_name"]


# --------------------------------------------------------------------- writing
def _object(module, class_name, config, registered_name=None, **extra):
    return {"module": module, "class_name": class_name, "config": config,
            "registered_name": registered_name, **extra}


def _policy(dtype):
    return _object("keras", "DTypePolicy", {"name": dtype})


def model_config(model):
    """Keras 3's serialised ``model`` (without ``compile_config``)."""
    dtype = model.dtype or "float32"
    if isinstance(model, Sequential):
        if model.input is None:
            raise ValueError(f"Sequential '{model.name}' is not built, so its config has no "
                             "input shape: give the first layer an input_shape, or call "
                             "model.build((None, ...)) before saving")
        shape = list(model.input.shape)
        entries = [_input(model.input.layer)] + [
            _layer(node.layer, node.parent.shape) for node in model.nodes]
        return _object("keras", "Sequential", {
            "name": model.name, "trainable": model.trainable, "dtype": _policy(dtype),
            "layers": entries, "build_input_shape": shape}, build_config={"input_shape": shape})
    if type(model) is not Model:
        raise NotImplementedError(f"'{model.name}' is a {type(model).__name__}, which has no "
                                  "Keras config; save its weights with model.save_weights")
    config_module.require_graph(model)
    node_of = {id(node.layer): node for node in model.nodes}
    entries = []
    for layer in keras_layers(model):
        if isinstance(layer, InputLayer):
            entries.append({**_input(layer), "name": layer.name, "inbound_nodes": []})
            continue
        parent = node_of[id(layer)].parent
        history = {"class_name": "__keras_tensor__", "config": {
            "shape": list(parent.shape), "dtype": dtype,
            "keras_history": [parent.layer.name, 0, 0]}}
        entries.append({**_layer(layer, parent.shape), "name": layer.name,
                        "inbound_nodes": [{"args": [history], "kwargs": {}}]})
    outputs = [[o.layer.name, config_module.output_node(o.layer), 0] for o in model.outputs]
    return _object("keras.src.models.functional", "Functional", {
        "name": model.name, "trainable": model.trainable, "layers": entries,
        "input_layers": [model.input.layer.name, 0, 0],
        "output_layers": outputs if isinstance(model.output, list) else outputs[0]},
        registered_name="Functional", build_config={"input_shape": None})


def _input(layer):
    return _object("keras.layers", "InputLayer", {
        "batch_shape": list(layer.batch_input_shape), "dtype": layer.dtype or "float32",
        "sparse": False, "ragged": False, "name": layer.name, "optional": False})


def _layer(layer, input_shape):
    if isinstance(layer, Model):
        return model_config(layer)
    entry = config_module.layer_entry(layer)       # the class table: WRITTEN_AS and get_config
    config = dict(entry["config"], dtype=_policy(entry["config"]["dtype"]))
    for key, value in config.items():
        if key.endswith("_initializer") and isinstance(value, dict):
            config[key] = _object("keras.initializers", value["class_name"], value["config"])
    extra = {"build_config": {"input_shape": list(input_shape)}} \
        if entry["class_name"] in BUILT else {}
    return _object("keras.layers", entry["class_name"], config, **extra)


def compile_config(model):
    """Keras 3's ``compile_config`` (``{}`` for a model that is not compiled)."""
    settings = training_config.training_config(model)
    if settings is None:
        return {}
    optimizer = settings["optimizer_config"]
    return {"optimizer": _object("keras.optimizers", optimizer["class_name"],
                                 optimizer["config"]),
            "loss": settings["loss"], "loss_weights": None, "metrics": settings["metrics"],
            "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1,
            "jit_compile": False}


# --------------------------------------------------------------------- reading
def compile_args(config, path):
    """``model.compile`` keyword arguments from a ``compile_config``, or ``None`` (not
    compiled, or settings minicnn lacks: warned, as for ``.h5`` files)."""
    if not config:
        return None
    problem = None
    if not isinstance(config, dict):
        problem = "it is not a dict"
    elif config.get("loss_weights") is not None or config.get("weighted_metrics"):
        problem = "loss_weights and weighted_metrics are not supported"
    else:
        try:
            check_objects(config, "compile_config")
        except UnsupportedLayerError as e:
            problem = str(e).split(". Rebuild")[0]
    if problem is not None:
        warnings.warn(f"{path}: the compile settings were not restored ({problem}); the model "
                      "is returned uncompiled: call model.compile(...) before training",
                      stacklevel=4)
        return None
    optimizer = config.get("optimizer")
    if isinstance(optimizer, str):                  # a bare name: Keras' defaults
        optimizer = {"class_name": optimizer, "config": {}}
    return training_config.compile_args({"optimizer_config": optimizer,
                                         "loss": config.get("loss"),
                                         "metrics": config.get("metrics")}, path)
