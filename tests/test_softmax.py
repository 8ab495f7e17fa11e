"""softmax and log_softmax: values, accuracy, limits, axes, out=, the
vector-Jacobian product, and their place in the registry."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from helpers import DTYPES

import cneuron as cn
from cneuron import activations as A
from cneuron import reference


def _exact(row, log_out):
    mpmath.mp.prec = 200
    xs = [mpmath.mpf(float(v)) for v in row]
    m = max(xs)
    s = mpmath.fsum(mpmath.exp(v - m) for v in xs)
    return [(v - m) - mpmath.log(s) if log_out else mpmath.exp(v - m) / s for v in xs]


def _ulps(y, exact, dtype):
    fi = np.finfo(dtype)
    if exact == 0:
        return 0.0 if y == 0 else float("inf")
    _, e = mpmath.frexp(exact)
    ulp = mpmath.ldexp(1, max(int(e) - (fi.nmant + 1), fi.minexp - fi.nmant))
    return float(abs(mpmath.mpf(float(y)) - exact) / ulp)


@pytest.mark.parametrize("log_out", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_within_4_ulp_of_the_exact_value(log_out, dtype, rng):
    f = A.log_softmax if log_out else A.softmax
    rows = [
        rng.standard_normal(10) * 3,
        rng.standard_normal(1000) * 20,  # long rows: the compensated sum
        np.array([0.0, -46.0, -800.0, 3e-17]),  # a dominant entry, tiny rest
        np.array([1e6 + 0.1, 1e6, 1e6 - 700.123456789]),  # x - max formed exactly
        np.array([5.0, 5.0, 5.0, -3.0]),  # ties at the max
        np.array([7.0]),
    ]
    for row in rows:
        row = row.astype(dtype)
        if dtype == np.float32 and np.abs(row).max() > 1e5:
            continue
        y = f(row)
        assert y.dtype == dtype
        for yi, ei in zip(y, _exact(row, log_out)):
            if abs(ei) < np.finfo(dtype).smallest_normal:  # underflow to 0 or subnormal
                assert abs(mpmath.mpf(float(yi)) - ei) <= 4 * np.finfo(dtype).smallest_subnormal
            else:
                assert _ulps(yi, ei, dtype) <= 4.0, (row, yi, ei)


# The row kernel keeps entry i in lane i mod 64 (max and sums), combined by a
# halving tree over the power of two of lanes in use: lengths around those
# boundaries, and the decisive entry (the maximum, a NaN, +inf) in each lane
# position.
LENGTHS = [1, 2, 3, 63, 64, 65, 127, 128, 129, 200]


@pytest.mark.parametrize("log_out", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", LENGTHS)
def test_lane_boundaries_within_4_ulp(n, dtype, log_out, rng):
    f = A.log_softmax if log_out else A.softmax
    row = (rng.standard_normal(n) * 6).astype(dtype)
    y = f(row)
    for yi, ei in zip(y, _exact(row, log_out)):
        if abs(ei) < np.finfo(dtype).smallest_normal:
            assert abs(mpmath.mpf(float(yi)) - ei) <= 4 * np.finfo(dtype).smallest_subnormal
        else:
            assert _ulps(yi, ei, dtype) <= 4.0, (n, yi, ei)
    inplace = row.copy()
    assert f(inplace, out=inplace) is inplace
    np.testing.assert_array_equal(inplace, y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [65, 130])
def test_the_decisive_entry_in_every_lane_position(n, dtype):
    base = np.linspace(-3.0, 3.0, n).astype(dtype)[::-1].copy()  # its max at 0
    for pos in range(n):
        row = base.copy()
        row[pos] = 50.0  # a dominant maximum
        s = A.softmax(row)
        assert s.argmax() == pos and s[pos] > 0.999
        assert A.log_softmax(row)[pos] > -1e-6
        row[pos] = np.nan
        assert np.isnan(A.softmax(row)).all() and np.isnan(A.log_softmax(row)).all()
        row[pos] = np.inf
        expect = np.zeros(n, dtype)
        expect[pos] = 1.0
        np.testing.assert_array_equal(A.softmax(row), expect)
        lexp = np.full(n, -np.inf, dtype)
        lexp[pos] = 0.0
        np.testing.assert_array_equal(A.log_softmax(row), lexp)


@pytest.mark.parametrize("dtype", DTYPES)
def test_direct_and_shifted_rows_within_4_ulp(dtype, rng):
    """A softmax row whose entries all lie within 300 (float64) or 40
    (float32) of 0, none NaN, takes exp(x) directly, unshifted; any other
    row subtracts its maximum. Rows on both sides of that line, near it and
    far from it; a row of huge equal entries is uniform."""
    lim = 40.0 if dtype == np.float32 else 300.0
    base = rng.standard_normal(100) * 3
    rows = [base, base - base.max() + lim - 0.5, base - base.min() - lim + 0.5]
    rows += [base - base.max() + lim + 0.5, base - base.min() - lim - 0.5, base + 10 * lim]
    rows += [np.linspace(-lim, lim, 100)]
    for row in rows:
        row = row.astype(dtype)
        y = A.softmax(row)
        for yi, ei in zip(y, _exact(row, False)):
            if abs(ei) < np.finfo(dtype).smallest_normal:
                assert abs(mpmath.mpf(float(yi)) - ei) <= 4 * np.finfo(dtype).smallest_subnormal
            else:
                assert _ulps(yi, ei, dtype) <= 4.0, (row.min(), row.max(), yi, ei)
    big = np.full(70, np.finfo(dtype).max / 2, dtype)
    np.testing.assert_array_equal(A.softmax(big), np.full(70, dtype(1 / 70)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 5, 64, 300])
def test_batches_match_rows_alone_bitwise(n, dtype, rng):
    """In a batch each row's last pass (the scaling) runs in the next row's
    loop of exponentials, or on its own before a row that has no such loop
    (log_softmax aside: an infinite, NaN or widely spread row). Every row of
    a batch is bitwise its softmax alone, whatever its neighbours."""
    kinds = ["normal", "normal", "-inf", "normal", "nan", "spread", "normal", "+inf", "normal"]
    rows = []
    for kind in kinds:
        row = rng.standard_normal(n) * 5
        if kind in ("-inf", "nan", "+inf"):
            row[n // 2] = {"-inf": -np.inf, "nan": np.nan, "+inf": np.inf}[kind]
        elif kind == "spread":
            row[0] -= 1000.0
        rows.append(row)
    z = np.array(rows, dtype=dtype)
    for threads in (1, 2):
        batch = A.softmax(z, num_threads=threads)
        for k, row in enumerate(z):
            np.testing.assert_array_equal(batch[k], A.softmax(row), err_msg=kinds[k])
        inplace = z.copy()
        A.softmax(inplace, out=inplace, num_threads=threads)
        np.testing.assert_array_equal(inplace, batch)


def test_matches_the_reference_and_sums_to_one(rng):
    z = rng.standard_normal((50, 13)) * 8
    s = A.softmax(z)
    ls = A.log_softmax(z)
    for row, srow, lrow in zip(z, s, ls):
        np.testing.assert_allclose(srow, reference.softmax(row.tolist()), rtol=1e-14, atol=1e-300)
        # the reference's log(sum) loses digits near 1: an absolute floor
        np.testing.assert_allclose(
            lrow, reference.log_softmax(row.tolist()), rtol=1e-13, atol=1e-15
        )
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(np.exp(ls), s, rtol=1e-14)


def test_limits_and_nan():
    z = np.array(
        [
            [np.inf, 1.0, np.inf],
            [-np.inf, 0.0, 1.0],
            [np.nan, 1.0, 2.0],
            [1000.0, 0.0, -1000.0],
            [-np.inf, -np.inf, -np.inf],
        ]
    )
    s = A.softmax(z)
    ls = A.log_softmax(z)
    np.testing.assert_array_equal(s[0], [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(ls[0], [-np.log(2), -np.inf, -np.log(2)])
    assert s[1, 0] == 0.0 and ls[1, 0] == -np.inf
    assert np.isnan(s[2]).all() and np.isnan(ls[2]).all()
    np.testing.assert_array_equal(s[3], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(ls[3], [0.0, -1000.0, -2000.0])
    np.testing.assert_allclose(s[4], 1 / 3, rtol=1e-15)  # equal entries: uniform
    np.testing.assert_allclose(ls[4], -np.log(3), rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_axes_shapes_out_and_threads(dtype, rng):
    z = (rng.standard_normal((4, 5, 6)) * 5).astype(dtype)
    for axis in (0, 1, 2, -1, -3):
        y = A.softmax(z, axis=axis)
        assert y.dtype == dtype and y.shape == z.shape and y.flags.c_contiguous
        moved = np.moveaxis(z, axis, -1).reshape(-1, z.shape[axis])
        expect = np.moveaxis(A.softmax(moved).reshape(np.moveaxis(z, axis, -1).shape), -1, axis)
        np.testing.assert_array_equal(y, expect)
        out = np.empty_like(z)
        assert A.log_softmax(z, axis=axis, out=out) is out
        np.testing.assert_array_equal(out, A.log_softmax(z, axis=axis))
    zz = z.copy()
    assert A.softmax(zz, out=zz) is zz  # in place
    np.testing.assert_array_equal(zz, A.softmax(z))
    big = rng.standard_normal((3000, 40)).astype(dtype)
    np.testing.assert_array_equal(A.softmax(big, num_threads=2), A.softmax(big, num_threads=1))
    np.testing.assert_array_equal(A.softmax(big[17:18]), A.softmax(big)[17:18])
    np.testing.assert_array_equal(A.softmax(np.asfortranarray(big)), A.softmax(big))
    assert A.softmax(np.empty((0, 3), dtype)).shape == (0, 3)
    assert A.softmax([1, 2]).dtype == np.float64


def test_errors():
    with pytest.raises(ValueError, match="at least one axis"):
        A.softmax(1.0)
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        A.softmax(np.ones((2, 2)), axis=2)
    with pytest.raises(TypeError, match="axis must be an int"):
        A.softmax(np.ones(2), axis=0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dtype float64"):
        A.softmax(np.ones(3), out=np.empty(3, np.float32))
    with pytest.raises(ValueError, match="softmax is not elementwise: a neuron has one output"):
        cn.Neuron([1.0, 2.0], activation="softmax")
    with pytest.raises(ValueError, match="not elementwise"):
        cn.neuron_forward(np.ones((2, 2)), [1.0, 2.0], 0.0, "log_softmax")
    with pytest.raises(TypeError, match="pass grad="):
        A.derivative("softmax", np.ones(3))
    assert not A.get("softmax").elementwise and A.get("sigmoid").elementwise


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_vector_jacobian_product(name, rng):
    z = rng.standard_normal((3, 5))
    g = rng.standard_normal((3, 5))
    act = A.get(name, axis=1)
    vjp = act.derivative(z, grad=g)
    # against the full Jacobian by central differences, row by row
    h = 1e-6
    for r in range(3):
        J = np.empty((5, 5))
        for j in range(5):
            zp, zm = z[r].copy(), z[r].copy()
            zp[j] += h
            zm[j] -= h
            J[:, j] = (A.get(name)(zp) - A.get(name)(zm)) / (2 * h)
        np.testing.assert_allclose(vjp[r], g[r] @ J, rtol=1e-6, atol=1e-8)
    # along another axis
    np.testing.assert_allclose(
        A.derivative(name, z.T, grad=g.T, axis=0), vjp.T, rtol=1e-12, atol=1e-15
    )


def test_chain_rule_for_elementwise_derivatives(rng):
    z = rng.standard_normal(20)
    g = rng.standard_normal(20)
    np.testing.assert_array_equal(A.derivative("tanh", z, grad=g), A.derivative("tanh", z) * g)
    with pytest.raises(ValueError, match="grad must have the shape of z"):
        A.derivative("tanh", z, grad=g[:3])
