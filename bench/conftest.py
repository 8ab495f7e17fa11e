"""Benchmark fixtures: data generated with a fixed seed."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def make_data():
    def make(n, d, dtype=np.float64, seed=0):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, d)).astype(dtype)
        w = (rng.standard_normal(d) / np.sqrt(d)).astype(dtype)
        return X, w, 0.1

    return make
