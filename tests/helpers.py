"""Test helpers: ulp measurement, exact references, the defined dot order."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

DTYPES = [np.float64, np.float32]
THREADS = [1, 2, None]

#: long double carries at least 11 more bits than float64 here (x86 80-bit
#: or IEEE quad); elsewhere the float64 references fall back to mpmath.
EXTENDED_LONGDOUBLE = np.finfo(np.longdouble).nmant >= 63


def ulp_of(ref, dtype):
    """The ulp of exact values ``ref`` (long double or float) in ``dtype``.

    For |ref| in [2^(e-1), 2^e) the ulp is 2^(e - p), p the precision; in the
    subnormal range it is the smallest subnormal.
    """
    fi = np.finfo(dtype)
    p = fi.nmant + 1
    ref = np.asarray(ref, dtype=np.longdouble)
    _, e = np.frexp(np.abs(ref))
    return np.ldexp(np.longdouble(1), np.maximum(e - p, fi.minexp - fi.nmant))


def ulp_error(y, ref, dtype):
    """|y - ref| in ulps of ``dtype`` (NaN where both are NaN: treated as 0)."""
    y = np.asarray(y).astype(np.longdouble)
    ref = np.asarray(ref, dtype=np.longdouble)
    with np.errstate(invalid="ignore"):
        err = np.abs(y - ref) / ulp_of(ref, dtype)
    both_nan = np.isnan(y) & np.isnan(ref)
    same_inf = np.isinf(ref) & (y == ref)
    return np.where(both_nan | same_inf, 0, err)


def sigmoid_exact(z):
    """sigma(z) to long double precision (mpmath where long double is short)."""
    z = np.asarray(z)
    if EXTENDED_LONGDOUBLE:
        zl = z.astype(np.longdouble)
        e = np.exp(-np.abs(zl))
        with np.errstate(invalid="ignore"):
            return np.where(zl >= 0, 1 / (1 + e), e / (1 + e))
    import mpmath

    mpmath.mp.prec = 120
    flat = [
        float(1 / (1 + mpmath.exp(-mpmath.mpf(float(v))))) if np.isfinite(v) else np.nan
        for v in z.ravel()
    ]
    return np.array(flat).reshape(z.shape)


def exact_dot(x, w, b=0.0):
    """x.w + b exactly, as a Fraction (x, w, b as given, no rounding)."""
    return sum((Fraction(float(a)) * Fraction(float(c)) for a, c in zip(x, w)), Fraction(float(b)))


def defined_order_z(X, w, b):
    """z = X.w + b with exactly the operations cneuron's contract defines.

    numpy elementwise arithmetic in the array's dtype emulates the kernel:
    lane k sums the products of features i = k (mod L) in increasing i, from
    the first product; a halving tree adds lane k+h into k, skipping empty
    lanes; then the bias. L = 16 for float64, 32 for float32.
    """
    X = np.asarray(X)
    dtype = X.dtype.type
    L = 16 if dtype == np.float64 else 32
    n, d = X.shape
    P = X * np.asarray(w, dtype=dtype)
    acc = np.zeros((n, L), dtype=dtype)
    m = min(d, L)
    acc[:, :m] = P[:, :m]
    for i in range(L, d, L):
        k = min(L, d - i)
        acc[:, :k] += P[:, i : i + k]
    h = L // 2
    while h >= 1:
        for k in range(h):
            if k + h < d:
                acc[:, k] += acc[:, k + h]
        h //= 2
    return acc[:, 0] + dtype(b)
