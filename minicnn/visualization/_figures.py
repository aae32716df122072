"""Figures on matplotlib's Agg canvas, never through pyplot: no display, no global state."""
import os


def new_figure(figsize=None):
    """A ``matplotlib.figure.Figure`` of ``figsize`` inches."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def save_figure(figure, path, dpi=None):
    """Save as PNG (or what the extension says), making the folder; returns ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    figure.savefig(path, dpi=dpi)
    return path
