"""Side-by-side timing: each engine in its own worker process, rounds interleaved.

Why processes: PyTorch and minicnn each bring an OpenMP thread pool; in one process
PyTorch's pool ends up serving numba's kernels too (its libgomp is loaded globally
first), which slowed minicnn's MNIST forward pass from 5 ms to 80-100 ms. Separate
processes keep each engine on its own runtime, and a fresh process also gives each
engine its own peak memory (a process's peak only rises).

Why interleaved rounds: round i of every engine runs before round i+1 of any, so
machine drift (other jobs, thermal limits) hits all engines alike.

A benchmark module passes ``setup`` and ``run`` functions (importable, module level):
``setup(name, **options) -> engine`` builds one engine in the worker;
``run(engine, mode, steps) -> (seconds, items)`` times ``steps`` steps of ``mode``.
``env`` sets environment variables in the worker before ``setup`` runs (e.g.
``MINICNN_CONV_ALGORITHM=im2col`` for a minicnn with Winograd off).
"""
import multiprocessing
import os
import resource
import statistics
import time


def _worker(conn, setup, name, options, env):
    os.environ.update(env)                 # before setup imports minicnn: its settings
    engine = setup(name, **options)
    conn.send("ready")
    while True:
        message = conn.recv()
        if message is None:
            conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # MiB
            return
        module_run, mode, steps = message
        conn.send(module_run(engine, mode, steps))


class Engine:
    """One engine living in a worker process."""

    def __init__(self, name, setup, run, options=None, steps=None, env=None):
        self.name, self.run_fn = name, run
        self.steps = steps or {}
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, setup, name, options or {},
                                                                    env or {}),
                                       daemon=True)
        self.process.start()
        if self.conn.recv() != "ready":
            raise RuntimeError(f"engine {name} failed to start")
        self.rates = {}

    def time(self, mode, steps):
        self.conn.send((self.run_fn, mode, steps))
        seconds, items = self.conn.recv()
        self.rates.setdefault(mode, []).append(items / seconds)

    def close(self):
        """Stop the worker; returns its peak resident memory in MiB."""
        self.conn.send(None)
        peak = self.conn.recv()
        self.process.join(timeout=30)
        return peak


def interleave(engines, modes, rounds, warmup=1):
    """Time every engine's ``modes`` for ``rounds`` rounds, interleaved; warm-up first."""
    for engine in engines:
        for mode in modes:
            for _ in range(warmup):
                engine.time(mode, max(1, engine.steps.get(mode, 1) // 4))
            engine.rates[mode] = []
    for _ in range(rounds):
        for engine in engines:
            for mode in modes:
                engine.time(mode, engine.steps.get(mode, 1))


def summary(rates):
    """``'median (min-max)'`` of a list of rates."""
    digits = 0 if statistics.median(rates) >= 100 else 1
    return (f"{statistics.median(rates):,.{digits}f} "
            f"({min(rates):,.{digits}f}-{max(rates):,.{digits}f})")


def median(rates):
    return statistics.median(rates)


def print_rates(engines, width=36):
    """A table of each engine's training and inference rates, then the ratios of the first
    engine (minicnn) to each other one."""
    print(f"{'engine':{width}s} {'training':>24s} {'inference':>24s}")
    for e in engines:
        label = "pytorch (2 threads, channels-last)" if e.name == "torch" else e.name
        print(f"{label:{width}s} {summary(e.rates['train']):>24s} {summary(e.rates['infer']):>24s}")
    ours = engines[0]
    for other in engines[1:]:
        train = median(ours.rates["train"]) / median(other.rates["train"])
        infer = median(ours.rates["infer"]) / median(other.rates["infer"])
        print(f"minicnn / {other.name}: training {train:.2f}x, inference {infer:.2f}x")


def load():
    """The load averages, for the record printed beside a table."""
    return "load average %.2f, %.2f, %.2f" % os.getloadavg()


def _busy_jiffies(pid):
    """CPU time (clock ticks) used so far by the whole machine and by process ``pid``."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]           # all but idle and iowait
    with open(f"/proc/{pid}/stat") as f:
        mine = f.read().rsplit(")", 1)[1].split()
    return busy, int(mine[11]) + int(mine[12])           # utime + stime, all threads


def timed(engine, job, steps, threshold, tries=4):
    """Time one round; a round during which other processes used more than ``threshold``
    of the machine's CPUs is run again (up to ``tries`` times). Returns their share."""
    share = 0.0
    for attempt in range(tries):
        try:
            busy0, mine0 = _busy_jiffies(engine.process.pid)
        except OSError:                                   # no /proc: no check
            engine.time(job, steps)
            return float("nan")
        start = time.perf_counter()
        engine.time(job, steps)
        elapsed = time.perf_counter() - start
        busy1, mine1 = _busy_jiffies(engine.process.pid)
        ticks = os.sysconf("SC_CLK_TCK") * elapsed * (os.cpu_count() or 1)
        share = max(0.0, ((busy1 - busy0) - (mine1 - mine0)) / ticks)
        if share <= threshold or attempt == tries - 1:
            return share
        engine.rates[job].pop()                           # disturbed: measure again
    return share


def torch_steps(engine, mode, steps):
    """``steps`` PyTorch steps of ``mode`` on an engine dict with ``net``, ``opt``, ``loss``
    and batch lists ``x``, ``y``: a training step (``'train'``) or a forward pass without
    gradients (``'infer'``), batches taken in turn."""
    import torch

    net, opt, loss, x, y = (engine[k] for k in ("net", "opt", "loss", "x", "y"))
    net.train(mode == "train")
    with torch.set_grad_enabled(mode == "train"):
        for i in range(steps):
            if mode == "train":
                opt.zero_grad()
                loss(net(x[i % len(x)]), y[i % len(y)]).backward()
                opt.step()
            else:
                net(x[i % len(x)])


def torch_version():
    """PyTorch's version, or '' when it is not installed."""
    import importlib.metadata

    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return ""
