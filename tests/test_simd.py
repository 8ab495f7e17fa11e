"""Every compiled instruction-set path gives bitwise the same results, and
CNEURON_SIMD chooses the path."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import DTYPES

import cneuron as cn
from cneuron import _kernels

SUPPORTED = [
    name
    for name in _kernels.COMPILED_ISAS
    if _kernels.ISA_NAMES.index(name) <= _kernels.ISA_NAMES.index(_kernels.cpu_max_isa())
]


@pytest.fixture
def restore_isa():
    before = _kernels.current_isa()
    yield
    _kernels.select_isa(before)


def _outputs(rng, dtype):
    """Results of every kernel over shapes that reach every code path."""
    res = []
    for d in (1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 1000):
        X = (rng.standard_normal((515, d)) * 4).astype(dtype)
        w = rng.standard_normal(d).astype(dtype)
        for act_name in ("sigmoid", "identity", "silu", "relu"):
            for t in (1, 2):
                res.append(cn.neuron_forward(X, w, 0.375, act_name, num_threads=t))
    z = np.concatenate([rng.standard_normal(20_001) * 30, [0.0, -0.0, np.inf, -np.inf, np.nan]])
    extremes = [-745.0, -744.5, -720.0, -709.0, -103.0, -88.0, 40.0]
    z = np.concatenate([z, extremes]).astype(dtype)
    res.append(cn.sigmoid(z))
    zz = z.copy()
    res.append(cn.sigmoid(zz, out=zz))
    for name in cn.activations.names():
        act = cn.activations.get(name)
        if act.elementwise:
            res.append(act(z))
            res.append(act.derivative(z))
        else:  # row-wise: rows of 7 and one long row
            res.append(act(z[: (z.size // 7) * 7].reshape(-1, 7)))
            res.append(act(z))
    return res


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_paths_bitwise_identical(dtype, restore_isa):
    assert "baseline" in SUPPORTED
    _kernels.select_isa("baseline")
    expect = _outputs(np.random.default_rng(7), dtype)
    for name in SUPPORTED:
        assert _kernels.select_isa(name) == name
        got = _outputs(np.random.default_rng(7), dtype)
        for a, b in zip(got, expect):
            np.testing.assert_array_equal(a, b, err_msg=f"path {name}")


def test_selection_is_capped_at_the_cpu(restore_isa):
    top = _kernels.cpu_max_isa()
    for name in _kernels.ISA_NAMES:
        got = _kernels.select_isa(name)
        capped = _kernels.ISA_NAMES[
            min(_kernels.ISA_NAMES.index(name), _kernels.ISA_NAMES.index(top))
        ]
        assert got == capped == _kernels.current_isa()


def _import_with(value):
    env = dict(os.environ, CNEURON_SIMD=value)
    code = "import cneuron, cneuron._kernels as k; print(k.current_isa())"
    return subprocess.run(
        [sys.executable, "-W", "always", "-c", code], env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize("name", ["baseline", "avx2", "avx512", "auto", "AVX2", ""])
def test_environment_variable_selects_the_path(name):
    res = _import_with(name)
    assert res.returncode == 0, res.stderr
    top = _kernels.cpu_max_isa()
    key = name.lower() or "auto"
    want = top if key == "auto" else key
    rank = _kernels.ISA_NAMES.index
    expected = want if rank(want) <= rank(top) else top
    assert res.stdout.strip() == expected
    capped = key != "auto" and rank(want) > rank(top)
    assert ("supports up to" in res.stderr) is capped


def test_bad_environment_value_is_a_clear_error():
    res = _import_with("sse9")
    assert res.returncode != 0
    assert "CNEURON_SIMD must be one of auto, baseline, avx2, avx512; got 'sse9'" in res.stderr


def test_config_names_the_path_in_use():
    cfg = cn._config.config()
    assert cfg["simd"] == _kernels.current_isa()
    assert cfg["simd_cpu_max"] == _kernels.cpu_max_isa()
    asked = os.environ.get("CNEURON_SIMD", "").lower()
    if asked and asked != "auto":
        rank = _kernels.ISA_NAMES.index
        top = _kernels.cpu_max_isa()
        assert cfg["simd"] == (asked if rank(asked) <= rank(top) else top)


def _float_patterns(stride):
    """Float32 values from every stride-th bit pattern (both signs, zeros,
    subnormals, infinities), plus quiet and signalling NaNs with payloads."""
    bits = np.arange(0, 2**32, stride, dtype=np.uint64).astype(np.uint32)
    nans = np.array(
        [0x7FC00000, 0xFFC00000, 0x7FC12345, 0xFFE00001, 0x7F800001, 0xFF812345, 0x7FBFFFFF],
        dtype=np.uint32,
    )
    edges = np.array([0.0, -0.0, 10.0, -10.0, np.inf, -np.inf], dtype=np.float32).view(np.uint32)
    return np.concatenate([bits, nans, edges]).view(np.float32)


def test_float_tanh_fused_paths_bitwise_identical(restore_isa):
    """Float tanh uses fused multiply-adds: one instruction on AVX2 and
    AVX-512 (intrinsics there, with a table for tanh(n ln2/2)), (float)(x*y +
    z) in double on the baseline. Every path gives the same bits for every
    kind of float, a NaN comes out as the same NaN, any tail length, in place
    or not, and through a Dense layer."""
    z = _float_patterns(4099)
    lengths = [*range(1, 40), z.size]
    results = {}
    for name in SUPPORTED:
        _kernels.select_isa(name)
        got = [cn.activations.tanh(z[:k]) for k in lengths]
        zz = z.copy()
        got.append(cn.activations.tanh(zz, out=zz))
        got.append(cn.activations.tanh(z[1::3]))  # another alignment
        rng = np.random.default_rng(1)
        W = rng.standard_normal((5, 7)).astype(np.float32)
        X = (rng.standard_normal((301, 7)) * 3).astype(np.float32)
        got.append(cn.Dense(W, np.ones(5, np.float32), activation="tanh")(X))
        results[name] = got
    nan = np.isnan(z)
    assert np.array_equal(results["baseline"][-4].view(np.uint32)[nan], z.view(np.uint32)[nan])
    for name in SUPPORTED:
        for a, b in zip(results[name], results["baseline"]):
            np.testing.assert_array_equal(
                a.view(np.uint32), b.view(np.uint32), err_msg=f"path {name}"
            )


@pytest.mark.slow
def test_float_tanh_every_argument_same_on_every_path(restore_isa):
    """Exhaustive: the baseline computes float tanh's fused multiply-adds as
    (float)(x*y + z) in double, which equals the fused result unless a double
    rounding lands on a float midpoint. Checked here for every float in
    [0, 10], which is every argument the kernel sees (|z| is clamped at 10;
    the sign is copied; NaN passes through)."""
    stop = int(np.float32(10.0).view(np.uint32)) + 1
    chunk = 1 << 24
    n_bad = 0
    for start in range(0, stop, chunk):
        a = np.arange(start, min(start + chunk, stop), dtype=np.uint32).view(np.float32)
        _kernels.select_isa("baseline")
        want = cn.activations.tanh(a).view(np.uint32)
        for name in SUPPORTED[1:]:
            _kernels.select_isa(name)
            got = cn.activations.tanh(a).view(np.uint32)
            n_bad += int(np.count_nonzero(got != want))
    assert n_bad == 0
