"""Training curves: listing 5-10's two figures and section 5.3's smoothing.

What the chapter types after ``history = model.fit_generator(...)``::

    acc = history.history['acc']
    val_acc = history.history['val_acc']
    loss = history.history['loss']
    val_loss = history.history['val_loss']
    epochs = range(1, len(acc) + 1)
    plt.plot(epochs, acc, 'bo', label='Training acc')
    plt.plot(epochs, val_acc, 'b', label='Validation acc')
    plt.title('Training and validation accuracy')
    plt.legend()
    plt.figure()
    plt.plot(epochs, loss, 'bo', label='Training loss')
    plt.plot(epochs, val_loss, 'b', label='Validation loss')
    plt.title('Training and validation loss')
    plt.legend()
    plt.show()

``plot_history(history, 'curves.png')`` draws the same two figures and saves them
as ``curves_accuracy.png`` and ``curves_loss.png``. It draws on
``matplotlib.figure.Figure`` objects (the Agg canvas), not through ``pyplot``, so
it works without a display whatever ``MPLBACKEND`` says.
"""
import os

# Keras 2 logs accuracy as 'acc' or 'accuracy', whichever name compile() was given
ACCURACY_KEYS = ("acc", "accuracy")


def smooth_curve(points, factor=0.8):
    """The chapter's exponential moving average of a noisy curve (section 5.3).

    ``smoothed[0] = points[0]`` and ``smoothed[i] = factor * smoothed[i - 1]
    + (1 - factor) * points[i]``.

    Args:
        points: sequence of numbers, e.g. ``history.history['val_acc']``.
        factor: weight of the past, in ``[0, 1)``; 0 returns the points unchanged.

    Returns:
        list of floats, as long as ``points``.
    """
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor < 1:
        raise ValueError(f"smooth_curve: factor must be a number in [0, 1), got {factor!r}")
    smoothed = []
    for point in points:
        if smoothed:
            smoothed.append(smoothed[-1] * factor + float(point) * (1 - factor))
        else:
            smoothed.append(float(point))
    return smoothed


def _logs(history):
    """The ``{name: [value per epoch]}`` dict of a ``History`` or of a dict."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(f"plot_history: expected a History (model.fit's return value) or a "
                        f"dict of lists, got {type(history).__name__}")
    return logs


def _series(logs, names):
    """``(key, values)`` of the first of ``names`` present, or ``(None, None)``."""
    for name in names:
        if name in logs:
            return name, [float(v) for v in logs[name]]
    return None, None


def _figure(epochs, train, val, what, title, smooth):
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure()
    axes = figure.subplots()
    names = ("Smoothed training", "Smoothed validation") if smooth else ("Training", "Validation")
    if smooth:
        train = smooth_curve(train, smooth)
        val = None if val is None else smooth_curve(val, smooth)
    axes.plot(epochs, train, "bo", label=f"{names[0]} {what}")
    if val is not None:
        axes.plot(epochs, val, "b", label=f"{names[1]} {what}")
    axes.set_title(title)
    axes.set_xlabel("Epochs")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))    # epochs are whole numbers
    axes.legend()
    return figure


def plot_history(history, path=None, smooth=None):
    """Listing 5-10: training and validation accuracy, then loss, per epoch.

    Training values are blue dots (``'bo'``), validation values a blue line
    (``'b'``), epochs numbered from 1; titles "Training and validation
    accuracy" and "Training and validation loss", with legends. A figure is
    left out when its keys are missing (no accuracy metric compiled); the
    validation line is left out when there was no validation data.

    Args:
        history: ``History`` (what ``fit`` returns) or a dict like its
            ``.history``: ``'acc'`` or ``'accuracy'``, ``'val_acc'`` or
            ``'val_accuracy'``, ``'loss'``, ``'val_loss'``, one value per epoch.
        path: None, or a ``.png`` path (the extension may be left out):
            ``'curves.png'`` writes ``curves_accuracy.png`` and ``curves_loss.png``.
        smooth: None, or a factor for ``smooth_curve`` (the chapter uses 0.8):
            both curves are smoothed and the legends say so.

    Returns:
        With ``path`` None: the list of ``matplotlib.figure.Figure`` (accuracy
        first, then loss). With ``path``: the list of PNG paths written.

    Raises:
        ValueError: neither accuracy nor loss values, curves of different
            lengths, or a ``path`` that does not end in ``.png``.
    """
    logs = _logs(history)
    if smooth is not None:
        smooth_curve([], smooth)                 # checks the factor
    figures, names = [], []
    for keys, what, title, name in (
            (ACCURACY_KEYS, "acc", "Training and validation accuracy", "accuracy"),
            (("loss",), "loss", "Training and validation loss", "loss")):
        key, train = _series(logs, keys)
        if key is None:
            continue
        _, val = _series(logs, ["val_" + key] + ["val_" + k for k in keys])
        if not train:
            raise ValueError(f"plot_history: {key!r} holds no values")
        if val is not None and len(val) != len(train):
            raise ValueError(f"plot_history: {key!r} has {len(train)} values but its "
                             f"validation curve has {len(val)}")
        epochs = range(1, len(train) + 1)
        figures.append(_figure(epochs, train, val, what, title, smooth))
        names.append(name)
    if not figures:
        raise ValueError(f"plot_history: no 'acc', 'accuracy' or 'loss' values in the history "
                         f"(keys: {sorted(logs)})")
    if path is None:
        return figures
    stem, extension = os.path.splitext(os.fspath(path))
    if extension.lower() not in ("", ".png"):
        raise ValueError(f"plot_history: path must end in .png, got {path!r}")
    paths = []
    for figure, name in zip(figures, names):
        paths.append(f"{stem}_{name}.png")
        figure.savefig(paths[-1], format="png")
    return paths
