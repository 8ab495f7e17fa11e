"""Small work: one sample of 3 features, and a 20,000 x 16 batch, against the
pure-Python reference and numpy."""

from __future__ import annotations

import numpy as np
from benchutil import contender

import cneuron as cn
from cneuron import reference

X3 = [0.8, 0.6, 0.9]
W3 = [0.5, 0.3, 0.7]
ONE = "one sample 3 features"
BATCH = "batch 20000x16 float64"


def test_one_reference(benchmark):
    contender(benchmark, ONE, "reference")
    benchmark(reference.neuron_forward, X3, W3, 0.1)


def test_one_numpy(benchmark):
    x, w = np.array(X3), np.array(W3)
    contender(benchmark, ONE, "numpy")
    benchmark(lambda: 1 / (1 + np.exp(-(x @ w + 0.1))))


def test_one_cneuron(benchmark):
    n = cn.Neuron(W3, bias=0.1)
    x = np.array(X3)
    contender(benchmark, ONE, "cneuron")
    benchmark(n.forward, x)


def test_batch_reference(benchmark, make_data):
    X, w, b = make_data(20_000, 16)
    rows, wl = X.tolist(), w.tolist()
    contender(benchmark, BATCH, "reference")
    benchmark.pedantic(reference.forward_batch, (rows, wl, b), rounds=5, iterations=1)


def test_batch_numpy(benchmark, make_data):
    X, w, b = make_data(20_000, 16)
    contender(benchmark, BATCH, "numpy")
    benchmark(lambda: 1 / (1 + np.exp(-(X @ w + b))))


def test_batch_cneuron(benchmark, make_data):
    X, w, b = make_data(20_000, 16)
    n = cn.Neuron(w, bias=b)
    out = np.empty(20_000)
    contender(benchmark, BATCH, "cneuron")
    benchmark(n.forward, X, out=out, num_threads=1)
