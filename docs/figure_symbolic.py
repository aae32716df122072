"""The figure of ``symbolic_gradients.md``: listing 5-42's expression graph, drawn from the
graph ``K.function`` itself walks (``minicnn.symbolic.function.graph``).

Leaves (layer tensors, in grey) are computed by the model's layers; the chain of layers
between two of them is one edge labelled with the layers' count. Expression nodes (white)
are ops; the ``Gradient`` node (orange) reads its loss and its variable. Columns follow
the order ``K.function`` evaluates in.
"""
from matplotlib.figure import Figure

from minicnn.models import gradients as tape_module
from minicnn.symbolic import tensor as tensor_module
from minicnn.symbolic.function import graph, root


def listing_5_42(model):
    """Listing 5-42's tensors on ``model`` (a VGG16 with its top): ``(outputs, names)``."""
    from minicnn import backend as K

    african_elephant_output = model.output[:, 386]
    last_conv_layer = model.get_layer('block5_conv3')
    grads = K.gradients(african_elephant_output, last_conv_layer.output)[0]
    pooled_grads = K.mean(grads, axis=(0, 1, 2))
    outputs = [pooled_grads, last_conv_layer.output[0]]
    names = {id(african_elephant_output): "african_elephant_output",
             id(grads): "grads", id(pooled_grads): "pooled_grads"}
    return outputs, names


def describe(outputs, placeholder):
    """Nodes and edges of the graph ``K.function([placeholder], outputs)`` evaluates.

    Returns:
        ``(nodes, edges)``: ``nodes`` a list of ``(node, label, kind)`` in evaluation order
        (the placeholder first, then the layer tensors, then the expressions), kind one
        of ``'placeholder'``, ``'layer'``, ``'op'``, ``'gradient'``; ``edges`` a list of
        ``(from, to, label)`` indices into ``nodes``.
    """
    order, leaves = graph(outputs)
    steps = tape_module.flatten(placeholder)
    position = {id(t): i for i, (t, _, _) in enumerate(steps)}
    layer_tensors = sorted((t for t in leaves if t is not placeholder),
                           key=lambda t: position[id(t)])
    nodes = [(placeholder, f"{placeholder.layer.name}\n{_shape(placeholder)}", "placeholder")]
    nodes += [(t, f"{t.layer.name}\n{_shape(t)}", "layer") for t in layer_tensors]
    for node in order:
        if isinstance(node, tensor_module.Gradient):
            nodes.append((node, f"Gradient\nd sum(loss) / d var\n{_shape(node)}", "gradient"))
        else:
            nodes.append((node, f"{_op_label(node)}\n{_shape(node)}", "op"))
    index = {id(n): i for i, (n, _, _) in enumerate(nodes)}
    edges = []
    parents = {id(t): p for t, p, _ in steps}
    for t in layer_tensors:                      # each layer tensor from the nearest one above
        count, p = 1, parents[id(t)]
        while id(p) not in index:
            count, p = count + 1, parents[id(p)]
        edges.append((index[id(p)], index[id(t)], f"{count} layer{'s' * (count > 1)}"))
    for node in order:
        if isinstance(node, tensor_module.Gradient):
            edges.append((index[id(node.loss)], index[id(node)], "loss"))
            edges.append((index[id(node.variable)], index[id(node)], "variable"))
        else:
            for inp in node.inputs:
                if tensor_module.is_symbolic(inp):
                    edges.append((index[id(inp)], index[id(node)], ""))
    assert all(root(t) is placeholder for t in layer_tensors)
    return nodes, edges


def _shape(t):
    return "(" + ", ".join("None" if s is None else str(s) for s in t.shape) + \
        ("," if len(t.shape) == 1 else "") + ")"


def _op_label(node):
    op = node.op
    if op.name == "getitem":
        key = op.key if isinstance(op.key, tuple) else (op.key,)
        return "[" + ", ".join(":" if k == slice(None) else str(k) for k in key) + "]"
    if op.name in ("mean", "sum", "max", "min"):
        return f"K.{op.name}(axis={op.axis})"
    return op.name


COLOURS = {"placeholder": "#b8d4f0", "layer": "#dddddd", "op": "white", "gradient": "#f6c28b"}


def figure_symbolic_graph(out, save):
    """Draw listing 5-42's graph on a random-valued VGG16 (32x32: the graph is the same as
    at 224x224 but for the sizes); ``save(fig, out, name)`` writes it. Returns the nodes
    and edges drawn (``describe``)."""
    from minicnn.applications import VGG16

    model = VGG16(weights=None, input_shape=(32, 32, 3))
    outputs, names = listing_5_42(model)
    nodes, edges = describe(outputs, model.input)
    depth = [0] * len(nodes)
    for a, b, _ in sorted(edges, key=lambda e: e[1]):
        depth[b] = max(depth[b], depth[a] + 1)
    rows = {}
    xy = []
    for i, d in enumerate(depth):
        rows[d] = rows.get(d, -1) + 1
        xy.append((d, -rows[d]))
    fig = Figure(figsize=(11, 3.6))
    ax = fig.add_subplot()
    for (a, b, label) in edges:
        (x0, y0), (x1, y1) = xy[a], xy[b]
        skip = y0 == y1 and x1 - x0 > 1          # over the nodes between: an arc above them
        ax.annotate("", (x1 - 0.3, y1 + 0.15 * skip), (x0 + 0.3, y0 + 0.15 * skip),
                    arrowprops=dict(arrowstyle="->", color="#555555", lw=0.8,
                                    connectionstyle=f"arc3,rad={-0.3 * skip}"))
        if label:
            lift = 0.12 + 0.55 * skip * (x1 - x0) / 3
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + lift, label, fontsize=6.5, ha="center",
                    color="#444444")
    for (node, label, kind), (x, y) in zip(nodes, xy):
        name = names.get(id(node))
        text = f"{name} =\n{label}" if name else label
        ax.text(x, y, text, ha="center", va="center", fontsize=7,
                bbox=dict(boxstyle="round,pad=0.3", fc=COLOURS[kind], ec="#333333", lw=0.6))
    for out_node in outputs:
        x, y = xy[[id(n) for n, _, _ in nodes].index(id(out_node))]
        ax.text(x, y - 0.42, "output of K.function", fontsize=6.5, ha="center", color="#aa3300")
    ax.set_xlim(-0.6, max(depth) + 0.6)
    ax.set_ylim(min(y for _, y in xy) - 0.7, 1.1)
    ax.axis("off")
    ax.set_title("listing 5-42: iterate = K.function([model.input], [pooled_grads, "
                 "last_conv_layer.output[0]])", fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9)
    return {"nodes": nodes, "edges": edges, "outputs": outputs,
            "path": save(fig, out, "symbolic_graph")}
