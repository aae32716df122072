"""Data preprocessing with Keras 2's names: ``from minicnn.preprocessing import image``.

- ``image``: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img`` and
  ``ImageDataGenerator`` (``flow``, ``flow_from_directory``).
"""
from . import image

__all__ = ["image"]
