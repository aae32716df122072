"""Datasets with Keras' ``load_data()``: ``mnist`` (full download or bundled sample) and
``fashion_mnist`` (Debian's package or a download)."""
from . import fashion_mnist, mnist
