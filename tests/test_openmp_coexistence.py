"""cneuron beside torch and scikit-learn in one process: each brings an OpenMP
runtime (cneuron the compiler's, torch its own, scikit-learn's extensions the
compiler's); imported in any order and used from threads, they must all work
and give their usual results."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import numpy as np
{imports}
import cneuron as cn, torch
from sklearn.ensemble import HistGradientBoostingClassifier

rng = np.random.default_rng(0)
X = rng.normal(size=(200_000, 16))
w = rng.normal(size=16)
n = cn.Neuron(w, 0.1)
ref = n.forward(X, num_threads=1)
assert np.array_equal(n.forward(X, num_threads=2), ref)   # cneuron's OpenMP threads
torch.set_num_threads(2)
t = torch.sigmoid(torch.from_numpy(X) @ torch.from_numpy(w) + 0.1).numpy()
assert np.allclose(t, ref, rtol=1e-12, atol=1e-15)        # torch's threads
y = (X[:2000, 0] > 0).astype(int)
clf = HistGradientBoostingClassifier(max_iter=20).fit(X[:2000], y)  # scikit-learn's OpenMP
assert clf.score(X[:2000], y) > 0.9
layer = cn.Dense.create(16, 64, "relu", seed=0)
assert np.array_equal(layer.forward(X, num_threads=2), layer.forward(X, num_threads=1))
print("ok")
"""


@pytest.mark.parametrize(
    "imports",
    ["import torch, sklearn, cneuron", "import cneuron, sklearn, torch"],
)
def test_cneuron_torch_and_sklearn_share_a_process(imports):
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(imports=imports)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
