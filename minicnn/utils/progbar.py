"""Keras' progress bar: ``60000/60000 [==============================] - 5s 83us/step - loss: 0.17``.

``verbose=1`` rewrites one line on a terminal (with an ETA), and prints only
the finished line when stdout is not a terminal (a log file gets one line per
epoch, not thousands); ``verbose=2`` prints one short line at the end;
``verbose=0`` prints nothing.

In Jupyter the output of a cell is not a terminal, yet its front ends (JupyterLab,
Notebook, VS Code) honour ``\r`` as a terminal does, so the bar redraws there too:
one line per epoch that updates in place, as Keras' does when ``ipykernel`` runs it.
What a notebook file keeps is every redraw, unless the program that saves it settles
the ``\r``s first (``notebooks/run.py`` does).
"""
import sys
import time


def _format_value(value):
    return f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"


def _format_duration(seconds):
    if seconds > 3600:
        return f"{int(seconds) // 3600}:{(int(seconds) % 3600) // 60:02d}:{int(seconds) % 60:02d}"
    if seconds > 60:
        return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"
    return f"{int(seconds)}s"


def dynamic_display(stream):
    """Whether ``stream`` shows ``\r`` redraws in place: a terminal, or a Jupyter kernel's
    output stream (``ipykernel.iostream.OutStream``, whose ``isatty()`` is False)."""
    if hasattr(stream, "isatty") and stream.isatty():
        return True
    return "ipykernel" in sys.modules and type(stream).__module__.startswith("ipykernel.")


class Progbar:
    """A progress bar over ``target`` steps (samples or batches).

    Args:
        target: total count, or ``None`` if unknown.
        width: bar width in characters.
        verbose: 0, 1 or 2 (see the module docstring).
        interval: least seconds between terminal redraws.
        stateful_metrics: names shown as given instead of averaged.
        stream: where to write (``sys.stdout``).
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 stream=None):
        self.target, self.width, self.verbose, self.interval = target, width, verbose, interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.stream = stream or sys.stdout
        self.dynamic = dynamic_display(self.stream)
        self._sums = {}    # name -> [weighted sum, weight]
        self._order = []
        self._seen = 0
        self._start = time.time()
        self._last_draw = 0.0
        self._prev_width = 0

    def update(self, current, values=None, finalize=None):
        """Move to ``current``; ``values`` is a list of ``(name, value)`` for the last step."""
        for name, value in values or ():
            if name not in self._sums:
                self._order.append(name)
            if name in self.stateful_metrics:
                self._sums[name] = [value, 1]
            else:
                weight = max(current - self._seen, 1)
                total = self._sums.setdefault(name, [0.0, 0])
                total[0] += value * weight
                total[1] += weight
        self._seen = current
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = time.time()
        if self.verbose == 1:
            if not finalize and (not self.dynamic or now - self._last_draw < self.interval):
                return
            self._draw_bar(current, now, finalize)
            self._last_draw = now
        elif self.verbose == 2 and finalize:
            self.stream.write(f" - {int(now - self._start)}s{self._metrics_text()}\n")
            self.stream.flush()

    def averages(self):
        """The running averages: ``{name: value}``."""
        return {name: s / max(w, 1) for name, (s, w) in self._sums.items()}

    def _metrics_text(self):
        return "".join(f" - {name}: {_format_value(self.averages()[name])}" for name in self._order)

    def _draw_bar(self, current, now, finalize):
        elapsed = now - self._start
        if self.target is not None:
            digits = len(str(self.target))
            done = int(self.width * current / self.target) if self.target else self.width
            bar = "=" * max(done - 1, 0) + (">" if current < self.target else "=" if done else "")
            line = f"{current:{digits}d}/{self.target} [{bar}{'.' * (self.width - len(bar))}]"
        else:
            line = f"{current:7d}/Unknown"
        per_step = elapsed / current if current else 0
        if not finalize and self.target is not None:
            line += f" - ETA: {_format_duration(per_step * (self.target - current))}"
        else:
            unit = (f"{per_step:.0f}s" if per_step >= 1 else f"{per_step * 1e3:.0f}ms"
                    if per_step >= 1e-3 else f"{per_step * 1e6:.0f}us")
            line += f" - {int(elapsed)}s {unit}/step"
        line += self._metrics_text()
        if self.dynamic:
            pad = max(self._prev_width - len(line), 0)
            self.stream.write("\r" + line + " " * pad)
            self._prev_width = len(line)
            if finalize:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
