"""cneuron against the pure-Python reference and numpy, in one run.

    pytest bench --benchmark-group-by=group --benchmark-columns=median,ops

Read the results as ratios within a group (pytest-benchmark prints them
side by side); never as lone absolute times: these machines are noisy.
"""

from __future__ import annotations

import numpy as np
import pytest

import cneuron as cn
from cneuron import reference


def numpy_forward(X, w, b):
    """What a numpy user writes."""
    return 1.0 / (1.0 + np.exp(-(X @ w + b)))


# ---- one sample, 3 features (the loan neuron) ---------------------------------------


@pytest.mark.benchmark(group="one sample, 3 features")
def test_one_reference(benchmark):
    benchmark(reference.neuron_forward, [0.8, 0.6, 0.9], [0.5, 0.3, 0.7], 0.1)


@pytest.mark.benchmark(group="one sample, 3 features")
def test_one_numpy(benchmark):
    x, w = np.array([0.8, 0.6, 0.9]), np.array([0.5, 0.3, 0.7])
    benchmark(numpy_forward, x, w, 0.1)


@pytest.mark.benchmark(group="one sample, 3 features")
def test_one_cneuron(benchmark):
    n = cn.Neuron([0.5, 0.3, 0.7], bias=0.1)
    benchmark(n.forward, np.array([0.8, 0.6, 0.9]))


# ---- batches ------------------------------------------------------------------------

BATCHES = [(20_000, 16), (1_000_000, 3), (200_000, 64)]


@pytest.mark.parametrize(("n", "d"), BATCHES[:1])
def test_batch_reference(benchmark, make_data, n, d):
    X, w, b = make_data(n, d)
    benchmark.group = f"batch {n}x{d} float64"
    rows, wl = X.tolist(), w.tolist()
    benchmark.pedantic(reference.forward_batch, (rows, wl, b), rounds=3, iterations=1)


@pytest.mark.parametrize(("n", "d"), BATCHES)
def test_batch_numpy(benchmark, make_data, n, d):
    X, w, b = make_data(n, d)
    benchmark.group = f"batch {n}x{d} float64"
    benchmark(numpy_forward, X, w, b)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(("n", "d"), BATCHES)
def test_batch_cneuron(benchmark, make_data, n, d, threads):
    X, w, b = make_data(n, d)
    benchmark.group = f"batch {n}x{d} float64"
    neuron = cn.Neuron(w, bias=b)
    out = np.empty(n)
    benchmark(neuron.forward, X, out=out, num_threads=threads)


# ---- sigmoid alone ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_numpy(benchmark, dtype):
    z = np.random.default_rng(1).standard_normal(1_000_000).astype(dtype)
    benchmark.group = f"sigmoid 1e6 {np.dtype(dtype).name}"
    benchmark(lambda: 1 / (1 + np.exp(-z)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_cneuron(benchmark, dtype):
    z = np.random.default_rng(1).standard_normal(1_000_000).astype(dtype)
    benchmark.group = f"sigmoid 1e6 {np.dtype(dtype).name}"
    out = np.empty_like(z)
    benchmark(cn.sigmoid, z, out=out, num_threads=1)
