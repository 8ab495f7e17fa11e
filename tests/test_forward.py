"""preactivation / neuron_forward / Neuron.forward: values, reproducibility,
input forms, out= and errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from helpers import DTYPES, THREADS, defined_order_z, exact_dot
from hypothesis import given
from hypothesis import strategies as st

import cneuron as cn
from cneuron import reference

SHAPES = [
    (1, 1),
    (0, 3),
    (1, 3),
    (5, 1),
    (7, 2),
    (33, 4),
    (100, 7),
    (64, 8),
    (50, 9),
    (40, 16),
    (31, 17),
    (20, 64),
    (9, 100),
    (3, 1000),
    (2, 4097),
]


def _data(rng, n, d, dtype):
    X = (rng.standard_normal((n, d)) * 3).astype(dtype)
    w = rng.standard_normal(d).astype(dtype)
    b = dtype(rng.standard_normal())
    return X, w, b


def _bound(X, w, b, dtype):
    """c*d*eps*(sum |x_i w_i| + |b|), the standard dot-product bound (c = 1),
    plus the rounding of the float64 reference itself."""
    X64 = X.astype(np.float64)
    mag = np.abs(X64) @ np.abs(w.astype(np.float64)) + abs(float(b))
    d = X.shape[1]
    return (d + 2) * np.finfo(dtype).eps * mag + 4 * np.finfo(np.float64).eps * mag


# ---- values ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "d"), SHAPES)
def test_preactivation_matches_reference(n, d, dtype, rng):
    X, w, b = _data(rng, n, d, dtype)
    z = cn.preactivation(X, w, b)
    assert z.dtype == dtype and z.shape == (n,)
    ref = np.array([reference.preactivation(x, w.tolist(), float(b)) for x in X.tolist()])
    assert np.all(np.abs(z - ref) <= _bound(X, w, b, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "d"), SHAPES)
def test_preactivation_follows_the_defined_order_bitwise(n, d, dtype, rng):
    X, w, b = _data(rng, n, d, dtype)
    np.testing.assert_array_equal(cn.preactivation(X, w, b), defined_order_z(X, w, b))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "d"), SHAPES)
def test_forward_is_sigmoid_of_preactivation_bitwise(n, d, dtype, rng):
    X, w, b = _data(rng, n, d, dtype)
    y = cn.neuron_forward(X, w, b)
    np.testing.assert_array_equal(y, cn.sigmoid(cn.preactivation(X, w, b)))
    ref = np.array(reference.forward_batch(X.tolist(), w.tolist(), float(b)))
    # |sigma'| <= 1/4: the error of z, a quarter of it, plus sigmoid's own ulps
    tol = _bound(X, w, b, dtype) / 4 + 8 * np.finfo(dtype).eps * ref
    tol += np.finfo(dtype).smallest_subnormal * 4
    assert np.all(np.abs(y - ref) <= tol)


def test_dot_error_bound_against_exact_fractions(rng):
    # ill-conditioned sums: cancellation makes the bound, not the value, the test
    d = 300
    for _ in range(20):
        x = rng.standard_normal(d) * 10.0 ** rng.integers(-5, 5, d)
        w = rng.standard_normal(d)
        z = cn.preactivation(x, w, 0.25)
        exact = exact_dot(x, w, 0.25)
        mag = float(np.abs(x) @ np.abs(w)) + 0.25
        assert abs(float(exact - type(exact)(z))) <= d * np.finfo(np.float64).eps * mag


@given(
    n=st.integers(0, 40),
    d=st.integers(1, 70),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**32 - 1),
    layout=st.sampled_from(["C", "F", "strided", "big", "readonly", "list", "int"]),
    threads=st.sampled_from(THREADS),
)
def test_random_shapes_and_layouts(n, d, dtype, seed, layout, threads):
    rng = np.random.default_rng(seed)
    X, w, b = _data(rng, n, d, dtype)
    if layout == "int":
        X = rng.integers(-5, 5, (n, d))
    expect = cn.neuron_forward(np.ascontiguousarray(X, dtype=dtype), w, b)
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "strided":
        big = np.zeros((2 * n, 3 * d), dtype=X.dtype)
        big[::2, ::3] = X
        X = big[::2, ::3]
    elif layout == "big":
        X = X.astype(X.dtype.newbyteorder(">"))
    elif layout == "readonly":
        X = X.copy()
        X.setflags(write=False)
    elif layout == "list":
        X = X.tolist() if n else np.empty((0, d), dtype=X.dtype)
    got = cn.neuron_forward(X, w, b, num_threads=threads)
    assert got.dtype == dtype and got.shape == (n,)
    np.testing.assert_array_equal(got, expect)
    np.testing.assert_array_equal(
        got, cn.sigmoid(defined_order_z(np.ascontiguousarray(X, dtype=dtype).reshape(n, d), w, b))
    )


# ---- reproducibility --------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d", [1, 3, 4, 8, 13, 16, 40, 333])
def test_bitwise_batch_position_and_thread_invariance(d, dtype, rng):
    n = max(200_000 // d, 3000)  # large enough for the parallel path
    X, w, b = _data(rng, n, d, dtype)
    full = cn.neuron_forward(X, w, b, num_threads=1)
    for t in (2, 4, None):
        np.testing.assert_array_equal(cn.neuron_forward(X, w, b, num_threads=t), full)
    # any sub-batch, any offset, reversed order, one row at a time
    for start, stop in ((0, 1), (1, 2), (7, 300), (255, 513), (n - 5, n), (13, n - 17)):
        np.testing.assert_array_equal(cn.neuron_forward(X[start:stop], w, b), full[start:stop])
    np.testing.assert_array_equal(cn.neuron_forward(X[::-1], w, b), full[::-1])
    for i in (0, 1, n // 2, n - 1):
        assert cn.neuron_forward(X[i], w, b) == full[i]
    # and from call to call
    np.testing.assert_array_equal(cn.neuron_forward(X, w, b), full)


def test_row_embedded_in_other_batches_is_unchanged(rng):
    X, w, b = _data(rng, 1, 23, np.float64)
    alone = cn.neuron_forward(X, w, b)[0]
    for n in (2, 255, 256, 257, 5000):
        batch = rng.standard_normal((n, 23)) * 1e6
        pos = int(rng.integers(0, n))
        batch[pos] = X[0]
        assert cn.neuron_forward(batch, w, b, num_threads=2)[pos] == alone


def test_gil_is_released_and_threads_agree(rng):
    X, w, b = _data(rng, 400_000, 8, np.float64)
    expect = cn.neuron_forward(X, w, b, num_threads=1)
    results = [None] * 4

    def work(i):
        results[i] = cn.neuron_forward(X, w, b, num_threads=1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, expect)


# ---- one sample -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_sample_gives_python_float(dtype, rng):
    X, w, b = _data(rng, 3, 5, dtype)
    y = cn.neuron_forward(X[1], w, b)
    assert type(y) is float
    assert y == cn.neuron_forward(X, w, b)[1]
    z = cn.preactivation(X[1].tolist() if dtype == np.float64 else X[1], w, b)
    assert type(z) is float and z == cn.preactivation(X, w, b)[1]


def test_empty_batch():
    for dtype in DTYPES:
        y = cn.neuron_forward(np.empty((0, 4), dtype=dtype), np.ones(4, dtype=dtype))
        assert y.shape == (0,) and y.dtype == dtype
        out = np.empty(0, dtype=dtype)
        assert cn.preactivation(np.empty((0, 4)), np.ones(4, dtype=dtype), out=out) is out


def test_identity_activation_equals_preactivation(rng):
    X, w, b = _data(rng, 50, 6, np.float64)
    np.testing.assert_array_equal(cn.neuron_forward(X, w, b, "identity"), cn.preactivation(X, w, b))


def test_memory_mapped_input(tmp_path, rng):
    X, w, b = _data(rng, 1000, 12, np.float64)
    path = tmp_path / "x.npy"
    np.save(path, X)
    mm = np.load(path, mmap_mode="r")
    np.testing.assert_array_equal(cn.neuron_forward(mm, w, b), cn.neuron_forward(X, w, b))
    big = tmp_path / "big.dat"
    Xb = X.astype(">f8")
    Xb.tofile(big)
    mmb = np.memmap(big, dtype=">f8", mode="r", shape=X.shape, order="C")
    np.testing.assert_array_equal(cn.neuron_forward(mmb, w, b), cn.neuron_forward(X, w, b))


def test_dtype_follows_weights(rng):
    X = rng.standard_normal((10, 3))
    assert cn.neuron_forward(X, np.ones(3, np.float32)).dtype == np.float32
    assert cn.neuron_forward(X, np.ones(3, np.float16)).dtype == np.float32
    assert cn.neuron_forward(X.astype(np.float32), np.ones(3)).dtype == np.float64
    assert cn.neuron_forward(X, [1, 2, 3]).dtype == np.float64
    # float32 model: the input is rounded to float32 first
    Xf = X.astype(np.float32)
    np.testing.assert_array_equal(
        cn.neuron_forward(X, np.ones(3, np.float32)), cn.neuron_forward(Xf, np.ones(3, np.float32))
    )


def test_float32_model_with_huge_float64_input_does_not_warn():
    y = cn.neuron_forward(np.array([[1e300, 0.0]]), np.ones(2, np.float32))
    assert y.tolist() == [1.0]


def test_nan_and_inf_propagate():
    y = cn.neuron_forward(
        np.array([[np.nan, 1.0], [np.inf, 1.0], [-np.inf, 1.0], [np.inf, -np.inf]]), [1.0, 1.0]
    )
    assert np.isnan(y[0]) and y[1] == 1.0 and y[2] == 0.0 and np.isnan(y[3])


# ---- out= -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("threads", THREADS)
def test_out(dtype, threads, rng):
    X, w, b = _data(rng, 1000, 5, dtype)
    expect = cn.neuron_forward(X, w, b)
    out = np.full(1000, -7, dtype=dtype)
    assert cn.neuron_forward(X, w, b, out=out, num_threads=threads) is out
    np.testing.assert_array_equal(out, expect)
    out2 = np.empty(1000, dtype=dtype)
    assert cn.preactivation(X, w, b, out=out2) is out2
    np.testing.assert_array_equal(out2, cn.preactivation(X, w, b))


def test_out_aliasing_the_input(rng):
    X = rng.standard_normal((500, 1))
    expect = cn.neuron_forward(X, [2.0], 0.5)
    cn.neuron_forward(X, [2.0], 0.5, out=X[:, 0])  # exact alias, d = 1
    np.testing.assert_array_equal(X[:, 0], expect)
    buf = rng.standard_normal(1003)
    X2 = buf[:1000].reshape(250, 4)
    expect = cn.neuron_forward(X2.copy(), np.ones(4))
    cn.neuron_forward(X2, np.ones(4), out=buf[3:253])  # partial overlap
    np.testing.assert_array_equal(buf[3:253], expect)


@pytest.mark.parametrize(
    ("out", "exc", "match"),
    [
        (np.empty(4, dtype=np.float32), TypeError, "dtype float64, got float32"),
        (np.empty(5), ValueError, r"shape \(4,\), got \(5,\)"),
        (np.empty((4, 1)), ValueError, "shape"),
        (np.empty(8)[::2], ValueError, "C-contiguous"),
        ("out", TypeError, "numpy.ndarray"),
    ],
)
def test_bad_out(out, exc, match):
    with pytest.raises(exc, match=match):
        cn.neuron_forward(np.ones((4, 3)), np.ones(3), out=out)


def test_out_with_one_sample_is_rejected():
    with pytest.raises(ValueError, match="one sample"):
        cn.neuron_forward(np.ones(3), np.ones(3), out=np.empty(1))


# ---- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("X", "w", "exc", "match"),
    [
        (np.ones((4, 18)), np.ones(19), ValueError, "expected 19 features, got 18"),
        (np.ones(18), np.ones(19), ValueError, "expected 19 features, got 18"),
        (np.ones(5), np.ones(1), ValueError, r"expected 1 features, got 5; .*reshape"),
        (np.ones((2, 2, 2)), np.ones(2), ValueError, "1-D .* or 2-D .* got a 3-D"),
        (np.float64(1.0), np.ones(1), ValueError, "got a 0-D"),
        ([[1, 2], [3]], np.ones(2), ValueError, "rectangular"),
        (np.ones((2, 3), dtype=complex), np.ones(3), TypeError, "X must hold real numbers"),
        ([["a", "b"]], np.ones(2), TypeError, "real numbers"),
        (np.ones((2, 3)), np.ones((1, 3)), ValueError, r"weights must be 1-D.*ravel"),
        (np.ones((2, 3)), np.ones((3, 3)), ValueError, "weights must be 1-D"),
        (np.ones((2, 0)), np.ones(0), ValueError, "at least one feature"),
        (np.ones((2, 3)), np.ones(3, dtype=complex), TypeError, "weights must hold real"),
        (np.ones((2, 3)), ["a", "b", "c"], TypeError, "weights"),
    ],
)
def test_input_errors(X, w, exc, match):
    with pytest.raises(exc, match=match):
        cn.neuron_forward(X, w)


def test_bias_and_activation_errors():
    with pytest.raises(ValueError, match=r"bias must be a scalar, got an array of shape \(2,\)"):
        cn.neuron_forward(np.ones((2, 3)), np.ones(3), [1.0, 2.0])
    with pytest.raises(TypeError, match="bias must hold real"):
        cn.neuron_forward(np.ones((2, 3)), np.ones(3), 1j)
    known = ", ".join(cn.activations.names())
    with pytest.raises(ValueError, match=f"unknown activation 'tanhh'; known: {known}"):
        cn.neuron_forward(np.ones((2, 3)), np.ones(3), 0.0, "tanhh")
    with pytest.raises(TypeError, match="activation must be a name"):
        cn.neuron_forward(np.ones((2, 3)), np.ones(3), 0.0, None)
    # an intercept_ of shape (1,) is a scalar bias
    assert cn.preactivation([1.0], [1.0], np.array([2.0])) == 3.0


def test_failed_call_leaves_out_untouched():
    out = np.full(4, 9.0)
    with pytest.raises(ValueError):
        cn.neuron_forward(np.ones((4, 2)), np.ones(3), out=out)
    assert out.tolist() == [9.0] * 4
