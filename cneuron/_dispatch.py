"""Which compiled variant of the kernels runs: chosen once, at import.

The kernels are compiled for several instruction sets (``_kernels.ISA_NAMES``:
baseline x86-64, AVX2, AVX-512; only the baseline elsewhere). By default the
widest one the CPU supports runs. ``CNEURON_SIMD=baseline|avx2|avx512|auto``
forces a path (capped, with a warning, at what the CPU supports). Every path
gives bitwise the same results; only the speed differs.
"""

from __future__ import annotations

import os
import warnings

from . import _kernels

ENV_VAR = "CNEURON_SIMD"


def select_from_environment() -> str:
    """Apply ``CNEURON_SIMD`` (default ``auto``); returns the path in use."""
    want = os.environ.get(ENV_VAR, "").strip().lower() or "auto"
    if want == "auto":
        return str(_kernels.select_isa(_kernels.cpu_max_isa()))
    if want not in _kernels.ISA_NAMES:
        raise ValueError(
            f"{ENV_VAR} must be one of auto, {', '.join(_kernels.ISA_NAMES)}; got {want!r}"
        )
    got = str(_kernels.select_isa(want))
    if got != want:
        warnings.warn(
            f"{ENV_VAR}={want}: this CPU (or this build) supports up to {got}; using {got}",
            RuntimeWarning,
            stacklevel=2,
        )
    return got


SIMD = select_from_environment()
