"""Threads: num_threads=2 against 1, and two Python threads (the GIL is
released) against the same two calls in sequence, at 2,000,000 x 4."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from benchutil import contender

import cneuron as cn

N, D = 2_000_000, 4


@pytest.fixture(scope="module")
def data(make_data):
    X, w, b = make_data(N, D)
    return X, cn.Neuron(w, bias=b)


def test_read(benchmark, data):
    X, _ = data
    contender(benchmark, "threads 2000000x4", "read")
    benchmark(X.sum)


@pytest.mark.parametrize("threads", [1, 2])
def test_num_threads(benchmark, data, threads):
    X, neuron = data
    out = np.empty(N)
    contender(benchmark, "threads 2000000x4", f"cneuron {threads}t")
    benchmark(neuron.forward, X, out=out, num_threads=threads)


def test_two_calls_in_sequence(benchmark, data):
    X, neuron = data
    o1, o2 = np.empty(N), np.empty(N)

    def run():
        neuron.forward(X, out=o1, num_threads=1)
        neuron.forward(X, out=o2, num_threads=1)

    contender(benchmark, "two calls 2000000x4", "sequence")
    benchmark(run)


def test_two_calls_in_two_python_threads(benchmark, data):
    X, neuron = data
    o1, o2 = np.empty(N), np.empty(N)
    with ThreadPoolExecutor(2) as pool:

        def run():
            a = pool.submit(neuron.forward, X, out=o1, num_threads=1)
            b = pool.submit(neuron.forward, X, out=o2, num_threads=1)
            a.result()
            b.result()

        contender(benchmark, "two calls 2000000x4", "two python threads")
        benchmark(run)


def test_two_reads(benchmark, data):
    X, _ = data

    def run():
        X.sum()
        X.sum()

    contender(benchmark, "two calls 2000000x4", "read")
    benchmark(run)
