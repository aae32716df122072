"""Grad-CAM: which part of an image made the model choose a class (listings 5-40 to 5-44).

The chapter's steps, ``K.gradients`` and ``K.function`` included (listing 5-42)::

    class_output = model.output[:, class_index]
    grads = K.gradients(class_output, last_conv_layer.output)[0]
    pooled_grads = K.mean(grads, axis=(0, 1, 2))          # one weight per channel
    iterate = K.function([model.input], [pooled_grads, last_conv_layer.output[0]])

then each channel of the layer's output times its weight, the mean over channels,
ReLU, divided by the maximum (listing 5-43). One forward pass gives both the
activation and its gradient.

``overlay_heatmap`` colours it with the jet map, resizes it to the picture and
blends 0.4 of it over the photo (the chapter used OpenCV; minicnn uses
matplotlib's colour map and Pillow).
"""
import os

import numpy as np

from .. import backend as K
from ..models.gradients import tensor_of


def grad_cam(model, x, class_index, layer_name):
    """The class-activation heatmap of ``class_index`` on ``layer_name``'s output.

    Args:
        model: a model whose last layer outputs class scores, ``(1, classes)``.
        x: ``(1, H, W, C)`` preprocessed input.
        class_index: the class to explain (386 is "African elephant" in ImageNet).
        layer_name: a layer with spatial output, e.g. ``'block5_conv3'``.

    Returns:
        ``(h, w)`` float32 heatmap in ``[0, 1]`` at the layer's resolution (all zeros
        when no channel speaks for the class).
    """
    layer = model.find_layer(layer_name)
    if len(layer.output_shape) != 4:
        raise ValueError(f"grad_cam needs a layer with spatial output (N, H, W, C); layer "
                         f"'{layer.name}' outputs {layer.output_shape}")
    classes = model.output_shape[-1]
    if not 0 <= class_index < classes:
        raise ValueError(f"class_index {class_index} is out of range: the model has {classes} "
                         f"classes (0 to {classes - 1})")
    class_output = model.outputs[0][:, class_index]
    conv_output = tensor_of(model, layer)
    grads = K.gradients(class_output, conv_output)[0]
    pooled_grads = K.mean(grads, axis=(0, 1, 2))
    iterate = K.function([model.input], [pooled_grads, conv_output[0]])
    pooled_grads_value, conv_layer_output_value = iterate([x])
    conv_layer_output_value *= pooled_grads_value               # each channel by its weight
    heatmap = np.mean(conv_layer_output_value, axis=-1)
    heatmap = np.maximum(heatmap, 0)
    peak = np.max(heatmap)
    return heatmap / peak if peak > 0 else heatmap


def overlay_heatmap(image, heatmap, path=None, alpha=0.4):
    """Blend the jet-coloured heatmap over the picture (listing 5-44).

    Args:
        image: ``(H, W, 3)`` picture, values 0-255 (uint8 or float), or a path to one.
        heatmap: ``(h, w)`` values in ``[0, 1]`` (from ``grad_cam``).
        path: where to save (``.jpg`` or ``.png``); ``None`` saves nothing.
        alpha: weight of the heatmap.

    Returns:
        ``(H, W, 3)`` uint8: ``clip(jet(heatmap) * 255 * alpha + image)``.
    """
    from matplotlib import colormaps
    from PIL import Image

    if isinstance(image, (str, os.PathLike)):
        image = np.asarray(Image.open(image).convert("RGB"))
    image = np.asarray(image, dtype="float64")
    if image.ndim == 2 or image.shape[-1] == 1:
        image = np.repeat(image.reshape(image.shape[:2] + (1,)), 3, axis=-1)
    height, width = image.shape[:2]
    heat = Image.fromarray(np.uint8(np.clip(heatmap, 0, 1) * 255)).resize(
        (width, height), Image.BILINEAR)
    colours = colormaps["jet"](np.asarray(heat))[..., :3] * 255
    blended = np.clip(colours * alpha + image, 0, 255).astype("uint8")
    if path is not None:
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(blended).save(path)
    return blended
