"""fit/evaluate/predict: bad input, NaN handling, progress output, callbacks, optimizers."""
import numpy as np
import pytest

from minicnn import backend, callbacks, gradcheck, layers, losses, models, optimizers
from minicnn.models import NonFiniteLossError
from minicnn.utils import to_categorical

from helpers import book_mnist_convnet


def small_data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28, 1)).astype("float32")
    return x, to_categorical(rng.integers(0, 10, n), 10)


def compiled_book_model():
    model = book_mnist_convnet()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


def test_whole_network_gradient_matches_central_differences(float64):
    """The fused softmax/crossentropy backward through conv, pool, flatten and dense."""
    model = models.Sequential([
        layers.Conv2D(3, 3, activation="relu", input_shape=(7, 7, 2)),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(2, 2, padding="same", activation="tanh"),
        layers.Flatten(), layers.Dense(4, activation="relu"),
        layers.Dense(3, activation="softmax")])
    model.compile(optimizers.SGD(1e-30), "categorical_crossentropy")  # a step changes nothing
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 7, 2))
    y = to_categorical([0, 2], 3)
    model.train_on_batch(x, y)                  # fills grads through the fused path
    loss = losses.CategoricalCrossentropy()
    for layer in model.layers:
        for key, param in layer.params.items():
            numeric = gradcheck.numeric_grad(
                lambda _: loss.value_and_grad(y, model.forward(x))[0], param, None)
            assert gradcheck.norm_rel_error(layer.grads[key], numeric) < 1e-6, (layer, key)


def test_fit_before_compile_is_refused():
    with pytest.raises(RuntimeError, match="compile"):
        book_mnist_convnet().fit(*small_data(), verbose=0)


@pytest.mark.parametrize("bad, match", [
    (lambda x, y: (x, y[:-1]), "same number of samples"),
    (lambda x, y: (x, y.argmax(axis=1)), "to_categorical"),
    (lambda x, y: (x, y[:, :9]), r"\(32, 9\)"),
    (lambda x, y: (x[..., 0], y), r"expects \(None, 28, 28, 1\), got \(32, 28, 28\)"),
])
def test_bad_training_data_is_refused_before_any_update(bad, match):
    model = compiled_book_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=match):
        model.fit(*bad(*small_data()), verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="batch_size"):
        compiled_book_model().fit(*small_data(), batch_size=0, verbose=0)


def test_nan_loss_stops_fit_with_the_epoch_and_batch_and_keeps_good_weights():
    model = compiled_book_model()
    x, y = small_data(64)
    x[40] = np.nan                               # poisons the third batch of 16
    snapshots = []
    cb = callbacks.LambdaCallback(on_batch_end=lambda b, logs: snapshots.append(model.get_weights()))
    with pytest.raises(NonFiniteLossError, match="epoch 1, batch 3"):
        model.fit(x, y, batch_size=16, shuffle=False, verbose=0, callbacks=[cb])
    assert len(snapshots) == 2
    for a, b in zip(snapshots[-1], model.get_weights()):
        np.testing.assert_array_equal(a, b)      # the last good step's weights


def test_terminate_on_nan_stops_quietly(capsys):
    model = compiled_book_model()
    x, y = small_data(64)
    x[40] = np.nan
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert "Invalid loss" in capsys.readouterr().out
    assert len(history.history["loss"]) == 1
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_progress_is_one_line_per_epoch_off_a_terminal(capsys):
    model = compiled_book_model()
    model.fit(*small_data(), batch_size=8, epochs=2, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert lines[1].startswith("32/32 [==============================] - ")
    assert " - loss: " in lines[1] and " - acc: " in lines[1]
    model.fit(*small_data(), batch_size=8, epochs=1, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/1" and out[1].startswith(" - ") and "loss: " in out[1]
    model.fit(*small_data(), batch_size=8, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_progress_bar_redraws_on_a_terminal():
    import io

    from minicnn.utils.progbar import Progbar

    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    bar = Progbar(100, verbose=1, interval=0, stream=stream)
    for i in range(1, 101, 33):
        bar.update(i, [("loss", 1.0 / i)])
    bar.update(100, [("loss", 0.01)])
    text = stream.getvalue()
    assert text.count("\r") == 5 and "ETA" in text and text.endswith("\n")


def test_early_stopping_and_lambda_callback():
    model = compiled_book_model()
    x, y = small_data()
    epochs = []
    stopper = callbacks.EarlyStopping(monitor="loss", min_delta=1e9, patience=1)
    model.fit(x, y, epochs=10, batch_size=16, verbose=0, callbacks=[
        stopper, callbacks.LambdaCallback(on_epoch_end=lambda e, logs: epochs.append(e))])
    assert epochs == [0, 1] and stopper.stopped_epoch == 1


def test_fit_on_a_generator_with_steps():
    model = compiled_book_model()
    x, y = small_data()

    def batches():
        while True:
            for i in range(0, 32, 8):
                yield x[i:i + 8], y[i:i + 8]

    history = model.fit(batches(), steps_per_epoch=4, epochs=2, verbose=0,
                        validation_data=batches(), validation_steps=2)
    assert len(history.history["val_acc"]) == 2
    assert len(model.predict_generator(batches(), steps=3)) == 24
    assert len(model.evaluate_generator(batches(), steps=2)) == 2


@pytest.mark.parametrize("opt, expected", [
    (optimizers.SGD(0.1), [1 - 0.1 * 2]),
    (optimizers.SGD(0.1, momentum=0.9), [1 - 0.2, 1 - 0.2 - (0.9 * 0.2 + 0.2)]),
    (optimizers.SGD(0.1, momentum=0.9, nesterov=True),
     [1 - 0.9 * 0.2 - 0.2, 1 - 0.38 + 0.9 * -0.38 - 0.2]),
    (optimizers.RMSprop(0.1), [1 - 0.1 * 2 / np.sqrt(0.1 * 4 + 1e-7)]),
    (optimizers.Adam(0.1), [1 - 0.1 * 0.2 / (np.sqrt(0.004) + 1e-7) * np.sqrt(0.001) / 0.1]),
])
def test_optimizer_updates_by_hand(float64, opt, expected):
    """w = 1 with gradient 2 at every step: the values Keras' formulas give."""
    layer = layers.Dense(1, use_bias=False, kernel_initializer="ones")
    layer.build((None, 1))
    for value in expected:
        layer.grads["kernel"][...] = 2.0
        opt.apply_gradients(layer.trainable_slots())
        assert layer.params["kernel"][0, 0] == pytest.approx(value, rel=1e-9)


def test_optimizer_names_and_the_books_lr_spelling():
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    assert optimizers.RMSprop(lr=1e-4).learning_rate == 1e-4
    with pytest.raises(ValueError, match="unknown optimizer"):
        optimizers.get("adagrad2")


def test_training_learns_a_simple_rule():
    backend.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((256, 8, 8, 1)).astype("float32")
    x[:128, :4] += 1.0                                  # class 0: bright top half
    y = np.r_[np.zeros(128), np.ones(128)].astype("float32")
    model = models.Sequential([
        layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizers.RMSprop(1e-2), "binary_crossentropy", ["acc"])
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    assert history.history["acc"][-1] > 0.95


def test_unsupported_fit_arguments_are_refused_not_dropped():
    model = compiled_book_model()
    x, y = small_data()
    with pytest.raises(TypeError, match="class_weight"):
        model.fit_generator(iter([(x, y)]), steps_per_epoch=1, class_weight={0: 2.0}, verbose=0)
    model.fit_generator(iter([(x, y)]), steps_per_epoch=1, workers=4, shuffle=True, verbose=0)
