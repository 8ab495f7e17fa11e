"""The sigmoid alone over 1e7 float64, one thread."""

from __future__ import annotations

import numpy as np
import pytest
from benchutil import contender, need

import cneuron as cn

GROUP = "sigmoid 1e7 float64"


@pytest.fixture(scope="module")
def z():
    return np.random.default_rng(1).standard_normal(10_000_000) * 5


def test_numpy(benchmark, z):
    contender(benchmark, GROUP, "numpy")
    benchmark(lambda: 1 / (1 + np.exp(-z)))


def test_scipy(benchmark, z):
    expit = need("scipy.special").expit
    contender(benchmark, GROUP, "scipy")
    benchmark(expit, z)


def test_torch(benchmark, z):
    torch = need("torch")
    tz = torch.from_numpy(z)
    contender(benchmark, GROUP, "torch")
    benchmark(torch.sigmoid, tz)


def test_cneuron(benchmark, z):
    out = np.empty_like(z)
    contender(benchmark, GROUP, "cneuron")
    benchmark(cn.sigmoid, z, out=out, num_threads=1)
