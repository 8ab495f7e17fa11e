"""Each activation against the numpy/scipy expression a user would write,
over 1e6 and 1e7 elements, float64 and float32, one thread."""

from __future__ import annotations

import numpy as np
import pytest
from benchutil import contender, need

import cneuron as cn

A = cn.activations
SELU_L, SELU_A = 1.0507009873554804934, 1.6732632423543772848


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(z):
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def _expit(z):
    return need("scipy.special").expit(z)


#: name -> what a numpy/scipy user writes (stable forms where one exists)
BASELINES = {
    "sigmoid": _expit,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "selu": lambda z: SELU_L * np.where(z > 0, z, SELU_A * np.expm1(np.minimum(z, 0))),
    "softplus": lambda z: np.logaddexp(0, z),
    "silu": lambda z: z * _expit(z),
    "log_sigmoid": lambda z: -np.logaddexp(0, -z),
    "gelu": lambda z: 0.5 * z * (1 + need("scipy.special").erf(z / np.sqrt(2))),
    "softmax": _softmax,
    "log_softmax": _log_softmax,
}
SIZES = [1_000_000, 10_000_000]
DTYPES = [np.float64, np.float32]


@pytest.fixture(scope="module")
def data():
    cache = {}

    def get(size, dtype):
        key = (size, np.dtype(dtype).name)
        if key not in cache:
            z = np.random.default_rng(2).standard_normal(size) * 4
            cache[key] = z.astype(dtype).reshape(-1, 1000)  # rows of 1000 for softmax
        return cache[key]

    return get


def group(name, size, dtype):
    return f"activation {name} {size:.0e} {np.dtype(dtype).name}"


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s:.0e}")
@pytest.mark.parametrize("name", sorted(BASELINES))
def test_numpy(benchmark, data, name, size, dtype):
    z = data(size, dtype)
    contender(benchmark, group(name, size, dtype), "numpy")
    benchmark.pedantic(BASELINES[name], (z,), rounds=5, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s:.0e}")
@pytest.mark.parametrize("name", sorted(BASELINES))
def test_cneuron(benchmark, data, name, size, dtype):
    z = data(size, dtype)
    act = A.get(name)
    out = np.empty_like(z)
    contender(benchmark, group(name, size, dtype), "cneuron")
    benchmark.pedantic(
        act, (z,), {"out": out, "num_threads": 1}, rounds=5, iterations=1, warmup_rounds=1
    )
