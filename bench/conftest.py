"""Benchmark setup: one thread for every contender unless a case says
otherwise, data generated with a fixed seed, and optional contenders
(scipy, torch) imported lazily.

Run:  pytest bench --benchmark-json=bench.json && python bench/report.py bench.json
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session", autouse=True)
def one_thread_everywhere():
    """numpy's BLAS and torch on one thread (cneuron takes num_threads)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def make_data():
    cache = {}

    def make(n, d, dtype=np.float64):
        key = (n, d, np.dtype(dtype).name)
        if key not in cache:
            rng = np.random.default_rng(0)
            X = rng.standard_normal((n, d)).astype(dtype)
            w = (rng.standard_normal(d) / np.sqrt(d)).astype(dtype)
            cache[key] = (X, w, 0.1)
        return cache[key]

    return make
