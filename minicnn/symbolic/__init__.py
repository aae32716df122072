"""Keras 2's symbolic backend, made explicit: ``K.gradients``, ``K.function`` and friends.

The chapter's section 5.4 writes ``loss = K.mean(layer_output[:, :, :, 0])``, then
``grads = K.gradients(loss, model.input)[0]`` and ``iterate = K.function([model.input],
[loss, grads])``. Those run here as printed (``from minicnn import backend as K``):

- ``tensor``: symbolic tensors with indexing and arithmetic, the ``Expression`` and
  ``Gradient`` nodes, and the shape rules (``None`` for sizes known at run time);
- ``ops``: each op's forward beside its vector-Jacobian product (VJP);
- ``function``: ``K.function``'s plan and call: one forward pass of the layers, the
  expressions, their VJPs back to the layer tensors, one backward pass of the layers;
- ``api``: the functions with Keras 2's names (``mean``, ``sum``, ``max``, ``min``,
  ``square``, ``sqrt``, ``abs``, ``exp``, ``log``, ``maximum``, ``minimum``, ``clip``,
  ``pow``, ``l2_normalize``, ``reshape``, ``constant``, ``int_shape``, ``shape``,
  ``epsilon``, ``image_data_format``, ``gradients``, ``function``), which
  ``minicnn.backend`` re-exports.
"""
# nothing is imported here: layers.SymbolicTensor imports ``tensor`` while the layers load,
# and ``function`` needs the models; ``minicnn.backend`` imports ``api`` on first use.
NAMES = ("mean", "sum", "max", "min", "square", "sqrt", "abs", "exp", "log", "maximum",
         "minimum", "clip", "pow", "l2_normalize", "reshape", "constant", "int_shape",
         "shape", "ndim", "epsilon", "set_epsilon", "image_data_format",
         "set_image_data_format", "gradients", "function")
