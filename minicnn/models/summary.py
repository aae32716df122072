"""``model.summary()``: Keras 2's table, character for character.

::

    _________________________________________________________________
    Layer (type)                 Output Shape              Param #
    =================================================================
    conv2d_1 (Conv2D)            (None, 26, 26, 32)        320
    _________________________________________________________________
    ...
    =================================================================
    Total params: 93,322
    Trainable params: 93,322
    Non-trainable params: 0
    _________________________________________________________________

Columns end at 45%, 85% and 100% of 65 characters; a cell that is too long is
cut, its last character replaced by a space (``max_pooling2d_1 (MaxPooling2``).
"""
from ..layers.base import format_shape


def _row(fields, positions):
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line += str(field)
        line = line[:positions[i]]
        line += " " * (positions[i] - len(line))
    return line


def _count(weights):
    return int(sum(w.size for w in weights))


def print_summary(model, line_length=None, positions=None, print_fn=print):
    """Print ``model``'s layers with output shapes and parameter counts."""
    if model.input is None:
        raise ValueError(f"Model '{model.name}' has no layers connected yet: give the first "
                         "layer an input_shape, or call the model on data, before summary()")
    line_length = line_length or 65
    positions = positions or [0.45, 0.85, 1.0]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    print_fn("_" * line_length)
    print_fn(_row(["Layer (type)", "Output Shape", "Param #"], positions))
    print_fn("=" * line_length)
    shapes = {id(model.input.layer): model.input.shape}
    shapes.update({id(node.layer): node.shape for node in model.nodes})
    layers = model.layers
    for i, layer in enumerate(layers):
        shape = format_shape(shapes[id(layer)])
        params = layer.count_params() if layer.built else 0
        print_fn(_row([f"{layer.name} ({type(layer).__name__})", shape, params], positions))
        print_fn(("=" if i == len(layers) - 1 else "_") * line_length)
    trainable = _count(model.trainable_weights)
    total = _count(model.weights)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn("_" * line_length)
