"""Where training batches come from: NumPy arrays or Keras-style generators.

Both adapters give ``epoch()``, an iterator over ``(x_batch, y_batch)`` for one
epoch, plus ``steps`` (batches per epoch) and ``samples`` (``None`` for
generators), so ``fit``, ``evaluate`` and ``predict`` share one loop.
"""
import math
import numbers

from .. import backend


def is_generator(x):
    """Whether ``x`` yields batches (a generator, an iterator or a Keras ``Sequence``)."""
    if hasattr(x, "shape") or isinstance(x, (list, tuple)):
        return False
    return hasattr(x, "__next__") or (hasattr(x, "__getitem__") and hasattr(x, "__len__"))


def check_int(value, name, where, minimum=1, optional=False):
    """``value`` as an int of at least ``minimum`` (``None`` too when ``optional``).

    Raises:
        ValueError: naming the argument, what was expected and what came
            (``'5'``, ``2.5``, ``True`` and ``-1`` are refused, numpy ints accepted).
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{where}: {name} must be {kind}{' or None' if optional else ''}, "
                         f"got {value!r}")
    return int(value)


def check_batch_size(batch_size, where):
    return check_int(batch_size, "batch_size", where)


def check_verbose(verbose, where):
    """0 (silent), 1 (progress bar) or 2 (one line per epoch); Keras 3's ``'auto'`` is 1."""
    if verbose == "auto":
        return 1
    if not isinstance(verbose, numbers.Integral) or verbose not in (0, 1, 2):
        raise ValueError(f"{where}: verbose must be 0 (silent), 1 (progress bar) or 2 (one line "
                         f"per epoch), got {verbose!r}")
    return int(verbose)


def check_samples(x, y, where):
    """The number of samples of array data: at least one, and one label per sample.

    Args:
        x: ``(N, ...)`` inputs. y: ``(N, ...)`` labels or ``None``.
    """
    if len(x) == 0:
        shape = f" (shape {tuple(x.shape)})" if hasattr(x, "shape") else ""
        raise ValueError(f"{where}: x holds no samples{shape}; expected at least one")
    if y is not None and len(y) != len(x):
        raise ValueError(f"{where}: x and y must have the same number of samples, "
                         f"got {len(x)} inputs and {len(y)} labels")
    return len(x)


class ArrayData:
    """Batches of arrays ``x: (N, ...)`` and ``y: (N, ...)`` (``y`` may be ``None``)."""

    def __init__(self, x, y, batch_size, shuffle=False, where="fit"):
        self.batch_size = check_batch_size(batch_size, where)
        self.x, self.y = x, y
        self.samples = check_samples(x, y, where)
        self.steps = math.ceil(self.samples / self.batch_size)
        self.shuffle = shuffle

    def epoch(self):
        n, bs = self.samples, self.batch_size
        order = backend.rng().permutation(n) if self.shuffle else None
        for start in range(0, n, bs):
            if order is None:
                index = slice(start, start + bs)
            else:
                index = order[start:start + bs]
            yield self.x[index], (None if self.y is None else self.y[index])


class GeneratorData:
    """Batches drawn from a generator: ``steps`` batches per epoch.

    A batch is ``x`` alone, ``(x, y)`` or ``(x, y, sample_weight)`` (weights unsupported).
    """

    def __init__(self, generator, steps, where="fit", needs_y=True):
        if steps is None:
            if not hasattr(generator, "__len__"):
                raise ValueError(f"{where}: a generator without len() needs steps "
                                 "(steps_per_epoch / validation_steps / steps)")
            steps = len(generator)
            if steps == 0:
                raise ValueError(f"{where}: the generator's len() is 0: it has no batches")
        steps = check_int(steps, "the number of steps", where)
        self.generator, self.steps, self.samples = generator, steps, None
        self.where, self.needs_y = where, needs_y
        self._iterator = None

    def _next(self):
        if hasattr(self.generator, "__next__"):
            return next(self.generator)
        if self._iterator is None:  # a Sequence: index it, round and round
            self._iterator = _cycle_sequence(self.generator)
        return next(self._iterator)

    def epoch(self):
        for _ in range(self.steps):
            batch = self._next()
            if isinstance(batch, tuple) and len(batch) in (2, 3):
                if len(batch) == 3 and batch[2] is not None:
                    raise ValueError(f"{self.where}: sample weights are not supported")
                yield batch[0], batch[1]
            elif self.needs_y:
                raise ValueError(f"{self.where}: the generator must yield (x, y) tuples, "
                                 f"got {type(batch).__name__}")
            else:
                yield batch, None


def _cycle_sequence(sequence):
    while True:
        for i in range(len(sequence)):
            yield sequence[i]
        if hasattr(sequence, "on_epoch_end"):
            sequence.on_epoch_end()


def split_validation(x, y, validation_split):
    """``fit``'s ``validation_split``: the last fraction of the arrays validates, as in Keras.

    Returns:
        ``(x_train, y_train, (x_val, y_val))``.
    """
    if is_generator(x):
        raise ValueError("fit: validation_split needs arrays; with a generator, pass "
                         "validation_data (another generator) instead")
    if y is None or len(x) != len(y):
        raise ValueError("fit: x and y must have the same number of samples")
    split = int(len(x) * (1 - validation_split))
    if split == 0 or split == len(x):
        raise ValueError(f"fit: validation_split={validation_split} of {len(x)} samples leaves "
                         f"{'no training' if split == 0 else 'no validation'} samples")
    return x[:split], y[:split], (x[split:], y[split:])


def adapt(x, y, batch_size, steps, shuffle, where, needs_y=True):
    """An ``ArrayData`` or ``GeneratorData`` for ``fit``/``evaluate``/``predict`` arguments."""
    if is_generator(x):
        if y is not None:
            raise ValueError(f"{where}: y must be None when x is a generator (it yields (x, y))")
        if batch_size is not None:
            raise ValueError(f"{where}: batch_size must be None when x is a generator (it "
                             f"yields whole batches), got {batch_size!r}")
        return GeneratorData(x, steps, where, needs_y)
    if x is None:
        raise ValueError(f"{where}: no input data given")
    if needs_y and y is None:
        raise ValueError(f"{where}: labels y are required with array inputs")
    data = ArrayData(x, y, 32 if batch_size is None else batch_size, shuffle, where)
    if steps is not None:
        data.steps = min(data.steps, steps)
    return data
