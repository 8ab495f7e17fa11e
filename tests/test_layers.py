"""Dense, Sequential and initial_weights: a layer's output j is bit for bit
what Neuron(W[j], b[j], activation) computes; results do not depend on the
batch, the position in it, the thread count, the input's layout or the SIMD
path; Sequential is its layers one after another; out=, errors, attributes,
copying and the initialisers."""

from __future__ import annotations

import copy
import math
import pickle
import re
import threading

import numpy as np
import pytest
from helpers import DTYPES, THREADS, defined_order_z
from hypothesis import given
from hypothesis import strategies as st

import cneuron as cn
from cneuron import _kernels
from cneuron._layers import INITIALIZERS

get = cn.activations.get

#: every elementwise activation by name (default parameters) ...
ELEMENTWISE = [name for name in cn.activations.names() if get(name).elementwise]
ROWWISE = ["log_softmax", "softmax"]
#: ... and some with non-default parameters bound
WITH_PARAMS = [
    get("leaky_relu", alpha=0.2),
    get("elu", alpha=0.5),
    get("softplus", beta=2.0, threshold=5.0),
    get("gelu", approximate="tanh"),
]
ALL_ELEMENTWISE = ELEMENTWISE + WITH_PARAMS

N_INPUTS = (1, 2, 3, 4, 7, 15, 16, 17, 31, 32, 33, 64, 100, 257)
N_OUTPUTS = (1, 2, 3, 7, 8, 9, 16, 17, 33)
BATCHES = (0, 1, 2, 5, 37, 1000)

#: the SIMD paths this CPU can run
ISAS = list(_kernels.ISA_NAMES[: _kernels.ISA_NAMES.index(_kernels.cpu_max_isa()) + 1])


def _act_id(act):
    return act if isinstance(act, str) else repr(act)


# ---- helpers ------------------------------------------------------------------------


def assert_bitwise(got, expect, what=""):
    """got and expect have the same dtype, shape and bytes."""
    got = np.asarray(got)
    expect = np.asarray(expect)
    assert got.dtype == expect.dtype, f"{what}: dtype {got.dtype} != {expect.dtype}"
    assert got.shape == expect.shape, f"{what}: shape {got.shape} != {expect.shape}"
    if got.tobytes() == expect.tobytes():
        return
    u = np.uint64 if got.dtype.itemsize == 8 else np.uint32
    diff = np.ascontiguousarray(got).view(u) != np.ascontiguousarray(expect).view(u)
    idx = tuple(int(i) for i in np.argwhere(diff)[0])
    g, e = got[idx], expect[idx]
    pytest.fail(
        f"{what}: not bitwise equal: {int(diff.sum())} of {diff.size} elements differ; "
        f"first at {idx}: {g!r} (0x{g.view(u):x}) != {e!r} (0x{e.view(u):x})"
    )


def assert_bitwise_nan_any_sign(got, expect, what=""):
    """Bitwise equal, except that a NaN matches a NaN of any sign or payload
    (IEEE 754 does not specify those for arithmetic results)."""
    got = np.asarray(got)
    expect = np.asarray(expect)
    assert got.shape == expect.shape and got.dtype == expect.dtype, what
    nan_g, nan_e = np.isnan(got), np.isnan(expect)
    np.testing.assert_array_equal(nan_g, nan_e, err_msg=f"{what}: NaN positions differ")
    assert_bitwise(np.where(nan_g, 0, got), np.where(nan_e, 0, expect), what)


def neuron_outputs(W, b, act, X):
    """Column j: Neuron(W[j], b[j], act).forward(X), as an array of W's dtype."""
    W = np.asarray(W)
    cols = [cn.Neuron(W[j], b[j], act).forward(X) for j in range(W.shape[0])]
    if np.ndim(X) == 1:
        return np.array(cols, dtype=W.dtype)
    return np.stack(cols, axis=1)


def layer_data(rng, n, k, m, dtype, scale=3.0):
    """X (n, k), W (m, k), b (m,) of dtype, z of order `scale`."""
    X = (rng.standard_normal((n, k)) * scale).astype(dtype)
    W = (rng.standard_normal((m, k)) / math.sqrt(k)).astype(dtype)
    b = rng.standard_normal(m).astype(dtype)
    return X, W, b


# ---- 1. output j is the neuron W[j], b[j] -------------------------------------------


@pytest.mark.parametrize("n_inputs", N_INPUTS)
@pytest.mark.parametrize("act", ALL_ELEMENTWISE, ids=_act_id)
@pytest.mark.parametrize("dtype", DTYPES)
def test_output_j_is_neuron_j_bitwise(dtype, act, n_inputs):
    rng = np.random.default_rng([n_inputs, DTYPES.index(dtype)])
    i_in = N_INPUTS.index(n_inputs)
    for i_out, m in enumerate(N_OUTPUTS):
        n = BATCHES[(i_in + i_out) % len(BATCHES)]  # every n_inputs sees every batch
        X, W, b = layer_data(rng, n, n_inputs, m, dtype)
        layer = cn.Dense(W, b, act)
        Y = layer.forward(X)
        what = f"{n} x {n_inputs} -> {m}"
        assert_bitwise(Y, neuron_outputs(W, b, act, X), what)
        if n:
            assert_bitwise(layer(X[-1]), neuron_outputs(W, b, act, X[-1]), what + ", 1-D x")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_inputs", N_INPUTS)
def test_identity_layer_follows_the_defined_dot_order(n_inputs, dtype):
    """An oracle independent of the Neuron: the dot-product order of the
    contract, emulated with numpy (helpers.defined_order_z)."""
    rng = np.random.default_rng(n_inputs)
    X, W, b = layer_data(rng, 37, n_inputs, 17, dtype)
    Y = cn.Dense(W, b).forward(X)
    expect = np.stack([defined_order_z(X, W[j], b[j]) for j in range(17)], axis=1)
    assert_bitwise(Y, expect)


@given(
    n=st.integers(0, 60),
    k=st.integers(1, 300),
    m=st.integers(1, 40),
    dtype=st.sampled_from(DTYPES),
    act=st.sampled_from(ALL_ELEMENTWISE),
    scale=st.sampled_from([1e-3, 1.0, 3.0, 30.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_shapes_match_neurons_bitwise(n, k, m, dtype, act, scale, seed):
    rng = np.random.default_rng(seed)
    X, W, b = layer_data(rng, n, k, m, dtype, scale)
    assert_bitwise(cn.Dense(W, b, act).forward(X), neuron_outputs(W, b, act, X))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_inputs", [1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 64, 100])
def test_signed_zero_matches_the_neuron(n_inputs, dtype):
    rng = np.random.default_rng(n_inputs)
    for m in (1, 5, 9, 17):
        Wneg = -(rng.uniform(0.5, 2.0, (m, n_inputs))).astype(dtype)
        bneg0 = np.full(m, -0.0, dtype=dtype)
        zeros = np.zeros((3, n_inputs), dtype=dtype)
        cases = [
            # +0 * w<0 = -0 for every product; -0 + -0 = -0: the result is -0.0
            (zeros, Wneg, bneg0, True),
            (-zeros, -Wneg, bneg0, True),  # -0 * w>0 = -0
            (zeros, -Wneg, bneg0, False),  # +0 products: +0 + -0 = +0
            (zeros, Wneg, np.zeros(m, dtype=dtype), False),  # -0 + +0 = +0
        ]
        for X, W, b, negative in cases:
            layer = cn.Dense(W, b, "identity")
            Y = layer.forward(X)
            assert_bitwise(Y, neuron_outputs(W, b, "identity", X), f"m={m}")
            assert Y.shape == (3, m) and np.all(Y == 0)
            assert np.all(np.signbit(Y) == negative), (m, Y)
            assert_bitwise(layer(X[0]), Y[0], f"m={m}, 1-D x")


@pytest.mark.parametrize("act", [*ALL_ELEMENTWISE, *ROWWISE], ids=_act_id)
@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_and_inf_inputs_stay_in_their_row(dtype, act):
    rng = np.random.default_rng(5)
    for k, m in ((1, 3), (3, 9), (17, 5), (40, 17), (257, 2)):
        X, W, b = layer_data(rng, 12, k, m, dtype)
        poisoned = X.copy()
        poisoned[2, k // 2] = np.nan
        poisoned[5, 0] = np.inf
        poisoned[7, k - 1] = -np.inf
        poisoned[9, :] = np.nan
        layer = cn.Dense(W, b, act)
        clean = layer.forward(X)
        Y = layer.forward(poisoned)
        assert np.isnan(Y[2]).all() and np.isnan(Y[9]).all(), (k, m)
        others = [r for r in range(12) if r not in (2, 5, 7, 9)]
        assert_bitwise(Y[others], clean[others], f"k={k}, m={m}: rows without inf/NaN")
        assert not np.isnan(Y[others]).any()
        # the inf rows: what the neurons give (softmax: from the identity layer)
        if isinstance(act, str) and act in ROWWISE:
            z = neuron_outputs(W, b, "identity", poisoned)
            expect = getattr(cn.activations, act)(z, axis=-1)
        else:
            expect = neuron_outputs(W, b, act, poisoned)
        assert_bitwise(Y, expect, f"k={k}, m={m}")


@pytest.mark.parametrize("act", ELEMENTWISE + ROWWISE)
@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_row_is_bitwise_the_same_at_any_position(dtype, act):
    """The contract's reproducibility is bitwise: it covers the bits of a NaN
    result (its sign, which np.signbit and copysign expose) too."""
    rng = np.random.default_rng(9)
    for k, m in ((1, 1), (3, 5), (20, 9)):
        W = rng.standard_normal((m, k)).astype(dtype)
        layer = cn.Dense(W, None, act)
        x = rng.standard_normal(k).astype(dtype)
        x[0] = np.nan
        alone = layer.forward(x)
        assert np.isnan(alone).all()
        for n in (1, 2, 3, 4, 5, 8, 17):
            for pos in range(n):
                X = rng.standard_normal((n, k)).astype(dtype)
                X[pos] = x
                assert_bitwise(layer.forward(X)[pos], alone, f"k={k}, m={m}: row {pos} of {n}")


def test_inf_input_gives_the_signed_infinities():
    layer = cn.Dense([[1.0, 2.0], [-1.0, 0.5], [0.0, 1.0]], [0.0, 1.0, -1.0])
    Y = layer.forward([[np.inf, 1.0], [1.0, -np.inf]])
    assert Y[0, 0] == np.inf and Y[0, 1] == -np.inf and np.isnan(Y[0, 2])  # 0 * inf
    assert Y[1, 0] == -np.inf and Y[1, 1] == -np.inf and Y[1, 2] == -np.inf


#: wide layers: the kernel sums the features in blocks once a layer has more
#: than 512 (src/cn_dense_impl.h, CN_KBLOCK); around and well past that
WIDE_INPUTS = (511, 512, 513, 514, 767, 768, 769, 777, 1024, 1025, 2049, 4097)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_inputs", WIDE_INPUTS)
def test_wide_layers_match_neurons_bitwise(n_inputs, dtype):
    rng = np.random.default_rng(n_inputs)
    for i, (m, n) in enumerate(((1, 5), (2, 37), (9, 1), (17, 6), (8, 3))):
        X, W, b = layer_data(rng, n, n_inputs, m, dtype)
        act = ("identity", "tanh", "relu", "softplus", "gelu")[i]
        layer = cn.Dense(W, b, act)
        Y = layer.forward(X)
        assert_bitwise(Y, neuron_outputs(W, b, act, X), f"{n} x {n_inputs} -> {m}")
        assert_bitwise(layer.forward(X[-1]), Y[-1], "1-D x")
    Y = cn.Dense(W, b).forward(X)
    expect = np.stack([defined_order_z(X, W[j], b[j]) for j in range(W.shape[0])], axis=1)
    assert_bitwise(Y, expect, "defined order")


#: batches of many rows and more than two panels of outputs: on the AVX-512
#: path the kernel packs the rows of each tile (feature by feature) once a
#: row holds 256 doubles or 1024 floats (src/cn_dense_impl.h, cn_dense_pack),
#: sums them in groups of 64 rows, in K blocks of 2048 features past 4096
PACKED_INPUTS = (255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 4097, 8193)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_inputs", PACKED_INPUTS)
def test_packed_batches_match_neurons_bitwise(n_inputs, dtype):
    rng = np.random.default_rng(n_inputs + 7)
    # rows: one tile, a tile and leftovers, groups of 64 and a ragged end
    for n_rows, m, act in (
        (4, 70, "relu"),
        (7, 33, "tanh"),
        (64, 17, "identity"),
        (133, 49, "silu"),
    ):
        X, W, b = layer_data(rng, n_rows, n_inputs, m, dtype)
        Y = cn.Dense(W, b, act).forward(X, num_threads=1)
        assert_bitwise(Y, neuron_outputs(W, b, act, X), f"{n_rows} x {n_inputs} -> {m} {act}")
    Y = cn.Dense(W, b).forward(X)
    expect = np.stack([defined_order_z(X, W[j], b[j]) for j in range(W.shape[0])], axis=1)
    assert_bitwise(Y, expect, "defined order")
    for start, stop in ((0, 1), (1, 6), (60, 133)):
        assert_bitwise(cn.Dense(W, b).forward(X[start:stop]), Y[start:stop], f"rows {start}:{stop}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_wide_layers_are_thread_and_position_invariant(dtype):
    rng = np.random.default_rng(31)
    X, W, b = layer_data(rng, 3001, 1025, 9, dtype)
    layer = cn.Dense(W, b, "silu")
    # a wide layer inside a network too (its inputs come from the previous layer)
    net = cn.Sequential(
        [
            cn.Dense.create(1025, 530, "relu", seed=1, dtype=dtype),
            cn.Dense.create(530, 9, "tanh", seed=2, dtype=dtype),
        ]
    )
    for model, rows in ((layer, X), (net, X[:901])):
        n = rows.shape[0]
        full = model.forward(rows, num_threads=1)
        for t in (2, None):
            assert_bitwise(model.forward(rows, num_threads=t), full, f"num_threads={t}")
        for start, stop in ((0, 1), (3, 100), (n - 11, n)):
            assert_bitwise(model.forward(rows[start:stop], num_threads=2), full[start:stop])
        assert_bitwise(model.forward(rows[567]), full[567])
    h = X[:50]
    for lay in net:
        h = lay.forward(h)
    assert_bitwise(net.forward(X[:50]), h, "wide Sequential = its layers")


# ---- 2. softmax and log_softmax layers ------------------------------------------


@pytest.mark.parametrize("act", ROWWISE)
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_layer_is_softmax_of_the_identity_layer(dtype, act):
    rng = np.random.default_rng(11)
    f = getattr(cn.activations, act)
    for i, m in enumerate(N_OUTPUTS):
        for k in (1, 3, 17, 40, 257):
            n = BATCHES[(i + k) % len(BATCHES)]
            X, W, b = layer_data(rng, n, k, m, dtype, scale=5.0)
            Y = cn.Dense(W, b, act).forward(X)
            assert_bitwise(Y, f(cn.Dense(W, b).forward(X), axis=-1), f"{n} x {k} -> {m}")
            if n:
                assert_bitwise(cn.Dense(W, b, act)(X[0]), Y[0], "1-D x")


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_rows_sum_to_one(dtype):
    rng = np.random.default_rng(12)
    eps = np.finfo(dtype).eps
    for m in (1, 2, 7, 16, 33, 100):
        X, W, b = layer_data(rng, 200, 10, m, dtype, scale=4.0)
        S = cn.Dense(W, b, "softmax").forward(X)
        sums = np.array([math.fsum(row) for row in S.astype(np.float64)])
        assert np.all(np.abs(sums - 1.0) <= 5 * eps), (m, np.abs(sums - 1).max() / eps)
        assert np.all(S >= 0) and np.all(S <= 1)
        L = cn.Dense(W, b, "log_softmax").forward(X)
        assert np.all(L <= 0)
        sums = np.array([math.fsum(row) for row in np.exp(L.astype(np.float64))])
        assert np.all(np.abs(sums - 1.0) <= 50 * eps)
    one = cn.Dense(rng.standard_normal((1, 4)), activation="softmax").forward(np.ones((3, 4)))
    assert one.tolist() == [[1.0]] * 3


def test_softmax_axis_rules():
    W = np.arange(6.0).reshape(3, 2)
    X = np.array([[0.5, -1.0], [2.0, 0.25]])
    expect = cn.Dense(W, None, "softmax").forward(X)
    for axis in (-1, 1):
        for name in ROWWISE:
            ok = cn.Dense(W, None, get(name, axis=axis)).forward(X)
            assert_bitwise(ok, cn.Dense(W, None, name).forward(X))
    assert_bitwise(cn.Dense(W, None, get("softmax", axis=1)).forward(X), expect)
    for axis in (0, -2, 2, 3):
        for name in ROWWISE:
            with pytest.raises(ValueError, match=rf"{name}.*axis=-1.*got axis={axis}"):
                cn.Dense(W, None, get(name, axis=axis))


# ---- 3. batch invariance, threads, layouts ----------------------------------------


@pytest.fixture(scope="module")
def big_models():
    """Large batches (enough to engage the threads): a layer 64 -> 16 and a
    network 64 -> 32 -> 16 -> 3, per dtype, with their inputs."""
    res = {}
    for dtype in DTYPES:
        rng = np.random.default_rng(99)
        X = (rng.standard_normal((20_000, 64)) * 2).astype(dtype)
        layer = cn.Dense.create(64, 16, "sigmoid", seed=1, dtype=dtype)
        net = cn.Sequential(
            [
                cn.Dense.create(64, 32, "relu", init="he_uniform", seed=2, dtype=dtype),
                cn.Dense.create(32, 16, "tanh", seed=3, dtype=dtype),
                cn.Dense.create(16, 3, "softmax", seed=4, dtype=dtype),
            ]
        )
        res[dtype] = (X, layer, net)
    return res


@pytest.mark.parametrize("which", ["dense", "sequential"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_large_batches_are_thread_and_position_invariant(dtype, which, big_models):
    X, layer, net = big_models[dtype]
    model = layer if which == "dense" else net
    n = X.shape[0]
    full = model.forward(X, num_threads=1)
    assert full.shape == (n, model.n_outputs) and full.dtype == dtype
    for t in (2, 3, None):
        assert_bitwise(model.forward(X, num_threads=t), full, f"num_threads={t}")
    for start, stop in ((0, 1), (1, 2), (5, 389), (383, 385), (n - 7, n), (13, n - 17)):
        assert_bitwise(model.forward(X[start:stop], num_threads=2), full[start:stop])
    assert_bitwise(model.forward(X[::-1], num_threads=2), full[::-1], "reversed")
    assert_bitwise(model.forward(X[1::3]), full[1::3], "every third row")
    for i in (0, 1, 4, 5, 6, n // 2, n - 1):
        assert_bitwise(model.forward(X[i]), full[i], f"row {i} alone")
    assert_bitwise(model.forward(X, num_threads=None), full, "from call to call")
    if which == "sequential":  # and it is its layers one after another
        h = X
        for lay in net:
            h = lay.forward(h, num_threads=2)
        assert_bitwise(full, h)


@pytest.mark.parametrize("dtype", DTYPES)
def test_row_is_the_same_alone_and_at_any_position(dtype):
    rng = np.random.default_rng(3)
    for k, m in ((3, 5), (16, 8), (17, 9), (40, 20), (33, 1)):
        X, W, b = layer_data(rng, 37, k, m, dtype)
        layer = cn.Dense(W, b, "silu")
        net = cn.Sequential([layer, cn.Dense.create(m, 4, "elu", seed=k, dtype=dtype)])
        for model in (layer, net):
            batch = model.forward(X)
            alone = np.stack([model.forward(X[i : i + 1])[0] for i in range(37)])
            assert_bitwise(batch, alone, f"k={k}, m={m}")
            row = X[0]
            for n in (2, 5, 6, 7, 255, 1000, 5000):
                embed = rng.standard_normal((n, k)).astype(dtype) * 1e3
                pos = int(rng.integers(0, n))
                embed[pos] = row
                got = model.forward(embed, num_threads=2)[pos]
                assert_bitwise(got, batch[0], f"row at {pos} of {n}")


def _layout(X, layout, dtype):
    if layout in ("C", "int"):
        return X
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "strided":
        n, k = X.shape
        big = np.full((2 * n, 3 * k), np.nan, dtype=X.dtype)
        big[::2, ::3] = X
        return big[::2, ::3]
    if layout == "big":
        return X.astype(X.dtype.newbyteorder(">"))
    if layout == "readonly":
        Y = X.copy()
        Y.setflags(write=False)
        return Y
    if layout == "list":
        return X.tolist() if X.shape[0] else np.empty((0, X.shape[1]))
    if layout == "unaligned":  # C-contiguous, but not on an item boundary
        return _unaligned(X)
    if layout == "other_float":  # the other float dtype: cast to the model's
        return X.astype(np.float64 if dtype == np.float32 else np.float32)
    raise AssertionError(layout)


LAYOUTS = ["C", "F", "strided", "big", "readonly", "list", "unaligned", "other_float", "int"]


def _unaligned(A):
    """A copy of A whose data starts one byte past an item boundary."""
    raw = np.zeros(A.nbytes + A.dtype.itemsize, dtype=np.uint8)
    U = raw[1 : 1 + A.nbytes].view(A.dtype).reshape(A.shape)
    U[...] = A
    assert not U.flags.aligned or A.size == 0
    return U


@given(
    n=st.integers(0, 40),
    k=st.integers(1, 70),
    m=st.integers(1, 20),
    dtype=st.sampled_from(DTYPES),
    layout=st.sampled_from(LAYOUTS),
    threads=st.sampled_from(THREADS),
    seq=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_layouts_give_bitwise_the_same_result(n, k, m, dtype, layout, threads, seq, seed):
    rng = np.random.default_rng(seed)
    X, W, b = layer_data(rng, n, k, m, dtype)
    if layout == "int":
        X = rng.integers(-5, 5, (n, k))
    elif layout == "other_float":
        X = X.astype(np.float32).astype(np.float64)  # values exact in both dtypes
    dense = cn.Dense(W, b, "tanh")
    model: cn.Dense | cn.Sequential = dense
    if seq:
        model = cn.Sequential([dense, cn.Dense.create(m, 3, "relu", seed=seed, dtype=dtype)])
    expect = model.forward(np.ascontiguousarray(X, dtype=dtype))
    got = model.forward(_layout(X, layout, dtype), num_threads=threads)
    assert_bitwise(got, expect, layout)


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_sample_is_row_zero_of_the_batch(dtype):
    rng = np.random.default_rng(4)
    for k, m in ((1, 1), (1, 7), (5, 1), (17, 9), (100, 33)):
        X, W, b = layer_data(rng, 3, k, m, dtype)
        for model in (
            cn.Dense(W, b, "sigmoid"),
            cn.Dense(W, b, "log_softmax"),
            cn.Sequential([cn.Dense(W, b, "relu"), cn.Dense.create(m, 2, seed=k, dtype=dtype)]),
        ):
            y = model.forward(X[0])
            assert isinstance(y, np.ndarray) and y.shape == (model.n_outputs,)
            assert_bitwise(y, model.forward(X)[0])
            assert_bitwise(model(X[0].tolist()), y, "list")
            assert_bitwise(model(X[0][::-1].copy()[::-1]), y, "negative stride")


@pytest.mark.parametrize("dtype", DTYPES)
def test_unaligned_input_and_out(dtype):
    rng = np.random.default_rng(7)
    for k, m in ((1, 1), (3, 5), (17, 9), (100, 1), (600, 17)):
        X, W, b = layer_data(rng, 41, k, m, dtype)
        layer = cn.Dense(W, b, "sigmoid")
        expect = layer.forward(X)
        assert_bitwise(layer.forward(_unaligned(X)), expect, f"k={k}")
        assert_bitwise(layer.forward(_unaligned(X[3])), expect[3], f"k={k}, 1-D")
        out = _unaligned(np.zeros_like(expect))
        assert layer.forward(X, out=out) is out
        assert_bitwise(out, expect, f"k={k}, unaligned out")


@pytest.mark.parametrize("dtype", DTYPES)
def test_memory_mapped_input(dtype, tmp_path):
    rng = np.random.default_rng(6)
    X, W, b = layer_data(rng, 500, 12, 7, dtype)
    layer = cn.Dense(W, b, "gelu")
    path = tmp_path / "x.npy"
    np.save(path, X.astype(">f8"))
    got = layer.forward(np.load(path, mmap_mode="r"))
    assert_bitwise(got, layer.forward(X.astype(np.float64).astype(dtype)))


def test_empty_batch():
    for dtype in DTYPES:
        layer = cn.Dense(np.ones((3, 4), dtype=dtype))
        net = cn.Sequential([layer, cn.Dense(np.ones((2, 3), dtype=dtype))])
        for model in (layer, net):
            y = model.forward(np.empty((0, 4)))
            assert y.shape == (0, model.n_outputs) and y.dtype == dtype
            out = np.empty((0, model.n_outputs), dtype=dtype)
            assert model.forward(np.empty((0, 4), dtype=dtype), out=out) is out


def test_concurrent_calls_share_nothing(big_models):
    """Python threads calling one model at once (the kernels release the GIL
    and each call takes its own workspace) get the serial result."""
    X, layer, net = big_models[np.float64]
    X = X[:6000]
    expect = [layer.forward(X, num_threads=1), net.forward(X, num_threads=1)]
    results = {}

    def work(i):
        model = (layer, net)[i % 2]
        results[i] = [model.forward(X, num_threads=1 + i % 2) for _ in range(3)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, got in results.items():
        for g in got:
            assert_bitwise(g, expect[i % 2], f"thread {i}")
    assert len(results) == 6


# ---- 4. every SIMD path --------------------------------------------------------------


@pytest.fixture
def restore_isa():
    before = _kernels.current_isa()
    try:
        yield
    finally:
        _kernels.select_isa(before)


def _isa_outputs(dtype):
    rng = np.random.default_rng(21)
    res = []
    for k in (1, 3, 16, 17, 40, 300, 1025):
        for m in (1, 5, 8, 9, 20):
            X, W, b = layer_data(rng, 103, k, m, dtype)
            for act in ("identity", "sigmoid", "gelu", "silu", "tanh", "softmax"):
                layer = cn.Dense(W, b, act)
                res.append(layer.forward(X, num_threads=1))
                res.append(layer.forward(X, num_threads=2))
                res.append(layer.forward(X[7]))
    net = cn.Sequential(
        [
            cn.Dense.create(40, 20, "relu", seed=1, dtype=dtype),
            cn.Dense.create(20, 5, "elu", seed=2, dtype=dtype),
            cn.Dense.create(5, 3, "log_softmax", seed=3, dtype=dtype),
        ]
    )
    X = (rng.standard_normal((3000, 40)) * 2).astype(dtype)
    res.append(net.forward(X, num_threads=1))
    res.append(net.forward(X, num_threads=2))
    res.append(net.forward(X[11]))
    return res


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_simd_path_gives_bitwise_the_same_result(dtype, restore_isa):
    assert ISAS[0] == "baseline"
    assert _kernels.select_isa("baseline") == "baseline"
    expect = _isa_outputs(dtype)
    for name in ISAS:
        assert _kernels.select_isa(name) == name
        got = _isa_outputs(dtype)
        assert len(got) == len(expect)
        for i, (g, e) in enumerate(zip(got, expect)):
            assert_bitwise(g, e, f"path {name}, result {i}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_simd_path_matches_the_neurons(dtype, restore_isa):
    rng = np.random.default_rng(22)
    data = [layer_data(rng, 29, k, m, dtype) for k in (3, 40, 300) for m in (1, 5, 20)]
    for name in ISAS:
        _kernels.select_isa(name)
        for X, W, b in data:
            for act in ("identity", "sigmoid", "selu"):
                got = cn.Dense(W, b, act).forward(X)
                assert_bitwise(got, neuron_outputs(W, b, act, X), f"path {name}")


# ---- 5. Sequential -------------------------------------------------------------------

ARCHITECTURES = [
    [(3, 1, "identity")],
    [(4, 8, "relu"), (8, 1, "sigmoid")],
    [(1, 17, "tanh"), (17, 33, "silu"), (33, 2, "identity")],
    [(40, 16, "softmax"), (16, 9, "gelu"), (9, 1, "log_sigmoid")],
    [(7, 5, "log_softmax"), (5, 5, "elu"), (5, 31, "leaky_relu"), (31, 32, "softplus")],
    [(100, 3, "selu"), (3, 64, "step"), (64, 7, "softmax")],
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("arch", ARCHITECTURES, ids=lambda a: "-".join(str(s[0]) for s in a))
def test_sequential_is_its_layers_one_after_another(arch, dtype):
    rng = np.random.default_rng(len(arch))
    layers = []
    for k, m, act in arch:
        W = (rng.standard_normal((m, k)) * 1.5 / math.sqrt(k)).astype(dtype)
        layers.append(cn.Dense(W, rng.standard_normal(m).astype(dtype), act))
    net = cn.Sequential(layers)
    for n in BATCHES:
        X = (rng.standard_normal((n, arch[0][0])) * 2).astype(dtype)
        h = X
        for layer in layers:
            h = layer.forward(h)
        got = net.forward(X)
        assert_bitwise(got, h, f"{n} rows")
        if n:
            assert_bitwise(net(X[0]), h[0], "1-D x")


def test_sequential_of_one_layer_is_the_layer():
    rng = np.random.default_rng(8)
    X, W, b = layer_data(rng, 50, 6, 4, np.float64)
    layer = cn.Dense(W, b, "softplus")
    assert_bitwise(cn.Sequential([layer]).forward(X), layer.forward(X))


def test_sequential_size_mismatch_names_both_numbers():
    a = cn.Dense(np.ones((5, 6)))
    c = cn.Dense(np.ones((7, 7)))
    with pytest.raises(ValueError) as info:
        cn.Sequential([a, c])
    msg = str(info.value)
    assert re.search(r"\b7\b", msg) and re.search(r"\b5\b", msg), msg
    assert "layer 1" in msg and "layer 0" in msg
    with pytest.raises(ValueError, match=r"layer 2 expects 4 inputs but layer 1 gives 3"):
        cn.Sequential(
            [cn.Dense(np.ones((2, 1))), cn.Dense(np.ones((3, 2))), cn.Dense(np.ones((1, 4)))]
        )


def test_sequential_rejects_mixed_dtypes():
    a = cn.Dense(np.ones((3, 2)))
    b32 = cn.Dense(np.ones((1, 3), dtype=np.float32))
    with pytest.raises(TypeError, match=r"layer 0 is float64, layer 1 is float32"):
        cn.Sequential([a, b32])
    with pytest.raises(TypeError, match="one dtype"):
        cn.Sequential([cn.Dense(np.ones((3, 2), dtype=np.float32)), cn.Dense(np.ones((1, 3)))])


@pytest.mark.parametrize(
    ("layers", "exc", "match"),
    [
        ([], ValueError, "at least one layer"),
        ((), ValueError, "at least one layer"),
        (cn.Dense([[1.0]]), TypeError, r"one Dense.*\[layer\]"),
        ([cn.Dense([[1.0]]), "relu"], TypeError, "layer 1 must be a Dense, got str"),
        ([cn.Neuron([1.0])], TypeError, "layer 0 must be a Dense, got Neuron"),
        ([np.ones((1, 1))], TypeError, "must be a Dense"),
        (5, TypeError, "list of Dense layers, got int"),
        (None, TypeError, "got NoneType"),
    ],
)
def test_sequential_construction_errors(layers, exc, match):
    with pytest.raises(exc, match=match):
        cn.Sequential(layers)


def test_sequential_container_protocol():
    l0 = cn.Dense.create(4, 3, "relu", seed=0)
    l1 = cn.Dense.create(3, 5, "tanh", seed=1)
    l2 = cn.Dense.create(5, 2, "softmax", seed=2, dtype=np.float64)
    source = [l0, l1, l2]
    net = cn.Sequential(source)
    source.append(cn.Dense.create(2, 9, seed=3))  # the network keeps its own list
    assert len(net) == 3
    assert list(net) == [l0, l1, l2] and all(a is b for a, b in zip(net, (l0, l1, l2)))
    assert net.layers == (l0, l1, l2) and isinstance(net.layers, tuple)
    assert net[0] is l0 and net[1] is l1 and net[-1] is l2
    assert (net.n_inputs, net.n_outputs, net.dtype) == (4, 2, np.float64)
    tail = net[1:]
    assert isinstance(tail, cn.Sequential) and tail.layers == (l1, l2)
    assert (tail.n_inputs, tail.n_outputs) == (3, 2)
    head = net[:2]
    assert (len(head), head.n_outputs) == (2, 5)
    X = np.random.default_rng(0).standard_normal((10, 4))
    assert_bitwise(net[2:].forward(head.forward(X)), net.forward(X))
    assert_bitwise(tail.forward(net[0].forward(X)), net.forward(X))
    assert_bitwise(net(X), net.forward(X))
    with pytest.raises(IndexError):
        net[3]
    with pytest.raises(ValueError, match="at least one layer"):
        net[3:]
    net32 = cn.Sequential(iter([cn.Dense(np.ones((2, 3), dtype=np.float32))]))  # any iterable
    assert net32.dtype == np.float32 and (net32.n_inputs, net32.n_outputs) == (3, 2)
    with pytest.raises(ValueError, match="expected 4 features, got 3"):
        net.forward(np.ones((2, 3)))


# ---- 6. out= ---------------------------------------------------------------------------


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_out(dtype, threads):
    rng = np.random.default_rng(13)
    X, W, b = layer_data(rng, 1000, 9, 6, dtype)
    layer = cn.Dense(W, b, "silu")
    net = cn.Sequential([layer, cn.Dense.create(6, 4, "softmax", seed=1, dtype=dtype)])
    for model in (layer, net):
        expect = model.forward(X)
        out = np.full((1000, model.n_outputs), -7, dtype=dtype)
        assert model.forward(X, out=out, num_threads=threads) is out
        assert_bitwise(out, expect)
        one = np.full(model.n_outputs, -7, dtype=dtype)
        assert model.forward(X[3], out=one) is one
        assert_bitwise(one, expect[3])
        empty = np.empty((0, model.n_outputs), dtype=dtype)
        assert model(X[:0], out=empty) is empty


@pytest.mark.parametrize(
    ("out", "exc", "match"),
    [
        (np.empty((4, 2), dtype=np.float32), TypeError, "dtype float64, got float32"),
        (np.empty((4, 2), dtype=np.int64), TypeError, "dtype float64, got int64"),
        (np.empty((4, 3)), ValueError, r"shape \(4, 2\), got \(4, 3\)"),
        (np.empty((2, 4)), ValueError, r"shape \(4, 2\), got \(2, 4\)"),
        (np.empty(8), ValueError, r"shape \(4, 2\), got \(8,\)"),
        (np.empty((4, 4))[:, ::2], ValueError, "C-contiguous"),
        (np.empty((2, 4)).T, ValueError, "C-contiguous"),
        ([[0.0] * 2] * 4, TypeError, "numpy.ndarray, got list"),
    ],
)
def test_bad_out(out, exc, match):
    layer = cn.Dense(np.ones((2, 3)))
    with pytest.raises(exc, match=match):
        layer.forward(np.ones((4, 3)), out=out)
    net = cn.Sequential([cn.Dense(np.ones((5, 3))), cn.Dense(np.ones((2, 5)))])
    with pytest.raises(exc, match=match):
        net.forward(np.ones((4, 3)), out=out)


def test_bad_out_read_only_and_one_sample_shapes():
    layer = cn.Dense(np.ones((2, 3)))
    ro = np.zeros((4, 2))
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="writable"):
        layer.forward(np.ones((4, 3)), out=ro)
    assert not ro.any()
    with pytest.raises(ValueError, match=r"shape \(2,\), got \(1, 2\)"):
        layer.forward(np.ones(3), out=np.empty((1, 2)))
    with pytest.raises(ValueError, match=r"shape \(1, 2\), got \(2,\)"):
        layer.forward(np.ones((1, 3)), out=np.empty(2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_aliasing_the_input(dtype):
    rng = np.random.default_rng(14)
    for k in (3, 16, 40):
        X, W, b = layer_data(rng, 300, k, k, dtype)
        for act in ("identity", "tanh", "softmax"):
            layer = cn.Dense(W, b, act)
            expect = layer.forward(X)
            buf = X.copy()
            assert layer.forward(buf, out=buf) is buf  # exact alias, square layer
            assert_bitwise(buf, expect, f"k={k}, {act}, out=X")
            x = X[5].copy()
            assert layer.forward(x, out=x) is x  # one sample, in place
            assert_bitwise(x, expect[5], "1-D out=x")
            net = cn.Sequential([layer, cn.Dense(W, b, "relu")])
            buf = X.copy()
            net.forward(buf, out=buf, num_threads=2)
            assert_bitwise(buf, cn.Dense(W, b, "relu").forward(expect), "Sequential out=X")
        # partial overlap: out starts inside X (and a layer that is not square)
        flat = rng.standard_normal(300 * k + 7).astype(dtype)
        Xv = flat[: 300 * k].reshape(300, k)
        narrow = cn.Dense(W[:3], b[:3], "sigmoid")
        expect = narrow.forward(Xv.copy())
        out = flat[7 : 7 + 900].reshape(300, 3)
        assert narrow.forward(Xv, out=out) is out
        assert_bitwise(out, expect, "partial overlap, 3 outputs")
        flat = rng.standard_normal(300 * k + k).astype(dtype)
        Xv = flat[: 300 * k].reshape(300, k)
        expect = cn.Dense(W, b, "elu").forward(Xv.copy())
        out = flat[k:].reshape(300, k)
        cn.Dense(W, b, "elu").forward(Xv, out=out)
        assert_bitwise(out, expect, "partial overlap")


# ---- 7. errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"weights": np.ones(3)}, ValueError, r"2-D .* got a 1-D array.*reshape\(1, -1\)"),
        ({"weights": np.ones((2, 2, 2))}, ValueError, r"2-D .* got a 3-D"),
        ({"weights": 1.0}, ValueError, r"2-D .* got a 0-D"),
        ({"weights": np.ones((0, 3))}, ValueError, r"at least one output .* shape \(0, 3\)"),
        ({"weights": np.ones((3, 0))}, ValueError, r"at least one .* input.* shape \(3, 0\)"),
        ({"weights": []}, ValueError, "2-D"),
        ({"weights": [[]]}, ValueError, "at least one"),
        ({"weights": [[1.0, 2.0], [3.0]]}, ValueError, "rectangular"),
        ({"weights": np.ones((2, 3)), "bias": np.ones(3)}, ValueError, r"\(2,\).*got shape \(3,\)"),
        ({"weights": np.ones((2, 3)), "bias": np.ones((2, 1))}, ValueError, r"got shape \(2, 1\)"),
        ({"weights": np.ones((2, 3)), "bias": 1.0}, ValueError, r"shape \(2,\).*got shape \(\)"),
        ({"weights": np.ones((2, 3), dtype=complex)}, TypeError, "weights must hold real.*complex"),
        ({"weights": np.ones((2, 3), dtype=object)}, TypeError, "weights must hold real.*object"),
        ({"weights": [["a", "b"]]}, TypeError, "weights must hold real"),
        ({"weights": np.ones((2, 3)), "bias": [1j, 2]}, TypeError, "bias must hold real"),
        ({"weights": np.ones((2, 3)), "bias": ["a", "b"]}, TypeError, "bias must hold real"),
        ({"weights": np.ones((2, 3)), "activation": "relu6"}, ValueError, "unknown activation"),
        ({"weights": np.ones((2, 3)), "activation": None}, TypeError, "activation must be"),
    ],
)
def test_constructor_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        cn.Dense(**kwargs)


@pytest.mark.parametrize(
    ("X", "exc", "match"),
    [
        (np.ones((4, 18)), ValueError, "expected 19 features, got 18"),
        (np.ones(18), ValueError, "expected 19 features, got 18"),
        (np.ones((4, 20)), ValueError, "expected 19 features, got 20"),
        (np.ones((2, 3, 19)), ValueError, r"1-D .* or 2-D .* got a 3-D"),
        (np.float64(1.0), ValueError, "got a 0-D"),
        (np.ones((2, 19), dtype=complex), TypeError, "X must hold real.*complex"),
        (np.ones((2, 19), dtype=object), TypeError, "X must hold real.*object"),
        ([["a"] * 19], TypeError, "X must hold real"),
        ([[1.0] * 19, [1.0] * 18], ValueError, "rectangular"),
    ],
)
def test_forward_errors_leave_the_layer_unchanged(X, exc, match):
    rng = np.random.default_rng(15)
    X0, W, b = layer_data(rng, 4, 19, 3, np.float64)
    layer = cn.Dense(W, b, "sigmoid")
    net = cn.Sequential([layer, cn.Dense.create(3, 2, seed=0)])
    before = [layer.forward(X0), net.forward(X0)]
    for model in (layer, net):
        out = np.full((4, model.n_outputs), 9.0)
        batch_of_4 = isinstance(X, np.ndarray) and X.shape[0] == 4
        with pytest.raises(exc, match=match):
            model.forward(X, out=out if batch_of_4 else None)
        assert (out == 9.0).all()  # untouched
    assert_bitwise(layer.weights, W)
    assert_bitwise(layer.bias, b)
    assert_bitwise(layer.forward(X0), before[0])
    assert_bitwise(net.forward(X0), before[1])


def test_num_threads_errors():
    layer = cn.Dense(np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least 1, got 0"):
        layer.forward(np.ones((5, 3)), num_threads=0)
    with pytest.raises(TypeError, match="got bool"):
        layer.forward(np.ones((5, 3)), num_threads=True)
    with pytest.raises(TypeError, match="got float"):
        layer.forward(np.ones((5, 3)), num_threads=2.0)
    assert_bitwise(layer.forward(np.ones((5, 3)), num_threads=10_000), np.full((5, 2), 3.0))
    assert_bitwise(layer.forward(np.ones((5, 3)), num_threads=np.int64(2)), np.full((5, 2), 3.0))


# ---- 8. attributes, dtypes, copying ------------------------------------------------------


def test_attributes():
    W = np.array([[0.5, 0.3, 0.7], [-1.0, 0.0, 1.0]])
    layer = cn.Dense(W, [0.1, 0.0], "Sigmoid")
    assert (layer.n_inputs, layer.n_outputs) == (3, 2)
    assert type(layer.n_inputs) is int and type(layer.n_outputs) is int
    assert layer.dtype == np.float64
    assert layer.activation == "sigmoid" and layer.activation_params == {}
    assert layer.weights.tolist() == W.tolist() and layer.bias.tolist() == [0.1, 0.0]
    assert layer([0.8, 0.6, 0.9]).round(4).tolist() == [0.7875, 0.525]  # the docstring
    for arr in (layer.weights, layer.bias):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0] = 5.0
    for name in ("weights", "bias", "activation", "dtype", "n_inputs"):
        with pytest.raises(AttributeError):
            setattr(layer, name, None)
    with pytest.raises(AttributeError):
        layer.extra = 1  # type: ignore[attr-defined]  # __slots__
    assert cn.Dense(np.ones((4, 2))).bias.tolist() == [0.0] * 4  # default bias
    p = cn.Dense(np.ones((2, 2)), None, get("softplus", beta=2)).activation_params
    assert p == {"beta": 2.0, "threshold": 20.0}
    p["beta"] = 7.0  # a copy
    assert cn.Dense(np.ones((2, 2)), None, get("softplus", beta=2)).activation_params["beta"] == 2.0


def test_weights_and_bias_are_private_copies():
    rng = np.random.default_rng(16)
    X = rng.standard_normal((10, 4))
    for W in (rng.standard_normal((3, 4)), np.asfortranarray(rng.standard_normal((3, 4)))):
        b = rng.standard_normal(3)
        W0, b0 = W.copy(), b.copy()
        layer = cn.Dense(W, b, "tanh")
        y0 = layer.forward(X)
        W[...] = 100.0
        b[...] = -100.0
        assert_bitwise(layer.weights, W0)
        assert_bitwise(layer.bias, b0)
        assert_bitwise(layer.forward(X), y0)
        assert not np.shares_memory(layer.weights, W) and not np.shares_memory(layer.bias, b)
    Wl = [[1.0, 2.0]]
    layer = cn.Dense(Wl, [0.5])
    Wl[0][0] = 9.0
    assert layer.weights.tolist() == [[1.0, 2.0]]


@pytest.mark.parametrize(
    ("wdtype", "bias", "expect"),
    [
        (np.float64, None, np.float64),
        (np.float32, None, np.float32),
        (np.float32, np.ones(2, dtype=np.float64), np.float32),
        (np.float64, np.ones(2, dtype=np.float32), np.float64),
        (np.float16, None, np.float32),
        (np.int64, None, np.float64),
        (np.int32, None, np.float64),
        (np.uint8, None, np.float64),
        (np.bool_, None, np.float64),
        (np.longdouble, None, np.float64),
    ],
)
def test_dtype_follows_the_weights(wdtype, bias, expect):
    W = np.array([[1, 0, 1], [0, 1, 1]]).astype(wdtype)
    layer = cn.Dense(W, bias)
    assert layer.dtype == expect
    assert layer.weights.dtype == expect and layer.bias.dtype == expect
    X = np.array([[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]])
    y = layer.forward(X)
    assert y.dtype == expect
    assert_bitwise(y, layer.forward(X.astype(expect)))  # inputs cast to the layer's dtype
    assert layer.forward(X[0]).dtype == expect


def test_float32_bias_is_rounded_and_scalar_bias_for_one_output():
    layer = cn.Dense(np.ones((1, 2), dtype=np.float32), 0.1)
    assert layer.bias.dtype == np.float32 and layer.bias.tolist() == [float(np.float32(0.1))]
    assert cn.Dense([[1.0, 2.0]], np.array([3.0])).bias.tolist() == [3.0]
    assert cn.Dense([[1.0, 2.0]], np.float64(3.0)).forward([1.0, 1.0]).tolist() == [6.0]


def test_repr():
    assert repr(cn.Dense(np.ones((3, 4)), None, "relu")) == (
        "Dense(n_inputs=4, n_outputs=3, activation='relu')"
    )
    assert repr(cn.Dense(np.ones((2, 5), dtype=np.float32))) == (
        "Dense(n_inputs=5, n_outputs=2, activation='identity', dtype=float32)"
    )
    assert repr(cn.Dense(np.ones((1, 1)), None, get("leaky_relu", alpha=0.2))) == (
        "Dense(n_inputs=1, n_outputs=1, activation=Activation('leaky_relu', alpha=0.2))"
    )
    net = cn.Sequential([cn.Dense(np.ones((3, 4)), None, "relu"), cn.Dense(np.ones((1, 3)))])
    assert repr(net) == (
        "Sequential([\n"
        "    Dense(n_inputs=4, n_outputs=3, activation='relu'),\n"
        "    Dense(n_inputs=3, n_outputs=1, activation='identity'),\n"
        "])"
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_pickle_and_deepcopy_round_trip_bitwise(dtype):
    rng = np.random.default_rng(17)
    X, W, b = layer_data(rng, 200, 30, 12, dtype)
    layer = cn.Dense(W, b, get("elu", alpha=0.7))
    net = cn.Sequential([layer, cn.Dense.create(12, 5, "log_softmax", seed=2, dtype=dtype)])
    for model in (layer, net):
        expect = model.forward(X)
        protocols = range(2, pickle.HIGHEST_PROTOCOL + 1)
        clones = [pickle.loads(pickle.dumps(model, protocol=p)) for p in protocols]
        clones += [copy.deepcopy(model), copy.copy(model)]
        for clone in clones:
            assert type(clone) is type(model) and clone is not model
            assert clone.dtype == model.dtype
            assert (clone.n_inputs, clone.n_outputs) == (model.n_inputs, model.n_outputs)
            assert repr(clone) == repr(model)
            assert_bitwise(clone.forward(X), expect)
            assert_bitwise(clone.forward(X[4]), expect[4])
    dc = copy.deepcopy(layer)
    assert not np.shares_memory(dc.weights, layer.weights)
    assert dc.activation_params == {"alpha": 0.7}
    assert_bitwise(dc.weights, layer.weights)
    assert_bitwise(dc.bias, layer.bias)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pickle_is_small(dtype):
    """The pickle holds the weights and bias once (not the packed copy the
    kernels use) and references, not code."""
    layer = cn.Dense.create(200, 64, "relu", seed=1, dtype=dtype)
    data = layer.weights.nbytes + layer.bias.nbytes
    for p in range(2, pickle.HIGHEST_PROTOCOL + 1):
        size = len(pickle.dumps(layer, protocol=p))
        if p >= 4:
            assert data <= size <= data + 1000, (p, size, data)
        else:  # older protocols have no binary frames for numpy buffers
            assert size <= 2 * data + 2000
    net = cn.Sequential([layer, cn.Dense.create(64, 3, seed=2, dtype=dtype)])
    net_data = data + net[1].weights.nbytes + net[1].bias.nbytes
    assert len(pickle.dumps(net, protocol=5)) <= net_data + 1500
    payload = pickle.dumps(layer, protocol=5)
    assert b"_kernels" not in payload and b"Network" not in payload


# ---- 9. initialisers ------------------------------------------------------------------


def _init_spec(init, n_in, n_out):
    """(kind, scale): kind 'uniform' with bound `scale` or 'normal' with std
    `scale`, per the formulas of the docstring; and the bias's bound (0: zeros)."""
    return {
        "zeros": ("zeros", 0.0, 0.0),
        "uniform": ("uniform", 1 / math.sqrt(n_in), 1 / math.sqrt(n_in)),
        "glorot_uniform": ("uniform", math.sqrt(6 / (n_in + n_out)), 0.0),
        "glorot_normal": ("normal", math.sqrt(2 / (n_in + n_out)), 0.0),
        "he_uniform": ("uniform", math.sqrt(6 / n_in), 0.0),
        "he_normal": ("normal", math.sqrt(2 / n_in), 0.0),
    }[init]


def test_initializers_are_the_documented_ones():
    assert INITIALIZERS == (
        "zeros",
        "uniform",
        "glorot_uniform",
        "glorot_normal",
        "he_uniform",
        "he_normal",
    )
    assert cn.initial_weights is cn._layers.initial_weights


@pytest.mark.parametrize("init", INITIALIZERS)
def test_initializer_distribution(init):
    n_in, n_out = 400, 300
    W, b = cn.initial_weights(n_in, n_out, init, seed=1234)
    assert W.shape == (n_out, n_in) and b.shape == (n_out,)
    assert W.dtype == np.float64 and b.dtype == np.float64
    kind, scale, b_bound = _init_spec(init, n_in, n_out)
    if kind == "zeros":
        assert not W.any() and not b.any()
        return
    std = scale / math.sqrt(3) if kind == "uniform" else scale
    assert abs(W.std() / std - 1) < 0.05, (W.std(), std)
    assert abs(W.mean()) < 4 * std / math.sqrt(W.size)
    frac_beyond_2std = np.mean(np.abs(W) > 2 * std)
    if kind == "uniform":
        assert np.abs(W).max() <= scale
        assert np.abs(W).max() > 0.999 * scale  # the bound is reached, not narrower
        assert W.min() < 0 < W.max()
        assert frac_beyond_2std == 0  # 2 std > sqrt(3) std = the bound
    else:
        assert 0.040 < frac_beyond_2std < 0.051  # 4.55 % for a normal distribution
        assert np.abs(W).max() > 4 * std
    if b_bound:
        assert np.abs(b).max() <= b_bound and b.std() > 0 and len(np.unique(b)) == n_out
    else:
        assert not b.any()


def test_uniform_is_pytorchs_default_bound_for_weights_and_bias():
    """nn.Linear's default: weights and bias from U(-1/sqrt(n_inputs), 1/sqrt(n_inputs))."""
    for n_in in (1, 3, 50):
        bound = 1 / math.sqrt(n_in)
        W, b = cn.initial_weights(n_in, 20_000, "uniform", seed=n_in)
        for a in (W, b):
            assert np.abs(a).max() <= bound
            assert np.abs(a).max() > 0.999 * bound
            assert abs(a.std() / (bound / math.sqrt(3)) - 1) < 0.05
            assert abs(a.mean()) < 4 * bound / math.sqrt(a.size)
        assert not np.array_equal(W[:, 0], b)  # drawn separately


@pytest.mark.parametrize("init", INITIALIZERS)
def test_initializer_seeds_and_dtypes(init):
    W1, b1 = cn.initial_weights(13, 7, init, seed=5)
    W2, b2 = cn.initial_weights(13, 7, init, seed=5)
    assert_bitwise(W1, W2)
    assert_bitwise(b1, b2)
    Wg, bg = cn.initial_weights(13, 7, init, seed=np.random.default_rng(5))
    assert_bitwise(Wg, W1)
    assert_bitwise(bg, b1)
    W32, b32 = cn.initial_weights(13, 7, init, seed=5, dtype=np.float32)
    assert W32.dtype == np.float32 and b32.dtype == np.float32
    assert_bitwise(W32, W1.astype(np.float32))  # drawn in float64, rounded
    assert_bitwise(b32, b1.astype(np.float32))
    assert cn.initial_weights(13, 7, init, seed=5, dtype="float32")[0].dtype == np.float32
    if init != "zeros":
        W3, _ = cn.initial_weights(13, 7, init, seed=6)
        assert not np.array_equal(W1, W3)
        Wa, _ = cn.initial_weights(13, 7, init)  # fresh entropy
        Wb, _ = cn.initial_weights(13, 7, init)
        assert not np.array_equal(Wa, Wb)
        kind, scale, _ = _init_spec(init, 13, 7)
        if kind == "uniform":
            assert np.abs(W32).max() <= np.float32(scale)


def test_uniform_float32_is_within_the_float32_bound():
    bound = np.float32(1 / math.sqrt(7))
    W, b = cn.initial_weights(7, 50_000, "uniform", seed=3, dtype=np.float32)
    assert np.abs(W).max() <= bound and np.abs(b).max() <= bound


@pytest.mark.parametrize("dtype", DTYPES)
def test_create(dtype):
    layer = cn.Dense.create(6, 4, "relu", init="he_normal", seed=9, dtype=dtype)
    W, b = cn.initial_weights(6, 4, "he_normal", seed=9, dtype=dtype)
    assert layer.dtype == dtype and layer.activation == "relu"
    assert_bitwise(layer.weights, W)
    assert_bitwise(layer.bias, b)
    default = cn.Dense.create(6, 4, seed=9, dtype=dtype)  # init="uniform", identity
    W, b = cn.initial_weights(6, 4, "uniform", seed=9, dtype=dtype)
    assert default.activation == "identity"
    assert_bitwise(default.weights, W)
    assert_bitwise(default.bias, b)
    assert b.any()
    act = cn.Dense.create(3, 2, get("leaky_relu", alpha=0.3), seed=1)
    assert act.activation_params == {"alpha": 0.3}
    assert cn.Dense.create(3, 2, "softmax", seed=1).forward(np.ones(3)).sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((3, 2, "xavier"), {}, ValueError, "unknown init 'xavier'; known: zeros, uniform"),
        ((3, 2, "Uniform"), {}, ValueError, "unknown init"),
        ((0, 2), {}, ValueError, "n_inputs must be at least 1, got 0"),
        ((3, 0), {}, ValueError, "n_outputs must be at least 1, got 0"),
        ((-1, 2), {}, ValueError, "n_inputs must be at least 1, got -1"),
        ((True, 2), {}, TypeError, "n_inputs must be a positive int, got bool"),
        ((3, False), {}, TypeError, "n_outputs must be a positive int, got bool"),
        ((3.0, 2), {}, TypeError, "n_inputs must be a positive int, got float"),
        (("3", 2), {}, TypeError, "got str"),
        ((3, 2), {"dtype": int}, TypeError, "dtype must be float64 or float32, got int64"),
        ((3, 2), {"dtype": np.float16}, TypeError, "float64 or float32, got float16"),
        ((3, 2), {"dtype": np.complex128}, TypeError, "float64 or float32"),
    ],
)
def test_initializer_errors(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        cn.initial_weights(*args, **kwargs)
    n_in, n_out, *rest = args
    init = rest[0] if rest else "uniform"
    with pytest.raises(exc, match=match):
        cn.Dense.create(n_in, n_out, init=init, **kwargs)


def test_initializer_accepts_numpy_ints():
    W, b = cn.initial_weights(np.int64(3), np.uint8(2), "he_uniform", seed=0)
    assert W.shape == (2, 3) and b.shape == (2,)


# ---- 10. large values ------------------------------------------------------------------


@pytest.mark.parametrize(("dtype", "big"), [(np.float64, 1e300), (np.float32, 1e38)])
def test_large_values_match_the_neuron(dtype, big):
    rng = np.random.default_rng(18)
    tiny = float(np.finfo(dtype).smallest_normal)
    saw = {"inf": 0, "-inf": 0, "finite": 0, "nan": 0}
    for k, m in ((1, 3), (2, 9), (3, 17), (17, 5), (40, 2)):
        W = (rng.choice([-1.0, 1.0], (m, k)) * big * rng.uniform(0.25, 1.5, (m, k))).astype(dtype)
        b = (rng.choice([-1.0, 0.0, 1.0], m) * big).astype(dtype)
        X = rng.choice([-1.0, 1.0, 0.5, -2.0, 0.0, tiny, 1 / big, big, -big], (40, k)).astype(dtype)
        with np.errstate(all="raise"):
            for act in ALL_ELEMENTWISE + ROWWISE:
                layer = cn.Dense(W, b, act)
                Y = layer.forward(X)
                if act in ROWWISE:
                    assert isinstance(act, str)
                    z = cn.Dense(W, b).forward(X)
                    expect = getattr(cn.activations, act)(z)
                    assert_bitwise_nan_any_sign(Y, expect, f"{act} k={k}")
                    continue
                assert_bitwise(Y, neuron_outputs(W, b, act, X), f"{act!r} k={k}")
                for i in (0, 17):
                    assert_bitwise(layer.forward(X[i]), Y[i], "1-D x")
                if act == "identity":
                    saw["inf"] += int(np.sum(Y == np.inf))
                    saw["-inf"] += int(np.sum(Y == -np.inf))
                    saw["nan"] += int(np.sum(np.isnan(Y)))
                    saw["finite"] += int(np.sum(np.isfinite(Y) & (np.abs(Y) > big / 100)))
        with np.errstate(all="ignore"):  # the numpy emulation overflows, and says so
            expect = np.stack([defined_order_z(X, W[j], b[j]) for j in range(m)], axis=1)
        assert_bitwise_nan_any_sign(cn.Dense(W, b).forward(X), expect, f"defined order k={k}")
    assert all(v > 0 for v in saw.values()), saw  # every outcome occurred


@pytest.mark.parametrize(("dtype", "big"), [(np.float64, 1e300), (np.float32, 1e38)])
def test_large_values_exact_cases(dtype, big):
    B = dtype(big)
    W = np.array([[big, big], [big, -big], [1.0, 1.0]], dtype=dtype)
    b = np.array([0.0, -big, big], dtype=dtype)
    X = np.array([[1.0, 1.0], [big, big], [-big, -big], [1e10, 0.0]], dtype=dtype)
    with np.errstate(all="raise"):
        Y = cn.Dense(W, b).forward(X)
        S = cn.Dense(W, b, "sigmoid").forward(X)
    inf, nan = np.inf, np.nan
    expect = np.array(
        [
            [B + B, -B, B],  # 2 big exactly; big - big - big; 2 + big rounds to big
            [inf, nan, (B + B) + B],  # overflow; inf - inf; 3 big is finite
            [-inf, nan, -B],
            [inf, inf, B],  # 1e10 * big overflows in both dtypes
        ],
        dtype=dtype,
    )
    assert_bitwise_nan_any_sign(Y, expect)
    assert_bitwise(Y, neuron_outputs(W, b, "identity", X))
    assert S[1, 0] == 1.0 and S[2, 0] == 0.0 and np.isnan(S[1, 1]) and S[3, 1] == 1.0
    assert_bitwise(S, neuron_outputs(W, b, "sigmoid", X))


def test_float64_input_beyond_float32_range_becomes_inf_silently():
    layer = cn.Dense(np.array([[1.0, 1.0], [2.0, -1.0]], dtype=np.float32))
    X = np.array([[1e300, 1.0], [1.0, -1e300], [3e38, -4e38]])  # 4e38 > float32 max
    with np.errstate(all="raise"):
        Y = layer.forward(X)
    assert Y.dtype == np.float32
    # the last row: 3e38 + -inf; 2 * 3e38 overflows to inf, + inf
    assert Y.tolist() == [[np.inf, np.inf], [-np.inf, np.inf], [-np.inf, np.inf]]
    assert_bitwise(Y, neuron_outputs(layer.weights, layer.bias, "identity", X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_misaligned_input_and_out_are_copied_not_read_through(dtype):
    """Views at an odd byte offset (not aligned to their item size) give
    bitwise the result of aligned copies, for layers and neurons."""
    item = np.dtype(dtype).itemsize
    raw = np.zeros(item * 100 + 1, np.uint8)
    X = raw[1:].view(dtype).reshape(25, 4)
    X[...] = np.arange(100).reshape(25, 4) / 50
    assert not X.flags.aligned
    layer = cn.Dense((np.ones((3, 4)) * 0.1).astype(dtype), None, "sigmoid")
    neuron = cn.Neuron((np.ones(4) * 0.1).astype(dtype))
    aligned = np.ascontiguousarray(X)
    ref, nref = layer(aligned), neuron(aligned)
    assert_bitwise(layer(X), ref)
    assert_bitwise(neuron(X), nref)
    out = np.zeros(item * 75 + 1, np.uint8)[1:].view(dtype).reshape(25, 3)
    assert not out.flags.aligned
    assert layer(X, out=out) is out
    assert_bitwise(out, ref)
    nout = np.zeros(item * 25 + 1, np.uint8)[1:].view(dtype)
    assert neuron(X, out=nout) is nout
    assert_bitwise(nout, nref)
