"""Print the Keras 3 metric values that tests/test_metrics_keras.py pins (run with real Keras 3).

Run with a Keras 3 environment (torch on CPU is the light backend)::

    python3 -m venv /tmp/kerasenv && /tmp/kerasenv/bin/pip install torch==2.13.0 keras
    KERAS_BACKEND=torch /tmp/kerasenv/bin/python tests/make_keras3_metric_fixtures.py

and paste its output over the ``KERAS3`` dictionary of ``test_metrics_keras.py``. The
inputs are the constants below (the test imports them; keras is imported only when the
script runs); every value comes from ``keras.metrics.*`` or ``model.evaluate`` of Keras
itself, never from minicnn.
"""
import os

import numpy as np

# soft labels and predictions on both sides of, and at, the 0.5 threshold
SOFT_TRUE = [[0.3], [0.7], [1.0], [0.0], [0.5], [1.0], [0.0]]
SOFT_PRED = [[0.2], [0.9], [0.6], [0.4], [0.5], [0.5], [0.5]]
# a one-unit linear regression scored with metrics=['accuracy']
REG_X = [[0.1, 0.9], [0.8, 0.3], [0.5, 0.5], [1.0, 0.0], [0.2, 0.2], [0.9, 0.7]]
REG_Y = [0.3, 1.0, 0.7, 0.0, 0.2, 1.0]
REG_KERNEL, REG_BIAS = [[0.6], [0.4]], [0.05]
# three sigmoid units, multi-hot labels, binary crossentropy, metrics=['accuracy']
MULTI_X = [[0.1, 0.9], [0.8, 0.3], [0.5, 0.5], [1.0, 0.0], [0.2, 0.2]]
MULTI_Y = [[0, 1, 1], [1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 0]]
MULTI_KERNEL = [[1.5, -2.0, 0.5], [-1.0, 2.5, 0.3]]
MULTI_BIAS = [0.1, -0.2, -0.4]


def dense_model(keras, kernel, bias, activation):
    inputs = keras.Input((len(kernel),))
    outputs = keras.layers.Dense(len(bias), activation=activation)(inputs)
    model = keras.Model(inputs, outputs)
    model.layers[1].set_weights([np.array(kernel, "float32"), np.array(bias, "float32")])
    return model


def main():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    out = {"keras_version": keras.__version__}
    values = keras.metrics.binary_accuracy(np.array(SOFT_TRUE, "float32"),
                                           np.array(SOFT_PRED, "float32"))
    out["binary_accuracy_soft"] = [float(v) for v in np.asarray(values).ravel()]

    model = dense_model(keras, REG_KERNEL, REG_BIAS, None)
    model.compile("sgd", "mse", metrics=["accuracy"])
    loss, acc = model.evaluate(np.array(REG_X, "float32"), np.array(REG_Y, "float32"),
                               batch_size=4, verbose=0)
    out["regression_mse_accuracy"] = [float(loss), float(acc)]

    model = dense_model(keras, MULTI_KERNEL, MULTI_BIAS, "sigmoid")
    model.compile("sgd", "binary_crossentropy",
                  metrics=["accuracy", "binary_accuracy", "categorical_accuracy"])
    values = model.evaluate(np.array(MULTI_X, "float32"), np.array(MULTI_Y, "float32"),
                            batch_size=2, verbose=0)
    out["multi_sigmoid_bce"] = dict(zip(["loss", "accuracy", "binary_accuracy",
                                         "categorical_accuracy"], map(float, values)))
    inputs = keras.Input((2,))
    listed = keras.Model(inputs, [keras.layers.Dense(3)(inputs)])      # outputs: a list of one
    out["list_of_one_predicts"] = type(listed.predict(np.array(MULTI_X), verbose=0)).__name__
    for key, value in out.items():
        print(f"    {key!r}: {value!r},")


if __name__ == "__main__":
    main()
