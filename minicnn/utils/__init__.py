"""Helpers with Keras' names: ``to_categorical`` and ``get_file``."""
from .np_utils import to_categorical
from .data_utils import get_file
