"""``python -m cneuron bench``: cneuron against the libraries a user would pick.

For each batch size (1 to 10,000,000 rows by default) every contender computes
sigmoid(X.w + b) for the same data, in one run:

* read of X         ``X.sum()``: what reading the input once costs (the floor)
* reference         cneuron's pure-Python reference (batches up to 100,000)
* numpy             ``1 / (1 + np.exp(-(X @ w + b)))``
* scipy             ``scipy.special.expit(X @ w + b)``       (when installed)
* torch             ``torch.sigmoid(torch.addmv(b, X, w))``  (when installed)
* cneuron           ``Neuron.forward(X, out=..., num_threads=1)``
* cneuron Nt        the same with all threads of this process

Every contender runs with one thread (numpy's BLAS through threadpoolctl, when
installed; torch through ``torch.set_num_threads``) except "cneuron Nt".
Times are medians of several runs; the report gives ratios, GB/s of X and the
fraction of the read bandwidth, which say more than the times on a noisy
machine.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, TextIO

import numpy as np

from . import _config, reference
from . import _validate as _v
from ._neuron import Neuron

DEFAULT_BATCHES = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)
REFERENCE_MAX_BATCH = 100_000


@dataclass
class Contender:
    """One way of computing the neuron's output over a batch."""

    name: str
    prepare: Callable[[np.ndarray, np.ndarray, float], Callable[[], Any]]
    max_batch: int | None = None


@dataclass
class Result:
    """Median seconds per contender for one batch size."""

    batch: int
    n_features: int
    dtype: np.dtype
    seconds: dict[str, float | None] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return self.batch * self.n_features * self.dtype.itemsize


def _numpy(X: np.ndarray, w: np.ndarray, b: float) -> Callable[[], Any]:
    bb = X.dtype.type(b)
    return lambda: 1.0 / (1.0 + np.exp(-(X @ w + bb)))


def _read(X: np.ndarray, w: np.ndarray, b: float) -> Callable[[], Any]:
    return X.sum


def _reference(X: np.ndarray, w: np.ndarray, b: float) -> Callable[[], Any]:
    rows, wl = X.tolist(), w.tolist()
    return lambda: reference.forward_batch(rows, wl, b)


def _cneuron(threads: int | None) -> Callable[..., Callable[[], Any]]:
    def prepare(X: np.ndarray, w: np.ndarray, b: float) -> Callable[[], Any]:
        n = Neuron(w, bias=b)
        out = np.empty(X.shape[0], dtype=n.dtype)
        return lambda: n.forward(X, out=out, num_threads=threads)

    return prepare


def available_contenders(threads: int) -> list[Contender]:
    """The contenders installed here, in report order."""
    found = [
        Contender("read of X", _read),
        Contender("reference", _reference, REFERENCE_MAX_BATCH),
        Contender("numpy", _numpy),
    ]
    try:
        from scipy.special import expit

        def _scipy(X: np.ndarray, w: np.ndarray, b: float) -> Callable[[], Any]:
            bb = X.dtype.type(b)
            return lambda: expit(X @ w + bb)

        found.append(Contender("scipy", _scipy))
    except ImportError:
        pass
    try:
        import torch

        torch.set_num_threads(1)

        def _torch(X: np.ndarray, w: np.ndarray, b: float) -> Callable[[], Any]:
            tX, tw = torch.from_numpy(X), torch.from_numpy(w)
            tb = torch.full((X.shape[0],), b, dtype=tX.dtype)
            return lambda: torch.sigmoid(torch.addmv(tb, tX, tw))

        found.append(Contender("torch", _torch))
    except ImportError:
        pass
    found.append(Contender("cneuron", _cneuron(1)))
    if threads > 1:
        found.append(Contender(f"cneuron {threads}t", _cneuron(threads)))
    return found


def median_seconds(fn: Callable[[], Any], min_time: float = 0.05, repeat: int = 5) -> float:
    """Median time of one call: ``repeat`` runs of enough calls to last ``min_time``."""
    fn()  # warm up: first-touch page faults, lazy initialisation
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time or number >= 1 << 20:
            break
        number *= 2 if elapsed * 10 > min_time else 10
    runs = [elapsed / number]
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - t0) / number)
    return statistics.median(runs)


@contextlib.contextmanager
def _one_blas_thread() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield False
        return
    with threadpool_limits(limits=1):
        yield True


def run_bench(
    batches: tuple[int, ...] = DEFAULT_BATCHES,
    n_features: int = 4,
    dtype: Any = np.float64,
    min_time: float = 0.05,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Result], list[str], dict[str, Any]]:
    """Time every contender at every batch size; returns (results, names, notes)."""
    dt = np.dtype(dtype)
    threads = _v.resolve_threads(None)
    contenders = available_contenders(threads)
    results = []
    rng = np.random.default_rng(0)
    w = (rng.standard_normal(n_features) / np.sqrt(n_features)).astype(dt)
    with _one_blas_thread() as limited:
        for batch in batches:
            X = rng.standard_normal((batch, n_features)).astype(dt)
            res = Result(batch, n_features, dt)
            for c in contenders:
                if c.max_batch is not None and batch > c.max_batch:
                    res.seconds[c.name] = None
                    continue
                res.seconds[c.name] = median_seconds(c.prepare(X, w, 0.1), min_time)
            results.append(res)
            if progress:
                progress(f"batch {batch:,} done")
            del X
    notes = {"blas_one_thread": limited, "threads": threads, **_config.config()}
    return results, [c.name for c in contenders], notes


def _fmt_time(s: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:7.2f} {unit:2}"
    return f"{s / 1e-9:7.1f} ns"


def report(results: list[Result], names: list[str], notes: dict[str, Any], file: TextIO) -> None:
    """Print the comparison: per batch size, time, GB/s, fraction of read, ratios."""

    def p(line: str = "") -> None:
        print(line, file=file)

    r0 = results[0]
    p(
        f"cneuron bench: sigmoid(X.w + b), {r0.n_features} features, {r0.dtype}; "
        f"SIMD path {notes['simd']}, OpenMP {'on' if notes['openmp'] else 'off'}, "
        f"{notes['threads']} threads available"
    )
    if not notes["blas_one_thread"]:
        p("note: threadpoolctl is not installed: numpy's BLAS may use several threads")
    p("Medians of several runs; ratios are what to read on a noisy machine.")
    for res in results:
        p()
        p(f"batch {res.batch:,} x {res.n_features} ({res.nbytes / 1e6:.3g} MB of X)")
        p(f"  {'contender':<14}{'median':>11}{'GB/s of X':>11}{'of read':>9}{'cneuron is':>12}")
        t_read = res.seconds.get("read of X")
        t_cn = res.seconds.get("cneuron")
        for name in names:
            t = res.seconds.get(name)
            if t is None:
                p(f"  {name:<14}{'-':>11}")
                continue
            gbs = res.nbytes / t / 1e9
            frac = f"{t_read / t:8.2f}" if t_read else ""
            ratio = f"{t / t_cn:10.2f}x" if t_cn and name not in ("cneuron",) else ""
            p(f"  {name:<14}{_fmt_time(t):>11}{gbs:>11.2f} {frac:>8} {ratio:>11}")
    p()
    p("cneuron (1 thread) speed-up over each contender, by batch size:")
    others = [n for n in names if n not in ("cneuron", "read of X")]
    p("  " + f"{'batch':>12}" + "".join(f"{n:>14}" for n in others))
    for res in results:
        t_cn = res.seconds["cneuron"]
        cells = []
        for n in others:
            t = res.seconds.get(n)
            cells.append(f"{'-':>14}" if t is None or t_cn is None else f"{t / t_cn:13.2f}x")
        p("  " + f"{res.batch:>12,}" + "".join(cells))


def plot(results: list[Result], names: list[str], notes: dict[str, Any], path: str) -> None:
    """Save a log-log plot of throughput (rows/s) against batch size."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit(
            "--plot needs matplotlib: pip install 'cneuron[bench]' (or matplotlib)"
        ) from None
    fig, ax = plt.subplots(figsize=(8, 5))
    for name in names:
        xs = [r.batch for r in results if r.seconds.get(name)]
        ys = [r.batch / r.seconds[name] for r in results if r.seconds.get(name)]  # type: ignore[operator]
        style = "-" if name.startswith("cneuron") else ("--" if name == "read of X" else ":")
        ax.loglog(xs, ys, style, marker="o", markersize=3, label=name)
    r0 = results[0]
    ax.set_xlabel("batch size (rows)")
    ax.set_ylabel("throughput (rows / s)")
    ax.set_title(
        f"sigmoid(X.w + b), {r0.n_features} features, {r0.dtype}, one thread "
        f"unless marked; SIMD {notes['simd']}"
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(
    batches: tuple[int, ...] = DEFAULT_BATCHES,
    n_features: int = 4,
    dtype: str = "float64",
    plot_path: str | None = None,
    min_time: float = 0.05,
    file: TextIO | None = None,
) -> None:
    """Run, print and optionally plot the benchmark."""
    out = file if file is not None else sys.stdout
    results, names, notes = run_bench(
        batches,
        n_features,
        dtype,
        min_time,
        progress=lambda msg: print(msg, file=sys.stderr) if sys.stderr.isatty() else None,
    )
    report(results, names, notes, out)
    if plot_path:
        plot(results, names, notes, plot_path)
        print(f"\nplot saved to {plot_path}", file=out)
