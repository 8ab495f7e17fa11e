"""Activation functions: what a neuron does with its weighted sum z.

Each function takes a scalar or an array of any shape, keeps float32 and
float64 (other real types follow the rules of ``cneuron._validate``), accepts
``out=`` and runs as a compiled kernel without the GIL.

The registry maps the names that ``Neuron(..., activation=name)`` accepts to
the kernels' activation codes; ``names()`` lists them.

==========  =====================  ========  ===============================
name        f(z)                   range     typical use
==========  =====================  ========  ===============================
identity    z                      R         regression, preactivation
sigmoid     1 / (1 + exp(-z))      (0, 1)    probabilities, binary decisions
==========  =====================  ========  ===============================

sigmoid is within 4 ulp of the exact value for every finite input in both
dtypes (subnormal results included, never flushed to zero), exactly 0.5 at 0,
0 and 1 at -inf and +inf, NaN for NaN, and never overflows or warns.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import _kernels
from . import _validate as _v

__all__ = ["identity", "names", "sigmoid"]

_ELEMENTWISE: dict[np.dtype, Callable[..., None]] = {
    _v.FLOAT64: _kernels.activate_f64,
    _v.FLOAT32: _kernels.activate_f32,
}


def _apply(code: int, z: Any, out: Any, num_threads: Any) -> Any:
    """Run the elementwise kernel ``code`` over ``z`` (any shape)."""
    src = _v.coerce_elementwise(z)
    n_threads = _v.resolve_threads(num_threads)
    if out is None:
        res = np.empty(src.shape, dtype=src.dtype)
    else:
        res = _v.check_out(out, src.shape, src.dtype)
        if not _v.exact_alias(src, res) and np.may_share_memory(src, res):
            src = src.copy()  # partial overlap: read from a private copy
    _ELEMENTWISE[src.dtype](src.reshape(-1), res.reshape(-1), code, n_threads)
    if out is None and res.ndim == 0:
        return res[()]
    return res


def identity(z: Any, *, out: Any = None, num_threads: Any = None) -> Any:
    """f(z) = z, elementwise: the activation of a linear neuron.

    Parameters
    ----------
    z : array_like or scalar
        Real values of any shape.
    out : ndarray, optional
        Receives the result: same shape as ``z``, dtype float32 or float64 as
        the result, writable and C-contiguous. Returned.
    num_threads : int, optional
        Threads to use; default: the OpenMP runtime's default.

    Returns
    -------
    ndarray or numpy scalar
        A copy of ``z`` as float32/float64 (a numpy scalar for scalar input).
    """
    return _apply(_kernels.ACT_IDENTITY, z, out, num_threads)


def sigmoid(z: Any, *, out: Any = None, num_threads: Any = None) -> Any:
    """The logistic sigmoid 1 / (1 + exp(-z)), elementwise.

    Numerically stable on the whole real line: exp is only ever evaluated at
    -|z|, so nothing overflows; the result is within 4 ulp of the exact value
    (subnormal results included), exactly 0.5 at 0, 0 at -inf, 1 at +inf and
    NaN for NaN, with no floating-point warning.

    Parameters
    ----------
    z : array_like or scalar
        Real values of any shape. float32 and float64 are kept; integers and
        bools give float64, float16 gives float32.
    out : ndarray, optional
        Receives the result: same shape and dtype as the result, writable and
        C-contiguous; ``out=z`` computes in place. Returned.
    num_threads : int, optional
        Threads to use; default: the OpenMP runtime's default, capped at the
        CPUs this process may use. Results do not depend on it.

    Returns
    -------
    ndarray or numpy scalar
        sigma(z), same shape as ``z`` (a numpy scalar for scalar input).

    Examples
    --------
    >>> import cneuron as cn
    >>> float(cn.sigmoid(0.0))
    0.5
    >>> cn.sigmoid([-1000.0, 1000.0]).tolist()
    [0.0, 1.0]
    """
    return _apply(_kernels.ACT_SIGMOID, z, out, num_threads)


_REGISTRY: dict[str, tuple[int, Callable[..., Any]]] = {
    "identity": (_kernels.ACT_IDENTITY, identity),
    "sigmoid": (_kernels.ACT_SIGMOID, sigmoid),
}


def names() -> list[str]:
    """The activation names a ``Neuron`` accepts, sorted."""
    return sorted(_REGISTRY)


def resolve(activation: Any) -> tuple[str, int]:
    """``(name, kernel code)`` for an activation name, or a clear error."""
    if not isinstance(activation, str):
        raise TypeError(
            f"activation must be a name (str), got {type(activation).__name__}; "
            f"known: {', '.join(names())}"
        )
    key = activation.lower()
    if key not in _REGISTRY:
        raise ValueError(f"unknown activation {activation!r}; known: {', '.join(names())}")
    return key, _REGISTRY[key][0]
