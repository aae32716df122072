"""Weight files in the layout of Keras' VGG16 ImageNet files, for tests without the real ones.

Keras' files (``vgg16_weights_tf_dim_ordering_tf_kernels[_notop].h5``) are Keras 1 era
weights-only files::

    attrs: layer_names = [b'block1_conv1', b'block1_conv2', b'block1_pool', ..., b'block5_pool'
                          (+ b'flatten', b'fc1', b'fc2', b'predictions' in the top file)]
    block1_conv1/   attrs: weight_names = [b'block1_conv1_W_1:0', b'block1_conv1_b_1:0']
        block1_conv1_W_1:0   (3, 3, 3, 64) float32
        block1_conv1_b_1:0   (64,) float32
    block1_pool/    attrs: weight_names = []
    ...

``write_official`` writes that layout with h5py and nothing of minicnn (the Keras half of
``vgg16_crosscheck.py`` imports it too). Fills: ``'ramp'`` makes every dataset distinct
(dataset k holds ``k + (i mod 997)/997``), so a swapped kernel and bias or a shifted
layer shows; ``'random'`` gives He-scaled weights whose activations stay finite, to
compare network outputs. ``naming='keras2'`` stores ``block1_conv1/kernel:0`` before
``block1_conv1/bias:0``, an order h5py's alphabetical listing reverses: only a reader
that follows ``weight_names`` gets it right (in Keras' own files ``_W_1:0`` happens to
sort before ``_b_1:0``).
"""
import hashlib

import h5py
import numpy as np

BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))   # (filters, convolutions)


def vgg16_layers(include_top, classes=1000, input_size=224):
    """``[(layer_name, [weight shapes])]`` in Keras' order; weightless layers have ``[]``."""
    layers, channels = [], 3
    for block, (filters, convs) in enumerate(BLOCKS, start=1):
        for i in range(1, convs + 1):
            layers.append((f"block{block}_conv{i}", [(3, 3, channels, filters), (filters,)]))
            channels = filters
        layers.append((f"block{block}_pool", []))
    if include_top:
        side = input_size // 32
        layers += [("flatten", []),
                   ("fc1", [(side * side * 512, 4096), (4096,)]),
                   ("fc2", [(4096, 4096), (4096,)]),
                   ("predictions", [(4096, classes), (classes,)])]
    return layers


def fill(layers, how="ramp", seed=0):
    """``{layer_name: [arrays]}`` for the layers that have weights (float32)."""
    rng = np.random.default_rng(seed)
    values, k = {}, 0
    for name, shapes in layers:
        if not shapes:
            continue
        arrays = []
        for shape in shapes:
            size = int(np.prod(shape))
            if how == "ramp":
                a = k + (np.arange(size) % 997) / np.float32(997)
            elif len(shape) > 1:                               # He normal: finite activations
                a = rng.standard_normal(size) * np.sqrt(2.0 / np.prod(shape[:-1]))
            else:
                a = rng.standard_normal(size) * 0.05
            arrays.append(a.astype(np.float32).reshape(shape))
            k += 1
        values[name] = arrays
    return values


def write_official(path, include_top, how="ramp", classes=1000, input_size=224,
                   naming="keras1", input_layer=None, seed=0):
    """Write a VGG16 weights file in Keras' ImageNet layout; returns ``{layer: [arrays]}``.

    Args:
        include_top: the top file (with flatten, fc1, fc2, predictions) or the notop one.
        how: ``'ramp'`` or ``'random'`` (see the module docstring).
        classes, input_size: size ``predictions`` and ``fc1`` (Keras' files: 1000, 224).
        naming: ``'keras1'`` (Keras' files) or ``'keras2'`` (kernel listed before bias).
        input_layer: a name (``'input_1'``) to list a weightless input layer first, as
            Keras 2's ``save_weights`` did.
    """
    layers = vgg16_layers(include_top, classes, input_size)
    values = fill(layers, how, seed)
    names = ([input_layer] if input_layer else []) + [name for name, _ in layers]
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([n.encode() for n in names])
        for name in names:
            group = f.create_group(name)
            arrays = values.get(name, [])
            if naming == "keras1":
                weight_names = [f"{name}_W_1:0", f"{name}_b_1:0"][:len(arrays)]
            else:
                weight_names = [f"{name}/kernel:0", f"{name}/bias:0"][:len(arrays)]
            group.attrs["weight_names"] = (np.array([w.encode() for w in weight_names])
                                           if weight_names else np.zeros((0,)))
            for weight_name, array in zip(weight_names, arrays):
                group.create_dataset(weight_name, data=array)
    return values


def md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
