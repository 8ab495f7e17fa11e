"""Learning: the training kernels, Neuron.fit and the training loop."""

import pickle
from typing import Any

import numpy as np
import pytest
from helpers import defined_order_z

import cneuron as cn
from cneuron import _learning
from cneuron import _train as K

# ---- a model of the kernels in numpy, operation for operation ----------------


def model_epoch(
    X, y, sw, order, w, b, *, loss, eta, alpha=0.0, l1_ratio=0.0, batch=1, fit_intercept=True
):
    """One epoch of SGD with a constant rate, in X's dtype, with the kernel's
    operations in the kernel's order (squared and perceptron losses: no
    transcendental function, so the result must agree bit for bit)."""
    T = X.dtype.type
    w = np.array(w, dtype=T)
    b = T(b)
    eta, alpha, l1_ratio = T(eta), T(alpha), T(l1_ratio)
    z_by_row = np.empty(len(y), dtype=T)
    shrink = min(eta * alpha * (T(1) - l1_ratio), T(1))
    thr = eta * alpha * l1_ratio
    for s in range(0, len(order), batch):
        rows = order[s : s + batch]
        g = None
        gb = T(0)
        for r in rows:
            z = defined_order_z(X[r : r + 1], w, b)[0]
            if loss == "squared":
                d = z - y[r]
            else:
                sgn = T(1) if y[r] > 0.5 else T(-1)
                d = -sgn if sgn * z <= 0 else T(0)
            if sw is not None:
                d = d * sw[r]
            z_by_row[r] = z
            if g is None:
                g, gb = d * X[r], d
            else:
                g, gb = g + d * X[r], gb + d
        m = T(len(rows))
        one = batch == 1  # one-sample steps: w - (eta d) x; batches: w - (eta / m) g
        c = eta * d if one else eta / m
        step = X[rows[0]] if one else g
        if shrink == 0:
            w = w - c * step
        else:
            w = w - (shrink * w + c * step)
        if thr > 0:
            a = np.abs(w) - thr
            w = np.where(a > 0, np.copysign(a, w), T(0)).astype(T)
        if fit_intercept:
            b = b - (eta * d if one else (eta / m) * gb)
    return w, b, z_by_row


def run_epoch(
    X,
    y,
    sw,
    order,
    w,
    b,
    *,
    loss,
    eta,
    alpha=0.0,
    l1_ratio=0.0,
    batch=1,
    fit_intercept=True,
    schedule=K.ETA_CONSTANT,
    power_t=0.5,
    t0=0.0,
    t=1.0,
):
    T = X.dtype
    w = np.array(w, dtype=T)
    bb = np.array([b], dtype=T)
    g = np.empty(X.shape[1] + 1, dtype=T)
    z = np.empty(len(y), dtype=T)
    code = _learning.LOSSES[loss]
    t_after = K.sgd_epoch(
        X,
        y,
        sw,
        np.asarray(order, dtype=np.int64),
        batch,
        w,
        bb,
        fit_intercept,
        code,
        alpha,
        l1_ratio,
        schedule,
        eta,
        power_t,
        t0,
        t,
        g,
        z,
    )
    return w, bb[0], z, t_after


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", ["squared", "perceptron"])
@pytest.mark.parametrize("K_", [1, 3, 8, 16, 19, 32, 40])
@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("penalty", [(0.0, 0.0), (0.05, 0.0), (0.05, 1.0), (0.05, 0.3)])
def test_sgd_epoch_matches_the_model_bit_for_bit(dtype, loss, K_, batch, penalty):
    rng = np.random.default_rng(K_ * 7 + batch)
    n = 37
    X = rng.normal(size=(n, K_)).astype(dtype)
    if loss == "squared":
        y = (X @ rng.normal(size=K_) + 0.3).astype(dtype)
    else:
        y = (rng.random(n) < 0.5).astype(dtype)
    sw = rng.uniform(0.5, 2.0, n).astype(dtype)
    order = rng.permutation(n)
    w0 = rng.normal(size=K_) * 0.1
    alpha, l1 = penalty
    got = run_epoch(
        X, y, sw, order, w0, 0.25, loss=loss, eta=0.05, alpha=alpha, l1_ratio=l1, batch=batch
    )
    want = model_epoch(
        X, y, sw, order, w0, 0.25, loss=loss, eta=0.05, alpha=alpha, l1_ratio=l1, batch=batch
    )
    assert got[0].dtype == dtype
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1]
    np.testing.assert_array_equal(got[2], want[2])
    assert got[3] == 1.0 + -(-n // batch)  # one update per batch


def test_sgd_epoch_log_loss_matches_the_model_closely():
    rng = np.random.default_rng(3)
    n, d = 50, 6
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 0.5).astype(float)
    order = rng.permutation(n)
    w, b, z, _ = run_epoch(X, y, None, order, np.zeros(d), 0.0, loss="log", eta=0.1)
    # the model with the reference sigmoid
    wm, bm = np.zeros(d), 0.0
    for r in order:
        zr = defined_order_z(X[r : r + 1], wm, bm)[0]
        assert z[r] == pytest.approx(zr, rel=1e-12, abs=1e-15)
        dd = cn.reference.sigmoid(zr) - y[r]
        wm = wm - (0.1 * dd) * X[r]
        bm = bm - 0.1 * dd
    np.testing.assert_allclose(w, wm, rtol=1e-12, atol=1e-15)
    assert b == pytest.approx(bm, rel=1e-12)


def test_the_z_a_step_sees_is_the_neurons_forward():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(64, 13))
    y = (rng.random(64) < 0.5).astype(float)
    w0 = rng.normal(size=13)
    # eta = 0: nothing moves, so every z is the forward pass of the start
    _, _, z, _ = run_epoch(X, y, None, np.arange(64), w0, 0.5, loss="log", eta=0.0)
    np.testing.assert_array_equal(z, cn.Neuron(w0, 0.5).preactivation(X))


@pytest.mark.parametrize(
    "schedule, expect",
    [
        (K.ETA_INVSCALING, lambda t: 0.2 / t**0.5),
        (K.ETA_OPTIMAL, lambda t: 1.0 / (0.01 * (50.0 + t - 1.0))),
        (K.ETA_CONSTANT, lambda t: 0.2),
    ],
)
def test_schedules_give_each_update_its_rate(schedule, expect):
    # squared loss, one feature x = 1, y = 0, no intercept: w <- w - eta_t w,
    # so the rate of each update can be read off the weight
    n = 5
    X = np.ones((n, 1))
    y = np.zeros(n)
    w = np.array([1.0])
    t = 3.0
    for _ in range(n):
        before = w[0]
        w, _, _, t = run_epoch(
            X[:1],
            y[:1],
            None,
            [0],
            w,
            0.0,
            loss="squared",
            eta=0.2,
            fit_intercept=False,
            schedule=schedule,
            t0=50.0,
            t=t,
            alpha=0.01 if schedule == K.ETA_OPTIMAL else 0.0,
        )
        # with the optimal schedule alpha also shrinks w (L2): account for it
        eta = expect(t - 1.0)
        if schedule == K.ETA_OPTIMAL:
            want = before - (eta * 0.01 * before + eta * before)
        else:
            want = before - eta * before
        assert w[0] == pytest.approx(want, rel=1e-15)


def test_loss_terms():
    z = np.array([-800.0, -2.0, 0.0, 3.0, 800.0])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    out = np.empty(5)
    K.loss_terms(z, y, None, K.LOSS_LOG, out)
    want = [np.logaddexp(0, -zi) if yi else np.logaddexp(0, zi) for zi, yi in zip(z, y)]
    np.testing.assert_allclose(out, want, rtol=4e-16)
    K.loss_terms(z, y, np.full(5, 2.0), K.LOSS_SQUARED, out)
    np.testing.assert_array_equal(out, (z - y) ** 2)
    K.loss_terms(z, y, None, K.LOSS_PERCEPTRON, out)
    s = 2 * y - 1
    np.testing.assert_array_equal(out, np.maximum(0, -s * z))


# ---- full-batch gradient ------------------------------------------------------


def _mean_objective(X, y, w, b, loss, alpha, l1_ratio, sw=None):
    z = X @ w + b
    if loss == "log":
        terms = np.logaddexp(0, z) - y * z
    elif loss == "squared":
        terms = 0.5 * (z - y) ** 2
    sw = np.ones(len(y)) if sw is None else sw
    return np.sum(sw * terms) / np.sum(sw) + alpha * (1 - l1_ratio) * 0.5 * (w @ w)


@pytest.mark.parametrize("loss", ["log", "squared"])
def test_gd_step_follows_the_gradient(loss):
    rng = np.random.default_rng(5)
    n, d = 300, 5
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 0.4).astype(float) if loss == "log" else rng.normal(size=n)
    sw = rng.uniform(0.5, 1.5, n)
    w0, b0 = rng.normal(size=d) * 0.3, 0.2
    alpha = 0.05
    eta = 1e-3
    w, b, _, _ = _learning.fit_linear(
        w0,
        b0,
        X,
        y,
        sw,
        loss=loss,
        solver="gd",
        learning_rate="constant",
        eta0=eta,
        alpha=alpha,
        penalty="l2",
        max_iter=1,
        tol=None,
    )
    grad = -(np.append(w, b) - np.append(w0, b0)) / eta
    h = 1e-6
    fd = []
    for j in range(d + 1):
        e = np.zeros(d + 1)
        e[j] = h
        p = np.append(w0, b0) + e
        m = np.append(w0, b0) - e
        fd.append(
            (
                _mean_objective(X, y, p[:d], p[d], loss, alpha, 0.0, sw)
                - _mean_objective(X, y, m[:d], m[d], loss, alpha, 0.0, sw)
            )
            / (2 * h)
        )
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_gd_is_the_same_on_any_thread_count_and_block_split():
    rng = np.random.default_rng(6)
    n = 3 * K.BLOCK_ROWS + 17  # several blocks and a short one
    X = rng.normal(size=(n, 9))
    y = (X @ rng.normal(size=9) > 0).astype(float)
    res = []
    for threads in (1, 2, 4):
        nr = cn.Neuron(np.zeros(9))
        nr.fit(
            X,
            y,
            solver="gd",
            learning_rate="constant",
            eta0=0.5,
            max_iter=20,
            tol=None,
            num_threads=threads,
        )
        res.append((nr.weights.copy(), nr.bias))
    for w, b in res[1:]:
        np.testing.assert_array_equal(w, res[0][0])
        assert b == res[0][1]


# ---- Neuron.fit -----------------------------------------------------------------


def _blobs(n=400, d=4, seed=0, sep=2.0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(float)
    X = rng.normal(size=(n, d)) + sep * (2 * y[:, None] - 1) * np.linspace(1, 0.2, d)
    return X, y


def test_fit_returns_self_and_records_history():
    X, y = _blobs()
    n = cn.Neuron(np.zeros(4))
    assert n.history is None
    assert n.fit(X, y, random_state=0) is n
    h = n.history
    assert isinstance(h, cn.TrainHistory)
    assert h.n_iter == len(h.loss) >= 1 and h.converged
    assert h.validation_loss == ()
    assert h.loss[-1] < h.loss[0]
    assert ((n(X) >= 0.5) == (y == 1)).mean() > 0.95
    assert not n.weights.flags.writeable


def test_same_seed_same_weights_bitwise_and_other_seed_differs():
    X, y = _blobs()
    a = cn.Neuron(np.zeros(4)).fit(X, y, random_state=7, num_threads=1)
    b = cn.Neuron(np.zeros(4)).fit(X, y, random_state=7, num_threads=2)
    c = cn.Neuron(np.zeros(4)).fit(X, y, random_state=8)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.bias == b.bias and a.history == b.history
    assert not np.array_equal(a.weights, c.weights)
    g = np.random.default_rng(7)
    d = cn.Neuron(np.zeros(4)).fit(X, y, random_state=g)
    np.testing.assert_array_equal(a.weights, d.weights)


def test_fit_starts_from_the_current_weights():
    X, y = _blobs()
    a = cn.Neuron(np.zeros(4)).fit(X, y, random_state=0, max_iter=3, tol=None)
    b = cn.Neuron(np.full(4, 5.0), bias=-3.0).fit(X, y, random_state=0, max_iter=3, tol=None)
    assert not np.array_equal(a.weights, b.weights)


def test_every_input_form_trains_the_same():
    X, y = _blobs(n=120)
    ref = cn.Neuron(np.zeros(4)).fit(X, y, random_state=1).weights
    for Xf, yf in [
        (X.tolist(), y.tolist()),
        (np.asfortranarray(X), y.astype(bool)),
        (X.astype(">f8"), y.astype(np.int8)),
        (np.repeat(X, 2, axis=0)[::2], y[:, None]),
    ]:
        got = cn.Neuron(np.zeros(4)).fit(Xf, yf, random_state=1).weights
        np.testing.assert_array_equal(got, ref)


def test_inputs_are_never_modified():
    X, y = _blobs(n=100)
    sw = np.linspace(0.5, 1.5, 100)
    copies = X.copy(), y.copy(), sw.copy()
    X.setflags(write=False)
    cn.Neuron(np.zeros(4)).fit(X, y, sample_weight=sw, random_state=0, early_stopping=True)
    cn.Neuron(np.zeros(4)).fit(X, y, sample_weight=sw, solver="gd", max_iter=5)
    for a, b in zip((X, y, sw), copies):
        np.testing.assert_array_equal(a, b)


def test_float32_neuron_trains_in_float32():
    X, y = _blobs()
    n = cn.Neuron(np.zeros(4, dtype=np.float32))
    n.fit(X, y, random_state=0)
    assert n.dtype == np.float32 and n.weights.dtype == np.float32
    assert ((n(X) >= 0.5) == (y == 1)).mean() > 0.95
    n64 = cn.Neuron(np.zeros(4)).fit(X, y, random_state=0)
    np.testing.assert_allclose(n.weights, n64.weights, rtol=1e-2, atol=1e-2)


def test_perceptron_separates_a_separable_set():
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(500, 3))
    w_true = np.array([1.0, -2.0, 0.5])
    z = X @ w_true + 0.1
    keep = np.abs(z) > 0.05  # a margin
    X, y = X[keep], (z[keep] > 0).astype(float)
    n = cn.Neuron(np.zeros(3), activation="step")
    n.fit(
        X,
        y,
        penalty=None,
        learning_rate="constant",
        eta0=1.0,
        max_iter=1000,
        tol=None,
        random_state=0,
    )
    assert np.array_equal(n(X), y)


def test_regression_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6))
    w_true = rng.normal(size=6) * 3
    y = X @ w_true + 1.5
    kws: tuple[dict[str, Any], ...] = (
        dict(solver="gd", learning_rate="constant", eta0=0.5, tol=1e-14, max_iter=5000),
        dict(solver="sgd", learning_rate="constant", eta0=0.01, tol=1e-14, max_iter=500),
    )
    for kw in kws:
        n = cn.Neuron(np.zeros(6), activation="identity").fit(
            X, y, penalty=None, random_state=0, **kw
        )
        np.testing.assert_allclose(n.weights, w_true, rtol=1e-6)
        assert n.bias == pytest.approx(1.5, rel=1e-6)


def test_l1_sets_irrelevant_weights_to_exactly_zero():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 8))
    y = X[:, 0] * 2 - X[:, 1] + 0.01 * rng.normal(size=600)
    n = cn.Neuron(np.zeros(8), activation="identity")
    n.fit(
        X,
        y,
        penalty="l1",
        alpha=0.05,
        learning_rate="constant",
        eta0=0.01,
        tol=None,
        max_iter=30,
        random_state=0,
    )
    assert np.count_nonzero(n.weights[2:] == 0.0) >= 4
    assert abs(n.weights[0]) > 1.5
    e = cn.Neuron(np.zeros(8), activation="identity")
    e.fit(
        X,
        y,
        penalty="elasticnet",
        l1_ratio=0.5,
        alpha=0.05,
        learning_rate="constant",
        eta0=0.01,
        tol=None,
        max_iter=30,
        random_state=0,
    )
    l2 = cn.Neuron(np.zeros(8), activation="identity")
    l2.fit(
        X,
        y,
        penalty="l2",
        alpha=0.05,
        learning_rate="constant",
        eta0=0.01,
        tol=None,
        max_iter=30,
        random_state=0,
    )
    assert np.count_nonzero(l2.weights == 0.0) == 0
    assert np.abs(e.weights[2:]).sum() < np.abs(l2.weights[2:]).sum()


def test_mini_batches_and_no_shuffle():
    X, y = _blobs()
    a = cn.Neuron(np.zeros(4)).fit(
        X, y, batch_size=32, learning_rate="constant", eta0=0.5, random_state=0
    )
    assert ((a(X) >= 0.5) == (y == 1)).mean() > 0.95
    b1 = cn.Neuron(np.zeros(4)).fit(X, y, shuffle=False, random_state=0, max_iter=3, tol=None)
    b2 = cn.Neuron(np.zeros(4)).fit(X, y, shuffle=False, random_state=1, max_iter=3, tol=None)
    np.testing.assert_array_equal(b1.weights, b2.weights)  # no randomness left
    big = cn.Neuron(np.zeros(4)).fit(
        X,
        y,
        batch_size=10_000,
        learning_rate="constant",
        eta0=0.5,
        max_iter=3,
        tol=None,
        shuffle=False,
    )
    gd = cn.Neuron(np.zeros(4)).fit(
        X, y, solver="gd", learning_rate="constant", eta0=0.5, max_iter=3, tol=None, penalty=None
    )
    np.testing.assert_allclose(big.weights, gd.weights, rtol=1e-3)


def test_adaptive_rate_and_stopping():
    X, y = _blobs(sep=0.7)
    n = cn.Neuron(np.zeros(4))
    n.fit(X, y, learning_rate="adaptive", eta0=0.5, random_state=0, max_iter=2000)
    assert n.history.converged
    rng = np.random.default_rng(0)
    w, _b, h, state = _learning.fit_linear(
        np.zeros(4),
        0.0,
        X,
        y,
        None,
        loss="log",
        learning_rate="adaptive",
        eta0=0.5,
        rng=rng,
        max_iter=2000,
    )
    assert state.eta is not None
    assert state.eta < 0.5 and h.converged
    np.testing.assert_array_equal(w, n.weights)
    # tol=None runs every epoch
    m = cn.Neuron(np.zeros(4)).fit(X, y, tol=None, max_iter=7, random_state=0)
    assert m.history.n_iter == 7 and not m.history.converged


def test_early_stopping_watches_held_out_rows():
    X, y = _blobs(n=500, sep=0.8)
    n = cn.Neuron(np.zeros(4)).fit(
        X, y, early_stopping=True, validation_fraction=0.2, random_state=0
    )
    h = n.history
    assert len(h.validation_loss) == h.n_iter == len(h.loss)
    m = cn.Neuron(np.zeros(4)).fit(
        X, y, early_stopping=True, validation_fraction=0.2, random_state=0
    )
    np.testing.assert_array_equal(n.weights, m.weights)
    with pytest.raises(ValueError, match="validation"):
        cn.Neuron(np.zeros(4)).fit(X[:1], y[:1], early_stopping=True)


def test_sample_weights_of_two_are_repeated_rows_for_gd():
    X, y = _blobs(n=60)
    sw = np.where(np.arange(60) % 3 == 0, 2.0, 1.0)
    rep = np.repeat(np.arange(60), sw.astype(int))
    kw: dict[str, Any] = dict(
        solver="gd", learning_rate="constant", eta0=0.5, max_iter=50, tol=None
    )
    a = cn.Neuron(np.zeros(4)).fit(X, y, sample_weight=sw, **kw)
    b = cn.Neuron(np.zeros(4)).fit(X[rep], y[rep], **kw)
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-12)
    # zero weights drop a sample
    sw0 = np.ones(60)
    sw0[:10] = 0
    c = cn.Neuron(np.zeros(4)).fit(X, y, sample_weight=sw0, **kw)
    d = cn.Neuron(np.zeros(4)).fit(X[10:], y[10:], **kw)
    np.testing.assert_allclose(c.weights, d.weights, rtol=1e-12)
    # a scalar weight is every sample's
    e = cn.Neuron(np.zeros(4)).fit(X, y, sample_weight=3.0, **kw)
    f = cn.Neuron(np.zeros(4)).fit(X, y, **kw)
    np.testing.assert_allclose(e.weights, f.weights, rtol=1e-12)


def test_fit_without_intercept_keeps_the_bias():
    X, y = _blobs()
    n = cn.Neuron(np.zeros(4), bias=0.25).fit(X, y, fit_intercept=False, random_state=0)
    assert n.bias == 0.25


def test_history_is_not_pickled_and_the_model_is():
    X, y = _blobs()
    n = cn.Neuron(np.zeros(4)).fit(X, y, random_state=0)
    m = pickle.loads(pickle.dumps(n))
    np.testing.assert_array_equal(m.weights, n.weights)
    assert m.history is None


# ---- errors: clear, and the neuron unchanged ---------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(solver="lbfgs"), ValueError, "solver"),
        (dict(learning_rate="fast"), ValueError, "learning_rate"),
        (dict(penalty="l3"), ValueError, "penalty"),
        (dict(alpha=-1.0), ValueError, "alpha"),
        (dict(alpha="x"), TypeError, "alpha"),
        (dict(l1_ratio=1.5), ValueError, "l1_ratio"),
        (dict(eta0=-0.1), ValueError, "eta0"),
        (dict(learning_rate="constant", eta0=0.0), ValueError, "eta0"),
        (dict(penalty=None), None, None),
        (dict(penalty=None, learning_rate="optimal"), ValueError, "alpha > 0"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(batch_size=2.5), TypeError, "batch_size"),
        (dict(max_iter=0), ValueError, "max_iter"),
        (dict(n_iter_no_change=0), ValueError, "n_iter_no_change"),
        (dict(tol=float("nan")), ValueError, "tol"),
        (dict(validation_fraction=1.0, early_stopping=True), ValueError, "validation_fraction"),
        (dict(random_state="seed"), TypeError, "random_state"),
        (dict(num_threads=0), ValueError, "num_threads"),
    ],
)
def test_bad_parameters(kwargs, exc, match):
    X, y = _blobs(n=50)
    n = cn.Neuron(np.ones(4))
    if exc is None:
        n.fit(X, y, random_state=0, **kwargs)
        return
    with pytest.raises(exc, match=match):
        n.fit(X, y, **kwargs)
    np.testing.assert_array_equal(n.weights, np.ones(4))
    assert n.history is None


@pytest.mark.parametrize(
    "X, y, sw, match",
    [
        (np.ones((5, 3)), np.zeros(5), None, "expected 4 features, got 3"),
        (np.ones(4), np.zeros(1), None, "2-D"),
        (np.ones((5, 4)), np.zeros(4), None, "one target per sample"),
        (np.full((5, 4), np.nan), np.zeros(5), None, "finite"),
        (np.ones((5, 4)), np.array([0, 1, np.inf, 0, 1]), None, "finite"),
        (np.ones((5, 4)), np.array([0, 1, 2, 0, 1]), None, r"\{0, 1\}"),
        (np.ones((5, 4)), np.zeros(5), -np.ones(5), "non-negative"),
        (np.ones((5, 4)), np.zeros(5), np.ones(4), "one weight per sample"),
        (np.ones((0, 4)), np.zeros(0), None, "at least one sample"),
        (np.ones((5, 4)), np.zeros(5), np.zeros(5), None),
    ],
)
def test_bad_data(X, y, sw, match):
    n = cn.Neuron(np.ones(4))
    if match is None:  # all-zero sample weights: nothing to learn from (gd)
        for solver in ("gd", "sgd"):
            with pytest.raises(ValueError, match="sum to 0"):
                n.fit(X, y, sample_weight=sw, solver=solver)
        return
    with pytest.raises((ValueError, TypeError), match=match):
        n.fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(n.weights, np.ones(4))


@pytest.mark.parametrize("act", ["relu", "tanh", "softplus"])
def test_activations_without_a_loss_are_refused(act):
    n = cn.Neuron(np.ones(2), activation=act)
    with pytest.raises(ValueError, match="trainable activations: identity, sigmoid, step"):
        n.fit(np.ones((3, 2)), np.zeros(3))


def test_divergence_is_an_error_and_leaves_the_neuron_unchanged():
    X = np.random.default_rng(0).normal(100.0, 1.0, size=(50, 2))
    y = X @ [3.0, 1.0]
    n = cn.Neuron([0.5, 0.5], activation="identity")
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        n.fit(X, y, learning_rate="constant", eta0=1.0)
    np.testing.assert_array_equal(n.weights, [0.5, 0.5])
    assert n.history is None


# ---- edge cases: float32 steps, weight scaling, caller state, None arrays ------------


def test_float32_shrinks_small_weights():
    # the L2 share of the step is added to the gradient's before w changes:
    # eta alpha = 2e-8 is below float32's resolution next to 1 but not next to
    # a weight of 1e-3
    X = np.zeros((1, 1), dtype=np.float32)
    y = np.zeros(1, dtype=np.float32)
    w0 = np.full(1, 1e-3, dtype=np.float32)
    w, _, _, _ = run_epoch(
        X, y, None, [0], w0, 0.0, loss="squared", eta=0.01, alpha=2e-6, fit_intercept=False
    )
    assert w[0] == np.float32(1e-3) - np.float32(2e-8) * np.float32(1e-3)


def test_scaling_every_sample_weight_changes_nothing():
    X, y = _blobs(n=200)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, 200)
    for solver in ("sgd", "gd"):
        kw: dict[str, Any] = dict(solver=solver, random_state=0, max_iter=5, tol=None)
        a = cn.Neuron(np.zeros(4)).fit(X, y, sample_weight=sw, **kw)
        b = cn.Neuron(np.zeros(4)).fit(X, y, sample_weight=10 * sw, **kw)
        np.testing.assert_allclose(a.weights, b.weights, rtol=1e-9)


def test_fit_linear_leaves_the_callers_state_alone():
    X, y = _blobs(n=100)
    _, _, _, st = _learning.fit_linear(
        np.zeros(4), 0.0, X, y, None, loss="log", max_iter=2, tol=None, rng=np.random.default_rng(0)
    )
    t = st.t
    _learning.fit_linear(
        np.zeros(4),
        0.0,
        X,
        y,
        None,
        loss="log",
        max_iter=2,
        tol=None,
        rng=np.random.default_rng(0),
        state=st,
    )
    assert st.t == t


def test_kernels_refuse_none_arrays():
    X = np.ones((3, 2))
    y = np.zeros(3)
    with pytest.raises(TypeError):
        K.gd_step(
            X,
            y,
            None,
            np.zeros(2),
            np.zeros(1),
            True,
            K.LOSS_LOG,
            0.0,
            0.0,
            0.1,
            3.0,
            None,  # type: ignore[arg-type]
            np.zeros(3),
            np.zeros(3),
            1,
        )
    with pytest.raises(TypeError):
        K.loss_terms(None, y, None, K.LOSS_LOG, np.zeros(3))  # type: ignore[arg-type]
