"""What a reader learns from ``help(layer)`` and from a typo: the common keyword arguments
are documented, a misspelt argument names its layer and the nearest accepted name, and the
inherited ``compute_output_shape`` is right for every layer that inherits it."""
import inspect
import re

import numpy as np
import pytest

from minicnn import layers, models
from minicnn.layers.base import Layer

COMMON = ("input_shape", "batch_input_shape", "input_dim", "batch_size", "dtype", "name",
          "trainable")
# Every layer class minicnn has
DOCUMENTED = [layers.Conv2D, layers.Dense, layers.Flatten, layers.Dropout, layers.Activation,
              layers.MaxPooling2D, layers.AveragePooling2D, layers.InputLayer]


def test_the_layer_base_documents_every_common_argument():
    doc = inspect.getdoc(Layer)
    for name in COMMON:
        assert f"    {name}:" in doc, name


@pytest.mark.parametrize("cls", DOCUMENTED, ids=lambda c: c.__name__)
def test_each_layer_says_it_takes_input_shape_name_trainable_dtype(cls):
    doc = inspect.getdoc(cls)
    args = doc[doc.index("Args:"):]
    for name in ("input_shape", "name", "trainable", "dtype", "see ``Layer``"):
        assert name in args, (cls.__name__, name)
    for name in inspect.signature(cls.__init__).parameters:      # and its own arguments
        if name not in ("self", "kwargs"):
            assert re.search(rf"\b{name}\b", args), (cls.__name__, name)


@pytest.mark.parametrize("cls, make, typo, meant", [
    ("Conv2D", lambda **kw: layers.Conv2D(32, (3, 3), **kw), "activaton", "activation"),
    ("Conv2D", lambda **kw: layers.Conv2D(32, (3, 3), **kw), "input_shap", "input_shape"),
    ("Dense", lambda **kw: layers.Dense(64, **kw), "use_bais", "use_bias"),
    ("Dense", lambda **kw: layers.Dense(256, **kw), "imput_dim", "input_dim"),
    ("MaxPooling2D", lambda **kw: layers.MaxPooling2D((2, 2), **kw), "pool_sise", "pool_size"),
    ("Dropout", lambda **kw: layers.Dropout(0.5, **kw), "trainabel", "trainable"),
    ("Flatten", lambda **kw: layers.Flatten(**kw), "dtpye", "dtype"),
    ("Sequential", lambda **kw: models.Sequential(**kw), "nmae", "name"),
])
def test_a_typo_names_the_layer_and_suggests_the_argument(cls, make, typo, meant):
    with pytest.raises(TypeError) as caught:
        make(**{typo: "relu"})
    message = str(caught.value)
    assert message.startswith(f"{cls}: unexpected argument(s) '{typo}' (did you mean '{meant}'?)")
    assert f"; {cls} accepts " in message and "input_shape" in message


def test_an_argument_far_from_any_name_gets_no_guess_and_keras_options_say_why():
    with pytest.raises(TypeError, match=r"^Dense: unexpected argument\(s\) 'colour'; Dense "
                                        r"accepts units, activation, use_bias"):
        layers.Dense(4, colour="red")
    with pytest.raises(TypeError, match=r"'kernel_regularizer' \(Keras has it; minicnn has no "
                                        r"regularizers"):
        layers.Conv2D(4, 3, kernel_regularizer="l2")      # not 'kernel_initializer'


def minicnn_layer_classes():
    """Every ``Layer`` subclass the package defines (none from the tests)."""
    found, todo = [], [Layer]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("minicnn.") and not sub.__name__.startswith("_"):
                found.append(sub)
    return found


def flatten_model():
    x = layers.Input(shape=(3, 3, 2))
    return models.Model(inputs=x, outputs=layers.Flatten()(x))


# A small instance of every layer class and an input for it
SAMPLES = {
    "Conv2D": (lambda: layers.Conv2D(2, 3, strides=2), (1, 7, 7, 3)),
    "Dense": (lambda: layers.Dense(3), (2, 5)),
    "Flatten": (lambda: layers.Flatten(), (2, 3, 4, 5)),
    "Dropout": (lambda: layers.Dropout(0.5), (2, 6)),
    "Activation": (lambda: layers.Activation("relu"), (2, 3, 3)),
    "MaxPooling2D": (lambda: layers.MaxPooling2D(), (1, 5, 5, 2)),
    "AveragePooling2D": (lambda: layers.AveragePooling2D(), (1, 5, 5, 2)),
    "InputLayer": (lambda: layers.InputLayer(input_shape=(4, 4, 2)), (1, 4, 4, 2)),
    "Model": (flatten_model, (2, 3, 3, 2)),
    "Sequential": (lambda: models.Sequential([layers.Dense(2, input_shape=(5,))]), (2, 5)),
}


def test_every_layer_class_has_a_sample_here():
    assert sorted(c.__name__ for c in minicnn_layer_classes()) == sorted(SAMPLES)


@pytest.mark.parametrize("cls", minicnn_layer_classes(), ids=lambda c: c.__name__)
def test_only_shape_keeping_layers_inherit_compute_output_shape(cls):
    make, x_shape = SAMPLES[cls.__name__]
    layer = make()
    y = layer.predict(np.zeros(x_shape, "float32")) if isinstance(layer, models.Model) \
        else layer.forward(np.zeros(x_shape, "float32"))
    assert (None,) + y.shape[1:] == layer.compute_output_shape((None,) + x_shape[1:])
    if cls.compute_output_shape is Layer.compute_output_shape:   # the inherited one
        assert y.shape == x_shape, f"{cls.__name__} changes the shape: override it"
