"""Dense layers and a small network, float64, relu: cneuron against numpy
(``np.maximum(X @ W.T + b, 0)``) and torch (``relu(linear(X, W, b))`` under
``no_grad``), all three in every case.

Layers 4->1, 64->16, 256->256 and 1024->1024 at batches of 1, 64 and 100,000
rows, except 1024->1024, whose largest batch is 10,000 rows (100,000 would read
and write 1.6 GB per call and make the run long); the group names carry the
batch actually used. Every case runs on one thread; the largest batch of each
layer also runs on two (numpy's BLAS through threadpoolctl, torch through
``torch.set_num_threads``, cneuron through ``num_threads``), as its own group.
Then Sequential([Dense 64->256 relu, Dense 256->16]) at 100,000 rows, one
thread, against numpy (two matmuls and a relu) and ``torch.nn.Sequential``.

cneuron writes into a preallocated ``out``; numpy and torch allocate, as their
users' code does. Arrays are built once per module. Under
``--benchmark-disable`` (the CI smoke run) each benchmark is a single plain
call and batches are cut to ``SMOKE_ROWS`` rows, so the file runs in seconds;
no timings are recorded in that mode.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from benchutil import contender, need

import cneuron as cn

BIG = 100_000
SMOKE_ROWS = 2_000
#: (n_inputs, n_outputs, largest batch)
SIZES = [(4, 1, BIG), (64, 16, BIG), (256, 256, BIG), (1024, 1024, 10_000)]
CASES = [(k, n, batch, 1) for k, n, big in SIZES for batch in (1, 64, big)] + [
    (k, n, big, 2) for k, n, big in SIZES
]
IDS = [f"{k}-{n}-b{batch}-{t}t" for k, n, batch, t in CASES]
NET = "network 100000x64->256->16 float64 1t"


def group(k, n, batch, threads):
    """The case: batch x n_inputs -> n_outputs, as in "forward NxD" elsewhere."""
    return f"layer {batch}x{k}->{n} relu float64 {threads}t"


@contextlib.contextmanager
def threads_everywhere(t):
    """numpy's BLAS (and OpenMP pools) and torch on ``t`` threads, restored after."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(limits=t)
    torch = None
    try:
        import torch
    except ImportError:
        pass
    with limits:
        before = torch.get_num_threads() if torch is not None else None
        if torch is not None:
            torch.set_num_threads(t)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def smoke(config):
    """True under --benchmark-disable: one plain call per benchmark, no timing."""
    return config.getoption("benchmark_disable") and not config.getoption("benchmark_enable")


@pytest.fixture(scope="module")
def layer_data(request):
    """(X, W, b) by (n_inputs, n_outputs, batch), built once; writable arrays
    (torch.from_numpy warns on read-only ones). X has at most SMOKE_ROWS rows
    in the smoke run."""
    cap = SMOKE_ROWS if smoke(request.config) else None
    weights, inputs = {}, {}

    def get(k, n, batch):
        if (k, n) not in weights:
            W, b = cn.initial_weights(k, n, "uniform", seed=k * 10_000 + n)
            weights[k, n] = (np.ascontiguousarray(W), np.ascontiguousarray(b))
        if (k, batch) not in inputs:
            rows = batch if cap is None else min(batch, cap)
            inputs[k, batch] = np.random.default_rng(k + batch).standard_normal((rows, k))
        return (inputs[k, batch], *weights[k, n])

    return get


# module scope: pytest then runs the three contenders of a case back to back
# (under the same thread limits), so slow drifts of a noisy machine hit them alike
@pytest.fixture(scope="module", params=CASES, ids=IDS)
def case(request, layer_data):
    k, n, batch, t = request.param
    X, W, b = layer_data(k, n, batch)
    with threads_everywhere(t):
        yield group(k, n, batch, t), X, W, b, t


def numpy_layer(X, W, b):
    return np.maximum(X @ W.T + b, 0)


def test_layer_cneuron(benchmark, case):
    name, X, W, b, t = case
    layer = cn.Dense(W, b, "relu")
    out = np.empty((X.shape[0], W.shape[0]))
    contender(benchmark, name, "cneuron")
    benchmark(layer.forward, X, out=out, num_threads=t)
    np.testing.assert_allclose(out[:64], numpy_layer(X[:64], W, b), rtol=1e-10, atol=1e-12)


def test_layer_numpy(benchmark, case):
    name, X, W, b, _ = case
    contender(benchmark, name, "numpy")
    benchmark(numpy_layer, X, W, b)


def test_layer_torch(benchmark, case):
    torch = need("torch")
    name, X, W, b, _ = case
    tX, tW, tb = torch.from_numpy(X), torch.from_numpy(W), torch.from_numpy(b)
    linear = torch.nn.functional.linear

    def run():
        with torch.no_grad():
            return torch.relu(linear(tX, tW, tb))

    contender(benchmark, name, "torch")
    benchmark(run)


# ---- a 2-layer network ------------------------------------------------------------


@pytest.fixture(scope="module")
def net_data(layer_data):
    X, W1, b1 = layer_data(64, 256, BIG)
    _, W2, b2 = layer_data(256, 16, 1)
    with threads_everywhere(1):
        yield X, W1, b1, W2, b2


def test_network_cneuron(benchmark, net_data):
    X, W1, b1, W2, b2 = net_data
    net = cn.Sequential([cn.Dense(W1, b1, "relu"), cn.Dense(W2, b2)])
    out = np.empty((X.shape[0], 16))
    contender(benchmark, NET, "cneuron")
    benchmark(net.forward, X, out=out, num_threads=1)
    ref = np.maximum(X[:64] @ W1.T + b1, 0) @ W2.T + b2
    np.testing.assert_allclose(out[:64], ref, rtol=1e-10, atol=1e-12)


def test_network_numpy(benchmark, net_data):
    X, W1, b1, W2, b2 = net_data
    contender(benchmark, NET, "numpy")
    benchmark(lambda: np.maximum(X @ W1.T + b1, 0) @ W2.T + b2)


def test_network_torch(benchmark, net_data):
    torch = need("torch")
    X, W1, b1, W2, b2 = net_data
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 16)
    ).double()
    with torch.no_grad():
        for lin, W, b in ((model[0], W1, b1), (model[2], W2, b2)):
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
    tX = torch.from_numpy(X)

    def run():
        with torch.no_grad():
            return model(tX)

    contender(benchmark, NET, "torch")
    benchmark(run)
