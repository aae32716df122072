"""Keras option values as minicnn's layer constructors take them (for ``config``).

Activations by name (Keras 3 may wrap one: ``{"config": "relu"}``), initializers as names or
``{"class_name", "config"}`` dicts, dtypes as names or Keras 3's ``DTypePolicy``, shapes as
lists. What minicnn lacks is refused (activations) or replaced by minicnn's default with a
warning (initializers, dtypes: they never change loaded weights).
"""
import inspect
import warnings

from .. import activations, initializers
from .errors import H5FormatError, UnsupportedLayerError


def _fail(message, cls=H5FormatError):
    raise cls(f"model_config: {message}")


def _expect(condition, message):
    if not condition:
        _fail(message)


DEFAULT = object()  # "leave minicnn's default": an initializer minicnn does not have


def argument(key, value, layer_name):
    """A Keras argument value as minicnn's constructor takes it."""
    if key == "activation":
        return _activation(value, layer_name)
    if key.endswith("_initializer"):
        return _initializer(value, layer_name)
    if isinstance(value, list):
        return tuple(value)
    return value


def _activation(value, layer_name):
    if isinstance(value, dict):           # Keras 3 may wrap a name: {"config": "relu", ...}
        value = value.get("config")
    if value is None or (isinstance(value, str) and value.lower() in activations.NAMES):
        return value
    _fail(f"layer {layer_name!r}: activation {value!r:.100} is not in minicnn (it has "
          f"{list(activations.NAMES)})", UnsupportedLayerError)


def _initializer(value, layer_name):
    """A minicnn initializer; one minicnn lacks keeps the default, with a warning: it only
    matters for a layer that is initialized again, never for loaded weights."""
    name, config = value, {}
    if isinstance(value, dict):
        name, config = value.get("class_name"), value.get("config") or {}
    try:
        if not isinstance(name, str) or not isinstance(config, dict):
            raise ValueError(f"not an initializer: {value!r:.100}")
        cls = type(initializers.get(name))
        accepted = inspect.signature(cls).parameters
        extra = {k: v for k, v in config.items() if v is not None and k not in accepted}
        if extra:
            raise ValueError(f"options {extra} are not supported")
        return cls(**{k: v for k, v in config.items() if k in accepted})
    except (ValueError, TypeError) as e:
        warnings.warn(f"layer {layer_name!r}: initializer {name!r} ({e}) is replaced by "
                      "minicnn's default; this does not change the loaded weights", stacklevel=5)
        return DEFAULT


def dtype(value, layer_name):
    if isinstance(value, dict):          # Keras 3: {"class_name": "DTypePolicy", "config": {...}}
        config = value.get("config")
        value = config.get("name") if isinstance(config, dict) else None
    if value in (None, "float32", "float64"):
        return value
    warnings.warn(f"layer {layer_name!r}: dtype {value!r:.50} is not supported; it computes in "
                  "minicnn's default float type", stacklevel=5)
    return None


def shape(value, name, rank=(1, 8)):
    ok = isinstance(value, (list, tuple)) and rank[0] <= len(value) <= rank[1] and all(
        s is None or (isinstance(s, int) and not isinstance(s, bool) and 0 < s < 1 << 31)
        for s in value)
    _expect(ok, f"layer {name!r}: {value!r:.100} is not a shape")
    return tuple(value)
