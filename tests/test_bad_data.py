"""Empty and odd data, bad counts and silent no-ops at every entry point: each is refused
with an error naming the argument, or heard (callbacks of evaluate and predict)."""
import os
import warnings

import numpy as np
import pytest
from PIL import Image

from minicnn import callbacks, layers, metrics, models
from minicnn.preprocessing import image
from minicnn.utils import to_categorical


def dense_model(loss="categorical_crossentropy", metric="acc"):
    model = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", loss, [metric])
    return model


def data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 4)).astype("float32")
    return x, to_categorical(rng.integers(0, 3, n), 3)


def batches(x, y, size=4):
    while True:
        for i in range(0, len(x), size):
            yield x[i:i + size], y[i:i + size]


# ------------------------------------------------------------------ empty data
@pytest.mark.parametrize("call, match", [
    (lambda m, x, y: m.fit(x[:0], y[:0], verbose=0), r"fit: x holds no samples \(shape \(0, 4\)"),
    (lambda m, x, y: m.evaluate(x[:0], y[:0], verbose=0), "evaluate: x holds no samples"),
    (lambda m, x, y: m.predict(x[:0]), "predict: x holds no samples"),
    (lambda m, x, y: m.fit(x, y, validation_data=(x[:0], y[:0]), verbose=0),
     r"fit \(validation_data\): x holds no samples"),
    (lambda m, x, y: m.fit(x[:1], y[:1], validation_split=0.5, verbose=0),
     "validation_split=0.5 of 1 samples leaves no training samples"),
    (lambda m, x, y: m.train_on_batch(x[:0], y[:0]), "train_on_batch: x holds no samples"),
    (lambda m, x, y: m.test_on_batch(x[:0], y[:0]), "test_on_batch: x holds no samples"),
    (lambda m, x, y: m.predict_on_batch(x[:0]), "predict_on_batch: x holds no samples"),
    (lambda m, x, y: m.train_on_batch(x, y[:3]), "10 inputs and 3 labels"),
])
def test_no_samples_is_an_error_not_an_empty_history(call, match):
    """Before: fit printed 0/0 and returned an empty History, evaluate raised KeyError 'loss'."""
    model = dense_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=match):
        call(model, *data())
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------ counts and types
@pytest.mark.parametrize("kwargs, match", [
    (dict(epochs=-1), r"epochs must be a positive int, got -1"),
    (dict(epochs=0), r"epochs must be a positive int, got 0"),
    (dict(epochs="5"), r"epochs must be a positive int, got '5'"),
    (dict(epochs=2.5), r"epochs must be a positive int, got 2.5"),
    (dict(epochs=True), r"epochs must be a positive int, got True"),
    (dict(initial_epoch=-1), r"initial_epoch must be an int >= 0, got -1"),
    (dict(epochs=2, initial_epoch=2), r"initial_epoch \(2\) must be less than epochs \(2\)"),
    (dict(batch_size="32"), r"batch_size must be a positive int or None, got '32'"),
    (dict(batch_size=0), r"batch_size must be a positive int or None, got 0"),
    (dict(steps_per_epoch=0), r"steps_per_epoch must be a positive int or None, got 0"),
    (dict(validation_steps=1.5), r"validation_steps must be a positive int or None, got 1.5"),
    (dict(verbose=3), r"verbose must be 0 \(silent\), 1 \(progress bar\) or 2"),
    (dict(verbose="loud"), r"verbose must be .* got 'loud'"),
    (dict(callbacks=callbacks.History()), r"callbacks must be a list of Callback objects"),
    (dict(callbacks=["EarlyStopping"]), r"callbacks must be a list of Callback objects"),
])
def test_fit_arguments_name_themselves(kwargs, match):
    """Before: epochs=-1 trained nothing without a word, epochs='5' was a bare TypeError."""
    x, y = data()
    with pytest.raises(ValueError, match="fit: " + match):
        dense_model().fit(x, y, **kwargs)


@pytest.mark.parametrize("call, match", [
    (lambda m, x, y: m.evaluate(x, y, steps=0), "evaluate: steps must be a positive int or None"),
    (lambda m, x, y: m.evaluate(x, y, verbose=-1), "evaluate: verbose must be"),
    (lambda m, x, y: m.evaluate(x, y, batch_size=2.0), "evaluate: batch_size must be"),
    (lambda m, x, y: m.evaluate(x, y, callbacks=callbacks.History()), "evaluate: callbacks"),
    (lambda m, x, y: m.predict(x, steps="2"), "predict: steps must be a positive int or None"),
    (lambda m, x, y: m.predict(x, verbose=9), "predict: verbose must be"),
    (lambda m, x, y: m.predict(x, batch_size=-4), "predict: batch_size must be"),
    (lambda m, x, y: m.evaluate_generator(batches(x, y), steps=-2), "evaluate: steps must be"),
    (lambda m, x, y: m.predict_generator(batches(x, y), steps=0), "predict: steps must be"),
    (lambda m, x, y: m.fit_generator(batches(x, y), steps_per_epoch=2, epochs="3"),
     "fit: epochs must be"),
    (lambda m, x, y: m.fit(batches(x, y), steps_per_epoch=2, batch_size=4, verbose=0),
     "fit: batch_size must be None when x is a generator"),
    (lambda m, x, y: m.fit(batches(x, y), steps_per_epoch=2, validation_split=0.2, verbose=0),
     "fit: validation_split needs arrays"),
])
def test_evaluate_predict_and_generator_arguments_name_themselves(call, match):
    with pytest.raises(ValueError, match=match):
        call(dense_model(), *data())


def test_numpy_ints_true_and_keras_3_auto_are_fine():
    x, y = data()
    history = dense_model().fit(x, y, epochs=np.int64(2), batch_size=np.int32(5), verbose=0)
    assert len(history.history["loss"]) == 2
    assert dense_model().evaluate(x, y, verbose=False, steps=np.int64(1)) is not None
    assert dense_model().predict(x, verbose="auto").shape == (10, 3)


# ------------------------------------------------------------ sparse labels
def sparse_model():
    return dense_model("sparse_categorical_crossentropy")


@pytest.mark.parametrize("call, where", [
    (lambda m, x, y: m.fit(x, y, verbose=0), r"fit \(y\)"),
    (lambda m, x, y: m.fit(x, y.astype(int), validation_data=(x, y), verbose=0),
     r"fit \(validation_data\) \(y\)"),
    (lambda m, x, y: m.evaluate(x, y, verbose=0), r"evaluate \(y\)"),
    (lambda m, x, y: m.train_on_batch(x, y), r"train_on_batch \(a batch's y\)"),
    (lambda m, x, y: m.test_on_batch(x, y), r"test_on_batch \(a batch's y\)"),
    (lambda m, x, y: m.fit(batches(x, y, 10), steps_per_epoch=1, verbose=0),
     r"fit \(a batch's y\)"),
    (lambda m, x, y: metrics.sparse_categorical_accuracy(y, m.predict(x)),
     "sparse_categorical_accuracy"),
])
def test_fractional_sparse_labels_are_refused_not_truncated(call, where):
    """Before: 1.5 became class 1 in the loss and the accuracy, without a word."""
    x, _ = data()
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], dtype="float32")
    y[9] = 1.5
    model = sparse_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=where + r": sparse labels must be whole class indices "
                                               r".*got 1\.5 at sample 9"):
        call(model, x, y)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_whole_float_labels_are_classes_and_nan_is_refused():
    x, _ = data()
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], dtype="float32")   # flow_from_directory's
    sparse_model().fit(x, y, verbose=0)
    y[3] = np.nan
    with pytest.raises(ValueError, match="got nan at sample 3"):
        sparse_model().fit(x, y, verbose=0)


# ------------------------------------------------------------ callbacks of evaluate/predict
class Recorder(callbacks.Callback):
    """Records (hook, batch or None, logs) for every Keras hook."""

    def __init__(self):
        super().__init__()
        self.calls = []


for _hook in [h for h in dir(callbacks.Callback) if h.startswith("on_")]:
    def _record(self, *args, _hook=_hook, **kwargs):
        logs = kwargs.get("logs", args[-1] if args and isinstance(args[-1], dict) else None)
        batch = args[0] if args and not isinstance(args[0], dict) else None
        self.calls.append((_hook, batch, dict(logs or {})))
    setattr(Recorder, _hook, _record)


# The hooks real Keras 3 (3.15.1, torch backend) calls, recorded with a callback like
# Recorder for 5 samples, batch_size=2 (3 batches), validation_data of 3 samples (2 batches):
#   model.evaluate(x, y, batch_size=2, callbacks=[r]); model.predict(x, batch_size=2, ...);
#   model.fit(x, y, batch_size=2, epochs=1, validation_data=(x[:3], y[:3]), callbacks=[r])
# (on_*_batch_begin/end of Keras 3 also call on_batch_begin/end for train batches only).
KERAS3_EVALUATE = (["on_test_begin"] + ["on_test_batch_begin", "on_test_batch_end"] * 3
                   + ["on_test_end"])
KERAS3_PREDICT = (["on_predict_begin"] + ["on_predict_batch_begin", "on_predict_batch_end"] * 3
                  + ["on_predict_end"])
KERAS3_FIT = (["on_train_begin", "on_epoch_begin"]
              + ["on_train_batch_begin", "on_train_batch_end"] * 3
              + ["on_test_begin"] + ["on_test_batch_begin", "on_test_batch_end"] * 2
              + ["on_test_end", "on_epoch_end", "on_train_end"])


def hooks(recorder, skip=("on_batch_begin", "on_batch_end")):
    return [c for c in recorder.calls if c[0] not in skip]


def test_evaluate_calls_keras_test_hooks_with_running_averages():
    """Before: evaluate accepted callbacks and never called them."""
    model = dense_model(metric="accuracy")
    x, y = data(5)
    rec = Recorder()
    loss, acc = model.evaluate(x, y, batch_size=2, verbose=0, callbacks=[rec])
    calls = hooks(rec)
    assert [c[0] for c in calls] == KERAS3_EVALUATE
    assert [c[1] for c in calls if "batch" in c[0]] == [0, 0, 1, 1, 2, 2]
    assert calls[-1][2] == {"loss": loss, "accuracy": acc}
    ends = [c[2] for c in calls if c[0] == "on_test_batch_end"]
    assert [e["size"] for e in ends] == [2, 2, 1]
    first = model.test_on_batch(x[:2], y[:2])
    assert ends[0]["loss"] == pytest.approx(first[0])       # after one batch: that batch
    assert ends[-1]["loss"] == pytest.approx(loss)          # at the end: the whole average
    assert rec.params["steps"] == 3 and rec.params["epochs"] == 1 and rec.model is model


def test_predict_calls_keras_predict_hooks_with_the_outputs():
    model = dense_model()
    x, _ = data(5)
    rec = Recorder()
    out = model.predict(x, batch_size=2, callbacks=[rec])
    calls = hooks(rec)
    assert [c[0] for c in calls] == KERAS3_PREDICT
    parts = [c[2]["outputs"] for c in calls if c[0] == "on_predict_batch_end"]
    np.testing.assert_array_equal(np.concatenate(parts), out)


def test_validation_inside_fit_calls_the_test_hooks():
    model = dense_model(metric="accuracy")
    x, y = data(5)
    rec = Recorder()
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0, validation_data=(x[:3], y[:3]),
                        callbacks=[rec])
    calls = hooks(rec)
    assert [c[0] for c in calls] == KERAS3_FIT
    end = next(c[2] for c in calls if c[0] == "on_test_end")
    assert end == {"loss": history.history["val_loss"][0],
                   "accuracy": history.history["val_accuracy"][0]}


def test_generator_methods_refuse_unknown_arguments_and_pass_callbacks():
    """Before: evaluate_generator(nonsense=1) was accepted and ignored."""
    model = dense_model()
    x, y = data(8)
    with pytest.raises(TypeError, match="nonsense"):
        model.evaluate_generator(batches(x, y), steps=2, nonsense=1)
    with pytest.raises(TypeError, match="nonsense"):
        model.predict_generator(batches(x, y), steps=2, nonsense=1)
    rec = Recorder()
    model.evaluate_generator(batches(x, y), steps=2, max_queue_size=4, workers=2,
                             use_multiprocessing=False, callbacks=[rec])
    model.predict_generator(batches(x, y), steps=2, workers=2, callbacks=[rec])
    names = [c[0] for c in hooks(rec)]
    assert names.count("on_test_batch_end") == 2 and names.count("on_predict_batch_end") == 2


# ------------------------------------------------------------ class folders
def test_an_empty_class_folder_is_a_warning_naming_it(tmp_path):
    """Before: flow_from_directory said nothing about a class that would never be drawn."""
    for cls, n in {"cats": 2, "dogs": 0, "zebras": 1}.items():
        (tmp_path / cls).mkdir()
        for k in range(n):
            Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / cls / f"{k}.png")
    (tmp_path / "dogs" / "notes.txt").write_text("no pictures")
    with pytest.warns(UserWarning, match="no image files in class folder") as record:
        iterator = image.ImageDataGenerator().flow_from_directory(tmp_path, target_size=(4, 4))
    message = str(record[0].message)
    assert str(tmp_path / "dogs") in message and "zebras" not in message
    assert iterator.class_indices == {"cats": 0, "dogs": 1, "zebras": 2}
    generator = image.ImageDataGenerator(validation_split=0.5)
    with pytest.warns(UserWarning, match=r"in the 'validation' subset in class folder.*zebras"):
        generator.flow_from_directory(tmp_path, target_size=(4, 4), classes=["cats", "zebras"],
                                      subset="validation")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image.ImageDataGenerator().flow_from_directory(tmp_path, target_size=(4, 4),
                                                       classes=["cats", "zebras"])
    assert os.path.isdir(tmp_path / "dogs")
