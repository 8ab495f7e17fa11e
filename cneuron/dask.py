"""Predictions over Dask collections: past one machine's memory and cores.

``cneuron.dask.predict(model, X)`` maps a ``Neuron``, ``Dense`` or
``Sequential`` over the blocks of a ``dask.array`` (rows chunked, features in
one chunk) or the partitions of a ``dask.dataframe``, lazily; the result is a
dask collection of the same kind. Each block runs the compiled forward pass,
which releases the GIL, so Dask's threaded scheduler uses every core, and the
model travels to distributed workers as a small pickle (its weights as arrays,
no code). A row's prediction never depends on its block (the kernels are
bitwise batch-invariant), so the result equals a local ``model.forward(X)``
bit for bit, whatever the chunking, scheduler or cluster.

Needs Dask (``pip install "cneuron[dask]"``); imported on first use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import dask.array as da
except ImportError as exc:  # pragma: no cover - exercised without dask
    raise ImportError(
        "cneuron.dask needs Dask: pip install 'cneuron[dask]' (dask[array,dataframe])"
    ) from exc

from ._layers import model_shape

__all__ = ["predict"]


def _forward_block(block: np.ndarray, model: Any, num_threads: int | None) -> np.ndarray:
    return model.forward(block, num_threads=num_threads)


def predict(model: Any, X: Any, *, num_threads: int | None = 1) -> Any:
    """The model's predictions over a dask array or dataframe, lazily.

    Parameters
    ----------
    model : Neuron, Dense or Sequential
    X : dask.array.Array, shape (n_samples, n_features), or dask DataFrame
        An array may have any row chunks; its feature axis is brought to one
        chunk (rechunked if needed). A DataFrame's columns are the features,
        in order.
    num_threads : int or None, default 1
        Threads per block. Dask already runs blocks in parallel (one per
        worker thread), so one thread per block avoids oversubscription;
        None lets each block use the OpenMP default.

    Returns
    -------
    dask.array.Array or dask DataFrame / Series
        For an array: shape (n_samples,) for a Neuron, (n_samples,
        n_outputs) otherwise, the model's dtype, the input's row chunks. For
        a DataFrame: a Series (a Neuron) or a DataFrame with columns
        ``output_0 ...`` (a layer or network), with the input's index and
        partitions.

    Examples
    --------
    >>> import dask.array as da, numpy as np, cneuron as cn
    >>> import cneuron.dask
    >>> X = da.from_array(np.ones((10, 3)), chunks=(4, 3))
    >>> y = cneuron.dask.predict(cn.Neuron([0.5, 0.3, 0.7], 0.1), X)
    >>> y.chunks, y.dtype
    (((4, 4, 2),), dtype('float64'))
    >>> np.round(y.compute()[:2], 4).tolist()
    [0.832, 0.832]
    """
    n_in, n_out, dtype = model_shape(model)
    if isinstance(X, da.Array):
        return _predict_array(model, X, n_in, n_out, dtype, num_threads)
    try:
        import dask.dataframe as dd
    except ImportError:  # pragma: no cover - dask without its dataframe part
        frame_types: tuple[type, ...] = ()
    else:
        frame_types = (dd.DataFrame, dd.Series)
    if frame_types and isinstance(X, frame_types):
        return _predict_frame(model, X, n_in, n_out, dtype, num_threads)
    raise TypeError(
        "X must be a dask array or dask DataFrame; for a numpy array call model.forward(X), "
        f"got {type(X).__name__}"
    )


def _predict_array(
    model: Any, X: Any, n_in: int, n_out: int | None, dtype: np.dtype, num_threads: int | None
) -> Any:
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got {X.ndim}-D")
    if X.shape[1] != n_in:
        raise ValueError(f"expected {n_in} features, got {X.shape[1]}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must hold real numbers, got {X.dtype} data")
    if len(X.chunks[1]) != 1:
        X = X.rechunk({1: -1})
    if n_out is None:
        return X.map_blocks(
            _forward_block,
            model,
            num_threads,
            drop_axis=1,
            dtype=dtype,
            meta=np.empty((0,), dtype=dtype),
        )
    return X.map_blocks(
        _forward_block,
        model,
        num_threads,
        chunks=(X.chunks[0], (n_out,)),
        dtype=dtype,
        meta=np.empty((0, 0), dtype=dtype),
    )


def _frame_block(df: Any, model: Any, n_out: int | None, num_threads: int | None) -> Any:
    import pandas as pd

    y = model.forward(np.asarray(df.to_numpy()), num_threads=num_threads)
    if n_out is None:
        return pd.Series(y, index=df.index, name="output")
    return pd.DataFrame(y, index=df.index, columns=[f"output_{j}" for j in range(n_out)])


def _predict_frame(
    model: Any, X: Any, n_in: int, n_out: int | None, dtype: np.dtype, num_threads: int | None
) -> Any:
    import pandas as pd

    n_cols = 1 if X.ndim == 1 else len(X.columns)
    if n_cols != n_in:
        raise ValueError(f"expected {n_in} features (columns), got {n_cols}")
    if n_out is None:
        meta: Any = pd.Series(np.empty(0, dtype=dtype), name="output")
    else:
        meta = pd.DataFrame({f"output_{j}": np.empty(0, dtype=dtype) for j in range(n_out)})
    if X.ndim == 1:
        X = X.to_frame()
    return X.map_partitions(_frame_block, model, n_out, num_threads, meta=meta)
