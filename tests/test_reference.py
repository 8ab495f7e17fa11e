"""The pure-Python reference is the oracle: check it against mpmath."""

from __future__ import annotations

import ast
import inspect
import math

import mpmath
import pytest

from cneuron import reference


def test_reference_uses_math_only():
    tree = ast.parse(inspect.getsource(reference))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"math", "operator", "collections", "__future__"}


@pytest.mark.parametrize(
    "z", [-1000.0, -745.0, -710.0, -40.0, -1.0, -1e-20, 0.0, 1e-20, 1.0, 40.0, 710.0, 1000.0]
)
def test_sigmoid_against_mpmath(z):
    mpmath.mp.prec = 120
    exact = 1 / (1 + mpmath.exp(-mpmath.mpf(z)))
    got = reference.sigmoid(z)
    tol = max(abs(float(exact)) * 4 * 2.0**-52, 4 * 5e-324)
    assert abs(mpmath.mpf(got) - exact) <= tol


def test_sigmoid_special_values():
    assert reference.sigmoid(math.inf) == 1.0
    assert reference.sigmoid(-math.inf) == 0.0
    assert math.isnan(reference.sigmoid(math.nan))
    assert reference.sigmoid(0) == 0.5


def test_preactivation_and_forward():
    assert reference.preactivation([0.8, 0.6, 0.9], [0.5, 0.3, 0.7], 0.1) == 1.31
    assert reference.dot([1.0, 2.0], [3.0, 4.0]) == 11.0
    # fsum: exact where naive summation loses everything
    assert reference.preactivation([1e16, 1.0, -1e16], [1.0, 1.0, 1.0]) == 1.0
    assert reference.neuron_forward([1.0], [0.0], 0.0) == 0.5
    assert reference.neuron_forward([2.0], [1.5], 1.0, "identity") == 4.0
    assert reference.forward_batch([[1.0], [0.0]], [0.0], 0.0) == [0.5, 0.5]
    with pytest.raises(ValueError, match="expected 2 features, got 1"):
        reference.preactivation([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="expected 2 features, got 1"):
        reference.dot([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="unknown activation"):
        reference.neuron_forward([1.0], [1.0], 0.0, "nope")
    assert reference.identity(3) == 3.0
