"""Pretrained networks with Keras' names: ``from minicnn.applications import VGG16``.

- ``vgg16``: ``VGG16`` (Keras' ImageNet weight files), ``preprocess_input``,
  ``decode_predictions``;
- ``imagenet_utils``: ``preprocess_input`` (modes 'caffe', 'tf', 'torch') and
  ``decode_predictions`` with the class index bundled in the package;
- ``random_weights``: ``write_vgg16_weights``, a random-valued file in the layout of Keras'
  ImageNet files, so that ``VGG16(weights=path)`` runs offline through the same loader.
"""
from . import imagenet_utils, vgg16
from .vgg16 import VGG16

__all__ = ["VGG16", "imagenet_utils", "vgg16"]
