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
    "dot",
    "forward_batch",
    "identity",
    "neuron_forward",
    "preactivation",
    "sigmoid",
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


def sigmoid(z: float) -> float:
    """The logistic sigmoid 1 / (1 + e^-z), stable for every float z."""
    z = float(z)
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    if z < 0.0:
        e = math.exp(z)
        return e / (1.0 + e)
    return z  # NaN


_ACTIVATIONS = {"identity": identity, "sigmoid": sigmoid}


def _activation(name: str):  # type: ignore[no-untyped-def]
    try:
        return _ACTIVATIONS[name]
    except KeyError:
        known = ", ".join(sorted(_ACTIVATIONS))
        raise ValueError(f"unknown activation {name!r}; known: {known}") from None


def neuron_forward(
    x: Sequence[float], w: Sequence[float], b: float = 0.0, activation: str = "sigmoid"
) -> float:
    """A neuron's output f(x.w + b) for one sample."""
    return _activation(activation)(preactivation(x, w, b))


def forward_batch(
    X: Sequence[Sequence[float]],
    w: Sequence[float],
    b: float = 0.0,
    activation: str = "sigmoid",
) -> list[float]:
    """A neuron's output for each row of a batch, as a list."""
    f = _activation(activation)
    return [f(preactivation(x, w, b)) for x in X]
