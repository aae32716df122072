"""Weight initializers with Keras' names and formulas.

``fan_in`` / ``fan_out`` follow Keras: a Dense kernel ``(in, out)`` has
``fan_in = in``, ``fan_out = out``; a conv kernel ``(KH, KW, C, F)`` has
``fan_in = KH*KW*C`` and ``fan_out = KH*KW*F``.

Values are drawn on the host with NumPy (seeded by ``backend.set_seed`` or the
initializer's own ``seed``) and placed with ``backend.array_module()``.
"""
import math

import numpy

from . import backend


def compute_fans(shape):
    """``(fan_in, fan_out)`` of a weight shape, as Keras computes them."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base: ``init(shape, dtype=None) -> array`` of that shape, on the current backend."""

    def __init__(self, seed=None):
        self.seed = seed

    def __call__(self, shape, dtype=None):
        dtype = dtype or backend.floatx()
        values = self.sample(tuple(int(s) for s in shape), backend.rng(self.seed))
        return backend.array_module().asarray(values, dtype=dtype)

    def get_config(self):
        return {"seed": self.seed}


class Zeros(Initializer):
    def sample(self, shape, rng):
        return numpy.zeros(shape)

    def get_config(self):
        return {}


class Ones(Initializer):
    def sample(self, shape, rng):
        return numpy.ones(shape)

    def get_config(self):
        return {}


class GlorotUniform(Initializer):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))`` (Keras' default)."""

    def sample(self, shape, rng):
        fan_in, fan_out = compute_fans(shape)
        limit = math.sqrt(6.0 / max(1.0, fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape)


class HeNormal(Initializer):
    """Truncated normal (cut at 2 std) with ``std = sqrt(2 / fan_in)``, as Keras' ``he_normal``."""

    def sample(self, shape, rng):
        fan_in, _ = compute_fans(shape)
        # Keras divides by the std of a unit normal truncated to [-2, 2]
        std = math.sqrt(2.0 / max(1.0, fan_in)) / 0.87962566103423978
        values = rng.standard_normal(size=shape)
        bad = numpy.abs(values) > 2
        while bad.any():  # redraw what falls outside two standard deviations
            values[bad] = rng.standard_normal(size=int(bad.sum()))
            bad = numpy.abs(values) > 2
        return values * std


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, size=shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, size=shape)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


_BY_NAME = {
    "zeros": Zeros, "ones": Ones, "glorot_uniform": GlorotUniform,
    "he_normal": HeNormal, "random_normal": RandomNormal, "random_uniform": RandomUniform,
}
_CLASS_NAMES = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier):
    """An initializer from a name (``'glorot_uniform'``), a class name, an instance or a callable."""
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASS_NAMES.get(identifier)
        if cls is None:
            raise ValueError(
                f"unknown initializer {identifier!r}; expected one of {sorted(_BY_NAME)}")
        return cls()
    if callable(identifier):
        return identifier
    raise ValueError(f"an initializer must be a name or a callable, got {identifier!r}")


def serialize(initializer):
    """Keras' ``{"class_name": ..., "config": ...}`` for an initializer (a name or an instance).

    ``serialize('he_normal')`` -> ``{"class_name": "HeNormal", "config": {"seed": None}}``.
    """
    if isinstance(initializer, str):
        initializer = get(initializer)
    if type(initializer) not in _CLASS_NAMES.values():
        raise ValueError(f"cannot write initializer {initializer!r} in a Keras config: only "
                         f"minicnn's own {sorted(_CLASS_NAMES)} have one")
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
