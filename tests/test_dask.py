"""cneuron.dask: predictions over dask arrays and dataframes, locally and on a
cluster of worker processes, bitwise equal to a local forward pass."""

from __future__ import annotations

import io
import pickle

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

import cneuron as cn
import cneuron.dask as cnd


def _models():
    rng = np.random.default_rng(0)
    return {
        "neuron": cn.Neuron(rng.normal(size=6), 0.2, "tanh"),
        "dense": cn.Dense.create(6, 3, "softmax", seed=1),
        "sequential": cn.Sequential(
            [cn.Dense.create(6, 16, "relu", seed=2), cn.Dense.create(16, 2, "sigmoid", seed=3)]
        ),
        "dense32": cn.Dense.create(6, 4, "gelu", seed=4, dtype="float32"),
    }


MODELS = _models()
X_NP = np.random.default_rng(5).normal(size=(1000, 6))


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("chunks", [(100, 6), (333, 6), ((0, 400, 0, 600), (6,)), (250, 3)])
def test_array_predictions_equal_the_local_forward(name, chunks):
    model = MODELS[name]
    X = da.from_array(X_NP, chunks=chunks)
    y = cnd.predict(model, X)
    want = model.forward(X_NP)
    assert isinstance(y, da.Array)
    assert y.dtype == want.dtype and y.shape == want.shape
    assert y.chunks[0] == X.chunks[0]  # the input's row chunks, empty ones included
    assert isinstance(y._meta, np.ndarray) and y._meta.ndim == want.ndim
    got = y.compute(scheduler="threads")
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["neuron", "sequential"])
def test_dataframe_predictions(name):
    model = MODELS[name]
    df = pd.DataFrame(X_NP, columns=list("abcdef"), index=np.arange(1000) * 3)
    ddf = dd.from_pandas(df, npartitions=4)
    y = cnd.predict(model, ddf)
    want = model.forward(X_NP)
    got = y.compute()
    if name == "neuron":
        assert isinstance(y, dd.Series) and isinstance(got, pd.Series)
        np.testing.assert_array_equal(got.to_numpy(), want)
    else:
        assert isinstance(y, dd.DataFrame) and list(got.columns) == ["output_0", "output_1"]
        np.testing.assert_array_equal(got.to_numpy(), want)
    np.testing.assert_array_equal(got.index.to_numpy(), df.index.to_numpy())
    assert y.npartitions == 4


def test_errors():
    model = MODELS["neuron"]
    with pytest.raises(ValueError, match="expected 6 features, got 5"):
        cnd.predict(model, da.ones((10, 5), chunks=5))
    with pytest.raises(ValueError, match="2-D"):
        cnd.predict(model, da.ones(10, chunks=5))
    with pytest.raises(TypeError, match="dask array or dask DataFrame"):
        cnd.predict(model, X_NP)
    with pytest.raises(TypeError, match="Neuron, Dense or Sequential"):
        cnd.predict(object(), da.ones((10, 6), chunks=5))
    with pytest.raises(ValueError, match="expected 6 features"):
        cnd.predict(model, dd.from_pandas(pd.DataFrame(np.ones((4, 2))), npartitions=1))


@pytest.mark.parametrize("name", list(MODELS))
def test_models_pickle_compactly_and_without_code(name):
    model = MODELS[name]
    blob = pickle.dumps(model)
    weights = sum(
        a.nbytes
        for a in (
            [model.weights]
            if name == "neuron"
            else [lay.weights for lay in (model if name == "sequential" else [model])]
        )
    )
    assert len(blob) < weights + 4000
    # loads with an unpickler that resolves nothing outside cneuron and numpy
    seen = []

    class Restricted(pickle.Unpickler):
        def find_class(self, module, name):
            seen.append(f"{module}.{name}")
            if module.split(".")[0] not in ("cneuron", "numpy", "_codecs", "copyreg"):
                raise pickle.UnpicklingError(f"{module}.{name} is not a cneuron/numpy class")
            return super().find_class(module, name)

    back = Restricted(io.BytesIO(blob)).load()
    assert any(s.startswith("cneuron.") for s in seen)
    np.testing.assert_array_equal(back.forward(X_NP), model.forward(X_NP))


@pytest.mark.slow
def test_on_a_local_cluster_of_two_worker_processes():
    import distributed  # installed by the test extra

    with (
        dask.config.set({"distributed.worker.daemon": False}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        for name, model in MODELS.items():
            X = da.from_array(X_NP, chunks=(125, 6))
            got = cnd.predict(model, X).compute()
            np.testing.assert_array_equal(got, model.forward(X_NP), err_msg=name)
        ddf = dd.from_pandas(pd.DataFrame(X_NP), npartitions=3)
        got = cnd.predict(MODELS["dense"], ddf).compute()
        np.testing.assert_array_equal(got.to_numpy(), MODELS["dense"].forward(X_NP))
        # the blocks ran on both workers
        who = client.run(lambda: 1)
        assert len(who) == 2
