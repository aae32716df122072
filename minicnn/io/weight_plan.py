"""The weights a model config declares, planned before anything is built.

A config is a promise about a file's arrays: ``Dense(16384)`` on 16,384 inputs promises a
``(16384, 16384)`` kernel. Building that layer allocates 1 GiB (and as much again for its
gradient) whatever the file holds, so a 7 kB file could cost gigabytes and seconds before
the layer-by-layer comparison finds nothing to load. Loading therefore plans first:
``config.plan_from_config`` makes the layers without building them and follows the shapes
through the graph, ``weight_shapes`` gives each layer's weights, and ``check`` compares them
with the shapes of the arrays the file holds. Weights the file cannot back, beyond a small
allowance (``UNBACKED_LIMIT``), are refused before any is allocated; within it the model is
built and the exact comparison (by order in Keras 2's files, by place in Keras 3's) names
the difference, as it always has.
"""
import collections
import math

from .. import layers
from ..layers.base import format_shape
from .errors import WeightMismatchError

MAX_WEIGHT_SIZE = 1 << 28    # numbers in one weight (1 GiB of float32; VGG16's largest: 103M)
UNBACKED_LIMIT = 1 << 20     # numbers a config may declare beyond the file's arrays (4 MB)

# one planned layer: its name, Keras class, input shape and weight shapes (Keras' order)
Planned = collections.namedtuple("Planned", "name class_name input_shape shapes")


def weight_shapes(layer, input_shape):
    """The shapes ``layer.build(input_shape)`` would give its weights, without building it.

    ``[]`` for layers without weights (and for models: their layers are planned one by one).
    A ``ValueError`` where ``build`` would refuse the input.
    """
    if not isinstance(layer, (layers.Conv2D, layers.Dense)):
        return []
    channels = input_shape[-1] if len(input_shape) >= 2 else None
    if not isinstance(channels, int) or channels < 1:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' needs inputs whose last axis "
                         f"is known, got {format_shape(input_shape)}")
    if isinstance(layer, layers.Conv2D):
        kernel, units = tuple(layer.kernel_size) + (channels, layer.filters), layer.filters
    else:
        kernel, units = (channels, layer.units), layer.units
    return [kernel, (units,)] if layer.use_bias else [kernel]


def oversized(shapes):
    """The first shape too large to be a real weight (a damaged config), or ``None``."""
    return next((shape for shape in shapes if math.prod(shape) > MAX_WEIGHT_SIZE), None)


def total(planned):
    """The number of weight values a plan declares (``count_params`` of the built model)."""
    return sum(math.prod(shape) for entry in planned for shape in entry.shapes)


def check(planned, stored, where):
    """Refuse a plan whose weights the file's arrays (``stored``: their shapes) cannot back.

    Each declared weight takes one stored array of its shape; what finds none adds up, and
    past ``UNBACKED_LIMIT`` numbers the load stops here, naming the layer, what the config
    declares and what the file holds.
    """
    left = collections.Counter(tuple(shape) for shape in stored)
    unbacked = 0
    for entry in planned:
        missing = []
        for shape in entry.shapes:
            if left[shape]:
                left[shape] -= 1
            else:
                missing.append(shape)
        unbacked += sum(math.prod(shape) for shape in missing)
        if unbacked > UNBACKED_LIMIT:
            biggest = sorted(set(stored), key=math.prod, reverse=True)[:4]
            holds = (f"{len(stored)} arrays, the largest of shapes {biggest}" if stored
                     else "no weight arrays")
            raise WeightMismatchError(
                f"{where}: layer {entry.name!r} ({entry.class_name} on inputs "
                f"{format_shape(entry.input_shape)}) declares weights of shapes "
                f"{entry.shapes}, but the file holds no array of shape {missing[0]} "
                f"(it holds {holds}); the config declares {unbacked:,} weight values the "
                "file cannot supply, so it does not describe this file: refused before "
                "anything was built")
