"""What this build of cneuron is: version, OpenMP, SIMD paths, threads."""

from __future__ import annotations

import platform
import sys

import numpy as np

from . import _kernels
from . import _validate as _v
from ._version import __version__


def config() -> dict[str, object]:
    """The build and runtime facts of this installation, as a dict."""
    return {
        "cneuron": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": f"{platform.system()} {platform.machine()}",
        "openmp": bool(_kernels.HAVE_OPENMP),
        "simd": _kernels.current_isa(),
        "simd_compiled": ", ".join(_kernels.COMPILED_ISAS),
        "simd_cpu_max": _kernels.cpu_max_isa(),
        "default_threads": _v.resolve_threads(None),
        "available_cpus": _v.AVAILABLE_CPUS,
    }


def show_config() -> None:
    """Print how this cneuron was built and how it will run."""
    for key, value in config().items():
        print(f"{key + ':':18}{value}")
