"""Interoperability: models from and to PyTorch, models from scikit-learn.

``from_torch`` turns a ``torch.nn.Linear`` into a ``Dense`` and a
``torch.nn.Sequential`` of Linear layers and activation modules into a
``Sequential``; ``to_torch`` goes back. ``from_sklearn`` turns a fitted
``MLPClassifier`` / ``MLPRegressor`` (and ``LogisticRegression`` /
``LinearRegression``) into a network whose forward pass is the estimator's
prediction. Weights are copied bit for bit (unless ``dtype=`` asks for another
precision); nothing shares memory with the source model.

PyTorch and scikit-learn are optional: this module imports them inside the
functions, so ``import cneuron.interop`` works without them, and a function
whose library is missing raises ``ImportError`` naming what to install.

Activations map one to one (``torch.nn`` module: cneuron name):

=============================  ===============================
Identity                       (skipped: an identity)
Dropout, in eval mode          (skipped: an identity at inference)
Sigmoid                        sigmoid
Tanh                           tanh
ReLU                           relu
LeakyReLU(negative_slope)      leaky_relu(alpha)
ELU(alpha)                     elu(alpha)
SELU                           selu
Softplus(beta, threshold)      softplus(beta, threshold)
SiLU                           silu
GELU(approximate)              gelu(approximate)
LogSigmoid                     log_sigmoid
Softmax(dim=-1, 1 or None)     softmax(axis)
LogSoftmax(dim=-1, 1 or None)  log_softmax(axis)
=============================  ===============================

``step`` has no ``torch.nn`` module: ``to_torch`` refuses it. Round trips keep
weights, biases, activations and their parameters bitwise; the container can
change: ``to_torch`` gives a ``Dense`` with an activation as
``torch.nn.Sequential(Linear, activation)``, which ``from_torch`` reads back as
a one-layer ``Sequential``.

Agreement with the source library (``tests/test_interop.py``: 300 random
rows through networks of one to six layers of up to 32 units, every
supported activation, MLPs and linear models of scikit-learn): weights agree
exactly (round trips are bitwise), outputs to within
``rtol=1e-13, atol=1e-14`` in float64 and ``rtol=1e-5, atol=1e-6`` in float32
(``numpy.testing.assert_allclose``). The largest differences seen were
2.7e-15 (float64) and 1.4e-6 (float32) in absolute terms, for outputs of
magnitude up to about 13: a few units in the last place. Outputs are not bitwise
equal, because PyTorch and NumPy add up dot products in their own (BLAS)
order and cneuron in its own fixed, reproducible order. Near zero, where
a dot product cancels, the relative difference can be large; ``atol`` covers it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np

from . import _validate as _v
from ._layers import Dense, Sequential
from ._neuron import Neuron
from .activations import Activation, get

__all__ = ["from_sklearn", "from_torch", "to_torch"]


def _require(module: str, caller: str, library: str, package: str) -> ModuleType:
    """Import ``module`` or raise an ImportError saying what ``caller`` needs."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{caller} needs {library}: pip install {package}") from exc


def _target_dtype(dtype: Any) -> np.dtype | None:
    """``dtype=`` of the converters: None (keep the source's) or float32/float64."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32, float64 or None, got {dtype!r}") from None
    if dt not in (_v.FLOAT32, _v.FLOAT64):
        raise TypeError(f"dtype must be float32, float64 or None, got {dt}")
    return dt


# ---- from PyTorch ---------------------------------------------------------------------


def _torch_array(torch: ModuleType, tensor: Any, what: str) -> np.ndarray:
    """A tensor's values as a numpy array: float32 and float64 as they are,
    float16 and bfloat16 widened (exactly) to float32."""
    t = tensor.detach().cpu()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.to(torch.float32)
    elif t.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{what} must be a real floating-point tensor, got {t.dtype}")
    return np.asarray(t.resolve_conj().resolve_neg().numpy())


def _linear_arrays(
    torch: ModuleType, linear: Any, where: str
) -> tuple[np.ndarray, np.ndarray | None]:
    """(weight (out, in), bias (out,) or None) of a ``torch.nn.Linear``."""
    if torch.nn.parameter.is_lazy(linear.weight):
        raise ValueError(
            f"{where} is a lazy Linear whose weights are not initialised yet: "
            "run one forward pass through it first"
        )
    w = _torch_array(torch, linear.weight, f"{where}: weight")
    b = None if linear.bias is None else _torch_array(torch, linear.bias, f"{where}: bias")
    return w, b


def _plain(module: Any, cls: Any) -> bool:
    """``module`` is a ``cls`` that computes what ``cls`` computes (a subclass
    overriding ``forward`` may compute anything)."""
    return isinstance(module, cls) and type(module).forward is cls.forward


def _softmax_axis(module: Any, where: str) -> int:
    dim = module.dim
    if dim is None:  # PyTorch's implicit choice: the last axis of 1-D and 2-D input
        return -1
    if dim not in (-1, 1):
        raise ValueError(
            f"{where}: a layer applies {type(module).__name__} over each sample's outputs "
            f"(dim=-1 or 1), got dim={dim}"
        )
    return int(dim)


def _torch_activation(nn: Any, module: Any, where: str) -> Activation | None:
    """The cneuron activation of a torch activation module, or None if
    ``module`` is not one of the supported activations."""
    simple = {
        nn.Sigmoid: "sigmoid",
        nn.Tanh: "tanh",
        nn.ReLU: "relu",
        nn.SELU: "selu",
        nn.SiLU: "silu",
        nn.LogSigmoid: "log_sigmoid",
    }
    try:
        for cls, name in simple.items():
            if _plain(module, cls):
                return get(name)
        if _plain(module, nn.LeakyReLU):
            return get("leaky_relu", alpha=module.negative_slope)
        if _plain(module, nn.ELU):
            return get("elu", alpha=module.alpha)
        if _plain(module, nn.Softplus):
            return get("softplus", beta=module.beta, threshold=module.threshold)
        if _plain(module, nn.GELU):
            return get("gelu", approximate=module.approximate)
        if _plain(module, nn.Softmax):
            return get("softmax", axis=_softmax_axis(module, where))
        if _plain(module, nn.LogSoftmax):
            return get("log_softmax", axis=_softmax_axis(module, where))
    except (TypeError, ValueError) as exc:
        if str(exc).startswith(where):
            raise
        raise type(exc)(f"{where}: {exc}") from exc
    return None


def _flatten(nn: Any, seq: Any, prefix: str) -> list[tuple[str, Any]]:
    """The modules of a ``torch.nn.Sequential``, nested Sequentials flattened,
    each with its dotted name (as in ``named_modules``)."""
    items: list[tuple[str, Any]] = []
    for name, child in seq.named_children():
        path = f"{prefix}{name}"
        if _plain(child, nn.Sequential):
            items.extend(_flatten(nn, child, path + "."))
        else:
            items.append((path, child))
    return items


_SUPPORTED_TORCH = (
    "Linear, Identity, Dropout (in eval mode), Sigmoid, Tanh, ReLU, LeakyReLU, ELU, "
    "SELU, Softplus, SiLU, GELU, LogSigmoid, Softmax, LogSoftmax and nested Sequential"
)


def from_torch(module: Any, dtype: Any = None) -> Dense | Sequential:
    """A cneuron layer or network computing what a PyTorch module computes.

    Parameters
    ----------
    module : torch.nn.Linear or torch.nn.Sequential
        A ``Linear`` gives a ``Dense`` with the identity activation. A
        ``Sequential`` gives a ``Sequential``: each ``Linear`` becomes a
        ``Dense``, and an activation module right after it becomes that
        layer's activation (a ``Linear`` followed by no activation gets
        "identity"). Supported activation modules and their parameters are
        listed in the module docstring. Nested ``Sequential`` modules are
        flattened. ``Identity`` and ``Dropout`` in eval mode (``module.eval()``)
        or with ``p=0`` (both identities at inference) are skipped. Subclasses that
        override ``forward`` are not accepted.
    dtype : {None, numpy.float32, numpy.float64}, optional
        The model's dtype. Default: the weights' own (float32 weights give a
        float32 model, float64 a float64 one; float16 and bfloat16 are widened
        exactly to float32). Given, the weights are rounded to it.

    Returns
    -------
    Dense or Sequential
        The layer or network, holding copies of the weights: bitwise equal to
        the tensors' values when the dtype is kept.

    Raises
    ------
    ImportError
        If PyTorch is not installed.
    TypeError
        If ``module`` is neither a ``Linear`` nor a ``Sequential``, if a
        ``Sequential`` contains an unsupported module (e.g. ``Conv1d``,
        ``Flatten``), if the Linear layers have different dtypes and no
        ``dtype`` is given.
    ValueError
        If an activation comes first or right after another activation, if
        a ``Sequential`` holds no ``Linear``, if a parameter has no cneuron
        equivalent (``Softmax(dim=0)``, ``Dropout`` in training mode), or if
        a lazy ``Linear`` is not initialised. Every message names the module
        and its position.

    Examples
    --------
    >>> import torch, cneuron as cn
    >>> from cneuron.interop import from_torch
    >>> _ = torch.manual_seed(0)
    >>> tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    >>> net = from_torch(tnet)
    >>> [layer.activation for layer in net]
    ['relu', 'identity']
    >>> x = torch.randn(5, 4)
    >>> bool(torch.allclose(torch.from_numpy(net(x.numpy())), tnet(x), atol=1e-6))
    True
    """
    torch = _require("torch", "from_torch", "PyTorch", "torch")
    nn = torch.nn
    target = _target_dtype(dtype)
    if _plain(module, nn.Linear):
        w, b = _linear_arrays(torch, module, "the Linear")
        if target is not None:
            w = w.astype(target)
            b = None if b is None else b.astype(target)
        return Dense(w, b, "identity")
    if not _plain(module, nn.Sequential):
        raise TypeError(
            "from_torch takes a torch.nn.Linear or a torch.nn.Sequential, got "
            f"{type(module).__module__}.{type(module).__qualname__}"
        )

    # (where, weight, bias, activation) per layer, in order
    specs: list[tuple[str, np.ndarray, np.ndarray | None, Any]] = []
    pending: tuple[str, np.ndarray, np.ndarray | None] | None = None
    last_act = ""
    for pos, (path, child) in enumerate(_flatten(nn, module, "")):
        where = f"module {pos} ({path!r}: {child!r})"
        if _plain(child, nn.Identity):
            continue
        if _plain(child, nn.Dropout):
            if child.training and child.p > 0:
                raise ValueError(
                    f"{where} is in training mode (random); call .eval() on the model first"
                )
            continue
        if _plain(child, nn.Linear):
            if pending is not None:
                specs.append((*pending, "identity"))
            pending = (where, *_linear_arrays(torch, child, where))
            continue
        act = _torch_activation(nn, child, where)
        if act is None:
            raise TypeError(f"{where} is not supported; supported: {_SUPPORTED_TORCH}")
        if pending is None:
            if specs:
                raise ValueError(
                    f"{where} follows another activation ({last_act}); a layer has one "
                    "activation: put a Linear between them"
                )
            raise ValueError(f"{where} comes before any Linear; an activation must follow a Linear")
        specs.append((*pending, act))
        pending = None
        last_act = where
    if pending is not None:
        specs.append((*pending, "identity"))
    if not specs:
        raise ValueError("from_torch: the Sequential holds no Linear layer")

    if target is None:
        dtypes = {w.dtype for _, w, _, _ in specs}
        if len(dtypes) > 1:
            found = ", ".join(f"{w.dtype} at {where}" for where, w, _, _ in specs)
            raise TypeError(
                f"the Linear layers have different dtypes ({found}); pass dtype= "
                "to choose the model's"
            )
        target = specs[0][1].dtype
    layers = []
    for _, w, b, act in specs:
        layers.append(Dense(w.astype(target), None if b is None else b.astype(target), act))
    return Sequential(layers)


# ---- to PyTorch -----------------------------------------------------------------------


def _torch_module(nn: Any, act: Activation, where: str) -> Any:
    """The torch activation module of a cneuron activation (None for identity)."""
    name, p = act.name, act.params
    simple = {
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "selu": nn.SELU,
        "silu": nn.SiLU,
        "log_sigmoid": nn.LogSigmoid,
    }
    if name == "identity":
        return None
    if name in simple:
        return simple[name]()
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope=p["alpha"])
    if name == "elu":
        return nn.ELU(alpha=p["alpha"])
    if name == "softplus":
        return nn.Softplus(beta=p["beta"], threshold=p["threshold"])
    if name == "gelu":
        return nn.GELU(approximate=p["approximate"])
    if name == "softmax":
        return nn.Softmax(dim=int(p["axis"]))
    if name == "log_softmax":
        return nn.LogSoftmax(dim=int(p["axis"]))
    raise ValueError(f"{where}: activation {name!r} has no torch.nn module")


def _torch_linear(torch: ModuleType, w: np.ndarray, b: np.ndarray) -> Any:
    """A ``torch.nn.Linear`` holding copies of ``w`` and ``b`` (their dtype).
    Built with ``skip_init``: no random initialisation, torch's RNG untouched."""
    tdtype = torch.float32 if w.dtype == _v.FLOAT32 else torch.float64
    lin = torch.nn.utils.skip_init(torch.nn.Linear, w.shape[1], w.shape[0], dtype=tdtype)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(np.array(w, copy=True)))
        lin.bias.copy_(torch.from_numpy(np.array(b, copy=True)))
    return lin


def to_torch(model: Dense | Sequential | Neuron) -> Any:
    """A PyTorch module computing what a cneuron model computes.

    Parameters
    ----------
    model : Dense, Sequential or Neuron
        A ``Dense`` with the identity activation gives a ``torch.nn.Linear``;
        with another activation, ``torch.nn.Sequential(Linear, activation)``.
        A ``Sequential`` gives one flat ``torch.nn.Sequential`` of Linear and
        activation modules (identity activations leave no module). A
        ``Neuron`` of n features is a ``Dense`` of one output: ``Linear(n, 1)``,
        followed by its activation module unless that is the identity; its
        output has shape (n_samples, 1) where the Neuron's is (n_samples,).

    Returns
    -------
    torch.nn.Linear or torch.nn.Sequential
        In the model's dtype (float32 -> ``torch.float32``, float64 ->
        ``torch.float64``), on the CPU, holding bitwise copies of the weights
        and biases. Creating it does not draw from torch's random generator.

    Raises
    ------
    ImportError
        If PyTorch is not installed.
    TypeError
        If ``model`` is not a Dense, Sequential or Neuron.
    ValueError
        If a layer's activation has no ``torch.nn`` module (``step``); the
        message names the layer.

    Examples
    --------
    >>> import cneuron as cn
    >>> from cneuron.interop import to_torch
    >>> to_torch(cn.Dense.create(3, 2, "relu", seed=0))
    Sequential(
      (0): Linear(in_features=3, out_features=2, bias=True)
      (1): ReLU()
    )
    """
    torch = _require("torch", "to_torch", "PyTorch", "torch")
    nn = torch.nn
    parts: list[tuple[str, np.ndarray, np.ndarray, Activation]] = []
    if isinstance(model, Neuron):
        w1 = model.weights.reshape(1, -1)
        b1 = np.array([model.bias], dtype=model.dtype)
        parts.append(("the Neuron", w1, b1, get(model.activation, **model.activation_params)))
    elif isinstance(model, Dense):
        act = get(model.activation, **model.activation_params)
        parts.append(("the Dense", model.weights, model.bias, act))
    elif isinstance(model, Sequential):
        for i, layer in enumerate(model):
            act = get(layer.activation, **layer.activation_params)
            parts.append((f"layer {i} ({layer!r})", layer.weights, layer.bias, act))
    else:
        raise TypeError(
            f"to_torch takes a cneuron Dense, Sequential or Neuron, got {type(model).__name__}"
        )
    modules: list[Any] = []
    for where, w, b, act in parts:
        act_module = _torch_module(nn, act, where)  # before building: fail fast
        modules.append(_torch_linear(torch, w, b))
        if act_module is not None:
            modules.append(act_module)
    if len(modules) == 1 and not isinstance(model, Sequential):
        return modules[0]
    return nn.Sequential(*modules)


# ---- from scikit-learn ----------------------------------------------------------------

_SK_HIDDEN = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
_SK_OUTPUT = {"identity": "identity", "logistic": "sigmoid", "softmax": "softmax"}


def _dense_array(a: Any) -> np.ndarray:
    """A coefficient array as a dense numpy array (``coef_`` may be sparse after
    ``sparsify()``)."""
    if hasattr(a, "toarray"):
        a = a.toarray()
    return np.asarray(a)


def _cast(a: np.ndarray, dtype: np.dtype | None) -> np.ndarray:
    return a if dtype is None else a.astype(dtype)


def _from_mlp(est: Any, dtype: np.dtype | None) -> Sequential:
    name = type(est).__name__
    hidden = _SK_HIDDEN.get(est.activation)
    if hidden is None:
        raise ValueError(f"{name}: hidden activation {est.activation!r} has no cneuron equivalent")
    output = _SK_OUTPUT.get(est.out_activation_)
    if output is None:
        raise ValueError(
            f"{name}: output activation {est.out_activation_!r} has no cneuron equivalent "
            f"(supported: {', '.join(_SK_OUTPUT)})"
        )
    n = len(est.coefs_)
    layers = []
    for i, (coef, intercept) in enumerate(zip(est.coefs_, est.intercepts_)):
        w = _cast(_dense_array(coef).T, dtype)  # sklearn stores (n_in, n_out)
        b = _cast(_dense_array(intercept), dtype)
        layers.append(Dense(w, b, output if i == n - 1 else hidden))
    return Sequential(layers)


def _from_logistic(est: Any, dtype: np.dtype | None) -> Dense:
    coef = _dense_array(est.coef_)
    intercept = np.broadcast_to(_dense_array(est.intercept_), (coef.shape[0],))
    if np.size(est.classes_) <= 2:
        return Dense(_cast(coef, dtype), _cast(intercept, dtype), "sigmoid")
    # scikit-learn < 1.8 could fit one-vs-rest, whose probabilities are
    # sigmoids normalised to sum 1: no single activation computes that
    multi = getattr(est, "multi_class", "auto")
    if multi == "ovr" or (multi in ("auto", "deprecated", "warn") and est.solver == "liblinear"):
        raise ValueError(
            "LogisticRegression: a one-vs-rest multiclass model (normalised sigmoids) "
            "has no cneuron equivalent; fit a multinomial one"
        )
    return Dense(_cast(coef, dtype), _cast(intercept, dtype), "softmax")


def _from_linear(est: Any, dtype: np.dtype | None) -> Dense:
    coef = _dense_array(est.coef_)
    if coef.ndim == 1:
        coef = coef.reshape(1, -1)
    intercept = np.broadcast_to(np.asarray(est.intercept_, dtype=coef.dtype), (coef.shape[0],))
    return Dense(_cast(coef, dtype), _cast(intercept, dtype), "identity")


def from_sklearn(estimator: Any, dtype: Any = None) -> Dense | Sequential:
    """A cneuron network computing a fitted scikit-learn estimator's prediction.

    Parameters
    ----------
    estimator : fitted MLPClassifier, MLPRegressor, LogisticRegression or LinearRegression
        ``MLPClassifier`` / ``MLPRegressor`` give a ``Sequential``, one
        ``Dense`` per entry of ``coefs_`` (transposed: scikit-learn stores
        (n_in, n_out)) with the hidden activation mapped identity -> identity,
        logistic -> sigmoid, tanh -> tanh, relu -> relu, and the last layer's
        from ``out_activation_``: identity, logistic -> sigmoid, softmax.
        ``LogisticRegression`` gives a ``Dense`` with sigmoid (binary) or
        softmax (multinomial; a one-vs-rest model of scikit-learn < 1.8 is
        refused), ``LinearRegression`` a ``Dense`` with identity.
    dtype : {None, numpy.float32, numpy.float64}, optional
        The model's dtype; default the coefficients' own (an estimator fitted
        on float32 data has float32 coefficients).

    Returns
    -------
    Dense or Sequential
        Its forward pass on X (n_samples, n_features) returns a 2-D array:

        * multiclass classifier: ``predict_proba(X)``, (n_samples, n_classes);
        * binary classifier: the positive class's probability
          ``predict_proba(X)[:, 1:]``, (n_samples, 1): the network has one
          output;
        * multilabel ``MLPClassifier``: ``predict_proba(X)``, one column per label;
        * regressor: ``predict(X).reshape(n_samples, -1)``: a single-target
          regressor gives (n_samples, 1).

    Raises
    ------
    ImportError
        If scikit-learn is not installed.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted (a subclass of ValueError).
    TypeError
        If the estimator is of another kind.
    ValueError
        If an activation has no cneuron equivalent (e.g. the ``exp`` output
        of ``MLPRegressor(loss="poisson")``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neural_network import MLPClassifier
    >>> from cneuron.interop import from_sklearn
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4)); y = np.arange(60) % 3
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=2000, random_state=0).fit(X, y)
    >>> net = from_sklearn(clf)
    >>> [layer.activation for layer in net]
    ['relu', 'softmax']
    >>> bool(np.allclose(net(X), clf.predict_proba(X), rtol=1e-12, atol=1e-14))
    True
    """
    _require("sklearn", "from_sklearn", "scikit-learn", "scikit-learn")
    neural = importlib.import_module("sklearn.neural_network")
    linear = importlib.import_module("sklearn.linear_model")
    validation = importlib.import_module("sklearn.utils.validation")
    target = _target_dtype(dtype)
    kinds = (
        neural.MLPClassifier,
        neural.MLPRegressor,
        linear.LogisticRegression,
        linear.LinearRegression,
    )
    if isinstance(estimator, type) or not isinstance(estimator, kinds):
        what = estimator.__name__ if isinstance(estimator, type) else type(estimator).__name__
        raise TypeError(
            "from_sklearn takes a fitted MLPClassifier, MLPRegressor, LogisticRegression "
            f"or LinearRegression instance, got {what}"
        )
    validation.check_is_fitted(estimator)
    if isinstance(estimator, (neural.MLPClassifier, neural.MLPRegressor)):
        return _from_mlp(estimator, target)
    if isinstance(estimator, linear.LogisticRegression):
        return _from_logistic(estimator, target)
    return _from_linear(estimator, target)
