"""Metrics against numbers real Keras 3 computed, and the two places where minicnn keeps
Keras 2's rule on purpose ('accuracy' on several sigmoid units warns that Keras 3 differs)."""
import warnings

import numpy as np
import pytest

from minicnn import layers, metrics, models

from make_keras3_metric_fixtures import (MULTI_BIAS, MULTI_KERNEL, MULTI_X, MULTI_Y, REG_BIAS,
                                         REG_KERNEL, REG_X, REG_Y, SOFT_PRED, SOFT_TRUE)

# Printed by tests/make_keras3_metric_fixtures.py with Keras 3.15.1 (torch 2.13 CPU backend):
# keras.metrics.binary_accuracy and model.evaluate of Keras itself on the inputs named there.
KERAS3 = {
    'keras_version': '3.15.1',
    'binary_accuracy_soft': [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0],
    'regression_mse_accuracy': [0.10263333469629288, 0.3333333432674408],
    'multi_sigmoid_bce': {'loss': 0.613583505153656, 'accuracy': 0.6000000238418579,
                          'binary_accuracy': 0.6666666269302368,
                          'categorical_accuracy': 0.6000000238418579},
    'list_of_one_predicts': 'ndarray',
}


def dense_model(kernel, bias, activation, listed=False):
    inputs = layers.Input((len(kernel),))
    outputs = layers.Dense(len(bias), activation=activation)(inputs)
    model = models.Model(inputs, [outputs] if listed else outputs)
    model.set_weights([np.array(kernel, "float32"), np.array(bias, "float32")])
    return model


def test_binary_accuracy_thresholds_the_prediction_only_as_keras_does():
    """Before: y_true was thresholded at 0.5 too (y_true 0.3, y_pred 0.2 scored 1.0)."""
    y_true, y_pred = np.array(SOFT_TRUE, "float32"), np.array(SOFT_PRED, "float32")
    each = [metrics.binary_accuracy(t[None], p[None]) for t, p in zip(y_true, y_pred)]
    assert each == KERAS3["binary_accuracy_soft"]
    assert metrics.binary_accuracy(y_true, y_pred) == pytest.approx(
        np.mean(KERAS3["binary_accuracy_soft"]))
    assert metrics.binary_accuracy(y_true[:, 0], y_pred) == metrics.binary_accuracy(y_true, y_pred)


def test_accuracy_of_a_one_unit_regression_is_keras_3s():
    model = dense_model(REG_KERNEL, REG_BIAS, None)
    model.compile("sgd", "mse", ["accuracy"])
    y = np.array(REG_Y, "float32")[:, None]           # minicnn's mse wants (N, 1) here
    loss, acc = model.evaluate(np.array(REG_X, "float32"), y, batch_size=4, verbose=0)
    assert [loss, acc] == pytest.approx(KERAS3["regression_mse_accuracy"], rel=1e-6)


def test_accuracy_on_several_sigmoid_units_keeps_keras_2_and_warns_once_per_compile():
    x, y = np.array(MULTI_X, "float32"), np.array(MULTI_Y, "float32")
    model = dense_model(MULTI_KERNEL, MULTI_BIAS, "sigmoid")
    with pytest.warns(UserWarning, match=r"binary_accuracy here, as in Keras 2 .* Keras 3 and "
                                         r"tf.keras .* categorical_accuracy") as record:
        model.compile("sgd", "binary_crossentropy", ["accuracy", "categorical_accuracy"])
    assert len(record) == 1 and "on 3 output units" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                     # once per compile, not per call
        loss, acc, categorical = model.evaluate(x, y, batch_size=2, verbose=0)
        model.fit(x, y, epochs=1, verbose=0)
    keras = KERAS3["multi_sigmoid_bce"]
    assert loss == pytest.approx(keras["loss"], rel=1e-6)
    assert acc == pytest.approx(keras["binary_accuracy"], rel=1e-6)           # Keras 2's rule
    assert categorical == pytest.approx(keras["accuracy"], rel=1e-6)          # Keras 3's choice
    with warnings.catch_warnings():
        warnings.simplefilter("error")                     # a name that scores alike everywhere
        model.compile("sgd", "binary_crossentropy", ["binary_accuracy"])


def test_the_warning_comes_at_save_for_a_model_compiled_before_it_was_built(tmp_path):
    model = models.Sequential([layers.Dense(3, activation="sigmoid")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.compile("sgd", "binary_crossentropy", ["acc"])     # no output shape yet
    model.build((None, 2))
    with pytest.warns(UserWarning, match="a file saved from it, with categorical_accuracy"):
        model.save(tmp_path / "multi.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.save(tmp_path / "again.h5")


def test_no_warning_where_keras_3_scores_alike():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for units, activation, loss in [(1, "sigmoid", "binary_crossentropy"),
                                        (3, "softmax", "categorical_crossentropy"),
                                        (3, "softmax", "sparse_categorical_crossentropy"),
                                        (1, None, "mse"), (3, None, "mse")]:
            model = models.Sequential([layers.Dense(units, activation=activation,
                                                    input_shape=(2,))])
            model.compile("sgd", loss, ["acc", "accuracy"])
    assert metrics.keras3_differences(["acc"], "binary_crossentropy", (None, 2)) != []
    assert metrics.keras3_differences(["mse"], "binary_crossentropy", (None, 2)) == []


def test_a_list_of_one_output_predicts_and_trains_as_one_output():
    """Keras 2 and Keras 3 both return the array for outputs=[t]; minicnn returned a list."""
    x, y = np.array(MULTI_X, "float32"), np.array(MULTI_Y, "float32")
    listed = dense_model(MULTI_KERNEL, MULTI_BIAS, "sigmoid", listed=True)
    plain = dense_model(MULTI_KERNEL, MULTI_BIAS, "sigmoid")
    assert type(listed.predict(x)).__name__ == KERAS3["list_of_one_predicts"]
    np.testing.assert_array_equal(listed.predict(x), plain.predict(x))
    np.testing.assert_array_equal(listed.predict_on_batch(x), plain.predict(x))
    for model in (listed, plain):
        model.compile("sgd", "binary_crossentropy", ["binary_accuracy"])
        model.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0)
    for a, b in zip(listed.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert listed.evaluate(x, y, verbose=0) == pytest.approx(plain.evaluate(x, y, verbose=0))
