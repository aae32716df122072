"""model.profile: one row per layer (nested ones too), shares that add up, the model left as
it was, the convolution algorithm named."""
import numpy as np
import pytest

from minicnn import layers, models, optimizers

from helpers import book_mnist_convnet


def test_profile_rows_add_up_and_leave_the_model_as_it_was():
    model = book_mnist_convnet()
    model.compile(optimizer=optimizers.RMSprop(1e-3), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(0).random((8, 28, 28, 1)).astype("float32")
    y = np.eye(10)[np.arange(8)]
    model.train_on_batch(x, y)
    weights, iterations = model.get_weights(), model.optimizer.iterations
    lines = []
    rows = model.profile(x, y, steps=2, print_fn=lines.append)
    names = [r[0] for r in rows]
    assert names[:8] == [f"{l.name} ({type(l).__name__})" for l in model.layers]
    assert names[8:] == ["loss: CategoricalCrossentropy", "optimizer: RMSprop",
                         "the rest (Python, data)"]
    assert abs(sum(r[3] for r in rows) - 1) < 1e-9 and all(r[1] >= 0 for r in rows[:-1])
    assert all(r[2] > 0 for r in rows[1:8])             # every layer but the first: backward
    assert rows[0][4].count("/") == 2 and rows[1][4] == ""   # forward / dx / dW algorithms
    assert lines[0].startswith("Profile: ") and "per training step" in lines[0]
    assert all((a == b).all() for a, b in zip(weights, model.get_weights()))
    assert model.optimizer.iterations == iterations
    assert "forward" not in vars(model.layers[0])      # the timers are gone


def test_profile_of_inference_and_of_a_nested_model():
    inner = models.Sequential([layers.Conv2D(4, 3, input_shape=(12, 12, 3), name="inner_conv"),
                               layers.MaxPooling2D(name="inner_pool")], name="base")
    model = models.Sequential([inner, layers.Flatten(), layers.Dense(2)])
    rows = model.profile(np.zeros((2, 12, 12, 3), "float32"), print_fn=lambda line: None)
    assert [r[0].split()[0] for r in rows] == ["inner_conv", "inner_pool", "flatten_1",
                                               "dense_1", "the"]
    assert all(r[2] == 0 for r in rows)


def test_profile_refuses_training_without_compile():
    model = book_mnist_convnet()
    with pytest.raises(RuntimeError, match="must be compiled"):
        model.profile(np.zeros((1, 28, 28, 1)), np.zeros((1, 10)))
    with pytest.raises(ValueError, match="steps must be a positive int"):
        model.profile(np.zeros((1, 28, 28, 1)), steps=0)


def test_minicnn_profile_makes_fit_print_the_table(monkeypatch, capsys):
    model = book_mnist_convnet()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    x = np.random.default_rng(1).random((40, 28, 28, 1)).astype("float32")
    y = np.eye(10)[np.arange(40) % 10]
    monkeypatch.setenv("MINICNN_PROFILE", "1")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_data=(x[:8], y[:8]))
    out = capsys.readouterr().out
    assert "per training step, mean of 6" in out and "conv2d_2 (Conv2D)" in out
    assert "forward" not in vars(model.layers[0])
    monkeypatch.setenv("MINICNN_PROFILE", "yes")
    with pytest.raises(ValueError, match="MINICNN_PROFILE must be 0 or 1"):
        model.fit(x, y, verbose=0)
    monkeypatch.delenv("MINICNN_PROFILE")
    model.fit(x, y, verbose=0)
    assert "Profile" not in capsys.readouterr().out
