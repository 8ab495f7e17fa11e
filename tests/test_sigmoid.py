"""cn.sigmoid: accuracy, extremes, dtypes, shapes, out= and threads."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from helpers import DTYPES, EXTENDED_LONGDOUBLE, sigmoid_exact, ulp_error

import cneuron as cn
from cneuron import reference

MAX_ULP = 4.0


# ---- accuracy -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", ["normal5", "uniform_full", "near_zero", "subnormal_range"])
def test_within_4_ulp_random(dtype, scale, rng):
    n = 400_000 if EXTENDED_LONGDOUBLE else 2_000
    lim = 750.0 if dtype == np.float64 else 110.0
    if scale == "normal5":
        z = rng.standard_normal(n) * 5
    elif scale == "uniform_full":
        z = rng.uniform(-lim, lim, n)
    elif scale == "near_zero":
        z = rng.standard_normal(n) * 1e-6
    else:  # results below the smallest normal number
        lo = -745.2 if dtype == np.float64 else -104.0
        hi = -708.3 if dtype == np.float64 else -87.3
        z = rng.uniform(lo, hi, n)
    z = z.astype(dtype)
    y = cn.sigmoid(z)
    assert y.dtype == dtype
    err = ulp_error(y, sigmoid_exact(z), dtype)
    assert err.max() <= MAX_ULP, (z[np.argmax(err)], err.max())


@pytest.mark.parametrize("dtype", DTYPES)
def test_within_4_ulp_against_mpmath(dtype):
    # spot values spanning every regime, checked at 120 bits
    mpmath.mp.prec = 120
    if dtype == np.float64:
        pts = [
            -745.1,
            -745.0,
            -744.4,
            -740.0,
            -709.5,
            -708.4,
            -700.0,
            -100.0,
            -37.5,
            -20.0,
            -5.0,
            -1.0,
            -1e-3,
            -1e-300,
            1e-300,
            1e-3,
            1.0,
            5.0,
            20.0,
            36.7,
            37.5,
            40.0,
            700.0,
        ]
    else:
        pts = [
            -103.9,
            -103.0,
            -100.0,
            -95.0,
            -87.5,
            -87.0,
            -50.0,
            -17.0,
            -5.0,
            -1.0,
            -1e-3,
            -1e-30,
            1e-30,
            1e-3,
            1.0,
            5.0,
            16.0,
            17.0,
            20.0,
            88.0,
        ]
    z = np.array(pts, dtype=dtype)
    y = cn.sigmoid(z)
    exact = [1 / (1 + mpmath.exp(-mpmath.mpf(float(v)))) for v in z]
    for zi, yi, ei in zip(z, y, exact):
        fi = np.finfo(dtype)
        _m, e = mpmath.frexp(ei)
        ulp = mpmath.ldexp(1, max(int(e) - (fi.nmant + 1), fi.minexp - fi.nmant))
        err = abs(mpmath.mpf(float(yi)) - ei) / ulp
        assert err <= MAX_ULP, (zi, yi, ei, err)


@pytest.mark.parametrize("dtype", DTYPES)
def test_subnormal_results_are_not_flushed(dtype):
    tiny = np.finfo(dtype).smallest_subnormal
    z = np.array(
        [-745.0, -744.0, -720.0] if dtype == np.float64 else [-103.0, -100.0, -90.0], dtype=dtype
    )
    y = cn.sigmoid(z)
    assert np.all(y > 0)
    assert np.all(y < np.finfo(dtype).smallest_normal)
    err = np.abs(y.astype(np.longdouble) - sigmoid_exact(z)) / np.longdouble(tiny)
    assert err.max() <= MAX_ULP


# ---- exact values and extremes --------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_values(dtype):
    z = np.array([0.0, -0.0, np.inf, -np.inf], dtype=dtype)
    y = cn.sigmoid(z)
    assert y.tolist() == [0.5, 0.5, 1.0, 0.0]
    assert np.isnan(cn.sigmoid(np.array([np.nan, -np.nan], dtype=dtype))).all()


def test_extremes_float64_without_warnings():
    z = np.array(
        [
            1000.0,
            -1000.0,
            745.0,
            -745.0,
            710.0,
            -710.0,
            1e308,
            -1e308,
            np.finfo(np.float64).max,
            -np.finfo(np.float64).max,
        ]
    )
    y = cn.sigmoid(z)  # warnings are errors in this suite
    assert y[0] == 1.0 and y[1] == 0.0
    assert y[2] == 1.0 and 0 < y[3] < 1e-323
    assert y[4] == 1.0 and y[5] == pytest.approx(math.exp(-710.0), rel=1e-14)
    assert y[6] == 1.0 and y[7] == 0.0 and y[8] == 1.0 and y[9] == 0.0


def test_extremes_float32_without_warnings():
    z = np.array([100.0, -100.0, 1000.0, -1000.0, 88.7, -88.7, 3e38, -3e38], dtype=np.float32)
    y = cn.sigmoid(z)
    assert y.dtype == np.float32
    assert y[0] == 1.0 and 0 < y[1] < 1e-43
    assert y[2] == 1.0 and y[3] == 0.0
    assert y[6] == 1.0 and y[7] == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_monotone_and_symmetric(dtype, rng):
    z = np.sort(rng.uniform(-50, 50, 10_000)).astype(dtype)
    y = cn.sigmoid(z)
    assert np.all(np.diff(y) >= 0)
    # sigma(z) + sigma(-z) = 1 up to rounding
    s = y.astype(np.float64) + cn.sigmoid(-z).astype(np.float64)
    assert np.abs(s - 1).max() <= 4 * np.finfo(dtype).eps


def test_matches_reference(rng):
    z = np.concatenate([rng.standard_normal(2000) * 30, [0.0, -745.0, 745.0, 1e6, -1e6]])
    y = cn.sigmoid(z)
    ref = np.array([reference.sigmoid(v) for v in z.tolist()])
    err = ulp_error(y, ref, np.float64)
    # both are within ~2 ulp of exact
    assert err.max() <= 2 * MAX_ULP


# ---- dtypes, shapes, scalars --------------------------------------------------------


@pytest.mark.parametrize(
    ("in_dtype", "out_dtype"),
    [
        (np.float64, np.float64),
        (np.float32, np.float32),
        (np.float16, np.float32),
        (np.int64, np.float64),
        (np.int8, np.float64),
        (np.uint32, np.float64),
        (np.bool_, np.float64),
        (np.longdouble, np.float64),
        (">f8", np.float64),
        (">f4", np.float32),
    ],
)
def test_dtype_rules(in_dtype, out_dtype):
    z = np.array([0, 1, 1], dtype=in_dtype)
    y = cn.sigmoid(z)
    assert y.dtype == out_dtype
    np.testing.assert_array_equal(y, cn.sigmoid(np.array([0, 1, 1], dtype=out_dtype)))


@pytest.mark.parametrize(
    "bad",
    [
        np.array([1 + 2j]),
        np.array(["a"]),
        np.array([None]),
        ["x", "y"],
        np.array([b"1"]),
        np.array(["2020-01-01"], dtype="datetime64[D]"),
        np.zeros(2, dtype=[("a", "f8")]),
    ],
)
def test_non_real_input_raises_type_error(bad):
    with pytest.raises(TypeError, match="real numbers"):
        cn.sigmoid(bad)


def test_scalars_and_shapes():
    assert cn.sigmoid(0) == 0.5
    assert isinstance(cn.sigmoid(0.0), np.float64)
    assert isinstance(cn.sigmoid(np.float32(1)), np.float32)
    z = np.arange(24, dtype=np.float64).reshape(2, 3, 4) - 12
    y = cn.sigmoid(z)
    assert y.shape == (2, 3, 4)
    np.testing.assert_array_equal(y.ravel(), cn.sigmoid(z.ravel()))
    assert cn.sigmoid(np.empty((0, 3))).shape == (0, 3)
    assert cn.sigmoid([]).shape == (0,)
    assert cn.sigmoid([[1.0, 2.0]]).shape == (1, 2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_layouts_give_bitwise_same_result(dtype, rng):
    base = (rng.standard_normal((60, 40)) * 10).astype(dtype)
    expect = cn.sigmoid(base)
    ro = base.copy()
    ro.setflags(write=False)
    forms = [
        np.asfortranarray(base),
        ro,
        base.astype(base.dtype.newbyteorder(">")),
    ]
    if dtype == np.float64:  # Python floats are float64
        forms.append(base.tolist())
    for form in forms:
        np.testing.assert_array_equal(cn.sigmoid(form), expect)
    strided = np.zeros((120, 80), dtype=dtype)
    strided[::2, ::2] = base
    np.testing.assert_array_equal(cn.sigmoid(strided[::2, ::2]), expect)
    np.testing.assert_array_equal(cn.sigmoid(base.T), expect.T)


# ---- out= ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_out(dtype, rng):
    z = rng.standard_normal((30, 7)).astype(dtype)
    expect = cn.sigmoid(z)
    out = np.empty_like(z)
    assert cn.sigmoid(z, out=out) is out
    np.testing.assert_array_equal(out, expect)
    zz = z.copy()
    assert cn.sigmoid(zz, out=zz) is zz  # in place
    np.testing.assert_array_equal(zz, expect)


def test_out_partial_overlap_is_safe(rng):
    buf = rng.standard_normal(1001)
    z = buf[:1000].copy()
    expect = cn.sigmoid(z)
    buf2 = buf.copy()
    cn.sigmoid(buf2[:1000], out=buf2[1:])  # shifted overlap
    np.testing.assert_array_equal(buf2[1:], expect)


@pytest.mark.parametrize(
    ("out", "exc", "match"),
    [
        (np.empty(5, dtype=np.float32), TypeError, "dtype float64, got float32"),
        (np.empty(4), ValueError, r"shape \(5,\), got \(4,\)"),
        (np.empty((5, 1)), ValueError, "shape"),
        (np.empty(10)[::2], ValueError, "C-contiguous"),
        ([0.0] * 5, TypeError, "numpy.ndarray, got list"),
        (np.empty(5, dtype=">f8"), TypeError, "dtype float64"),
    ],
)
def test_bad_out(out, exc, match):
    z = np.arange(5.0)
    with pytest.raises(exc, match=match):
        cn.sigmoid(z, out=out)


def test_read_only_out_is_rejected_and_untouched():
    out = np.zeros(3)
    out.setflags(write=False)
    with pytest.raises(ValueError, match="writable"):
        cn.sigmoid(np.ones(3), out=out)
    assert out.tolist() == [0.0, 0.0, 0.0]


# ---- threads ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_thread_count_does_not_change_results(dtype, rng):
    z = (rng.standard_normal(300_001) * 20).astype(dtype)
    one = cn.sigmoid(z, num_threads=1)
    for t in (2, 3, None):
        np.testing.assert_array_equal(cn.sigmoid(z, num_threads=t), one)
    # blockwise: any slice gives the same values as the whole
    np.testing.assert_array_equal(cn.sigmoid(z[12345:54321]), one[12345:54321])
    np.testing.assert_array_equal([cn.sigmoid(v) for v in z[:50]], one[:50])


@pytest.mark.parametrize(
    ("bad", "exc"),
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)],
)
def test_bad_num_threads(bad, exc):
    with pytest.raises(exc, match="num_threads"):
        cn.sigmoid([0.0], num_threads=bad)


def test_identity_activation_copies(rng):
    z = rng.standard_normal(10)
    y = cn.activations.identity(z)
    np.testing.assert_array_equal(y, z)
    assert not np.shares_memory(y, z)
    assert cn.activations.identity(np.arange(3, dtype=np.int16)).dtype == np.float64
