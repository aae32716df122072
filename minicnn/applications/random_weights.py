"""A stand-in for Keras' ImageNet VGG16 files: random values in the same layout.

Section 5.3 of the chapter starts from ``VGG16(weights='imagenet')``, which needs Keras'
58 MB (notop) or 553 MB (top) file. Without it, and without network, ``weights=None``
gives a network with random weights but skips the part of the code that reads a weight
file. ``write_vgg16_weights`` writes a file laid out exactly as Keras' own, so that::

    from minicnn.applications import VGG16
    from minicnn.applications.random_weights import write_vgg16_weights

    path = write_vgg16_weights('vgg16_random_notop.h5', include_top=False)
    conv_base = VGG16(weights=path, include_top=False, input_shape=(150, 150, 3))

runs the same loading code as the ImageNet file (``load_weights`` follows the file's
``layer_names``, then each layer's ``weight_names``, checking every shape). The layout
(Keras 1 era, weights only)::

    attrs: layer_names = [b'block1_conv1', b'block1_conv2', b'block1_pool', ..., b'block5_pool'
                          (+ b'flatten', b'fc1', b'fc2', b'predictions' with the top)]
    block1_conv1/   attrs: weight_names = [b'block1_conv1_W_1:0', b'block1_conv1_b_1:0']
        block1_conv1_W_1:0   (3, 3, 3, 64) float32      kernel, (KH, KW, C, F)
        block1_conv1_b_1:0   (64,) float32              bias
    block1_pool/    attrs: weight_names = []

The values are what a fresh network would hold, not what ImageNet taught: He-normal
kernels (standard deviation ``sqrt(2 / fan_in)``, so ReLU activations keep the size of
their input through the 13 convolutions and the classifier) and zero biases, with
``block1_conv1``'s kernel divided by ``input_scale``, the RMS of the pixels the network
will be given. VGG16's ``preprocess_input`` leaves photos with an RMS of 60 to 90 (0-255
values minus the mean pixel): without that division every activation would be about 80
times too large, and the 1,000-way softmax would put all of its mass on one class, with
gradients of exactly 0 for Grad-CAM. Everything computed from these weights (features,
predictions, filter patterns, heatmaps) shows the machinery, never what the chapter's
pretrained network knows.
"""
import os

import h5py
import numpy as np

from .vgg16 import BLOCKS, DEFAULT_SIZE

_ROWS_PER_CHUNK = 1 << 12            # fc1 at 224x224 is 25,088 x 4,096: written in slices


def vgg16_layout(include_top, input_size=DEFAULT_SIZE, classes=1000):
    """``[(layer_name, [weight shapes])]`` in Keras' order; weightless layers have ``[]``.

    Args:
        include_top: add ``flatten``, ``fc1``, ``fc2`` and ``predictions``.
        input_size: the image side the top is sized for (fc1 reads
            ``(input_size // 32)**2 * 512`` features; Keras' file: 224).
        classes: units of ``predictions`` (Keras' file: 1000).
    """
    layout, channels = [], 3
    for block, (filters, convs) in enumerate(BLOCKS, start=1):
        for i in range(1, convs + 1):
            layout.append((f"block{block}_conv{i}", [(3, 3, channels, filters), (filters,)]))
            channels = filters
        layout.append((f"block{block}_pool", []))
    if include_top:
        side = input_size // 32
        if side < 1:
            raise ValueError(f"write_vgg16_weights: input_size must be at least 32 (five 2x2 "
                             f"poolings), got {input_size}")
        layout += [("flatten", []),
                   ("fc1", [(side * side * 512, 4096), (4096,)]),
                   ("fc2", [(4096, 4096), (4096,)]),
                   ("predictions", [(4096, classes), (classes,)])]
    return layout


def write_vgg16_weights(path, include_top=False, input_size=DEFAULT_SIZE, classes=1000,
                        seed=0, input_scale=64.0):
    """Write random VGG16 weights in the layout of Keras' ImageNet files; returns ``path``.

    Args:
        path: the ``.h5`` file to write (replaced if it exists).
        include_top: the top file (``..._kernels.h5``: with ``fc1``, ``fc2``,
            ``predictions``) or the notop one (``..._kernels_notop.h5``).
        input_size: with the top, the square image size ``VGG16(input_shape=...)`` will
            be given (224 makes fc1 25,088 x 4,096: a 553 MB file, as Keras'; 32 makes it
            512 x 4,096: 151 MB).
        classes: units of ``predictions``.
        seed: the same seed writes the same values.
        input_scale: the RMS of the network's input pixels; ``block1_conv1``'s kernel is
            divided by it so that activations are of order 1 (64 suits
            ``preprocess_input``'s output; 0.5 suits pictures scaled to ``[0, 1]``).

    Returns:
        ``path`` as a str, for ``VGG16(weights=path, include_top=include_top)``.
    """
    if not input_scale > 0:
        raise ValueError(f"write_vgg16_weights: input_scale must be > 0, got {input_scale!r}")
    if not isinstance(input_size, (int, np.integer)) or input_size < 32:
        raise ValueError(f"write_vgg16_weights: input_size must be an int >= 32, "
                         f"got {input_size!r}")
    path = os.fspath(path)
    layout = vgg16_layout(include_top, int(input_size), int(classes))
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([name.encode() for name, _ in layout])
        for name, shapes in layout:
            group = f.create_group(name)
            weight_names = [f"{name}_W_1:0", f"{name}_b_1:0"][:len(shapes)]
            group.attrs["weight_names"] = (np.array([w.encode() for w in weight_names])
                                           if weight_names else np.zeros((0,)))
            if not shapes:
                continue
            kernel_shape, bias_shape = shapes
            kernel = group.create_dataset(weight_names[0], shape=kernel_shape, dtype="float32")
            scale = np.float32(np.sqrt(2.0 / np.prod(kernel_shape[:-1])))   # He normal
            if name == "block1_conv1":
                scale /= np.float32(input_scale)
            if len(kernel_shape) == 4:
                kernel[...] = rng.standard_normal(kernel_shape, dtype=np.float32) * scale
            else:                                   # Dense (in, out): a slice of rows at a time
                for start in range(0, kernel_shape[0], _ROWS_PER_CHUNK):
                    rows = min(_ROWS_PER_CHUNK, kernel_shape[0] - start)
                    kernel[start:start + rows] = rng.standard_normal(
                        (rows, kernel_shape[1]), dtype=np.float32) * scale
            group.create_dataset(weight_names[1], data=np.zeros(bias_shape, dtype="float32"))
    return path
