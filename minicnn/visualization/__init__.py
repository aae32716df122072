"""Pictures of training and of what a convnet learned, drawn with matplotlib.

- ``curves``: ``plot_history`` (listing 5-10's accuracy and loss figures) and
  ``smooth_curve`` (section 5.3's exponential moving average).

Figures are drawn on matplotlib's ``Figure`` objects with the Agg canvas, never
through ``pyplot``: nothing here needs a display or touches pyplot's state.
"""
from .curves import plot_history, smooth_curve

__all__ = ["plot_history", "smooth_curve"]
