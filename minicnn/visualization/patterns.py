"""The pattern each filter responds to, by gradient ascent in input space (listings 5-32 to 5-39).

Start from grey noise, then repeat: the gradient of "mean of filter k's output"
with respect to the image, divided by its root mean square (+1e-5), added to the
image. The steps are the chapter's own, ``K.gradients`` and ``K.function`` included::

    loss = K.mean(layer_output[:, :, :, filter_index])
    grads = K.gradients(loss, model.input)[0]
    grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)
    iterate = K.function([model.input], [loss, grads])
"""
import numpy as np

from .. import backend as K
from ..models.gradients import tensor_of
from ._figures import new_figure, save_figure


def deprocess_image(x):
    """An image of any range as uint8 (listing 5-37): standardise, x0.1, +0.5, clip, x255.

    Args:
        x: ``(H, W, C)`` float array (not changed).

    Returns:
        ``(H, W, C)`` uint8.
    """
    x = np.array(K.to_numpy(x), dtype="float64")
    x -= x.mean()
    x /= x.std() + 1e-5
    x *= 0.1
    x += 0.5
    x = np.clip(x, 0, 1)
    return np.clip(x * 255, 0, 255).astype("uint8")


def _filter_count(model, layer):
    shape = layer.output_shape
    if len(shape) != 4:
        raise ValueError(f"layer '{layer.name}' has output shape {shape}: filter patterns need "
                         "a layer with spatial output (N, H, W, C), such as a Conv2D")
    return shape[-1]


def pattern_ascent(model, layer_name, filter_index, size=150, steps=40, step=1.0, seed=None,
                   start=(128.0, 20.0)):
    """Gradient ascent on the input towards a large mean of one filter's output (listing 5-38).

    Args:
        model: e.g. ``VGG16(include_top=False)``; its input must accept ``size x size``.
        layer_name: e.g. ``'block3_conv1'`` (a layer of a nested model too).
        filter_index: which channel of that layer.
        size: image side in pixels. steps, step: the chapter's 40 steps of size 1.
        seed: seed of the grey-noise start; ``np.random.seed(seed)`` before the listing's
            own ``np.random.random(...)`` gives the same start.
        start: ``(grey, spread)`` of the start, ``grey + random * spread``: the chapter's
            ``(128, 20)`` suits VGG16's 0-255 inputs; for a model of images in [0, 1]
            (the MNIST convnet) use ``(0.5, 0.1)`` and a step near 0.05.

    Returns:
        ``(image, losses)``: the ``(size, size, C)`` float64 image after the ascent and
        the filter's mean activation before each step.
    """
    layer = model.find_layer(layer_name)
    count = _filter_count(model, layer)
    if not 0 <= filter_index < count:
        raise ValueError(f"filter_index {filter_index} is out of range: layer '{layer.name}' "
                         f"has {count} filters (0 to {count - 1})")
    layer_output = tensor_of(model, layer)
    loss = K.mean(layer_output[:, :, :, filter_index])
    grads = K.gradients(loss, model.input)[0]
    grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)      # RMS normalisation
    iterate = K.function([model.input], [loss, grads])
    grey, spread = start
    channels = model.input.shape[-1]
    input_img_data = np.random.RandomState(seed).random_sample((1, size, size, channels))
    input_img_data = input_img_data * spread + grey
    losses = []
    for _ in range(steps):
        loss_value, grads_value = iterate([input_img_data])
        losses.append(float(loss_value))
        input_img_data += grads_value * step
    return input_img_data[0], losses


def generate_pattern(model, layer_name, filter_index, size=150, steps=40, step=1.0, seed=None,
                     start=(128.0, 20.0)):
    """The chapter's ``generate_pattern``: the ascent's image as uint8 ``(size, size, C)``."""
    image, _ = pattern_ascent(model, layer_name, filter_index, size, steps, step, seed, start)
    return deprocess_image(image)


def filter_grid(model, layer_name, rows=8, size=64, margin=5, steps=40, step=1.0, seed=0,
                start=(128.0, 20.0)):
    """The first ``rows * rows`` filters' patterns in a grid with black margins (listing 5-39).

    ``rows`` tiles per row; a layer with fewer filters gets only the rows it fills
    (32 filters: 4 rows of 8).

    Returns:
        ``(R*size + (R-1)*margin, rows*size + (rows-1)*margin, C)`` uint8 for ``R`` rows;
        tile ``(i, j)`` is filter ``i * rows + j``.
    """
    layer = model.find_layer(layer_name)
    n = min(rows * rows, _filter_count(model, layer))
    channels = model.input.shape[-1]
    height = -(-n // rows)
    grid = np.zeros((height * size + (height - 1) * margin, rows * size + (rows - 1) * margin,
                     channels), dtype="uint8")
    for k in range(n):
        i, j = divmod(k, rows)
        top, left = i * (size + margin), j * (size + margin)
        grid[top:top + size, left:left + size] = generate_pattern(
            model, layer, k, size, steps, step, seed, start)
    return grid


def save_image(image, path, title=None):
    """Draw a uint8 image (a pattern or a grid) with matplotlib and save it; returns ``path``."""
    image = np.asarray(image)
    fig = new_figure(figsize=(max(image.shape[1] / 64, 2), max(image.shape[0] / 64, 2)))
    ax = fig.add_subplot()
    ax.imshow(image[..., 0] if image.shape[-1] == 1 else image,
              cmap="gray" if image.shape[-1] == 1 else None)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return save_figure(fig, path)
