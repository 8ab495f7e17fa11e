"""The Neuron object: attributes, the article's examples, copying, display."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import cneuron as cn
from cneuron import reference

LOAN_X, LOAN_W, LOAN_B = [0.8, 0.6, 0.9], [0.5, 0.3, 0.7], 0.1
SPAM_X = [5.0, 1.0, 0.2]


# ---- the article's worked examples ------------------------------------------------


def test_loan_approval():
    n = cn.Neuron(LOAN_W, bias=LOAN_B, activation="sigmoid")
    assert n.preactivation(LOAN_X) == pytest.approx(1.31, abs=1e-15)
    y = n(LOAN_X)
    assert round(y, 4) == 0.7875
    assert y == pytest.approx(reference.neuron_forward(LOAN_X, LOAN_W, LOAN_B), rel=1e-15)


def test_spam_before_and_after_learning():
    before = cn.Neuron([0.1, 0.1, 0.1], bias=0.0)
    assert before.preactivation(SPAM_X) == pytest.approx(0.62, abs=1e-15)
    assert round(before(SPAM_X), 4) == 0.6502
    after = cn.Neuron([0.8, 0.9, 0.3], bias=-0.5)
    # the article prints 4.36; the arithmetic gives 4.46
    z = after.preactivation(SPAM_X)
    assert z == pytest.approx(4.46, abs=1e-14)
    assert z != pytest.approx(4.36, abs=1e-3)
    assert round(after(SPAM_X), 4) == 0.9886


# ---- attributes -----------------------------------------------------------------


def test_attributes():
    n = cn.Neuron([1, 2, 3], bias=1)
    assert n.n_features == 3
    assert n.dtype == np.float64
    assert n.bias == 1.0 and type(n.bias) is float
    assert n.activation == "sigmoid"
    assert n.weights.tolist() == [1.0, 2.0, 3.0]
    assert not n.weights.flags.writeable
    with pytest.raises(ValueError):
        n.weights[0] = 5.0
    f = cn.Neuron(np.ones(4, np.float32), bias=0.1, activation="identity")
    assert f.dtype == np.float32
    assert f.bias == float(np.float32(0.1))  # rounded to the model's dtype
    assert f.activation == "identity"
    assert cn.Neuron(np.ones(2, np.float16)).dtype == np.float32


def test_weights_are_copied():
    w = np.array([1.0, 2.0])
    n = cn.Neuron(w)
    w[0] = 100.0
    assert n.weights[0] == 1.0
    assert not np.shares_memory(n.weights, w)


def test_setters_validate():
    n = cn.Neuron([1.0, 2.0], bias=0.5)
    n.bias = 2
    assert n.bias == 2.0
    n.weights = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    assert n.n_features == 3 and n.dtype == np.float32
    with pytest.raises(ValueError, match="bias must be a scalar"):
        n.bias = [1.0, 2.0]
    with pytest.raises(ValueError, match="weights must be 1-D"):
        n.weights = np.ones((2, 2))
    assert n.n_features == 3 and n.bias == 2.0  # failed assignments changed nothing
    with pytest.raises(AttributeError):
        n.activation = "identity"  # type: ignore[misc]


def test_activation_name_is_case_insensitive():
    assert cn.Neuron([1.0], activation="Sigmoid").activation == "sigmoid"
    assert {"identity", "sigmoid", "step", "relu", "leaky_relu", "silu"} <= set(
        cn.activations.names()
    )


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"weights": []}, ValueError, "at least one feature"),
        ({"weights": [[1.0, 2.0]]}, ValueError, "ravel"),
        ({"weights": [1.0], "activation": "relu6"}, ValueError, "unknown activation"),
        ({"weights": [1.0], "bias": "x"}, TypeError, "bias must hold real"),
        ({"weights": [1j]}, TypeError, "weights must hold real"),
    ],
)
def test_constructor_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        cn.Neuron(**kwargs)


def test_forward_preactivation_and_call(rng):
    n = cn.Neuron(rng.standard_normal(6), bias=0.3)
    X = rng.standard_normal((20, 6))
    np.testing.assert_array_equal(n(X), n.forward(X))
    np.testing.assert_array_equal(n.forward(X), cn.neuron_forward(X, n.weights, n.bias))
    np.testing.assert_array_equal(n.preactivation(X), cn.preactivation(X, n.weights, n.bias))
    out = np.empty(20)
    assert n.forward(X, out=out, num_threads=2) is out
    assert n(X[3]) == out[3]
    with pytest.raises(ValueError, match="expected 6 features, got 5"):
        n(X[:, :5])


# ---- copying, pickling, display ---------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pickle_and_deepcopy_round_trip_bitwise(dtype, rng):
    n = cn.Neuron(rng.standard_normal(9).astype(dtype), bias=-1.25, activation="identity")
    X = rng.standard_normal((50, 9))
    for clone in (
        pickle.loads(pickle.dumps(n, protocol=p)) for p in range(2, pickle.HIGHEST_PROTOCOL + 1)
    ):
        assert clone.dtype == n.dtype and clone.activation == n.activation
        assert clone.bias == n.bias
        np.testing.assert_array_equal(clone.weights, n.weights)
        np.testing.assert_array_equal(clone(X), n(X))
    dc = copy.deepcopy(n)
    assert dc is not n and not np.shares_memory(dc.weights, n.weights)
    np.testing.assert_array_equal(dc(X), n(X))
    assert copy.copy(n)(X[0]) == n(X[0])


def test_repr():
    assert repr(cn.Neuron([0.5, 0.3, 0.7], bias=0.1)) == (
        "Neuron(weights=[0.5, 0.3, 0.7], bias=0.1, activation='sigmoid')"
    )
    r = repr(cn.Neuron(np.arange(100, dtype=np.float32), activation="identity"))
    assert r.startswith("Neuron(weights=[ 0.,  1.,  2., ..., 97., 98., 99.]")
    assert r.endswith("activation='identity', dtype=float32)")


# ---- the one-sample fast path agrees with the general path ---------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_sample_forms_agree_bitwise(dtype, rng):
    w = rng.standard_normal(7).astype(dtype)
    n = cn.Neuron(w, bias=0.25)
    X = rng.standard_normal((5, 7)).astype(dtype)
    batch = n(X)
    row = X[2]
    forms = [
        row,
        row.copy(),
        row.astype(row.dtype.newbyteorder(">")),
        np.repeat(row, 2)[::2],  # strided
        np.asfortranarray(X)[2],  # strided view of a Fortran array
    ]
    if dtype == np.float64:
        forms += [row.tolist(), tuple(row.tolist())]
    for form in forms:
        y = n(form)
        assert type(y) is float
        assert y == batch[2]
        assert n.preactivation(form) == n.preactivation(X)[2]


def test_one_sample_lists_of_ints_and_mixed():
    n = cn.Neuron([0.5, -0.25, 2.0], bias=1.0, activation="identity")
    assert n([1, 2, 3]) == 7.0
    assert n((1, 2.0, 3)) == 7.0
    assert n([True, 2, 3]) == 7.0  # bools take the general path
    assert n([2**60, 0, 0]) == 0.5 * 2.0**60 + 1.0  # big ints too
    assert n(np.array([1, 2, 3], dtype=np.int8)) == 7.0
    f32 = cn.Neuron(np.array([0.1, 0.2, 0.3], np.float32))
    assert f32([1.0, 2.0, 3.0]) == f32(np.array([1.0, 2.0, 3.0], np.float32))
    assert f32(np.array([1.0, 2.0, 3.0])) == f32([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expected 3 features, got 2"):
        n([1.0, 2.0])
    with pytest.raises(TypeError, match="real numbers"):
        n(["a", "b", "c"])


def test_one_sample_follows_weight_and_bias_changes():
    n = cn.Neuron([1.0, 1.0], bias=0.0, activation="identity")
    x = np.array([1.0, 2.0])
    assert n(x) == 3.0
    n.bias = 1.0
    assert n(x) == 4.0
    n.weights = [2.0, 2.0]
    assert n(x) == 7.0
    n.weights = np.array([1.0, 1.0, 1.0], dtype=np.float32)
    assert n(np.ones(3, np.float32)) == 4.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batch_forms_through_the_neuron_agree_bitwise(dtype, rng):
    n = cn.Neuron(rng.standard_normal(5).astype(dtype), bias=-0.5)
    X = rng.standard_normal((300, 5)).astype(dtype)
    expect = cn.neuron_forward(X, n.weights, n.bias)  # the general, validating path
    ro = X.copy()
    ro.setflags(write=False)
    for form in (
        X,
        ro,
        np.asfortranarray(X),
        X.astype(X.dtype.newbyteorder(">")),
        np.repeat(X, 2, axis=1)[:, ::2],
        X.astype(np.float16).astype(dtype),
    ):
        y = n(form)
        assert y.dtype == dtype and y.shape == (300,)
        if form.dtype == dtype and np.array_equal(form, X):
            np.testing.assert_array_equal(y, expect)
    assert n(X[:0]).shape == (0,)
    assert n(X[:1]).tolist() == expect[:1].tolist()
    with pytest.raises(ValueError, match="expected 5 features, got 4"):
        n(X[:, :4])


def test_neuron_out_and_threads_paths(rng):
    n = cn.Neuron(rng.standard_normal(4), bias=0.5)
    X = rng.standard_normal((1000, 4))
    expect = cn.neuron_forward(X, n.weights, n.bias)
    for t in (None, 1, 2, np.int64(2)):
        out = np.empty(1000)
        assert n.forward(X, out=out, num_threads=t) is out
        np.testing.assert_array_equal(out, expect)
    # out that overlaps X: computed aside, then copied
    buf = X.copy().ravel()
    Xv = buf[:4000].reshape(1000, 4)
    n.forward(Xv, out=buf[2000:3000])
    np.testing.assert_array_equal(buf[2000:3000], expect)
    ro = np.empty(1000)
    ro.setflags(write=False)
    for bad, exc, match in [
        (ro, ValueError, "writable"),
        (np.empty(1000, np.float32), TypeError, "dtype float64"),
        (np.empty(999), ValueError, "shape"),
        (np.empty(2000)[::2], ValueError, "C-contiguous"),
        (bytearray(8000), TypeError, "numpy.ndarray"),
    ]:
        with pytest.raises(exc, match=match):
            n.forward(X, out=bad)
    for bad, exc in [(0, ValueError), (1.0, TypeError), (True, TypeError)]:
        with pytest.raises(exc, match="num_threads"):
            n.forward(X, num_threads=bad)
    with pytest.raises(ValueError, match="one sample"):
        n.forward(X[0], out=np.empty(1))
    with pytest.raises(ValueError, match="one sample"):
        n.forward([1.0, 2.0, 3.0, 4.0], out=np.empty(1))
