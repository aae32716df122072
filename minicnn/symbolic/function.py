"""``K.gradients`` and ``K.function``: running an expression graph on data.

``K.function([model.input], [loss, grads])`` plans once, then each call::

    1. one forward pass of the model's layers (a Tape from the input placeholder to
       every layer tensor the outputs read), in inference mode;
    2. the expressions, in order, from those values (each op's forward);
    3. for each loss that a K.gradients entry differentiates: its adjoint, from
       ones_like(loss) back through the expressions (each op's vjp) to the layer
       tensors, then ONE backward pass of the layers from there (each layer's own
       backward) down to the variables;
    4. the outputs, as NumPy arrays.
"""
import numpy

from .. import backend
from ..models import gradients as tape_module
from .tensor import Expression, Gradient, is_symbolic


def graph(outputs):
    """Every node the ``outputs`` read, each after its inputs: ``(expressions, leaves)``.

    ``expressions`` are ``Expression`` and ``Gradient`` nodes (a ``Gradient`` after the
    nodes of its loss); ``leaves`` the layer tensors and placeholders underneath.
    """
    order, leaves, seen = [], [], set()

    def visit(node):
        if not is_symbolic(node) or id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, Gradient):
            visit(node.loss)
            visit(node.variable)
        elif isinstance(node, Expression):
            for inp in node.inputs:
                visit(inp)
        else:
            leaves.append(node)
            return
        order.append(node)

    for out in outputs:
        visit(out)
    return order, leaves


def root(tensor):
    """The placeholder a layer tensor was built from (follow ``parent`` up)."""
    while tensor.parent is not None:
        tensor = tensor.parent
    return tensor


def depends_on(loss, variable):
    """Whether ``loss`` is computed from ``variable`` (statically, as Keras decides ``None``).

    A variable inside a model nested as a layer counts for a loss of the outer model,
    and the outer input counts for the nested layers: the graph from either
    placeholder is searched, with nested models opened up.
    """
    order, leaves = graph([loss])
    if any(node is variable for node in order + leaves):
        return True
    if is_expression(variable):
        return False
    starts = {id(r): r for r in [root(variable)] + [root(leaf) for leaf in leaves]}
    for start in starts.values():
        parents = {id(t): p for t, p, _ in tape_module.flatten(start)}
        for leaf in leaves:
            t = leaf
            while t is not None:
                if t is variable:
                    return True
                t = parents.get(id(t))
    return False


def adjoints(values, loss):
    """Reverse mode over the expressions: ``{id(node): d sum(loss) / d node}``.

    Every node that ``loss`` reads gets its gradient, layer tensors included (where
    the layers' backward passes take over).
    """
    loss_value = values[id(loss)]
    grads = {id(loss): backend.get_array_module(loss_value).ones_like(loss_value)}
    sub, _ = graph([loss])
    for node in reversed(sub):
        g = grads.get(id(node))
        if g is None or not isinstance(node, Expression):
            continue
        inputs = [values[id(i)] if is_symbolic(i) else i for i in node.inputs]
        parts = node.op.vjp(g, values[id(node)], *inputs)
        for inp, part in zip(node.inputs, parts):
            if is_symbolic(inp) and part is not None:
                key = id(inp)
                grads[key] = part if key not in grads else grads[key] + part
    return grads


class Function:
    """``K.function(inputs, outputs)``: a callable from a list of arrays to a list of arrays.

    Args:
        inputs: ``[model.input]``: the one input placeholder (minicnn models have one).
        outputs: a list of symbolic tensors (or one).
    """

    def __init__(self, inputs, outputs, updates=None, name=None):
        if updates:
            raise ValueError("K.function: updates are not supported (minicnn trains with "
                             "model.fit); pass updates=None")
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(f"K.function: inputs must be a list of placeholders, e.g. "
                            f"[model.input], got {inputs!r}")
        self._single = not isinstance(outputs, (list, tuple))
        self.outputs = [outputs] if self._single else list(outputs)
        for i, out in enumerate(self.outputs):
            if not is_symbolic(out):
                hint = " (K.gradients gives None for a variable the loss does not depend on)" \
                    if out is None else ""
                raise TypeError(f"K.function: output {i} must be a symbolic tensor, got "
                                f"{out!r}{hint}")
        self.inputs = list(inputs)
        for placeholder in self.inputs:
            if not is_symbolic(placeholder) or getattr(placeholder, "parent", 0) is not None:
                raise TypeError(f"K.function: each input must be a model's input placeholder "
                                f"(model.input or layers.Input(...)), got {placeholder!r}")
        if len(self.inputs) != 1:
            raise ValueError(f"K.function: minicnn models have one input, so K.function takes "
                             f"one placeholder, got {len(self.inputs)}")
        self.order, self.leaves = graph(self.outputs)   # gradients' variables among the leaves
        try:
            self.tape = tape_module.Tape(self.inputs[0], self.leaves)
        except ValueError as e:
            raise ValueError(f"K.function: the outputs need a tensor that the input cannot "
                             f"give: {e}") from None

    def __call__(self, arrays):
        if not isinstance(arrays, (list, tuple)):
            raise TypeError("K.function: call it with a list of arrays, one per input: "
                            "f([x])")
        if len(arrays) != len(self.inputs):
            raise ValueError(f"K.function: expected {len(self.inputs)} input array(s) for "
                             f"{[p.name for p in self.inputs]}, got {len(arrays)}")
        x = arrays[0]
        placeholder = self.inputs[0]
        shape = numpy.shape(x)
        want = placeholder.shape
        if len(shape) != len(want) or any(w is not None and w != s for w, s in zip(want, shape)):
            raise ValueError(f"K.function: input '{placeholder.layer.name}' has shape "
                             f"{_format(want)}, got an array of shape {tuple(shape)}")
        values = dict(self.tape.forward(x))
        for node in self.order:
            if isinstance(node, Gradient):
                if id(node) not in values:
                    self._differentiate(node.loss, values)
                continue
            inputs = [values[id(i)] if is_symbolic(i) else i for i in node.inputs]
            values[id(node)] = node.op.forward(*inputs)
        results = [_as_result(values[id(out)]) for out in self.outputs]
        return results[0] if self._single else results

    def _differentiate(self, loss, values):
        """Fill in the values of every ``Gradient`` of ``loss``: one backward pass for all."""
        mine = [n for n in self.order if isinstance(n, Gradient) and n.loss is loss]
        grads = adjoints(values, loss)
        layer_vars = [n.variable for n in mine if not is_expression(n.variable)]
        seeds = {id(t): grads[id(t)] for t in self.leaves if id(t) in grads}
        found = dict(zip(map(id, layer_vars), self.tape.backward(seeds, layer_vars)))
        for node in mine:
            key = id(node.variable)
            values[id(node)] = found[key] if key in found else grads.get(
                key, numpy.zeros_like(values[key]))


def is_expression(node):
    return isinstance(node, (Expression, Gradient))


def _as_result(value):
    """A NumPy copy (the caller may write into it: listing 5-42 scales its channels)."""
    value = numpy.array(backend.to_numpy(value))
    return value[()] if value.ndim == 0 else value


def _format(shape):
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + \
        ("," if len(shape) == 1 else "") + ")"
