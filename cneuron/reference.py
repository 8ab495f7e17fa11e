"""The pure-Python reference: the specification every kernel is tested against.

Plain Python on lists and floats, with the ``math`` module only (no numpy), so
that it can be read as the definition of what cneuron computes. It is also the
baseline of the benchmarks: what a careful programmer writes without numpy.

* ``preactivation`` sums the products x_i*w_i and the bias with ``math.fsum``
  (the correctly rounded sum of the rounded products), so its error is at
  most one rounding per product plus half an ulp.
* ``sigmoid`` uses the two stable halves 1/(1+e^-z) and e^z/(1+e^z), so
  ``math.exp`` never overflows; libm's exp is within 1 ulp.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import mul

__all__ = [
    "ACTIVATIONS",
    "activation",
    "derivative",
    "dot",
    "elu",
    "elu_grad",
    "forward_batch",
    "gelu",
    "gelu_grad",
    "identity",
    "identity_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "log_sigmoid",
    "log_sigmoid_grad",
    "log_softmax",
    "neuron_forward",
    "preactivation",
    "relu",
    "relu_grad",
    "selu",
    "selu_grad",
    "sigmoid",
    "sigmoid_grad",
    "silu",
    "silu_grad",
    "softmax",
    "softplus",
    "softplus_grad",
    "step",
    "step_grad",
    "tanh",
    "tanh_grad",
]


def dot(x: Sequence[float], w: Sequence[float]) -> float:
    """The dot product x.w of two equal-length sequences, correctly rounded sum."""
    if len(x) != len(w):
        raise ValueError(f"expected {len(w)} features, got {len(x)}")
    return math.fsum(map(mul, x, w))


def preactivation(x: Sequence[float], w: Sequence[float], b: float = 0.0) -> float:
    """The weighted sum z = x.w + b for one sample."""
    if len(x) != len(w):
        raise ValueError(f"expected {len(w)} features, got {len(x)}")
    return math.fsum([*map(mul, x, w), b])


def identity(z: float) -> float:
    """f(z) = z."""
    return float(z)


def identity_grad(z: float) -> float:
    """f'(z) = 1 (NaN for NaN)."""
    z = float(z)
    return 1.0 if z == z else z


def step(z: float) -> float:
    """Heaviside step: 1 for z >= 0, else 0 (NaN for NaN)."""
    z = float(z)
    if z >= 0.0:
        return 1.0
    return 0.0 if z < 0.0 else z


def step_grad(z: float) -> float:
    """0 wherever it exists, and taken as 0 at z = 0 (NaN for NaN)."""
    z = float(z)
    return 0.0 if z == z else z


def sigmoid(z: float) -> float:
    """The logistic sigmoid 1 / (1 + e^-z), stable for every float z."""
    z = float(z)
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    if z < 0.0:
        e = math.exp(z)
        return e / (1.0 + e)
    return z  # NaN


def sigmoid_grad(z: float) -> float:
    """sigma'(z) = sigma(z)(1 - sigma(z)) = e / (1 + e)^2, e = exp(-|z|)."""
    z = float(z)
    if z != z:
        return z
    e = math.exp(-abs(z))
    return e / (1.0 + e) / (1.0 + e)


def relu(z: float) -> float:
    """max(z, 0) (NaN for NaN)."""
    z = float(z)
    if z > 0.0:
        return z
    return 0.0 if z <= 0.0 else z


def relu_grad(z: float) -> float:
    """1 for z > 0, else 0 (relu'(0) = 0)."""
    z = float(z)
    if z > 0.0:
        return 1.0
    return 0.0 if z <= 0.0 else z


def leaky_relu(z: float, alpha: float = 0.01) -> float:
    """z for z > 0, alpha * z otherwise."""
    z = float(z)
    return z if z > 0.0 else alpha * z


def leaky_relu_grad(z: float, alpha: float = 0.01) -> float:
    """1 for z > 0, alpha otherwise (leaky_relu'(0) = alpha)."""
    z = float(z)
    if z > 0.0:
        return 1.0
    return float(alpha) if z <= 0.0 else z


def silu(z: float) -> float:
    """SiLU (swish) z * sigma(z)."""
    z = float(z)
    if math.isinf(z):
        return z if z > 0 else -0.0
    return z * sigmoid(z)


def silu_grad(z: float) -> float:
    """silu'(z) = sigma(z) (1 + z (1 - sigma(z)))."""
    z = float(z)
    if math.isinf(z):
        return 1.0 if z > 0 else 0.0
    return sigmoid(z) * (1.0 + z * sigmoid(-z))


SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def tanh(z: float) -> float:
    """The hyperbolic tangent."""
    return math.tanh(float(z))


def tanh_grad(z: float) -> float:
    """tanh'(z) = 1 - tanh(z)^2 = 4 e / (1 + e)^2 with e = exp(-2|z|)."""
    z = float(z)
    if z != z:
        return z
    e = math.exp(-2.0 * abs(z)) if abs(z) < 1e300 else 0.0
    return 4.0 * e / (1.0 + e) / (1.0 + e)


def elu(z: float, alpha: float = 1.0) -> float:
    """z for z > 0, alpha (e^z - 1) otherwise."""
    z = float(z)
    if z != z:
        return z
    return z if z > 0.0 else alpha * math.expm1(max(z, -800.0))


def elu_grad(z: float, alpha: float = 1.0) -> float:
    """1 for z > 0, alpha e^z otherwise."""
    z = float(z)
    if z != z:
        return z
    return 1.0 if z > 0.0 else alpha * math.exp(max(z, -1e4))


def selu(z: float) -> float:
    """scale * elu(z, alpha) with the self-normalising constants."""
    z = float(z)
    if z != z:
        return z
    return SELU_SCALE * z if z > 0.0 else SELU_SCALE * SELU_ALPHA * math.expm1(max(z, -800.0))


def selu_grad(z: float) -> float:
    """scale for z > 0, scale alpha e^z otherwise."""
    z = float(z)
    if z != z:
        return z
    return SELU_SCALE if z > 0.0 else SELU_SCALE * SELU_ALPHA * math.exp(max(z, -1e4))


def softplus(z: float, beta: float = 1.0, threshold: float = 20.0) -> float:
    """log(1 + e^(beta z)) / beta, and z where beta z > threshold."""
    z = float(z)
    y = beta * z
    if y != y:
        return y
    if y > threshold:
        return z
    return (max(y, 0.0) + math.log1p(math.exp(-abs(y)))) / beta


def softplus_grad(z: float, beta: float = 1.0, threshold: float = 20.0) -> float:
    """sigma(beta z), and 1 where beta z > threshold."""
    y = beta * float(z)
    if y != y:
        return y
    return 1.0 if y > threshold else sigmoid(y)


def log_sigmoid(z: float) -> float:
    """log sigma(z) = min(z, 0) - log1p(e^-|z|)."""
    z = float(z)
    if z != z:
        return z
    return min(z, 0.0) - math.log1p(math.exp(-abs(z)))


def log_sigmoid_grad(z: float) -> float:
    """sigma(-z)."""
    return sigmoid(-float(z))


def gelu(z: float, approximate: str = "none") -> float:
    """z Phi(z) with Phi(z) = erfc(-z / sqrt 2) / 2, or the tanh form."""
    z = float(z)
    if z != z:
        return z
    if math.isinf(z):
        return z if z > 0 else -0.0
    if approximate == "tanh":
        if abs(z) > 1e100:  # z^3 would overflow; the limits
            return z if z > 0 else -0.0
        u = math.sqrt(2.0 / math.pi) * (z + 0.044715 * z**3)
        return z * sigmoid(2.0 * u)
    return z * 0.5 * math.erfc(-z / math.sqrt(2.0))


def gelu_grad(z: float, approximate: str = "none") -> float:
    """Phi(z) + z phi(z) (or the derivative of the tanh form)."""
    z = float(z)
    if z != z:
        return z
    if math.isinf(z):
        return 1.0 if z > 0 else 0.0
    if approximate == "tanh":
        if abs(z) > 1e100:
            return 1.0 if z > 0 else 0.0
        k = math.sqrt(2.0 / math.pi)
        u = 2.0 * k * (z + 0.044715 * z**3)
        du = 2.0 * k * (1.0 + 3 * 0.044715 * z * z)
        return sigmoid(u) * (1.0 + z * sigmoid(-u) * du)
    phi = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return 0.5 * math.erfc(-z / math.sqrt(2.0)) + z * phi


def softmax(z: Sequence[float]) -> list[float]:
    """softmax of a vector: exp(z_i - max) / sum_j exp(z_j - max)."""
    zs = [float(v) for v in z]
    m = max(zs)
    e = [math.exp(v - m) for v in zs]
    s = math.fsum(e)
    return [v / s for v in e]


def log_softmax(z: Sequence[float]) -> list[float]:
    """log_softmax of a vector: (z_i - max) - log(sum_j exp(z_j - max))."""
    zs = [float(v) for v in z]
    m = max(zs)
    ls = math.log(math.fsum(math.exp(v - m) for v in zs))
    return [(v - m) - ls for v in zs]


#: name -> (function, derivative) of the elementwise activations; parameters
#: are keyword arguments of both (softmax and log_softmax act on vectors)
ACTIVATIONS = {
    "identity": (identity, identity_grad),
    "step": (step, step_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "silu": (silu, silu_grad),
    "tanh": (tanh, tanh_grad),
    "elu": (elu, elu_grad),
    "selu": (selu, selu_grad),
    "softplus": (softplus, softplus_grad),
    "log_sigmoid": (log_sigmoid, log_sigmoid_grad),
    "gelu": (gelu, gelu_grad),
}


def _pair(name: str):  # type: ignore[no-untyped-def]
    try:
        return ACTIVATIONS[name]
    except KeyError:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {name!r}; known: {known}") from None


def activation(name: str, z: float, **params: float) -> float:
    """The activation ``name`` at z, with its parameters (e.g. alpha=0.1)."""
    return float(_pair(name)[0](z, **params))


def derivative(name: str, z: float, **params: float) -> float:
    """The derivative of the activation ``name`` at z."""
    return float(_pair(name)[1](z, **params))


def neuron_forward(
    x: Sequence[float],
    w: Sequence[float],
    b: float = 0.0,
    activation: str = "sigmoid",
    **params: float,
) -> float:
    """A neuron's output f(x.w + b) for one sample."""
    return float(_pair(activation)[0](preactivation(x, w, b), **params))


def forward_batch(
    X: Sequence[Sequence[float]],
    w: Sequence[float],
    b: float = 0.0,
    activation: str = "sigmoid",
    **params: float,
) -> list[float]:
    """A neuron's output for each row of a batch, as a list."""
    f = _pair(activation)[0]
    return [float(f(preactivation(x, w, b), **params)) for x in X]
