"""Neuron forward over batches, one thread: cneuron vs numpy, scipy, torch and
one read of X (``X.sum()``)."""

from __future__ import annotations

import numpy as np
import pytest
from benchutil import contender, need

import cneuron as cn

CASES = [
    (2_000_000, 4, np.float64),
    (200_000, 64, np.float64),
    (20_000, 1024, np.float64),
    (4_000_000, 4, np.float32),
    (400_000, 64, np.float32),
]
IDS = [f"{n}x{d}-{np.dtype(t).name}" for n, d, t in CASES]


def group(n, d, dtype):
    return f"forward {n}x{d} {np.dtype(dtype).name}"


@pytest.mark.parametrize(("n", "d", "dtype"), CASES, ids=IDS)
def test_read(benchmark, make_data, n, d, dtype):
    X, _, _ = make_data(n, d, dtype)
    contender(benchmark, group(n, d, dtype), "read")
    benchmark(X.sum)


@pytest.mark.parametrize(("n", "d", "dtype"), CASES, ids=IDS)
def test_numpy(benchmark, make_data, n, d, dtype):
    X, w, b = make_data(n, d, dtype)
    bb = X.dtype.type(b)
    contender(benchmark, group(n, d, dtype), "numpy")
    benchmark(lambda: 1 / (1 + np.exp(-(X @ w + bb))))


@pytest.mark.parametrize(("n", "d", "dtype"), CASES, ids=IDS)
def test_scipy(benchmark, make_data, n, d, dtype):
    expit = need("scipy.special").expit
    X, w, b = make_data(n, d, dtype)
    bb = X.dtype.type(b)
    contender(benchmark, group(n, d, dtype), "scipy")
    benchmark(lambda: expit(X @ w + bb))


@pytest.mark.parametrize(("n", "d", "dtype"), CASES, ids=IDS)
def test_torch(benchmark, make_data, n, d, dtype):
    torch = need("torch")
    X, w, b = make_data(n, d, dtype)
    tX, tw = torch.from_numpy(X), torch.from_numpy(w)
    tb = torch.full((n,), b, dtype=tX.dtype)
    contender(benchmark, group(n, d, dtype), "torch")
    benchmark(lambda: torch.sigmoid(torch.addmv(tb, tX, tw)))


@pytest.mark.parametrize(("n", "d", "dtype"), CASES, ids=IDS)
def test_cneuron(benchmark, make_data, n, d, dtype):
    X, w, b = make_data(n, d, dtype)
    neuron = cn.Neuron(w, bias=b)
    out = np.empty(n, dtype=dtype)
    contender(benchmark, group(n, d, dtype), "cneuron")
    benchmark(neuron.forward, X, out=out, num_threads=1)
