"""cneuron.interop: models from and to PyTorch, models from scikit-learn.

Weights must come across bitwise; outputs must match the source library's own
predictions within the tolerances stated in cneuron/interop.py (the libraries
sum dot products in different orders, so outputs are not bitwise equal).
torch and scikit-learn are test dependencies (the ``test`` extra): these tests
run, never skip.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any, cast

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.svm import SVC
from torch import nn

import cneuron as cn
from cneuron.interop import from_sklearn, from_torch, to_torch

DTYPES = [np.float64, np.float32]
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}
# the tolerances cneuron/interop.py states (measured worst cases are far below)
TOL: dict[Any, dict[str, Any]] = {
    np.float64: {"rtol": 1e-13, "atol": 1e-14},
    np.float32: {"rtol": 1e-5, "atol": 1e-6},
}
N_ROWS = 300

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"  # short fits: any weights will do
)


def assert_close(got, ref, dtype):
    assert got.dtype == dtype
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, **TOL[dtype])


def bits_equal(a, b):
    """Same dtype, shape and bytes (so -0.0 != 0.0 and NaN payloads count)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_same_model(a, b):
    """Same kind, layers, bitwise weights and biases, activations and parameters."""
    assert type(a) is type(b)
    la = list(a) if isinstance(a, cn.Sequential) else [a]
    lb = list(b) if isinstance(b, cn.Sequential) else [b]
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        assert bits_equal(x.weights, y.weights)
        assert bits_equal(x.bias, y.bias)
        assert x.activation == y.activation
        assert x.activation_params == y.activation_params


def torch_out(module, X):
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


def rows(dtype, n_features, seed=0, scale=2.0):
    return (np.random.default_rng(seed).normal(size=(N_ROWS, n_features)) * scale).astype(dtype)


# (factory, cneuron name, cneuron parameters) for every supported activation module
ACTIVATIONS = [
    (nn.Sigmoid, "sigmoid", {}),
    (nn.Tanh, "tanh", {}),
    (nn.ReLU, "relu", {}),
    (lambda: nn.LeakyReLU(0.2), "leaky_relu", {"alpha": 0.2}),
    (nn.LeakyReLU, "leaky_relu", {"alpha": 0.01}),
    (lambda: nn.ELU(alpha=0.7), "elu", {"alpha": 0.7}),
    (nn.SELU, "selu", {}),
    (lambda: nn.Softplus(beta=2.0, threshold=5.0), "softplus", {"beta": 2.0, "threshold": 5.0}),
    (nn.Softplus, "softplus", {"beta": 1.0, "threshold": 20.0}),
    (nn.SiLU, "silu", {}),
    (nn.GELU, "gelu", {"approximate": "none"}),
    (lambda: nn.GELU(approximate="tanh"), "gelu", {"approximate": "tanh"}),
    (nn.LogSigmoid, "log_sigmoid", {}),
    (lambda: nn.Softmax(dim=-1), "softmax", {"axis": -1}),
    (lambda: nn.Softmax(dim=1), "softmax", {"axis": 1}),
    (lambda: nn.LogSoftmax(dim=-1), "log_softmax", {"axis": -1}),
    (lambda: nn.LogSoftmax(dim=1), "log_softmax", {"axis": 1}),
]
ACT_IDS = [f"{name}{params}".replace(" ", "") for _, name, params in ACTIVATIONS]


# ---- from_torch -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
def test_from_torch_linear(dtype, bias):
    torch.manual_seed(1)
    lin = nn.Linear(7, 5, bias=bias, dtype=TORCH_DTYPE[dtype])
    layer = from_torch(lin)
    assert isinstance(layer, cn.Dense)
    assert layer.dtype == dtype
    assert layer.activation == "identity"
    assert bits_equal(layer.weights, lin.weight.detach().numpy())
    expected_bias = lin.bias.detach().numpy() if bias else np.zeros(5, dtype)
    assert bits_equal(layer.bias, expected_bias)
    X = rows(dtype, 7)
    assert_close(layer(X), torch_out(lin, X), dtype)


def test_from_torch_copies():
    torch.manual_seed(2)
    lin = nn.Linear(3, 2, dtype=torch.float64)
    layer = from_torch(lin)
    assert isinstance(layer, cn.Dense)
    before = layer.weights.copy()
    with torch.no_grad():
        lin.weight.mul_(2.0)
        lin.bias.zero_()
    assert bits_equal(layer.weights, before)
    assert not np.all(layer.bias == 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("factory", "name", "params"), ACTIVATIONS, ids=ACT_IDS)
def test_from_torch_activation(dtype, factory, name, params):
    torch.manual_seed(3)
    tnet = nn.Sequential(nn.Linear(10, 32), factory(), nn.Linear(32, 6), factory())
    tnet = tnet.to(TORCH_DTYPE[dtype])
    net = from_torch(tnet)
    assert isinstance(net, cn.Sequential)
    assert net.dtype == dtype
    assert [layer.activation for layer in net] == [name, name]
    for layer in net:
        assert layer.activation_params == params
    assert bits_equal(net[0].weights, cast(nn.Linear, tnet[0]).weight.detach().numpy())
    assert bits_equal(net[1].bias, cast(nn.Linear, tnet[2]).bias.detach().numpy())
    X = rows(dtype, 10)
    assert_close(net(X), torch_out(tnet, X), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_from_torch_deep_mixed(dtype):
    """Linear without activation, nested Sequentials, Identity and eval Dropout."""
    torch.manual_seed(4)
    tnet = nn.Sequential(
        nn.Linear(12, 16),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(16, 16),  # no activation: identity
        nn.Sequential(nn.Linear(16, 8), nn.Tanh(), nn.Identity()),
        nn.Sequential(nn.Sequential(nn.Linear(8, 8)), nn.GELU()),
        nn.Linear(8, 8),
        nn.SiLU(),
        nn.Linear(8, 4),
        nn.Softmax(dim=-1),
    ).to(TORCH_DTYPE[dtype])
    tnet.eval()
    net = from_torch(tnet)
    assert isinstance(net, cn.Sequential)
    assert [layer.activation for layer in net] == [
        "relu",
        "identity",
        "tanh",
        "gelu",
        "silu",
        "softmax",
    ]
    X = rows(dtype, 12, seed=1)
    got = net(X)
    assert_close(got, torch_out(tnet, X), dtype)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=0, atol=8 * np.finfo(dtype).eps)


def test_from_torch_trailing_linear_and_implicit_softmax_dim():
    torch.manual_seed(5)
    net = from_torch(nn.Sequential(nn.Linear(3, 4), nn.Softmax(), nn.Linear(4, 2)))
    assert isinstance(net, cn.Sequential)
    assert [layer.activation for layer in net] == ["softmax", "identity"]
    assert net[0].activation_params == {"axis": -1}


def test_from_torch_named_sequential_and_subclass_without_forward():
    class MyLinear(nn.Linear):  # same forward: accepted
        pass

    torch.manual_seed(6)
    from collections import OrderedDict

    tnet = nn.Sequential(OrderedDict(fc=MyLinear(3, 2), act=nn.ReLU()))
    net = from_torch(tnet)
    assert isinstance(net, cn.Sequential)
    assert [layer.activation for layer in net] == ["relu"]


@pytest.mark.parametrize("tdtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("dtype", DTYPES)
def test_from_torch_dtype_override(tdtype, dtype):
    torch.manual_seed(7)
    lin = nn.Linear(5, 3, dtype=tdtype)
    layer = from_torch(lin, dtype=dtype)
    assert isinstance(layer, cn.Dense)
    assert layer.dtype == dtype
    assert bits_equal(layer.weights, lin.weight.detach().numpy().astype(dtype))
    assert bits_equal(layer.bias, lin.bias.detach().numpy().astype(dtype))
    net = from_torch(nn.Sequential(lin, nn.ReLU()), dtype=dtype)
    assert isinstance(net, cn.Sequential)
    assert net.dtype == dtype
    assert bits_equal(net[0].weights, layer.weights)


@pytest.mark.parametrize("tdtype", [torch.float16, torch.bfloat16])
def test_from_torch_half_widens_exactly(tdtype):
    torch.manual_seed(8)
    lin = nn.Linear(4, 2, dtype=tdtype)
    layer = from_torch(lin)
    assert isinstance(layer, cn.Dense)
    assert layer.dtype == np.float32
    assert bits_equal(layer.weights, lin.weight.detach().float().numpy())


def test_from_torch_mixed_dtypes():
    torch.manual_seed(9)
    tnet = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"different dtypes.*float32 at module 0.*dtype="):
        from_torch(tnet)
    assert from_torch(tnet, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("dtype", ["float16", np.int32, "complex128", object])
def test_from_torch_bad_dtype(dtype):
    with pytest.raises(TypeError, match="dtype must be float32, float64 or None"):
        from_torch(nn.Linear(2, 1), dtype=dtype)


class ReLUWithOwnForward(nn.ReLU):
    def forward(self, x):
        return x * 2


@pytest.mark.parametrize(
    ("modules", "error", "match"),
    [
        (
            [nn.Linear(3, 3), nn.Conv1d(1, 1, 1)],
            TypeError,
            r"module 1 \('1': Conv1d.*not supported",
        ),
        ([nn.Flatten(), nn.Linear(3, 3)], TypeError, r"module 0 \('0': Flatten.*not supported"),
        ([nn.Linear(3, 3), nn.Hardtanh()], TypeError, r"module 1 .*Hardtanh.*not supported"),
        ([nn.Linear(3, 3), ReLUWithOwnForward()], TypeError, r"module 1 .*not supported"),
        ([nn.ReLU(), nn.Linear(3, 3)], ValueError, r"module 0 \('0': ReLU.*before any Linear"),
        (
            [nn.Linear(3, 3), nn.ReLU(), nn.Sigmoid()],
            ValueError,
            r"module 2 \('2': Sigmoid.*follows another activation \(module 1",
        ),
        (
            [nn.Linear(3, 3), nn.ReLU(), nn.Identity(), nn.Tanh()],
            ValueError,
            r"module 3 .*Tanh.*follows another activation",
        ),
        (
            [nn.Linear(3, 3), nn.Sequential(nn.Linear(3, 3), nn.Conv1d(1, 1, 1))],
            TypeError,
            r"module 2 \('1\.1': Conv1d",
        ),
        ([nn.Linear(3, 3), nn.Dropout(0.1)], ValueError, r"module 1 .*Dropout.*training mode"),
        ([nn.Linear(3, 3), nn.Softmax(dim=0)], ValueError, r"module 1 .*Softmax.*dim=0"),
        ([nn.Linear(3, 3), nn.LogSoftmax(dim=2)], ValueError, r"module 1 .*dim=2"),
        (
            [nn.Linear(3, 3), nn.Softplus(beta=-1.0)],
            ValueError,
            r"module 1 .*beta must be positive",
        ),
        ([], ValueError, "holds no Linear"),
        ([nn.Identity(), nn.Dropout(0.0)], ValueError, "holds no Linear"),
        ([nn.Linear(3, 3), nn.LazyLinear(2)], ValueError, r"module 1 .*not initialised"),
    ],
)
def test_from_torch_refuses(modules, error, match):
    with pytest.raises(error, match=match):
        from_torch(nn.Sequential(*modules))


@pytest.mark.parametrize(
    "obj",
    [nn.ReLU(), nn.Conv1d(1, 1, 1), nn.ModuleList([nn.Linear(2, 2)]), np.eye(2), None],
    ids=["ReLU", "Conv1d", "ModuleList", "ndarray", "None"],
)
def test_from_torch_wrong_type(obj):
    with pytest.raises(TypeError, match=r"from_torch takes a torch\.nn\.Linear or a torch\.nn"):
        from_torch(obj)


def test_from_torch_wrong_type_cneuron_model():
    with pytest.raises(TypeError, match=r"got cneuron\._layers\.Dense"):
        from_torch(cn.Dense([[1.0]]))


# ---- to_torch -------------------------------------------------------------------------


def cneuron_activations():
    """(name, params) for every activation a layer can have, except step."""
    out = [(name, params) for _, name, params in ACTIVATIONS]
    return [("identity", {}), *out]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("name", "params"),
    cneuron_activations(),
    ids=["identity", *ACT_IDS],
)
def test_to_torch_dense_round_trip(dtype, name, params):
    act = cn.activations.get(name, **params)
    layer = cn.Dense.create(9, 5, act, init="uniform", seed=11, dtype=dtype)
    state = torch.get_rng_state()
    module = to_torch(layer)
    assert torch.equal(torch.get_rng_state(), state)  # no random initialisation
    lin = module if name == "identity" else module[0]
    if name == "identity":
        assert isinstance(module, nn.Linear)
    else:
        assert isinstance(module, nn.Sequential)
        assert len(module) == 2
    assert lin.weight.dtype == TORCH_DTYPE[dtype]
    assert bits_equal(lin.weight.detach().numpy(), layer.weights)
    assert bits_equal(lin.bias.detach().numpy(), layer.bias)
    assert lin.weight.requires_grad
    X = rows(dtype, 9, seed=2)
    assert_close(torch_out(module, X), layer(X), dtype)
    back = from_torch(module)  # Linear -> Dense; Sequential(Linear, act) -> Sequential
    if name != "identity":
        assert isinstance(back, cn.Sequential)
        assert len(back) == 1
        back = back[0]
    assert_same_model(back, layer)


@pytest.mark.parametrize("dtype", DTYPES)
def test_to_torch_sequential_round_trip(dtype):
    net = cn.Sequential(
        [
            cn.Dense.create(6, 16, "relu", seed=1, dtype=dtype),
            cn.Dense.create(16, 16, "identity", seed=2, dtype=dtype),
            cn.Dense.create(16, 8, cn.activations.get("elu", alpha=0.5), seed=3, dtype=dtype),
            cn.Dense.create(8, 3, "log_softmax", seed=4, dtype=dtype),
        ]
    )
    module = to_torch(net)
    assert isinstance(module, nn.Sequential)
    assert [type(m).__name__ for m in module] == [
        "Linear",
        "ReLU",
        "Linear",
        "Linear",
        "ELU",
        "Linear",
        "LogSoftmax",
    ]
    X = rows(dtype, 6, seed=3)
    assert_close(torch_out(module, X), net(X), dtype)
    assert_same_model(from_torch(module), net)


@pytest.mark.parametrize("dtype", DTYPES)
def test_to_torch_single_identity_layer_network_stays_sequential(dtype):
    net = cn.Sequential([cn.Dense.create(3, 2, seed=0, dtype=dtype)])
    module = to_torch(net)
    assert isinstance(module, nn.Sequential)
    assert_same_model(from_torch(module), net)


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_round_trip_state_dict(dtype):
    """torch -> cneuron -> torch gives back the same parameters, bitwise."""
    torch.manual_seed(12)
    tnet = nn.Sequential(
        nn.Linear(5, 7), nn.GELU(approximate="tanh"), nn.Linear(7, 7), nn.Linear(7, 2)
    ).to(TORCH_DTYPE[dtype])
    back = to_torch(from_torch(tnet))
    a, b = tnet.state_dict(), back.state_dict()
    assert list(a) == list(b)
    for key in a:
        assert bits_equal(a[key].numpy(), b[key].numpy()), key
    assert back[1].approximate == "tanh"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ["sigmoid", "identity", "tanh"])
def test_to_torch_neuron(dtype, activation):
    w = np.random.default_rng(5).normal(size=8).astype(dtype)
    neuron = cn.Neuron(w, bias=0.25, activation=activation)
    module = to_torch(neuron)
    if activation == "identity":
        assert isinstance(module, nn.Linear)
        lin = module
    else:
        assert isinstance(module, nn.Sequential)
        lin = cast(nn.Linear, module[0])
    assert (lin.in_features, lin.out_features) == (8, 1)
    assert bits_equal(lin.weight.detach().numpy(), w.reshape(1, -1))
    assert lin.bias.item() == neuron.bias
    X = rows(dtype, 8, seed=4)
    ref = torch_out(module, X)
    assert ref.shape == (N_ROWS, 1)
    assert_close(ref[:, 0], neuron(X), dtype)
    back = from_torch(module)
    if activation != "identity":
        assert isinstance(back, cn.Sequential)
        back = back[0]
    assert_same_model(back, cn.Dense(w.reshape(1, -1), np.array([0.25], dtype), activation))


def test_to_torch_step_refused():
    net = cn.Sequential([cn.Dense.create(3, 3, "relu", seed=0), cn.Dense.create(3, 1, "step")])
    with pytest.raises(ValueError, match=r"layer 1 .*'step' has no torch.nn module"):
        to_torch(net)
    with pytest.raises(ValueError, match=r"'step' has no torch\.nn module"):
        to_torch(cn.Neuron([1.0, 2.0], activation="step"))


@pytest.mark.parametrize("obj", [nn.Linear(2, 2), [cn.Dense([[1.0]])], np.eye(2), "relu"])
def test_to_torch_wrong_type(obj):
    with pytest.raises(TypeError, match="to_torch takes a cneuron Dense, Sequential or Neuron"):
        to_torch(obj)


# ---- from_sklearn ---------------------------------------------------------------------


def classification_data(dtype, n_classes, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_ROWS, 6))
    score = X[:, 0] + 0.5 * X[:, 1] * X[:, 2] - X[:, 3]
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X.astype(dtype), y


def regression_data(dtype, n_targets, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_ROWS, 5))
    Y = np.column_stack([np.sin(X[:, k]) + X[:, k + 1] ** 2 for k in range(n_targets)])
    y = Y[:, 0] if n_targets == 1 else Y
    return X.astype(dtype), y


def check_mlp_layers(net, est, hidden, output):
    assert isinstance(net, cn.Sequential)
    assert len(net) == len(est.coefs_)
    assert [layer.activation for layer in net] == [hidden] * (len(net) - 1) + [output]
    for layer, coef, intercept in zip(net, est.coefs_, est.intercepts_):
        assert bits_equal(layer.weights, np.ascontiguousarray(coef.T))
        assert bits_equal(layer.bias, intercept)


SK_HIDDEN = [("relu", "relu"), ("tanh", "tanh"), ("logistic", "sigmoid"), ("identity", "identity")]


@ignore_convergence
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("sk_act", "act"), SK_HIDDEN, ids=[a for a, _ in SK_HIDDEN])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_from_sklearn_mlp_classifier(dtype, sk_act, act, n_classes):
    X, y = classification_data(dtype, n_classes)
    clf = MLPClassifier(
        hidden_layer_sizes=(16, 8), activation=sk_act, max_iter=60, random_state=0
    ).fit(X, y)
    net = from_sklearn(clf)
    assert net.dtype == dtype
    check_mlp_layers(net, clf, act, "sigmoid" if n_classes == 2 else "softmax")
    proba = clf.predict_proba(X)
    if n_classes == 2:
        assert net.n_outputs == 1
        ref = proba[:, 1:]
    else:
        assert net.n_outputs == n_classes
        ref = proba
    assert_close(net(X), ref, dtype)


@ignore_convergence
@pytest.mark.parametrize("dtype", DTYPES)
def test_from_sklearn_mlp_multilabel(dtype):
    X, _ = classification_data(dtype, 2)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] < 0.5]).astype(int)
    clf = MLPClassifier(hidden_layer_sizes=(12,), max_iter=60, random_state=0).fit(X, Y)
    net = from_sklearn(clf)
    check_mlp_layers(net, clf, "relu", "sigmoid")
    assert_close(net(X), clf.predict_proba(X), dtype)


@ignore_convergence
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sk_act", ["relu", "tanh"])
@pytest.mark.parametrize("n_targets", [1, 3])
def test_from_sklearn_mlp_regressor(dtype, sk_act, n_targets):
    X, y = regression_data(dtype, n_targets)
    reg = MLPRegressor(
        hidden_layer_sizes=(16, 8), activation=sk_act, max_iter=60, random_state=0
    ).fit(X, y)
    net = from_sklearn(reg)
    assert net.dtype == dtype
    check_mlp_layers(net, reg, sk_act, "identity")
    got = net(X)
    assert got.shape == (N_ROWS, n_targets)
    assert_close(got, reg.predict(X).reshape(N_ROWS, -1), dtype)


@ignore_convergence
def test_from_sklearn_dtype_override():
    X, y = classification_data(np.float64, 3)
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(X, y)
    net = from_sklearn(clf, dtype=np.float32)
    assert isinstance(net, cn.Sequential)
    assert net.dtype == np.float32
    assert bits_equal(net[0].weights, clf.coefs_[0].T.astype(np.float32))
    with pytest.raises(TypeError, match="dtype must be"):
        from_sklearn(clf, dtype=np.int64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_from_sklearn_logistic_regression(dtype, n_classes):
    X, y = classification_data(dtype, n_classes)
    est = LogisticRegression(max_iter=1000).fit(X, y)
    layer = from_sklearn(est)
    assert isinstance(layer, cn.Dense)
    assert layer.activation == ("sigmoid" if n_classes == 2 else "softmax")
    assert bits_equal(layer.weights, est.coef_)
    proba = est.predict_proba(X)
    assert_close(layer(X), proba[:, 1:] if n_classes == 2 else proba, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_targets", [1, 2])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_from_sklearn_linear_regression(dtype, n_targets, fit_intercept):
    X, y = regression_data(dtype, n_targets)
    est = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    layer = from_sklearn(est, dtype=dtype)  # LinearRegression may compute in float64
    assert isinstance(layer, cn.Dense)
    assert layer.activation == "identity"
    assert layer.n_outputs == n_targets
    coef = est.coef_.reshape(n_targets, -1).astype(dtype)
    intercept = np.broadcast_to(np.asarray(est.intercept_), (n_targets,)).astype(dtype)
    assert bits_equal(layer.weights, coef)
    assert bits_equal(layer.bias, intercept)
    ref = X.astype(dtype) @ coef.T + intercept  # the rounded model, evaluated by numpy
    assert_close(layer(X), ref.astype(dtype), dtype)
    if est.coef_.dtype == dtype:
        assert_close(layer(X), est.predict(X).reshape(N_ROWS, -1).astype(dtype), dtype)


@pytest.mark.parametrize(
    "est",
    [MLPClassifier(), MLPRegressor(), LogisticRegression(), LinearRegression()],
    ids=lambda e: type(e).__name__,
)
def test_from_sklearn_unfitted(est):
    with pytest.raises(NotFittedError, match="not fitted"):
        from_sklearn(est)


@pytest.mark.parametrize(
    "obj",
    [SVC(), MLPClassifier, nn.Linear(2, 2), cn.Dense([[1.0]]), None],
    ids=["SVC", "class", "torch", "cneuron", "None"],
)
def test_from_sklearn_wrong_type(obj):
    with pytest.raises(TypeError, match="from_sklearn takes a fitted MLPClassifier"):
        from_sklearn(obj)


@ignore_convergence
def test_from_sklearn_unsupported_output_activation():
    X, y = regression_data(np.float64, 1)
    y = np.exp(y / 4)  # positive targets for the Poisson loss
    if "loss" in MLPRegressor().get_params():
        reg = MLPRegressor(
            hidden_layer_sizes=(4,), loss="poisson", max_iter=20, random_state=0
        ).fit(X, y)
    else:  # scikit-learn before the Poisson loss: the attribute it would set
        reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=20, random_state=0).fit(X, y)
        reg.out_activation_ = "exp"
    assert reg.out_activation_ == "exp"
    with pytest.raises(ValueError, match="output activation 'exp' has no cneuron equivalent"):
        from_sklearn(reg)


# ---- optional dependencies ------------------------------------------------------------


def test_missing_torch_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    with pytest.raises(ImportError, match=r"from_torch needs PyTorch: pip install torch"):
        from_torch(object())
    with pytest.raises(ImportError, match=r"to_torch needs PyTorch: pip install torch"):
        to_torch(cn.Dense([[1.0]]))


def test_missing_sklearn_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r"from_sklearn needs scikit-learn: pip install scikit"):
        from_sklearn(object())


def test_import_without_torch_or_sklearn():
    """cneuron (and cneuron.interop) import neither library, and import
    without them."""
    code = (
        "import sys\n"
        "import cneuron, cneuron.interop\n"
        "assert 'torch' not in sys.modules and 'sklearn' not in sys.modules, 'imported'\n"
        "for name in [m for m in sys.modules if m.startswith('cneuron')]:\n"
        "    del sys.modules[name]\n"
        "sys.modules['torch'] = None\n"
        "sys.modules['sklearn'] = None\n"
        "import cneuron.interop\n"
        "try:\n"
        "    cneuron.interop.from_torch(None)\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    res = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "from_torch needs PyTorch: pip install torch"
