"""The ``training_config`` attribute (``compile``'s settings) <-> ``model.compile`` arguments.

Written as tf.keras 2.x writes it, which Keras 2 and Keras 3 both read::

    {"loss": "categorical_crossentropy", "metrics": ["accuracy"], "weighted_metrics": null,
     "loss_weights": null, "sample_weight_mode": null,
     "optimizer_config": {"class_name": "RMSprop",
                          "config": {"name": "RMSprop", "learning_rate": 0.001, "rho": 0.9,
                                     "epsilon": 1e-07, "momentum": 0.0, "centered": false}}}

Read from Keras 2.2 (``lr``, ``decay``), tf.keras 2.x (``"Custom>RMSprop"``, metrics as
``MeanMetricWrapper`` dicts) and Keras 3 (``"rm_sprop"`` names, ``DTypePolicy``). A setting
minicnn lacks (a learning-rate schedule, clipping, several losses) leaves the model
uncompiled with a warning that says why, as Keras does when a file has no training config.
"""
import warnings

from .. import losses, metrics, optimizers

# minicnn class -> (its arguments besides learning_rate, Keras options accepted at these values)
OPTIMIZERS = {
    "RMSprop": (optimizers.RMSprop, ("rho", "epsilon"), {"momentum": 0.0, "centered": False}),
    "SGD": (optimizers.SGD, ("momentum", "nesterov"), {}),
    "Adam": (optimizers.Adam, ("beta_1", "beta_2", "epsilon"), {"amsgrad": False}),
}
# Keras options that change nothing here, or that must keep these values
IGNORED = ("name", "jit_compile", "is_legacy_optimizer", "ema_momentum",
           "ema_overwrite_frequency")
NEUTRAL = {"decay": 0.0, "weight_decay": 0.0, "use_ema": False}


class NotRestorable(Exception):
    """A training setting minicnn cannot reproduce."""


# -------------------------------------------------------------------- writing
def training_config(model):
    """The ``training_config`` of a compiled model (``None`` if it is not compiled)."""
    if not model.compiled:
        return None
    if model.outputs:   # resolving 'accuracy' warns, once per compile, where Keras 3 would
        model.metric_functions               # score the saved file otherwise
    optimizer = model.optimizer
    name = type(optimizer).__name__
    if name not in OPTIMIZERS:
        warnings.warn(f"optimizer {name} has no Keras config; the file is saved uncompiled",
                      stacklevel=4)
        return None
    config = {**optimizer.get_config(), "name": name, **OPTIMIZERS[name][2]}
    loss = model.loss if isinstance(model.loss, str) else model.loss_function.name
    names = []
    for m in model.metrics:
        metric = m if isinstance(m, str) else getattr(m, "__name__", getattr(m, "name", None))
        try:
            metrics.get(metric, loss)      # a name Keras knows too: minicnn has Keras' names
            names.append(metric)
        except (ValueError, TypeError):
            warnings.warn(f"metric {m!r} has no Keras name; the file lists it not", stacklevel=4)
    return {"loss": loss, "metrics": names,
            "weighted_metrics": None, "loss_weights": None, "sample_weight_mode": None,
            "optimizer_config": {"class_name": name, "config": config}}


# -------------------------------------------------------------------- reading
def compile_args(config, path):
    """``model.compile`` keyword arguments from a training config, or ``None`` (warned)."""
    if config is None:
        return None
    try:
        if not isinstance(config, dict):
            raise NotRestorable("it is not a dict")
        loss = _loss(config.get("loss"))
        return {"optimizer": _optimizer(config.get("optimizer_config")), "loss": loss,
                "metrics": _metrics(config.get("metrics"), loss)}
    except NotRestorable as e:
        warnings.warn(f"{path}: the compile settings were not restored ({e}); the model is "
                      "returned uncompiled: call model.compile(...) before training",
                      stacklevel=4)
        return None


def _number(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NotRestorable(f"{what} is {value!r:.80}, not a number")
    return value


def _optimizer(entry):
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise NotRestorable("no optimizer_config")
    class_name = entry["class_name"].split(">")[-1]      # tf.keras 2.x: "Custom>RMSprop"
    match = [k for k in OPTIMIZERS if k.lower() == class_name.lower()]
    if not match:
        raise NotRestorable(f"optimizer {class_name!r} is not in minicnn "
                            f"(it has {sorted(OPTIMIZERS)})")
    cls, arguments, defaults = OPTIMIZERS[match[0]]
    config = entry.get("config") or {}
    if not isinstance(config, dict):
        raise NotRestorable("the optimizer config is not a dict")
    kwargs = {}
    for key, value in config.items():
        if key in ("learning_rate", "lr"):
            if isinstance(value, dict):
                raise NotRestorable(f"learning-rate schedule {value.get('class_name')!r} is "
                                    "not supported")
            kwargs["learning_rate"] = _number(value, key)
        elif key in arguments:
            if value is not None:       # Keras 2.2 wrote epsilon=None for "the default"
                kwargs[key] = value if key == "nesterov" else _number(value, key)
        elif key in IGNORED or value is None:
            continue
        elif not ((key in defaults and defaults[key] == value)
                  or (key in NEUTRAL and NEUTRAL[key] == value)):
            raise NotRestorable(f"{class_name} option {key}={value!r:.80} is not supported")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as e:
        raise NotRestorable(f"{class_name}: {e}") from None


def _single(value, what):
    """One entry for the one output: Keras 2 may wrap it in a list or a dict by output name."""
    if isinstance(value, dict) and "class_name" not in value:
        if len(value) != 1:
            raise NotRestorable(f"{what} for {len(value)} outputs; minicnn trains one output")
        value = next(iter(value.values()))
    if isinstance(value, list):
        if len(value) != 1:
            raise NotRestorable(f"{what} for {len(value)} outputs; minicnn trains one output")
        value = value[0]
    return value


def _loss(value):
    value = _single(value, "losses")
    if isinstance(value, dict):                 # Keras 3: {"class_name": ..., "config": {...}}
        config = value.get("config") or {}
        if not isinstance(config, dict) or config.get("from_logits") or \
                config.get("label_smoothing"):
            raise NotRestorable(f"loss {value.get('class_name')!r} with options {config!r:.80}")
        value = value.get("class_name")
    if not isinstance(value, str):
        raise NotRestorable(f"loss {value!r:.80} is not a name")
    try:
        return losses.get(value).name
    except ValueError as e:
        raise NotRestorable(str(e)) from None


def _metrics(value, loss):
    if value is None:
        return []
    if isinstance(value, (list, dict)) and len(value) == 1 and \
            isinstance(_single(value, "metrics"), list):
        value = _single(value, "metrics")       # tf.keras 2.x: one list per output
    if not isinstance(value, list):
        raise NotRestorable(f"metrics {value!r:.80} are not a list")
    names = []
    for metric in value:
        if isinstance(metric, dict):        # {"class_name": "MeanMetricWrapper", "config": ...}
            config = metric.get("config") if isinstance(metric.get("config"), dict) else {}
            candidates = [config.get("name"), config.get("fn")]
        else:
            candidates = [metric]
        for name in candidates:
            try:
                metrics.get(name, loss)
            except (ValueError, TypeError):
                continue
            names.append(name)
            break
        else:
            raise NotRestorable(f"metric {metric!r:.80} is not in minicnn")
    return names
