"""Activation functions: what a neuron does with its weighted sum z.

"Without activation functions, no matter how many layers you stack, your
neural network would behave like a single linear function."

Every function here takes a scalar or an array of any shape, keeps float32
and float64 (integers and bools give float64, float16 gives float32), accepts
``out=`` and ``num_threads=``, and runs as a compiled kernel without the GIL.
Each has a derivative computed by a kernel too, for training:

>>> import cneuron as cn
>>> cn.activations.leaky_relu([-2.0, 3.0], alpha=0.1).tolist()
[-0.2, 3.0]
>>> cn.activations.derivative("sigmoid", 0.0)
np.float64(0.25)
>>> act = cn.activations.get("leaky_relu", alpha=0.1)   # parameters bound
>>> act.derivative([-2.0, 3.0]).tolist()
[0.1, 1.0]

The registry (``names()``, ``get()``) maps names to kernels and parameters;
``Neuron(..., activation=...)`` takes a name (default parameters) or an
``Activation`` from ``get()`` (any parameters).

==========  =========================  ========  ==============  ==================
name        f(z)                       range     f'(z)           typical use
==========  =========================  ========  ==============  ==================
identity    z                          R         1               regression
step        1 if z >= 0 else 0         {0, 1}    0               classic perceptron
sigmoid     1 / (1 + e^-z)             (0, 1)    f (1 - f)       probabilities
relu        max(z, 0)                  [0, inf)  1 if z > 0      hidden layers
leaky_relu  z if z > 0 else alpha z    R         1 or alpha      hidden layers
silu        z sigmoid(z)  (swish)      [-0.28,   sig (1 + z      deep hidden layers
                                        inf)     (1 - sig))
==========  =========================  ========  ==============  ==================

and tanh, elu(alpha), selu, softplus(beta, threshold), log_sigmoid,
gelu(approximate), softmax(axis), log_softmax(axis): the README's table gives
formula, range, derivative, use and the accuracy of each.

Conventions: step(0) = 1 (Heaviside with H(0) = 1, the original perceptron's
"fire when z >= 0"); step'(z) = 0 everywhere (the perceptron rule does not
use it); relu'(0) = 0 and leaky_relu'(0) = alpha, as in PyTorch. NaN in gives
NaN out, for every function and derivative; +-inf give the limits.

Accuracy, in both dtypes against a 120-bit reference (tested):

* identity, step, relu, leaky_relu and their derivatives: exact (correctly
  rounded: leaky_relu is one multiplication).
* sigmoid and sigmoid': within 4 ulp everywhere, subnormal results included.
* silu: within 4 ulp everywhere, subnormal results included.
* silu': within 4 ulp except near its zero z0 = -1.27846..., where no
  relative bound can hold; there the absolute error stays below eps/4.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import _kernels
from . import _validate as _v

__all__ = [
    "Activation",
    "derivative",
    "elu",
    "gelu",
    "get",
    "identity",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "names",
    "relu",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "step",
    "tanh",
]

_ELEMENTWISE: dict[np.dtype, Callable[..., None]] = {
    _v.FLOAT64: _kernels.elementwise_f64,
    _v.FLOAT32: _kernels.elementwise_f32,
}


@dataclass(frozen=True)
class _Spec:
    code: int
    params: tuple[tuple[str, Any], ...]  # (name, default) in call order
    elementwise: bool = True


_SOFTMAX, _LOG_SOFTMAX = -1, -2  # row-wise, not elementwise kernels


_REGISTRY: dict[str, _Spec] = {
    "identity": _Spec(_kernels.ACT_IDENTITY, ()),
    "step": _Spec(_kernels.ACT_STEP, ()),
    "sigmoid": _Spec(_kernels.ACT_SIGMOID, ()),
    "relu": _Spec(_kernels.ACT_RELU, ()),
    "leaky_relu": _Spec(_kernels.ACT_LEAKY_RELU, (("alpha", 0.01),)),
    "silu": _Spec(_kernels.ACT_SILU, ()),
    "tanh": _Spec(_kernels.ACT_TANH, ()),
    "elu": _Spec(_kernels.ACT_ELU, (("alpha", 1.0),)),
    "selu": _Spec(_kernels.ACT_SELU, ()),
    "softplus": _Spec(_kernels.ACT_SOFTPLUS, (("beta", 1.0), ("threshold", 20.0))),
    "log_sigmoid": _Spec(_kernels.ACT_LOG_SIGMOID, ()),
    "gelu": _Spec(_kernels.ACT_GELU, (("approximate", "none"),)),
    "softmax": _Spec(_SOFTMAX, (("axis", -1),), elementwise=False),
    "log_softmax": _Spec(_LOG_SOFTMAX, (("axis", -1),), elementwise=False),
}


def names() -> list[str]:
    """The names of the registered activations, sorted."""
    return sorted(_REGISTRY)


def _check_param(name: str, key: str, value: Any) -> Any:
    if key == "approximate":
        if value not in ("none", "tanh"):
            raise ValueError(f"{name}: approximate must be 'none' or 'tanh', got {value!r}")
        return value
    if key == "axis":
        if isinstance(value, bool):
            raise TypeError(f"{name}: axis must be an int, got bool")
        try:
            return operator.index(value)
        except TypeError:
            raise TypeError(f"{name}: axis must be an int, got {type(value).__name__}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: {key} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name}: {key} must be finite, got {v}")
    return v


class Activation:
    """An activation function with its parameters bound; see ``get``.

    Calling it applies the function elementwise; ``derivative`` applies its
    derivative. Both take ``out=`` and ``num_threads=``. Activations compare
    equal when name and parameters are equal, and pickle by value.
    """

    __slots__ = ("_code", "_elementwise", "_name", "_params")

    def __init__(self, name: str, **params: Any) -> None:
        if not isinstance(name, str):
            raise TypeError(
                f"activation must be a name (str) or an Activation, got "
                f"{type(name).__name__}; known: {', '.join(names())}"
            )
        key = name.lower()
        spec = _REGISTRY.get(key)
        if spec is None:
            raise ValueError(f"unknown activation {name!r}; known: {', '.join(names())}")
        allowed = dict(spec.params)
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            accepts = ", ".join(allowed) if allowed else "no parameters"
            raise TypeError(f"{key} takes {accepts}; got {', '.join(unknown)}")
        bound = {k: _check_param(key, k, params.get(k, default)) for k, default in spec.params}
        if key == "softplus" and bound["beta"] <= 0:
            raise ValueError(f"softplus: beta must be positive, got {bound['beta']}")
        self._name = key
        self._params = bound
        self._code = spec.code
        self._elementwise = spec.elementwise

    @property
    def elementwise(self) -> bool:
        """True for functions of each value alone (all but softmax, log_softmax):
        the ones a ``Neuron`` can use."""
        return self._elementwise

    @property
    def name(self) -> str:
        """The activation's registered name."""
        return self._name

    @property
    def params(self) -> dict[str, float]:
        """The bound parameters (a copy), e.g. ``{"alpha": 0.01}``."""
        return dict(self._params)

    @property
    def kernel_args(self) -> tuple[int, float, float]:
        """(kernel code, first parameter, second parameter) for the kernels."""
        if self._name == "gelu":  # two kernels, one per form
            tanh = self._params["approximate"] == "tanh"
            return (_kernels.ACT_GELU_TANH if tanh else _kernels.ACT_GELU), 0.0, 0.0
        vals = [*self._params.values(), 0.0, 0.0]
        return self._code, float(vals[0]), float(vals[1])

    def __call__(self, z: Any, *, out: Any = None, num_threads: Any = None) -> Any:
        """The function over ``z`` (any shape): elementwise, or along ``axis``."""
        if not self._elementwise:
            axis = int(self._params["axis"])
            return _softmax(self._code == _LOG_SOFTMAX, z, axis, out, num_threads)
        return _apply(self, False, z, out, num_threads)

    def derivative(
        self, z: Any, *, grad: Any = None, out: Any = None, num_threads: Any = None
    ) -> Any:
        """The derivative at ``z``: f'(z) elementwise, or with ``grad`` the
        chain rule's product grad * f'(z).

        softmax and log_softmax map a vector to a vector; their derivative is
        a Jacobian, and what training needs is its product with the upstream
        gradient: pass ``grad`` (same shape as ``z``) and get
        s * (grad - sum(grad * s)) for softmax, grad - s * sum(grad) for
        log_softmax (s = softmax(z), sums along ``axis``, compensated), from a
        row kernel.
        """
        if not self._elementwise:
            if grad is None:
                raise TypeError(
                    f"{self._name} is not elementwise: its derivative is a Jacobian; "
                    "pass grad= (the upstream gradient) for the vector-Jacobian product"
                )
            return _softmax_vjp(self, z, grad, out, num_threads)
        if grad is None:
            return _apply(self, True, z, out, num_threads)
        d = _apply(self, True, z, None, num_threads)
        g = _v.coerce_elementwise(grad, "grad")
        if g.shape != np.shape(d):
            raise ValueError(f"grad must have the shape of z {np.shape(d)}, got {g.shape}")
        res = np.multiply(d, g.astype(np.result_type(d), copy=False))
        if out is not None:
            _v.check_out(out, res.shape, res.dtype)[...] = res
            return out
        return res

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Activation):
            return NotImplemented
        return self._name == other._name and self._params == other._params

    def __hash__(self) -> int:
        return hash((self._name, tuple(sorted(self._params.items()))))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._name, self._params))

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self._params.items())
        return f"Activation({self._name!r}{args})"


def _rebuild(name: str, params: dict[str, float]) -> Activation:
    return Activation(name, **params)


def get(activation: Any, **params: Any) -> Activation:
    """The activation ``activation`` (a name or an ``Activation``) with parameters.

    Unknown names raise ``ValueError`` listing the known ones; unknown or
    non-finite parameters raise ``TypeError``/``ValueError``.

    >>> import cneuron as cn
    >>> cn.activations.get("leaky_relu", alpha=0.2)
    Activation('leaky_relu', alpha=0.2)
    """
    if isinstance(activation, Activation):
        if params:
            return Activation(activation.name, **{**activation.params, **params})
        return activation
    return Activation(activation, **params)


def derivative(
    activation: Any,
    z: Any,
    *,
    grad: Any = None,
    out: Any = None,
    num_threads: Any = None,
    **params: Any,
) -> Any:
    """The derivative of ``activation`` (name or ``Activation``) at ``z``.

    Elementwise activations give f'(z) (times ``grad`` when given);
    softmax and log_softmax need ``grad`` and give the vector-Jacobian
    product (see ``Activation.derivative``).
    """
    return get(activation, **params).derivative(z, grad=grad, out=out, num_threads=num_threads)


_SOFTMAX_ROWS: dict[np.dtype, Callable[..., None]] = {
    _v.FLOAT64: _kernels.softmax_rows_f64,
    _v.FLOAT32: _kernels.softmax_rows_f32,
}


def _softmax(log_out: bool, z: Any, axis: int, out: Any, num_threads: Any) -> Any:
    """softmax / log_softmax along ``axis``: the row kernel over the other axes."""
    src = _v.coerce_elementwise(z)
    if src.ndim == 0:
        raise ValueError("softmax needs at least one axis, got a scalar")
    try:
        ax = operator.index(axis) % src.ndim if -src.ndim <= axis < src.ndim else None
    except TypeError:
        ax = None
    if ax is None:
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {src.ndim}")
    n_threads = _v.resolve_threads(num_threads)
    if out is not None:
        _v.check_out(out, src.shape, src.dtype)
    moved = np.ascontiguousarray(np.moveaxis(src, ax, -1))
    rows = moved.reshape(-1, moved.shape[-1]) if moved.size else moved.reshape(0, 0)
    direct = out is not None and ax == src.ndim - 1 and not np.may_share_memory(out, src)
    res_rows = out.reshape(rows.shape) if direct else np.empty_like(rows)
    _SOFTMAX_ROWS[src.dtype](rows, res_rows, log_out, n_threads)
    if direct:
        return out
    res = np.moveaxis(res_rows.reshape(moved.shape), -1, ax)
    if out is not None:
        out[...] = res
        return out
    return np.ascontiguousarray(res)


_SOFTMAX_VJP: dict[np.dtype, Callable[..., None]] = {
    _v.FLOAT64: _kernels.softmax_vjp_rows_f64,
    _v.FLOAT32: _kernels.softmax_vjp_rows_f32,
}


def _softmax_vjp(act: Activation, z: Any, grad: Any, out: Any, num_threads: Any) -> Any:
    """grad times the Jacobian of (log_)softmax, by the row kernel."""
    axis = int(act.params["axis"])
    s = _softmax(False, z, axis, None, num_threads)
    g = _v.coerce_elementwise(grad, "grad")
    if g.shape != s.shape:
        raise ValueError(f"grad must have the shape of z {s.shape}, got {g.shape}")
    g = g.astype(s.dtype, copy=False)
    if out is not None:
        _v.check_out(out, s.shape, s.dtype)
    ax = axis % s.ndim
    s_rows = np.ascontiguousarray(np.moveaxis(s, ax, -1))
    g_rows = np.ascontiguousarray(np.moveaxis(g, ax, -1))
    shape = s_rows.shape
    res = np.empty_like(s_rows)
    n = shape[-1] if shape else 0
    if s.size:
        _SOFTMAX_VJP[s.dtype](
            s_rows.reshape(-1, n), g_rows.reshape(-1, n), res.reshape(-1, n), act.name != "softmax"
        )
    res = np.moveaxis(res, -1, ax)
    if out is not None:
        out[...] = res
        return out
    return np.ascontiguousarray(res)


def _apply(act: Activation, derive: bool, z: Any, out: Any, num_threads: Any) -> Any:
    """Run the elementwise kernel of ``act`` (or its derivative) over ``z``."""
    src = _v.coerce_elementwise(z)
    n_threads = _v.resolve_threads(num_threads)
    if out is None:
        res = np.empty(src.shape, dtype=src.dtype)
    else:
        res = _v.check_out(out, src.shape, src.dtype)
        # a partial overlap reads from a private copy (the bounds test first:
        # it is the cheap one)
        if np.may_share_memory(src, res) and not _v.exact_alias(src, res):
            src = src.copy()
    code, p0, p1 = act.kernel_args
    _ELEMENTWISE[src.dtype](src.reshape(-1), res.reshape(-1), code, p0, p1, derive, n_threads)
    if out is None and res.ndim == 0:
        return res[()]
    return res


_IDENTITY = Activation("identity")
_STEP = Activation("step")
_SIGMOID = Activation("sigmoid")
_RELU = Activation("relu")
_SILU = Activation("silu")
_TANH = Activation("tanh")
_SELU = Activation("selu")
_LOG_SIGMOID = Activation("log_sigmoid")

_COMMON_DOC = """
    Parameters
    ----------
    z : array_like or scalar
        Real values of any shape. float32 and float64 are kept; integers and
        bools give float64, float16 gives float32.
    out : ndarray, optional
        Receives the result: same shape and dtype as the result, writable and
        C-contiguous; ``out=z`` computes in place. Returned.
    num_threads : int, optional
        Threads to use; default: the OpenMP runtime's default, capped at the
        CPUs this process may use. Results do not depend on it.

    Returns
    -------
    ndarray or numpy scalar
        Same shape as ``z`` (a numpy scalar for scalar input).
"""


def identity(z: Any, *, out: Any = None, num_threads: Any = None) -> Any:
    return _IDENTITY(z, out=out, num_threads=num_threads)


def step(z: Any, *, out: Any = None, num_threads: Any = None) -> Any:
    return _STEP(z, out=out, num_threads=num_threads)


def sigmoid(z: Any, *, out: Any = None, num_threads: Any = None) -> Any:
    return _SIGMOID(z, out=out, num_threads=num_threads)


def relu(z: Any, *, out: Any = None, num_threads: Any = None) -> Any:
    return _RELU(z, out=out, num_threads=num_threads)


def leaky_relu(z: Any, alpha: float = 0.01, *, out: Any = None, num_threads: Any = None) -> Any:
    return Activation("leaky_relu", alpha=alpha)(z, out=out, num_threads=num_threads)


def silu(z: Any, *, out: Any = None, num_threads: Any = None) -> Any:
    return _SILU(z, out=out, num_threads=num_threads)


def tanh(z: Any, *, out: Any = None, num_threads: Any = None) -> Any:
    return _TANH(z, out=out, num_threads=num_threads)


def elu(z: Any, alpha: float = 1.0, *, out: Any = None, num_threads: Any = None) -> Any:
    return Activation("elu", alpha=alpha)(z, out=out, num_threads=num_threads)


def selu(z: Any, *, out: Any = None, num_threads: Any = None) -> Any:
    return _SELU(z, out=out, num_threads=num_threads)


def softplus(
    z: Any,
    beta: float = 1.0,
    threshold: float = 20.0,
    *,
    out: Any = None,
    num_threads: Any = None,
) -> Any:
    return Activation("softplus", beta=beta, threshold=threshold)(
        z, out=out, num_threads=num_threads
    )


def log_sigmoid(z: Any, *, out: Any = None, num_threads: Any = None) -> Any:
    return _LOG_SIGMOID(z, out=out, num_threads=num_threads)


def gelu(z: Any, approximate: str = "none", *, out: Any = None, num_threads: Any = None) -> Any:
    return Activation("gelu", approximate=approximate)(z, out=out, num_threads=num_threads)


def softmax(z: Any, axis: int = -1, *, out: Any = None, num_threads: Any = None) -> Any:
    return Activation("softmax", axis=axis)(z, out=out, num_threads=num_threads)


def log_softmax(z: Any, axis: int = -1, *, out: Any = None, num_threads: Any = None) -> Any:
    return Activation("log_softmax", axis=axis)(z, out=out, num_threads=num_threads)


identity.__doc__ = "f(z) = z, elementwise: the activation of a linear neuron.\n" + _COMMON_DOC
step.__doc__ = (
    "The Heaviside step: 1 for z >= 0, else 0 (the original perceptron).\n\n"
    "    step(0) = 1 by convention; NaN gives NaN.\n" + _COMMON_DOC
)
sigmoid.__doc__ = (
    "The logistic sigmoid 1 / (1 + exp(-z)), elementwise.\n\n"
    "    Numerically stable on the whole real line: exp is only ever evaluated at\n"
    "    -|z|, so nothing overflows; within 4 ulp of the exact value (subnormal\n"
    "    results included), exactly 0.5 at 0, 0 at -inf, 1 at +inf, NaN for NaN.\n\n"
    "    >>> import cneuron as cn\n"
    "    >>> float(cn.sigmoid(0.0))\n"
    "    0.5\n"
    "    >>> cn.sigmoid([-1000.0, 1000.0]).tolist()\n"
    "    [0.0, 1.0]\n" + _COMMON_DOC
)
relu.__doc__ = "The rectifier max(z, 0), elementwise (relu(-0.0) = +0.0).\n" + _COMMON_DOC
leaky_relu.__doc__ = (
    "z for z > 0, alpha * z otherwise, elementwise.\n\n"
    "    alpha : float, default 0.01 -- the slope for negative z.\n" + _COMMON_DOC
)
silu.__doc__ = "SiLU (swish): z * sigmoid(z), elementwise; within 4 ulp.\n" + _COMMON_DOC
tanh.__doc__ = "The hyperbolic tangent, elementwise; within 4 ulp (tanh(-0) = -0).\n" + _COMMON_DOC
elu.__doc__ = (
    "ELU: z for z > 0, alpha * (exp(z) - 1) otherwise, elementwise.\n\n"
    "    alpha : float, default 1.0 -- the value approached as z -> -inf is -alpha.\n" + _COMMON_DOC
)
selu.__doc__ = (
    "SELU: scale * elu(z, alpha) with the self-normalising constants\n"
    "    scale = 1.0507009873554804934 and alpha = 1.6732632423543772848.\n" + _COMMON_DOC
)
softplus.__doc__ = (
    "softplus: log(1 + exp(beta * z)) / beta, and z itself where\n"
    "    beta * z > threshold (as in PyTorch); computed as\n"
    "    (max(beta z, 0) + log1p(exp(-|beta z|))) / beta, so nothing overflows.\n\n"
    "    beta : float, default 1.0 (positive); threshold : float, default 20.0.\n" + _COMMON_DOC
)
log_sigmoid.__doc__ = (
    "log(sigmoid(z)) = min(z, 0) - log1p(exp(-|z|)), elementwise: no\n"
    "    overflow, no log(0), accurate for large |z| of either sign.\n" + _COMMON_DOC
)
softmax.__doc__ = (
    "softmax along ``axis``: exp(z - max) / sum(exp(z - max)), class probabilities.\n\n"
    "    Max-subtracted, so nothing overflows; z - max is formed exactly and the\n"
    "    sum is compensated: within 4 ulp whatever the length of the axis. +inf\n"
    "    entries share the mass, a row of -inf is uniform, a row with NaN is NaN.\n\n"
    "    axis : int, default -1 -- the axis that sums to 1.\n" + _COMMON_DOC
)
log_softmax.__doc__ = (
    "log_softmax along ``axis``: (z - max) - log(sum(exp(z - max))).\n\n"
    "    Never log(0) for finite input; the dominant entry keeps its digits\n"
    "    (log1p of the rest). axis : int, default -1.\n" + _COMMON_DOC
)
gelu.__doc__ = (
    "GELU: z * Phi(z), Phi the standard normal CDF (approximate='none'), or\n"
    "    0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))) (approximate='tanh'), as in\n"
    "    PyTorch. The exact form never computes 1 + erf(z / sqrt 2) (which loses\n"
    "    every digit near z = -8): its negative tail comes from an erfc-type\n"
    "    expansion; the tanh form is computed as z * sigmoid(2u).\n" + _COMMON_DOC
)
