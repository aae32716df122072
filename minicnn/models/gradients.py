"""Taps and gradients over a model's public graph: what ``K.gradients`` and ``K.function`` run.

Keras 2 builds a symbolic graph and differentiates it; minicnn runs the layers' own
forward and backward passes over a ``Tape``: the layer tensors that lie between an input
placeholder and the tensors asked for, in forward order::

    forward x (inference mode), keeping the value of every tensor on the way
    seeds: d(your scalar) / d(some of those tensors)     # e.g. a one-hot on the predictions
    backward in reverse order, each layer's own backward(dy) -> dx, down to the tensors
    asked for (the input, or an inner layer's output), adding up where paths meet

A model nested as a layer (VGG16 inside a Sequential) is opened up: its input is the
tensor it was called on, its output the node it made, so the tape reaches the layers
inside it. Frozen layers pass gradients; no weight gradient is computed on the way.

- ``outputs_at(model, x, layers)``: several layers' outputs from one forward pass;
- ``gradients(model, x, output_layer, output_grad, wrt)``: one gradient, as
  ``model.gradients`` (which delegates here) has always done;
- ``Tape``: the two passes themselves, which ``minicnn.symbolic`` uses for ``K.function``.
"""
from .. import backend
from ..layers.base import input_gradients_only


class Tape:
    """The layer tensors from ``source`` to ``targets`` and the two passes over them.

    Args:
        source: an input placeholder (``model.input``).
        targets: the tensors whose values (or gradients) are wanted.

    Raises:
        ValueError: a target is not computed from ``source``, or is computed twice
            (a layer used in two places of the graph).
    """

    def __init__(self, source, targets):
        self.source = source
        every = flatten(source)
        steps = {}
        for step in every:
            steps.setdefault(id(step[0]), []).append(step)
        needed = set()
        for target in targets:
            t = target
            while t is not source and id(t) not in needed:
                found = steps.get(id(t))
                if not found:
                    raise ValueError(f"{target!r} is not computed from the input {source!r}")
                if len(found) > 1:
                    raise ValueError(f"{t!r} is computed in more than one place of the graph "
                                     f"from {source!r} (a layer or model used twice)")
                needed.add(id(t))
                t = found[0][1]
        self.steps = [step for step in every if id(step[0]) in needed]
        self.layers = [layer for _, _, layer in self.steps if layer is not None]

    def contains(self, tensor):
        """Whether ``tensor`` is the source or one of the tape's tensors."""
        return tensor is self.source or any(t is tensor for t, _, _ in self.steps)

    def forward(self, x):
        """``x``: the source's input ``(N, ...)`` -> ``{id(tensor): value}`` of every tensor."""
        x = on_device(x, self.layers)
        values = {id(self.source): self.source.layer.forward(x)}  # checks shape, casts
        for tensor, parent, layer in self.steps:
            inp = values[id(parent)]
            values[id(tensor)] = inp if layer is None else layer.forward(inp, training=False)
        self.values = values
        return values

    def backward(self, seeds, wrt):
        """Gradients reaching the ``wrt`` tensors from ``seeds``, after ``forward``.

        Args:
            seeds: ``{id(tensor): gradient}``, each gradient shaped like its tensor.
            wrt: tensors of the tape (the source included).

        Returns:
            One gradient per ``wrt`` tensor, shaped like its value (zeros where no
            seed's path passes).
        """
        wanted = {id(t) for t in wrt}
        below = {id(self.source): False}     # does a wrt tensor lie strictly below this one?
        for tensor, parent, _ in self.steps:
            below[id(tensor)] = below[id(parent)] or id(parent) in wanted
        grads, found = dict(seeds), {}
        with input_gradients_only(self.layers):
            for tensor, parent, layer in reversed(self.steps):
                g = grads.pop(id(tensor), None)
                if g is None:
                    continue
                if id(tensor) in wanted:
                    found[id(tensor)] = g
                if below[id(tensor)]:
                    _accumulate(grads, parent, g if layer is None else layer.backward(g))
        if id(self.source) in grads:
            found[id(self.source)] = grads[id(self.source)]
        result = []
        for t in wrt:
            value = self.values[id(t)]
            result.append(found.get(id(t), backend.get_array_module(value).zeros_like(value)))
        return result


def flatten(source):
    """``(tensor, parent, layer)`` for every layer tensor computed from ``source``, in
    forward order; ``layer`` is ``None`` where a nested model's input or output is the
    same value as the outer tensor (its graph is opened up in place)."""
    from .functional import Model   # the class whose graph is opened (imports this module)

    steps = []

    def visit(tensor):
        for child in tensor.consumers:
            if isinstance(child.layer, Model):
                inner = child.layer
                steps.append((inner.input, tensor, None))
                visit(inner.input)
                steps.append((child, inner.outputs[0], None))
            else:
                steps.append((child, tensor, child.layer))
            visit(child)

    visit(source)
    return steps


def _accumulate(grads, tensor, g):
    """``grads[tensor] += g``, without writing into arrays that layers own."""
    key = id(tensor)
    grads[key] = g if key not in grads else grads[key] + g


def on_device(x, layers):
    """``x`` moved (once) to where the ``layers``' weights live: the GPU on CuPy."""
    for layer in layers:
        if layer.params:
            xp = backend.get_array_module(next(iter(layer.params.values())))
            return x if backend.get_array_module(x) is xp else xp.asarray(x)
    return x


def tensor_of(model, layer):
    """The output tensor of ``layer`` (a layer of ``model``, nested ones too, or a name) on
    the graph from ``model.input``: its first call's output, or whichever call that graph made."""
    layer = model.find_layer(layer)
    if layer is model.input.layer:
        return model.input
    reachable = {id(t) for t, _, _ in flatten(model.input)}
    for _, out in layer.inbound_nodes:
        if id(out) in reachable:
            return out
    raise ValueError(f"layer '{layer.name}' is not computed from the input of model "
                     f"'{model.name}'")


def outputs_at(model, x, layers):
    """The outputs of several layers for ``x``, from one forward pass in inference mode.

    Args:
        model: a built model. x: its input ``(N, ...)``.
        layers: layers or layer names (nested models searched).

    Returns:
        A list of arrays, one per layer, each ``(N, ...)`` like that layer's output.
    """
    tensors = [tensor_of(model, layer) for layer in layers]
    values = Tape(model.input, tensors).forward(x)
    return [values[id(t)] for t in tensors]


def gradients(model, x, output_layer, output_grad, wrt="input"):
    """Gradient of a scalar of ``output_layer``'s output, by backpropagation.

    Args:
        model: the model. x: its input, e.g. ``(1, 150, 150, 3)``.
        output_layer: a layer or a layer name (nested models are searched).
        output_grad: the gradient of your scalar with respect to that layer's
            output: an array of the output's shape, or a callable that receives
            the output and returns one (``1/(H*W)`` on channel k for "mean of
            filter k"; a one-hot on the predictions for "score of class k").
        wrt: ``'input'`` (the default) or a layer (or name) between the input and
            ``output_layer``: the gradient with respect to its output (Grad-CAM asks
            for ``'block5_conv3'``).

    Returns:
        The gradient, shaped like ``x`` (or like the ``wrt`` layer's output).
    """
    layer = model.find_layer(output_layer)
    out = tensor_of(model, layer)
    target = model.input if wrt == "input" else tensor_of(model, wrt)
    tape = Tape(model.input, [out, target])
    if target is not model.input and not _is_above(tape, target, out):
        raise ValueError(f"gradients: layer '{target.layer.name}' does not lie between the "
                         f"input and layer '{layer.name}'")
    values = tape.forward(x)
    value = values[id(out)]
    g = output_grad(value) if callable(output_grad) else output_grad
    g = backend.get_array_module(value).asarray(g, dtype=value.dtype)
    if tuple(g.shape) != tuple(value.shape):
        raise ValueError(f"gradients: output_grad for layer '{layer.name}' must have its "
                         f"output's shape {tuple(value.shape)}, got {tuple(g.shape)}")
    return tape.backward({id(out): g}, [target])[0]


def _is_above(tape, upper, lower):
    """Whether tensor ``upper`` lies on the path from the source to ``lower``."""
    parents = {id(t): p for t, p, _ in tape.steps}
    t = lower
    while t is not tape.source:
        if t is upper:
            return True
        t = parents[id(t)]
    return upper is tape.source
