"""``model.gradients``: the chapter's ``K.gradients`` steps, made explicit.

Keras builds a symbolic graph and asks for ``K.gradients(loss, model.input)``;
minicnn runs the layers' own backward passes instead::

    forward x (inference mode), keeping every layer's output
    g = output_grad(output of output_layer)     # d(your scalar) / d(that output)
    backward from output_layer down to the input (or to the `wrt` layer's output)

Frozen layers pass gradients through; no weight gradient is computed on the way.
"""
from .. import backend


class GradientsMixin:
    """``gradients`` and the layer lookup it needs, mixed into ``Model``."""

    def gradients(self, x, output_layer, output_grad, wrt="input"):
        """Gradient of a scalar of ``output_layer``'s output, by backpropagation.

        Args:
            x: model input, e.g. ``(1, 150, 150, 3)``.
            output_layer: a layer or a layer name (nested models are searched).
            output_grad: the gradient of your scalar with respect to that layer's
                output: an array of the output's shape, or a callable that receives
                the output and returns one (``1/(H*W)`` on channel k for "mean of
                filter k"; a one-hot on the predictions for "score of class k").
            wrt: ``'input'`` (the default) or the name of a layer between the input
                and ``output_layer``: the gradient with respect to its output
                (Grad-CAM asks for ``'block5_conv3'``).

        Returns:
            The gradient, shaped like ``x`` (or like the ``wrt`` layer's output).
        """
        layer = self.find_layer(output_layer)
        stop_at = None if wrt == "input" else self.find_layer(wrt)
        record = {}
        x = self._on_device(x)
        with self._layer_flags(_weight_grads_off=True):
            self._run(x, training=False, record=record, until=layer)  # no further than needed
            out = record[id(layer)]
            g = output_grad(out) if callable(output_grad) else output_grad
            xp = backend.get_array_module(out)
            g = xp.asarray(g, dtype=out.dtype)
            if tuple(g.shape) != tuple(out.shape):
                raise ValueError(f"gradients: output_grad for layer '{layer.name}' must have its "
                                 f"output's shape {tuple(out.shape)}, got {tuple(g.shape)}")
            found = {}
            result = self._backprop_from(layer, g, stop_at, found)
        if stop_at is None:
            return result
        if "grad" not in found:
            raise ValueError(f"gradients: layer '{stop_at.name}' does not lie between the input "
                             f"and layer '{layer.name}'")
        return found["grad"]

    def _backprop_from(self, layer, g, stop_at, found):
        """Backward from ``layer``'s output (possibly inside a nested model) to the input."""
        for node in self._nodes:
            if node.layer is layer:
                return self._backprop({id(node): g}, stop_at, found)
            if hasattr(node.layer, "contains") and node.layer.contains(layer):
                g_in = node.layer._backprop_from(layer, g, stop_at, found)
                if "grad" in found:
                    return None
                return self._backprop({id(node.parent): g_in}, stop_at, found)
        raise ValueError(f"layer '{layer.name}' is not in model '{self.name}'")

    def find_layer(self, layer):
        """A layer of this model (nested models searched) from a name or the layer itself."""
        names = []
        for candidate in self._all_layers():
            if candidate is layer or candidate.name == layer:
                return candidate
            names.append(candidate.name)
        raise ValueError(f"model '{self.name}' has no layer {getattr(layer, 'name', layer)!r}; "
                         f"its layers are {names}")

    def _all_layers(self):
        """Every layer, depth first: nested models and their layers too."""
        for layer in self.layers:
            yield layer
            if hasattr(layer, "_all_layers"):
                yield from layer._all_layers()
