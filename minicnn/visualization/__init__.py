"""Pictures of training and of what a convnet learned, drawn with matplotlib.

- ``curves``: ``plot_history`` (listing 5-10's accuracy and loss figures) and
  ``smooth_curve`` (section 5.3's exponential moving average);
- ``activations``: ``activation_model`` (listing 5-25's taps), ``channel_grid``,
  ``save_activation_grids`` and ``save_channel`` (listings 5-26 to 5-31);
- ``patterns``: ``generate_pattern``, ``deprocess_image`` and ``filter_grid``
  (listings 5-32 to 5-39: gradient ascent in input space);
- ``gradcam``: ``grad_cam`` and ``overlay_heatmap`` (listings 5-40 to 5-44).

Figures are drawn on matplotlib's ``Figure`` objects with the Agg canvas, never
through ``pyplot``: nothing here needs a display or touches pyplot's state.
"""
from .activations import activation_model, channel_grid, save_activation_grids, save_channel
from .curves import plot_history, smooth_curve
from .gradcam import grad_cam, overlay_heatmap
from .patterns import deprocess_image, filter_grid, generate_pattern, pattern_ascent, save_image

__all__ = ["plot_history", "smooth_curve", "activation_model", "channel_grid",
           "save_activation_grids", "save_channel", "generate_pattern", "pattern_ascent",
           "deprocess_image", "filter_grid", "save_image", "grad_cam", "overlay_heatmap"]
