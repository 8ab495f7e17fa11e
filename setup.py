"""Build of cneuron's compiled layer.

Extension modules are compiled from ``src/`` into the ``cneuron`` package.

* Cython directives are set once, here. ``CNEURON_BOUNDSCHECK=1`` turns bounds
  checking, wraparound and initialisation checks on, for debugging.
* OpenMP is found by a compile-and-link test of a small program with the
  compiler that builds the extensions. Without it the build warns and goes on
  serial (the kernels compile either way; see src/cn_omp.h).
  ``CNEURON_NO_OPENMP=1`` forces the serial build.
* On x86-64 with GCC or clang the block kernels are compiled for the baseline,
  AVX2 and AVX-512 through function target attributes, and the widest one the
  CPU supports is chosen at import (``CNEURON_SIMD`` overrides). Elsewhere only
  portable C is built; ``CNEURON_GENERIC=1`` builds just that here.
* No -ffast-math (it breaks NaN/inf semantics and reproducibility and can
  flush subnormals process-wide) and no -march=native (wheels must run on any
  CPU of the architecture). -ffp-contract=off keeps a*b+c from being fused
  into an FMA on one target and not on another, so results are bitwise the
  same everywhere. -fno-math-errno and -fno-trapping-math do not change
  results.
"""

import os
import sys
import tempfile
import textwrap
import warnings

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


BOUNDSCHECK = _env_flag("CNEURON_BOUNDSCHECK")
NO_OPENMP = _env_flag("CNEURON_NO_OPENMP")
# Only the portable C kernels: what a compiler without vector extensions or a
# CPU other than x86-64 builds (no per-CPU variants). For testing that path.
GENERIC = _env_flag("CNEURON_GENERIC")

COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": BOUNDSCHECK,
    "wraparound": BOUNDSCHECK,
    "initializedcheck": BOUNDSCHECK,
    "nonecheck": False,
    "cdivision": True,
    "embedsignature": True,
}

GCC_LIKE_FLAGS = [
    "-O3",
    "-ffp-contract=off",
    "-fno-math-errno",
    "-fno-trapping-math",
]
MSVC_FLAGS = ["/O2", "/fp:precise"]

OPENMP_PROBE = textwrap.dedent(
    """\
    #include <omp.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        return n > 0 && omp_get_max_threads() > 0 ? 0 : 1;
    }
    """
)


def _openmp_flags(compiler):
    """Compile and link flags for OpenMP, or None when the compiler lacks it."""
    if compiler.compiler_type == "msvc":
        return ["/openmp"], []
    if sys.platform == "darwin":
        # Apple clang takes OpenMP through the preprocessor with libomp.
        return ["-Xpreprocessor", "-fopenmp"], ["-lomp"]
    return ["-fopenmp"], ["-fopenmp"]


def _probe_openmp(compiler, cflags, ldflags):
    """True when a small OpenMP program compiles and links with these flags."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe_openmp.c")
        with open(src, "w") as f:
            f.write(OPENMP_PROBE)
        try:
            objects = compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
            compiler.link_executable(
                objects, "probe_openmp", output_dir=tmp, extra_postargs=ldflags
            )
        except Exception:  # any compile or link error means "no OpenMP"
            return False
    return True


class BuildExt(build_ext):
    """build_ext that picks warning-free portable flags and probes OpenMP."""

    def finalize_options(self):
        super().finalize_options()
        # flags depend on the environment (OpenMP on/off), which setuptools'
        # timestamp check cannot see: always compile
        self.force = True
        # the extension modules compile independently: one per core
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        msvc = self.compiler.compiler_type == "msvc"
        base = MSVC_FLAGS if msvc else GCC_LIKE_FLAGS
        omp_c, omp_l = [], []
        if NO_OPENMP:
            print("cneuron: CNEURON_NO_OPENMP is set: serial build")
        else:
            cflags, ldflags = _openmp_flags(self.compiler)
            if _probe_openmp(self.compiler, cflags, ldflags):
                omp_c, omp_l = cflags, ldflags
                print("cneuron: OpenMP found: parallel build")
            else:
                warnings.warn(
                    "cneuron: the compiler has no usable OpenMP; building the "
                    "serial kernels (num_threads has no effect)",
                    stacklevel=1,
                )
        for ext in self.extensions:
            ext.extra_compile_args = base + omp_c + list(ext.extra_compile_args)
            ext.extra_link_args = omp_l + list(ext.extra_link_args)
        super().build_extensions()


extensions = [
    Extension(
        "cneuron._kernels",
        sources=["src/_kernels.pyx"],
        include_dirs=["src"],
        define_macros=[("CN_FORCE_GENERIC", "1")] if GENERIC else [],
        depends=[
            "src/cn_math.h",
            "src/cn_kernels.h",
            "src/cn_rows_impl.h",
            "src/cn_blocks_impl.h",
            "src/cn_dense_impl.h",
            "src/cn_small_dot.h",
            "src/cn_silu_root.h",
            "src/cn_gelu_coeffs.h",
            "src/cn_tanh_coeffs.h",
            "src/cn_tanh_span.h",
            "src/cn_act_impl.h",
            "src/cn_softmax_impl.h",
            "src/cn_omp.h",
        ],
    ),
    Extension(
        "cneuron._train",
        sources=["src/_train.pyx"],
        include_dirs=["src"],
        define_macros=[("CN_FORCE_GENERIC", "1")] if GENERIC else [],
        depends=[
            "src/cn_train.h",
            "src/cn_train_impl.h",
            "src/cn_math.h",
            "src/cn_tanh_coeffs.h",
            "src/cn_tanh_span.h",
            "src/cn_kernels.h",
            "src/cn_rows_impl.h",
            "src/cn_act_impl.h",
        ],
    ),
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives=COMPILER_DIRECTIVES,
        build_dir="build/cython",
        # directives come from the environment: regenerate every time so that
        # a debug build never leaves stale C behind for the next one
        force=True,
        nthreads=os.cpu_count() or 1,
    ),
    cmdclass={"build_ext": BuildExt},
)
