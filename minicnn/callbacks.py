"""Callbacks with Keras' hooks: ``History``, ``EarlyStopping``, ``TerminateOnNaN``,
``LambdaCallback``, ``ModelCheckpoint`` (which saves through ``model.save``).

``fit`` calls, in order: ``on_train_begin``, then per epoch ``on_epoch_begin``,
per batch ``on_train_batch_begin`` / ``on_train_batch_end`` (``logs`` holds the
batch's loss and metrics), ``on_epoch_end`` (``logs`` holds the epoch's
averages and ``val_`` values), and ``on_train_end``. A callback stops training
by setting ``self.model.stop_training = True``.

The validation pass at the end of an epoch, and ``evaluate(callbacks=...)``, call
``on_test_begin``, per batch ``on_test_batch_begin`` / ``on_test_batch_end``
(``logs``: the running averages so far, as Keras 3) and ``on_test_end`` (the
final averages, without ``val_``). ``predict(callbacks=...)`` calls
``on_predict_begin``, ``on_predict_batch_begin`` / ``on_predict_batch_end``
(``logs['outputs']``: the batch's predictions) and ``on_predict_end``. Batch
logs also carry the batch's ``'size'``, as Keras 2's did.
"""
import math
import os
import warnings

import numpy


class Callback:
    """Base class: override the hooks you need; ``self.model`` and ``self.params`` are set."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): self.on_batch_begin(batch, logs)
    def on_train_batch_end(self, batch, logs=None): self.on_batch_end(batch, logs)
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


def check_callbacks(callbacks, where):
    """``callbacks`` as a list (``None``: empty), or a ValueError saying what came instead."""
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)) or \
            not all(hasattr(cb, "set_model") for cb in callbacks):
        raise ValueError(f"{where}: callbacks must be a list of Callback objects, e.g. "
                         f"callbacks=[EarlyStopping()], got {callbacks!r:.100}")
    return list(callbacks)


class CallbackList:
    """Calls a hook on every callback in order: ``callbacks.on_epoch_end(epoch, logs)``."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args, **kwargs):
            for cb in self.callbacks:
                getattr(cb, hook)(*args, **kwargs)
        return call


class History(Callback):
    """Records each epoch's logs: ``history.history['loss']`` is a list, one per epoch."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Args:
        monitor: a log key such as ``'val_loss'`` or ``'val_acc'``.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (max for accuracies, min otherwise).
        baseline: stop if the value does not beat it within ``patience`` epochs.
        restore_best_weights: put the best epoch's weights back when stopping.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.sign = 1 if mode == "max" else -1
        self.min_delta = abs(min_delta)
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.stopped_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self.baseline if self.baseline is not None else -self.sign * math.inf
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(f"EarlyStopping: monitor {self.monitor!r} is not in the logs "
                             f"(available: {sorted(logs or {})})")
        if self.sign * (value - self.best) > self.min_delta:
            self.best, self.wait = value, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class TerminateOnNaN(Callback):
    """Stop training quietly when the loss becomes NaN or infinite (Keras' behaviour).

    Without it, minicnn's ``fit`` raises an error naming the epoch and batch.
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not numpy.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_batch_begin=on_batch_begin, on_batch_end=on_batch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end, **kwargs)
        for hook, fn in hooks.items():
            if fn is not None:
                if not hasattr(Callback, hook):
                    raise TypeError(f"LambdaCallback: unknown hook {hook!r}")
                setattr(self, hook, fn)


class ModelCheckpoint(Callback):
    """Save the model after every epoch (or every ``save_freq`` batches).

    Args:
        filepath: where to save; Keras' fields are filled in from the epoch and the logs:
            ``'weights.{epoch:02d}-{val_loss:.2f}.h5'`` -> ``weights.03-0.41.h5``.
        monitor: the log value that decides "best", e.g. ``'val_loss'`` or ``'val_acc'``.
        verbose: 1 prints a line at each save.
        save_best_only: save only when ``monitor`` improved (the file is overwritten unless
            ``filepath`` has fields).
        save_weights_only: ``model.save_weights`` instead of ``model.save``.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (max for accuracies, min otherwise).
        save_freq: ``'epoch'``, or a number of batches.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch"):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"ModelCheckpoint: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive number "
                             f"of batches, got {save_freq!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor or monitor.startswith("fmeasure") else "min"
        self.filepath = os.fspath(filepath)
        self.monitor, self.verbose, self.mode = monitor, verbose, mode
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.save_freq = save_freq
        self.best = math.inf if mode == "min" else -math.inf
        self._epoch, self._batches = 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches += 1
            if self._batches % self.save_freq == 0:
                self._save(self._epoch, dict(logs or {}, batch=batch))

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, logs or {})

    def _save(self, epoch, logs):
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as e:
            raise KeyError(f"ModelCheckpoint: cannot fill in filepath {self.filepath!r} from "
                           f"epoch and the logs {sorted(logs)}: {e}") from None
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                warnings.warn(f"ModelCheckpoint: can save the best model only with "
                              f"{self.monitor} in the logs (have {sorted(logs)}); skipping",
                              stacklevel=2)
                return
            better = value < self.best if self.mode == "min" else value > self.best
            if not better:
                if self.verbose:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{value:.5f}, saving model to {path}")
            self.best = value
        elif self.verbose:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
