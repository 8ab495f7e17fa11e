"""Importing and running cneuron never changes the floating-point environment."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_subnormals_survive_import_and_kernels():
    code = textwrap.dedent(
        """
        import numpy as np
        tiny = np.array([2.2250738585072014e-308]) / 4      # subnormal
        assert tiny[0] != 0.0
        import cneuron as cn
        X = np.random.default_rng(0).standard_normal((100_000, 8))
        cn.neuron_forward(X, np.ones(8), num_threads=2)
        cn.sigmoid(X, num_threads=2)
        again = np.array([2.2250738585072014e-308]) / 4
        assert again[0] == tiny[0] != 0.0, again
        f32 = np.array([1.1754944e-38], dtype=np.float32) / np.float32(8)
        assert f32[0] != 0
        assert 5e-324 / 2 == 0 and 5e-324 * 1.0 != 0      # Python floats too
        print("ok")
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
