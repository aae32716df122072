"""Layers with Keras' names: ``from minicnn import layers; layers.Conv2D(32, (3, 3))``."""
from .base import Layer
from .conv import Conv2D
from .core import Activation, Dense, Dropout, Flatten
from .input_layer import Input, InputLayer, SymbolicTensor
from .pooling import AveragePooling2D, AvgPool2D, MaxPool2D, MaxPooling2D

Convolution2D = Conv2D

__all__ = [
    "Layer", "Input", "InputLayer", "SymbolicTensor", "Conv2D", "Convolution2D",
    "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D",
    "Dense", "Flatten", "Dropout", "Activation",
]
