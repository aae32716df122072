"""What every channel of every layer shows for one image (listings 5-25 to 5-31).

The book taps a model with ``models.Model(inputs=model.input, outputs=[layer.output
for layer in model.layers[:8]])``, predicts one image, then draws each layer's
channels in a grid of 16 per row, each channel standardised, scaled by 64 around
128 and clipped, with the viridis colour map. ``activation_model`` and
``channel_grid`` are those steps; ``save_activation_grids`` and ``save_channel``
write the pictures.
"""
import os

import numpy as np

from ..backend import to_numpy
from ..models import Model
from ._figures import new_figure, save_figure


def activation_model(model, layers=None):
    """A model whose outputs are the given layers' outputs (default: the first 8 layers).

    Args:
        model: a ``Sequential`` or functional ``Model``.
        layers: layers or layer names; ``model.layers[:8]`` (without an input layer) by default.

    Returns:
        A ``Model`` whose ``predict(x)`` returns one array per layer.
    """
    if layers is None:
        layers = [l for l in model.layers if type(l).__name__ != "InputLayer"][:8]
    chosen = [model.find_layer(layer) for layer in layers]
    return Model(inputs=model.input, outputs=[layer.output for layer in chosen])


def standardize_channel(channel):
    """One channel as the book shows it: ``(c - mean) / std * 64 + 128``, clipped, uint8.

    Args:
        channel: ``(H, W)`` float array.

    Returns:
        ``(H, W)`` uint8. A constant channel (a dead ReLU) is uniform grey, 128.
    """
    c = np.asarray(channel, dtype="float64")
    c = c - c.mean()
    std = c.std()
    if std > 0:
        c = c / std
    return np.clip(c * 64 + 128, 0, 255).astype("uint8")


def channel_grid(activation, images_per_row=16):
    """Every channel of one image's activation, tiled 16 per row (listing 5-31).

    Args:
        activation: ``(1, H, W, C)`` (or ``(H, W, C)``) output of a layer.
        images_per_row: tiles per row.

    Returns:
        ``(rows * H, images_per_row * W)`` uint8 grid; tile ``(r, c)`` shows channel
        ``r * images_per_row + c`` (blank tiles, 0, pad the last row when ``C`` is
        not a multiple of ``images_per_row``).
    """
    a = to_numpy(activation)
    if a.ndim == 4:
        a = a[0]
    if a.ndim != 3:
        raise ValueError(f"channel_grid expects a (1, H, W, C) activation, got shape {a.shape}")
    H, W, C = a.shape
    rows = -(-C // images_per_row)
    grid = np.zeros((rows * H, images_per_row * W), dtype="uint8")
    for k in range(C):
        r, c = divmod(k, images_per_row)
        grid[r * H:(r + 1) * H, c * W:(c + 1) * W] = standardize_channel(a[:, :, k])
    return grid


def save_activation_grids(model, x, directory, layers=None, images_per_row=16):
    """Predict one image through the taps model and save one grid PNG per spatial layer.

    Args:
        model: the model to look into. x: ``(1, H, W, C)`` input, preprocessed as for training.
        directory: where ``<layer name>.png`` files go. layers: as ``activation_model``.

    Returns:
        List of ``(layer name, grid, path)`` for the layers with spatial (4D) outputs.
    """
    taps = activation_model(model, layers)
    outputs = taps.predict(x)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    os.makedirs(directory, exist_ok=True)
    saved = []
    for node, activation in zip(taps.outputs, outputs):
        if activation.ndim != 4:
            continue                          # Flatten, Dense: nothing to tile
        grid = channel_grid(activation, images_per_row)
        scale = 1.0 / activation.shape[1]
        fig = new_figure(figsize=(max(scale * grid.shape[1], 1), max(scale * grid.shape[0], 1)))
        ax = fig.add_subplot()
        ax.set_title(node.layer.name)
        ax.grid(False)
        ax.imshow(grid, aspect="auto", cmap="viridis")
        path = os.path.join(directory, f"{node.layer.name}.png")
        save_figure(fig, path)
        saved.append((node.layer.name, grid, path))
    return saved


def save_channel(activation, channel, path):
    """One channel as ``plt.matshow(activation[0, :, :, channel], cmap='viridis')`` (listing 5-27).

    Returns:
        The ``(H, W)`` array drawn.
    """
    a = to_numpy(activation)
    if not 0 <= channel < a.shape[-1]:
        raise ValueError(f"channel {channel} is out of range: the activation has "
                         f"{a.shape[-1]} channels")
    image = a[0, :, :, channel]
    fig = new_figure(figsize=(4, 4))
    fig.add_subplot().matshow(image, cmap="viridis")
    save_figure(fig, path)
    return image
