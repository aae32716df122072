"""``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` steps.

One training step (``_train_step``)::

    y_pred = model.forward(x, training=True)           # every layer keeps its cache
    loss, dy = loss.value_and_grad(y, y_pred)          # Keras' numerics
    model.backward(dy)                                 # fills layer.grads (or the fused
                                                       # softmax/sigmoid shortcut (p - y) / N)
    optimizer.apply_gradients(model.trainable_slots())

A NaN or infinite loss stops ``fit`` with an error naming the epoch and batch,
before the bad update, so the weights stay those of the last good step;
``callbacks.TerminateOnNaN`` asks for Keras' quiet stop instead.

Every entry point checks its arguments first (counts, ``verbose``, empty data,
sparse labels that are not whole numbers) and refuses what it does not
implement rather than dropping it. ``evaluate``, ``predict`` and the
validation pass inside ``fit`` call Keras' test and predict hooks.
"""
import math
import warnings

import numpy

from .. import backend
from .. import callbacks as callbacks_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..layers.base import inference_only
from ..utils.progbar import Progbar
from . import data as data_module
from . import profile as profile_module


class NonFiniteLossError(FloatingPointError):
    """The loss (or a gradient) became NaN or infinite during ``fit``."""


class TrainingMixin:
    """The Keras training API, mixed into ``Model``."""

    _compiled = False
    _scoring_checked = False
    stop_training = False

    @property
    def compiled(self):
        """Whether ``compile`` was called (Keras 3's ``model.compiled``)."""
        return self._compiled

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        """Choose the optimizer, the loss and the metrics (names or objects).

        Args:
            optimizer: ``'rmsprop'``, ``'sgd'``, ``'adam'`` or an optimizer object.
            loss: e.g. ``'categorical_crossentropy'``, ``'binary_crossentropy'``, ``'mse'``.
            metrics: e.g. ``['acc']`` or ``['accuracy']`` (logs use the name given).
        """
        for key, value in kwargs.items():
            if value is not None:
                raise TypeError(f"compile: argument {key!r} is not supported by minicnn")
        if loss is None:
            raise ValueError("compile: a loss is required, e.g. loss='categorical_crossentropy'")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss
        self.loss_function = losses_module.get(loss)
        self.metrics = list(metrics or [])
        self._metric_functions = None  # resolved once the output shape is known
        self.metrics_names = ["loss"] + [getattr(m, "name", getattr(m, "__name__", m))
                                         for m in self.metrics]
        self._compiled = True
        self._scoring_checked = False
        self._check_keras3_scoring()

    @property
    def metric_functions(self):
        """The compiled metrics; ``'acc'`` resolved by the loss and the output shape."""
        if self._metric_functions is None:
            self._check_keras3_scoring()
            output_shape = self.outputs[0].shape if self.outputs else None
            self._metric_functions = [metrics_module.get(m, self.loss_function.name, output_shape)
                                      for m in self.metrics]
        return self._metric_functions

    def _check_keras3_scoring(self):
        """Warn, once per ``compile``, where Keras 3 would score this model otherwise."""
        if self._scoring_checked or not self.outputs or self.outputs[0].shape[-1] is None:
            return                          # the output shape comes with the first data
        self._scoring_checked = True
        for note in metrics_module.keras3_differences(self.metrics, self.loss_function.name,
                                                      self.outputs[0].shape):
            warnings.warn(f"Model '{self.name}': {note}", UserWarning, stacklevel=3)

    def _build_from_data(self, x):
        """A model whose input shape is still unknown builds itself from the first data."""

    def _require_compiled(self, where):
        if not self._compiled:
            raise RuntimeError(f"{where}: the model must be compiled before training or "
                               "testing; call model.compile(optimizer, loss, metrics) first")
        if len(self.outputs) > 1:
            raise ValueError(f"{where}: training and evaluating need a single-output model, "
                             f"got {len(self.outputs)} outputs")

    # -------------------------------------------------------------- one batch
    def _batch_logs(self, y, y_pred, where):
        if self.loss_function.name == "sparse_categorical_crossentropy":
            metrics_module.check_integer_labels(y, f"{where} (a batch's y)")
        loss, dy = self.loss_function.value_and_grad(y, y_pred)
        logs = {"loss": loss}
        for metric in self.metric_functions:
            logs[metric.name] = metric(y, y_pred)
        return logs, dy

    def _train_step(self, x, y, where):
        """One update on ``(x, y)``; returns ``(logs, ok)``; ``ok`` False skips the update."""
        y_pred = _one(self.forward(self._on_device(x), training=True))
        logs, dy = self._batch_logs(y, y_pred, where)
        if not math.isfinite(logs["loss"]):
            return logs, False
        last = self.outputs[0]
        activation = getattr(last.layer, "activation", None)
        fused = self.loss_function.fused_activation
        if fused is not None and activation is not None and activation.name == fused \
                and hasattr(last.layer, "backward_preactivation"):
            dz = self.loss_function.fused_grad(y, y_pred)   # (p - y) / N at the logits
            need = last.parent is not self.input
            self.backward(last.layer.backward_preactivation(dz, need), need_dx=False,
                          start=last.parent)
        else:
            self.backward(dy if self._single_output else [dy], need_dx=False)  # none for x
        slots = self.trainable_slots()
        if slots and not math.isfinite(float(sum(layer.grads[key].sum() for layer, key in slots))):
            logs["loss"] = float("nan")                    # one scalar leaves the device
            return logs, False
        self.optimizer.apply_gradients(slots)
        return logs, True

    def _results(self, logs):
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def train_on_batch(self, x, y):
        """One gradient step; returns the loss before the update (and metrics), as Keras."""
        self._require_compiled("train_on_batch")
        data_module.check_samples(x, y, "train_on_batch")
        logs, ok = self._train_step(x, y, "train_on_batch")
        if not ok:
            raise NonFiniteLossError("train_on_batch: the loss or a gradient is not finite; "
                                     "the weights were left unchanged")
        return self._results(logs)

    def test_on_batch(self, x, y):
        """Loss (and metrics) on one batch, in inference mode."""
        self._require_compiled("test_on_batch")
        data_module.check_samples(x, y, "test_on_batch")
        return self._results(self._batch_logs(y, _one(self._infer(x)), "test_on_batch")[0])

    def predict_on_batch(self, x):
        """The model's output for one batch, as NumPy (a list for several outputs)."""
        data_module.check_samples(x, None, "predict_on_batch")
        return _one(_to_numpy(self._infer(x)))

    def _infer(self, x):
        """Forward in inference mode, keeping nothing for backward (bounded memory)."""
        with inference_only(self.walk_layers()):
            return self.forward(self._on_device(x), training=False)

    def _on_device(self, x):
        """A batch moved (once) to where the model's weights live: the GPU on CuPy."""
        for layer in self.walk_layers():
            if layer.params:
                xp = backend.get_array_module(next(iter(layer.params.values())))
                return x if backend.get_array_module(x) is xp else xp.asarray(x)
        return x

    # --------------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, **kwargs):
        """Train for ``epochs`` epochs on arrays ``x: (N, ...)``, ``y: (N, ...)`` or a generator.

        Returns:
            A ``History`` whose ``.history`` maps ``'loss'``, each metric name and
            their ``'val_'`` versions to one value per epoch.
        """
        for key, value in kwargs.items():
            if value is not None:
                raise TypeError(f"fit: argument {key!r} is not supported by minicnn")
        self._require_compiled("fit")
        epochs = data_module.check_int(epochs, "epochs", "fit")
        initial_epoch = data_module.check_int(initial_epoch, "initial_epoch", "fit", minimum=0)
        if initial_epoch >= epochs:
            raise ValueError(f"fit: initial_epoch ({initial_epoch}) must be less than epochs "
                             f"({epochs}): as in Keras, epochs is the index of the last epoch, "
                             "not a number of further epochs")
        verbose = data_module.check_verbose(verbose, "fit")
        for name, value in (("batch_size", batch_size), ("steps_per_epoch", steps_per_epoch),
                            ("validation_steps", validation_steps)):
            data_module.check_int(value, name, "fit", optional=True)
        callbacks = callbacks_module.check_callbacks(callbacks, "fit")
        if not 0 <= validation_split < 1:
            raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
        if validation_split:
            x, y, validation_data = data_module.split_validation(x, y, validation_split)
        train = data_module.adapt(x, y, batch_size, steps_per_epoch, shuffle, "fit")
        if isinstance(train, data_module.ArrayData):
            self._check_arrays(train.x, train.y, "fit")
        val = None
        if validation_data is not None:
            if data_module.is_generator(validation_data):
                val = data_module.adapt(validation_data, None, None, validation_steps, False,
                                        "fit (validation_data)")
            else:
                vx, vy = validation_data[0], validation_data[1]
                val = data_module.adapt(vx, vy, batch_size, validation_steps, False,
                                        "fit (validation_data)")
                self._check_arrays(vx, vy, "fit (validation_data)")
        history = callbacks_module.History()
        cbs = callbacks_module.CallbackList(
            [history] + profile_module.fit_callbacks(callbacks), self,
            {"epochs": epochs, "steps": train.steps, "samples": train.samples,
             "verbose": verbose, "batch_size": batch_size})
        quiet_nan = any(isinstance(c, callbacks_module.TerminateOnNaN) for c in callbacks)
        if verbose and train.samples is not None and val is not None and val.samples:
            print(f"Train on {train.samples} samples, validate on {val.samples} samples")
        self.stop_training = False
        cbs.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            cbs.on_epoch_begin(epoch)
            bar = Progbar(train.samples or train.steps, verbose=verbose)
            seen = 0
            for step, (xb, yb) in enumerate(train.epoch()):
                cbs.on_train_batch_begin(step, {"size": len(xb)})
                logs, ok = self._train_step(xb, yb, "fit")
                if not ok and not quiet_nan:
                    raise NonFiniteLossError(
                        f"fit: the loss became {logs['loss']} at epoch {epoch + 1}, batch "
                        f"{step + 1}; the weights are those of the last good step. Lower the "
                        "learning rate or check the data (callbacks=[TerminateOnNaN()] stops "
                        "quietly, as Keras does)")
                seen += len(xb) if train.samples is not None else 1
                bar.update(seen, list(logs.items()), finalize=False)
                cbs.on_train_batch_end(step, dict(logs, size=len(xb)))
                if self.stop_training:
                    break
            epoch_logs = bar.averages()
            if val is not None and not self.stop_training:
                val_logs = self._evaluate_data(val, 0, cbs, "fit (validation_data)")
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            bar.update(seen, [(k, v) for k, v in epoch_logs.items() if k.startswith("val_")],
                       finalize=True)
            cbs.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cbs.on_train_end()
        history.model, history.params = self, cbs.callbacks[0].params
        return history

    def _check_arrays(self, x, y, where):
        """Shapes of a whole array data set, checked before the first update."""
        self._build_from_data(x)
        self.check_input_shape(tuple(numpy.shape(x)) if not hasattr(x, "shape") else x.shape)
        if y is not None and self.loss_function.name == "sparse_categorical_crossentropy":
            metrics_module.check_integer_labels(y, f"{where} (y)")   # the whole set, once
        out = self.outputs[0].shape
        if y is not None and all(s is not None for s in out[1:]):
            probe = numpy.full((min(len(y), 1024),) + tuple(out[1:]), 0.5, dtype="float32")
            try:
                self.loss_function.prepare(y[:len(probe)], probe)
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None

    # ---------------------------------------------------------------- evaluate
    def _evaluate_data(self, data, verbose, cbs, where):
        """Averages of the loss and metrics over ``data``, with Keras' test hooks.

        ``on_test_batch_end`` gets the running averages so far (Keras 3's logs) and
        ``on_test_end`` the final ones, without ``val_`` prefixes, also inside ``fit``.
        """
        cbs.on_test_begin({})
        bar = Progbar(data.samples or data.steps, verbose=verbose)
        seen = 0
        for step, (xb, yb) in enumerate(data.epoch()):
            cbs.on_test_batch_begin(step, {"size": len(xb)})
            logs, _ = self._batch_logs(yb, _one(self._infer(xb)), where)
            seen += len(xb) if data.samples is not None else 1
            bar.update(seen, list(logs.items()), finalize=False)
            cbs.on_test_batch_end(step, dict(bar.averages(), size=len(xb)))
        bar.update(seen, finalize=True)
        logs = bar.averages()
        cbs.on_test_end(dict(logs))
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, steps=None, callbacks=None):
        """Loss and metrics in inference mode: a float, or ``[loss, metric, ...]``.

        ``callbacks`` get ``on_test_begin``, ``on_test_batch_begin/end`` and ``on_test_end``.
        """
        self._require_compiled("evaluate")
        verbose, callbacks = _entry_checks("evaluate", verbose, batch_size, steps, callbacks)
        data = data_module.adapt(x, y, batch_size, steps, False, "evaluate")
        if isinstance(data, data_module.ArrayData):
            self._check_arrays(data.x, data.y, "evaluate")
        cbs = callbacks_module.CallbackList(callbacks, self, _params(data, verbose, batch_size))
        return self._results(self._evaluate_data(data, verbose, cbs, "evaluate"))

    # ----------------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """Outputs for ``x: (N, ...)`` (or a generator), in batches, as NumPy arrays.

        ``callbacks`` get ``on_predict_begin``, ``on_predict_batch_begin/end`` (the
        batch's ``'outputs'``) and ``on_predict_end``.

        Returns:
            ``(N, ...)`` array, or a list of arrays for a model with several outputs
            (a list of one output gives its array, as Keras 2 and 3 do).
        """
        verbose, callbacks = _entry_checks("predict", verbose, batch_size, steps, callbacks)
        data = data_module.adapt(x, None, batch_size, steps, False, "predict", needs_y=False)
        if isinstance(data, data_module.ArrayData):
            self._build_from_data(data.x)
            self.check_input_shape(x.shape if hasattr(x, "shape") else numpy.shape(x))
        cbs = callbacks_module.CallbackList(callbacks, self, _params(data, verbose, batch_size))
        cbs.on_predict_begin({})
        bar = Progbar(data.samples or data.steps, verbose=verbose)
        chunks, seen = [], 0
        for step, (xb, _) in enumerate(data.epoch()):
            cbs.on_predict_batch_begin(step, {"size": len(xb)})
            out = _to_numpy(self._infer(xb))
            chunks.append(out if isinstance(out, list) else [out])
            seen += len(xb) if data.samples is not None else 1
            bar.update(seen)
            cbs.on_predict_batch_end(step, {"outputs": _one(out), "size": len(xb)})
        cbs.on_predict_end({})
        return _one([numpy.concatenate(parts) for parts in zip(*chunks)])

    # ------------------------------------------------- the book's old spellings
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1,
                      callbacks=None, validation_data=None, validation_steps=None,
                      initial_epoch=0, **kwargs):
        """Keras 2's name for ``fit`` on a generator."""
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs,
                        verbose=verbose, callbacks=callbacks, validation_data=validation_data,
                        validation_steps=validation_steps, initial_epoch=initial_epoch,
                        **{k: v for k, v in kwargs.items() if k not in _GENERATOR_EXTRAS})

    def evaluate_generator(self, generator, steps=None, verbose=0, callbacks=None,
                           max_queue_size=10, workers=1, use_multiprocessing=False):
        """Keras 2's name for ``evaluate`` on a generator (the worker arguments are
        accepted and not needed: the generator loads its own batches)."""
        return self.evaluate(generator, steps=steps, verbose=verbose, callbacks=callbacks)

    def predict_generator(self, generator, steps=None, verbose=0, callbacks=None,
                          max_queue_size=10, workers=1, use_multiprocessing=False):
        """Keras 2's name for ``predict`` on a generator (worker arguments as
        ``evaluate_generator``)."""
        return self.predict(generator, steps=steps, verbose=verbose, callbacks=callbacks)

    # ----------------------------------------------------------------- summary
    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print Keras 2's table: Layer (type), Output Shape, Param #, and the totals."""
        from .summary import print_summary

        print_summary(self, line_length, positions, print_fn or print)


# arguments of Keras 2's fit_generator about worker processes: accepted, not needed
# (the generator itself shuffles and loads in threads; class_weight goes on to fit, which
# refuses it, rather than being dropped without a word)
_GENERATOR_EXTRAS = ("max_queue_size", "workers", "use_multiprocessing", "shuffle")


def _to_numpy(out):
    if isinstance(out, list):
        return [backend.to_numpy(o) for o in out]
    return backend.to_numpy(out)


def _one(out):
    """A list of one output as that output, as Keras 2 and 3 return it."""
    return out[0] if isinstance(out, list) and len(out) == 1 else out


def _params(data, verbose, batch_size):
    """``callback.params`` of an evaluate or predict pass."""
    return {"epochs": 1, "steps": data.steps, "samples": data.samples, "verbose": verbose,
            "batch_size": batch_size}


def _entry_checks(where, verbose, batch_size, steps, callbacks):
    """``evaluate``'s and ``predict``'s arguments checked: ``(verbose, callbacks list)``."""
    verbose = data_module.check_verbose(verbose, where)
    data_module.check_int(batch_size, "batch_size", where, optional=True)
    data_module.check_int(steps, "steps", where, optional=True)
    return verbose, callbacks_module.check_callbacks(callbacks, where)
