"""Every rule about accepted input, in one place.

User data is coerced and checked here, once, before any kernel runs; the
kernels in ``cneuron._kernels`` never validate. The rules (DESIGN.md):

* float32 and float64 are computed natively. Integers and bools become
  float64, float16 becomes float32, long double becomes float64. Complex,
  object, string, bytes, datetime and structured data raise ``TypeError``.
* Model inputs are cast to the model's dtype (its weights' dtype).
* Any byte order, memory layout (C, Fortran, strided views), read-only and
  memory-mapped arrays, lists and scalars are accepted; the kernels always see
  a native, C-contiguous buffer, so every form gives bitwise the same result.
* Shape problems raise ``ValueError`` naming what was expected and what was
  given ("expected 19 features, got 18").
* ``out=`` must be an ndarray of exactly the result's shape and dtype,
  writable and C-contiguous; it may alias the input (the result is then
  computed into a scratch buffer first, unless the kernel is elementwise and
  the alias is exact).
* ``num_threads=None`` is the OpenMP runtime's default (it follows
  ``OMP_NUM_THREADS`` and threadpoolctl limits), capped at the CPUs this
  process may use; an explicit count is capped the same way.
"""

from __future__ import annotations

import operator
import os
from typing import Any

import numpy as np

from . import _kernels

FLOAT64 = np.dtype(np.float64)
FLOAT32 = np.dtype(np.float32)


def _describe(dtype: np.dtype) -> str:
    return "structured" if dtype.fields is not None else str(dtype)


def compute_dtype(dtype: np.dtype, what: str = "input") -> np.dtype:
    """The native float dtype computed for data of ``dtype``.

    float32 and float16 give float32; float64, long double, integers and bools
    give float64. Anything else raises ``TypeError``.
    """
    kind = dtype.kind
    if kind == "f":
        return FLOAT32 if dtype.itemsize <= 4 else FLOAT64
    if kind in "biu":
        return FLOAT64
    raise TypeError(
        f"{what} must hold real numbers (float, int or bool), got {_describe(dtype)} data"
    )


def as_array(obj: Any, what: str) -> np.ndarray:
    """``obj`` as an ndarray (no copy when it already is one), or a clear error."""
    if isinstance(obj, np.ndarray):
        return obj
    try:
        return np.asarray(obj)
    except ValueError as exc:  # ragged nested lists and the like
        raise ValueError(f"{what} could not be read as a rectangular array: {exc}") from None


def cast(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``a`` as a native C-contiguous array of ``dtype`` (no copy if it is one).

    Narrowing float64 to float32 rounds, and values beyond float32's range
    become +-inf, silently: that is the documented meaning of "inputs are cast
    to the model's dtype", not a condition to warn about.
    """
    if a.dtype == dtype:
        r = np.asarray(a, order="C")
        # a misaligned buffer (a view at an odd byte offset) is copied: the
        # kernels read elements through typed pointers
        return r if r.flags.aligned else r.copy()
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return np.asarray(a, dtype=dtype, order="C")


def private_readonly(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``a`` cast to ``dtype`` as a read-only, C-contiguous array that shares
    no memory with the caller's (model parameters are copied in)."""
    r = cast(a, dtype)
    if r is a or np.may_share_memory(r, a):
        r = r.copy()
    r.setflags(write=False)
    return r


def coerce_weights(weights: Any) -> np.ndarray:
    """A neuron's weights as a private, read-only, C-contiguous 1-D float array.

    The array's dtype is the model's dtype: float32 if the weights are float32
    (or float16), float64 otherwise.
    """
    a = as_array(weights, "weights")
    dtype = compute_dtype(a.dtype, "weights")
    if a.ndim != 1:
        raise ValueError(
            f"weights must be 1-D (n_features,), got a {a.ndim}-D array of shape {a.shape}"
            + ("; pass weights.ravel() for a single row" if a.ndim == 2 and a.shape[0] == 1 else "")
        )
    if a.shape[0] == 0:
        raise ValueError("weights must hold at least one feature, got an empty array")
    return private_readonly(a, dtype)


def coerce_bias(bias: Any, dtype: np.dtype) -> float:
    """A scalar bias rounded to ``dtype``, as a Python float.

    Accepts Python and numpy scalars, 0-d arrays and arrays of one element
    (scikit-learn's ``intercept_`` has shape (1,)).
    """
    b = as_array(bias, "bias")
    compute_dtype(b.dtype, "bias")
    if b.size != 1:
        raise ValueError(f"bias must be a scalar, got an array of shape {b.shape}")
    return float(cast(b.reshape(()), dtype))


def coerce_features(
    X: Any, n_features: int, dtype: np.dtype, what: str = "X"
) -> tuple[np.ndarray, bool]:
    """Samples as a native C-contiguous 2-D array of ``dtype``.

    Returns ``(X2d, one_sample)``: a 1-D input is one sample, returned as a
    (1, n_features) view with ``one_sample=True``; a 2-D input is a batch.
    """
    a = as_array(X, what)
    compute_dtype(a.dtype, what)
    if a.ndim == 1:
        one = True
    elif a.ndim == 2:
        one = False
    else:
        raise ValueError(
            f"{what} must be 1-D (one sample of n_features) or 2-D "
            f"(n_samples, n_features), got a {a.ndim}-D array of shape {a.shape}"
        )
    got = a.shape[-1]
    if got != n_features:
        hint = ""
        if one and n_features == 1:
            hint = "; a batch of samples is 2-D: pass X.reshape(-1, 1)"
        raise ValueError(f"expected {n_features} features, got {got}{hint}")
    a = cast(a, dtype)
    return (a.reshape(1, n_features) if one else a), one


def coerce_elementwise(z: Any, what: str = "z") -> np.ndarray:
    """Data of any shape (0-d included) as a native C-contiguous float array.

    float32 and float64 are kept; other real types follow ``compute_dtype``.
    """
    a = as_array(z, what)
    return cast(a, compute_dtype(a.dtype, what))


def check_out(out: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Check a user's ``out=`` array against the result it must receive."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"out must have dtype {dtype}, got {_describe(out.dtype)}")
    if out.shape != shape:
        raise ValueError(f"out must have shape {shape}, got {out.shape}")
    if not out.flags.writeable:
        raise ValueError("out must be writable, got a read-only array")
    if not out.flags.c_contiguous:
        raise ValueError("out must be C-contiguous, got a non-contiguous array")
    return out


def exact_alias(a: np.ndarray, b: np.ndarray) -> bool:
    """True when ``a`` and ``b`` are the same contiguous memory, element for element."""
    if a is b:
        return bool(a.flags.c_contiguous)
    return (
        a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        and a.shape == b.shape
        and a.dtype == b.dtype
        and a.flags.c_contiguous
        and b.flags.c_contiguous
    )


def _available_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


AVAILABLE_CPUS = _available_cpus()


def resolve_threads(num_threads: Any) -> int:
    """The number of threads a kernel may use for this call.

    ``None`` is the OpenMP runtime's default; any count is capped at the CPUs
    this process may use, so a call never oversubscribes the machine.
    """
    if num_threads is None:
        return max(1, min(_kernels.omp_max_threads(), AVAILABLE_CPUS))
    if isinstance(num_threads, bool):
        raise TypeError("num_threads must be a positive int or None, got bool")
    try:
        n = operator.index(num_threads)
    except TypeError:
        raise TypeError(
            f"num_threads must be a positive int or None, got {type(num_threads).__name__}"
        ) from None
    if n < 1:
        raise ValueError(f"num_threads must be at least 1, got {n}")
    return min(n, AVAILABLE_CPUS)


def coerce_layer_weights(weights: Any) -> np.ndarray:
    """A layer's weights as a private, read-only, C-contiguous 2-D float array
    of shape (n_outputs, n_inputs); float32 (or float16) weights give float32,
    anything else float64."""
    a = as_array(weights, "weights")
    dtype = compute_dtype(a.dtype, "weights")
    if a.ndim != 2:
        raise ValueError(
            f"weights must be 2-D (n_outputs, n_inputs), got a {a.ndim}-D array of shape {a.shape}"
            + ("; pass weights.reshape(1, -1) for a single neuron" if a.ndim == 1 else "")
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(
            f"weights must have at least one output and one input, got shape {a.shape}"
        )
    return private_readonly(a, dtype)


def coerce_layer_bias(bias: Any, n_outputs: int, dtype: np.dtype) -> np.ndarray:
    """A layer's bias as a private, read-only array (n_outputs,) of ``dtype``.

    ``None`` is all zeros; a scalar is accepted for a layer of one output.
    """
    if bias is None:
        b = np.zeros(n_outputs, dtype=dtype)
    else:
        a = as_array(bias, "bias")
        compute_dtype(a.dtype, "bias")
        if a.ndim == 0 and n_outputs == 1:
            a = a.reshape(1)
        if a.shape != (n_outputs,):
            raise ValueError(
                f"bias must have shape ({n_outputs},), one value per output, got shape {a.shape}"
            )
        return private_readonly(a, dtype)
    b.setflags(write=False)
    return b
