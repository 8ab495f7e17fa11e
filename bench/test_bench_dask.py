"""cneuron.dask on Dask's threaded scheduler: 2 worker threads against 1.

A Dense 256 -> 256 (tanh) layer over 200,000 x 256 float64 rows in chunks of
10,000, one kernel thread per block: the blocks run in parallel only if the
kernels release the GIL. Under ``--benchmark-disable`` (the CI smoke run) the
data is cut to ``SMOKE_ROWS`` rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from benchutil import contender, need

import cneuron as cn

SMOKE_ROWS = 20_000
ROWS, D, CHUNK = 200_000, 256, 10_000
GROUP = f"dask threads {ROWS}x{D}->{D} tanh"


def smoke(config):
    return config.getoption("benchmark_disable") and not config.getoption("benchmark_enable")


@pytest.fixture(scope="module")
def work(request):
    need("dask")
    import dask.array as da

    import cneuron.dask as cnd

    rows = SMOKE_ROWS if smoke(request.config) else ROWS
    X = da.from_array(np.random.default_rng(0).standard_normal((rows, D)), chunks=(CHUNK, D))
    layer = cn.Dense.create(D, D, "tanh", seed=0)
    return cnd.predict(layer, X, num_threads=1)


@pytest.mark.parametrize("workers", [1, 2])
def test_dask_threads(benchmark, work, workers):
    contender(benchmark, GROUP, f"{workers} thread{'s' if workers > 1 else ''}")
    y = benchmark(work.compute, scheduler="threads", num_workers=workers)
    assert y.shape == work.shape
