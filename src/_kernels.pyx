# cneuron._kernels -- the compiled layer: loops over arrays, threading, GIL.
#
# Organisation (one job per layer):
#   * src/cn_math.h      scalar point functions (exp, sigmoid), branch-free C
#   * src/cn_kernels.h   per-row dot product and per-block kernels on
#                        pointers, compiled per instruction set, and the
#                        dispatch table that picks one at import
#   * this module        loops over blocks of rows (prange), one fused
#                        implementation per job over `floating`, and thin `def`
#                        entry points per dtype that release the GIL.
#
# Nothing here validates: cneuron/_validate.py has already checked dtype,
# shape, contiguity, writability and aliasing, and resolved the thread count.
# Inputs are `const` memoryviews (read-only and memory-mapped buffers work),
# outputs are C-contiguous.
#
# Reproducibility: every path computes a row with cn_dot_* (fixed partial
# sums), so a row's result never depends on the batch it came in, its
# position or the thread that ran it; a row is never split across threads.

from cython cimport floating
from cython.parallel cimport prange

cdef extern from *:
    """
    #include "cn_kernels.h"
    static int cn_x86_dispatch(void) { return CN_X86_DISPATCH; }
    """
    int cn_x86_dispatch() noexcept


def _x86_dispatch():
    return bool(cn_x86_dispatch())


cdef extern from "cn_omp.h" nogil:
    int CN_HAVE_OPENMP
    int cn_omp_max_threads() noexcept

cdef extern from "cn_kernels.h" nogil:
    int CN_ACT_IDENTITY
    int CN_ACT_SIGMOID
    int CN_ACT_STEP
    int CN_ACT_RELU
    int CN_ACT_LEAKY_RELU
    int CN_ACT_SILU
    int CN_ACT_TANH
    int CN_ACT_ELU
    int CN_ACT_SELU
    int CN_ACT_SOFTPLUS
    int CN_ACT_LOG_SIGMOID
    int CN_ACT_GELU
    int CN_ACT_GELU_TANH
    int CN_ISA_BASELINE
    int CN_ISA_AVX2
    int CN_ISA_AVX512
    int cn_cpu_max_isa() noexcept
    int cn_select_isa(int level) noexcept
    int cn_current_isa() noexcept
    double cn_dot_d(const double *x, const double *w, Py_ssize_t d) noexcept
    float cn_dot_f(const float *x, const float *w, Py_ssize_t d) noexcept
    # dispatch-table entries (function pointers in C)
    void cn_softmax_rows_d(const double *x, double *out, Py_ssize_t n_rows,
                           Py_ssize_t n, int log_out) noexcept
    void cn_softmax_rows_f(const float *x, float *out, Py_ssize_t n_rows,
                           Py_ssize_t n, int log_out) noexcept
    void cn_softmax_vjp_row_d(const double *s, const double *g, double *out,
                              Py_ssize_t n, int log_out) noexcept
    void cn_softmax_vjp_row_f(const float *s, const float *g, float *out,
                              Py_ssize_t n, int log_out) noexcept
    double cn_act_point_d(double z, int act, double p0, double p1) noexcept
    float cn_act_point_f(float z, int act, float p0, float p1) noexcept
    # dispatch-table entries (function pointers in C)
    void cn_activate_span_d(const double *z, double *out, Py_ssize_t n,
                            int act, double p0, double p1) noexcept
    void cn_activate_span_f(const float *z, float *out, Py_ssize_t n,
                            int act, float p0, float p1) noexcept
    void cn_derive_span_d(const double *z, double *out, Py_ssize_t n,
                          int act, double p0, double p1) noexcept
    void cn_derive_span_f(const float *z, float *out, Py_ssize_t n,
                          int act, float p0, float p1) noexcept
    void cn_dense_rows_d(const double *X, Py_ssize_t ldx, Py_ssize_t n, Py_ssize_t K,
                         int x_padded, const double *Wp, Py_ssize_t Kp, Py_ssize_t N,
                         const double *b, double *out, Py_ssize_t ldo, int act, double p0,
                         double p1, int mode, double *scratch, double *part) noexcept
    void cn_dense_rows_f(const float *X, Py_ssize_t ldx, Py_ssize_t n, Py_ssize_t K,
                         int x_padded, const float *Wp, Py_ssize_t Kp, Py_ssize_t N,
                         const float *b, float *out, Py_ssize_t ldo, int act, float p0,
                         float p1, int mode, float *scratch, float *part) noexcept
    void cn_forward_rows_d(const double *X, Py_ssize_t n, Py_ssize_t d,
                           const double *w, double b, double *out,
                           int act, double p0, double p1) noexcept
    void cn_forward_rows_f(const float *X, Py_ssize_t n, Py_ssize_t d,
                           const float *w, float b, float *out,
                           int act, float p0, float p1) noexcept

# Rows per block: z of a block is written to `out` and activated in place
# while it is still in L1 (256 doubles = 2 KiB).
cdef Py_ssize_t ROW_BLOCK = 256
# Elements per block of an elementwise activation handed to one thread.
cdef Py_ssize_t ELEM_BLOCK = 4096
# Below this many elements of input a call runs on the calling thread: waking
# the OpenMP team costs more than it saves (measured: with 2 threads, a
# 2048 x 4 forward is 1.1x faster, 4096 x 4 1.3x, 1024 x 4 no faster).
cdef Py_ssize_t PARALLEL_MIN_ELEMS = 8192

ACT_IDENTITY = CN_ACT_IDENTITY
ACT_SIGMOID = CN_ACT_SIGMOID
ACT_STEP = CN_ACT_STEP
ACT_RELU = CN_ACT_RELU
ACT_LEAKY_RELU = CN_ACT_LEAKY_RELU
ACT_SILU = CN_ACT_SILU
ACT_TANH = CN_ACT_TANH
ACT_ELU = CN_ACT_ELU
ACT_SELU = CN_ACT_SELU
ACT_SOFTPLUS = CN_ACT_SOFTPLUS
ACT_LOG_SIGMOID = CN_ACT_LOG_SIGMOID
ACT_GELU = CN_ACT_GELU
ACT_GELU_TANH = CN_ACT_GELU_TANH
HAVE_OPENMP = bool(CN_HAVE_OPENMP)

#: instruction-set names, indexed by level
ISA_NAMES = ("baseline", "avx2", "avx512")
#: variants compiled into this module (only the baseline off x86-64)
COMPILED_ISAS = ISA_NAMES if _x86_dispatch() else ISA_NAMES[:1]


def cpu_max_isa():
    """Name of the widest instruction set this CPU supports among ISA_NAMES."""
    return ISA_NAMES[cn_cpu_max_isa()]


def select_isa(name):
    """Use the kernels compiled for instruction set ``name`` (capped at what
    the CPU supports); returns the name in use. Call only while no kernel
    runs (at import, or in tests)."""
    return ISA_NAMES[cn_select_isa(ISA_NAMES.index(name))]


def current_isa():
    """Name of the instruction set the kernels use now."""
    return ISA_NAMES[cn_current_isa()]


def omp_max_threads():
    """Threads an OpenMP parallel region would use now (1 without OpenMP)."""
    return cn_omp_max_threads()


# ---- point and row helpers over `floating` -------------------------------

cdef inline floating _dot(const floating *x, const floating *w,
                          Py_ssize_t d) noexcept nogil:
    if floating is double:
        return cn_dot_d(x, w, d)
    else:
        return cn_dot_f(x, w, d)


cdef inline floating _act_point(floating z, int act, floating p0,
                                floating p1) noexcept nogil:
    if floating is double:
        return cn_act_point_d(z, act, p0, p1)
    else:
        return cn_act_point_f(z, act, p0, p1)


cdef inline void _span(const floating *z, floating *out, Py_ssize_t n,
                       int act, floating p0, floating p1,
                       bint derive) noexcept nogil:
    if floating is double:
        if derive:
            cn_derive_span_d(z, out, n, act, p0, p1)
        else:
            cn_activate_span_d(z, out, n, act, p0, p1)
    else:
        if derive:
            cn_derive_span_f(z, out, n, act, p0, p1)
        else:
            cn_activate_span_f(z, out, n, act, p0, p1)


cdef inline void _forward_rows(const floating *X, Py_ssize_t n, Py_ssize_t d,
                               const floating *w, floating b, floating *out,
                               int act, floating p0, floating p1) noexcept nogil:
    if floating is double:
        cn_forward_rows_d(X, n, d, w, b, out, act, p0, p1)
    else:
        cn_forward_rows_f(X, n, d, w, b, out, act, p0, p1)


# ---- loops over arrays ------------------------------------------------------

cdef void _forward_batch(
    const floating[:, ::1] X,   # IN  (n_samples, n_features)
    const floating[::1] w,      # IN  (n_features,)
    floating b,                 # IN
    floating[::1] out,          # OUT (n_samples,)
    int act,
    floating p0,                # the activation's parameters
    floating p1,
    int n_threads,
) noexcept nogil:
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t d = X.shape[1]
    cdef Py_ssize_t n_blocks = (n + ROW_BLOCK - 1) // ROW_BLOCK
    cdef Py_ssize_t blk, start, stop
    if n == 0:
        return
    if n_threads <= 1 or n_blocks == 1 or n * d < PARALLEL_MIN_ELEMS:
        for blk in range(n_blocks):
            start = blk * ROW_BLOCK
            stop = min(start + ROW_BLOCK, n)
            _forward_rows(&X[start, 0], stop - start, d, &w[0], b,
                          &out[start], act, p0, p1)
    else:
        for blk in prange(n_blocks, schedule="static",
                          num_threads=n_threads):
            start = blk * ROW_BLOCK
            stop = min(start + ROW_BLOCK, n)
            _forward_rows(&X[start, 0], stop - start, d, &w[0], b,
                          &out[start], act, p0, p1)


cdef void _elementwise(
    const floating[::1] z,      # IN  (n,)
    floating[::1] out,          # OUT (n,), may be z itself
    int act,
    floating p0,                # the activation's parameters
    floating p1,
    bint derive,                # the derivative instead of the function
    int n_threads,
) noexcept nogil:
    cdef Py_ssize_t n = z.shape[0]
    cdef Py_ssize_t n_blocks = (n + ELEM_BLOCK - 1) // ELEM_BLOCK
    cdef Py_ssize_t blk, start, stop
    if n == 0:
        return
    if n_threads <= 1 or n_blocks == 1 or n < PARALLEL_MIN_ELEMS:
        _span(&z[0], &out[0], n, act, p0, p1, derive)
    else:
        for blk in prange(n_blocks, schedule="static",
                          num_threads=n_threads):
            start = blk * ELEM_BLOCK
            stop = min(start + ELEM_BLOCK, n)
            _span(&z[start], &out[start], stop - start, act, p0, p1, derive)


cdef void _softmax_rows(
    const floating[:, ::1] z,   # IN  (n_rows, n)
    floating[:, ::1] out,       # OUT (n_rows, n), may be z itself
    bint log_out,
    int n_threads,
) noexcept nogil:
    cdef Py_ssize_t r, n_rows = z.shape[0], n = z.shape[1]
    if n_rows == 0 or n == 0:
        return
    if n_threads <= 1 or n_rows * n < PARALLEL_MIN_ELEMS or n_rows == 1:
        if floating is double:
            cn_softmax_rows_d(&z[0, 0], &out[0, 0], n_rows, n, log_out)
        else:
            cn_softmax_rows_f(&z[0, 0], &out[0, 0], n_rows, n, log_out)
    else:
        for r in prange(n_rows, schedule="static", num_threads=n_threads):
            if floating is double:
                cn_softmax_rows_d(&z[r, 0], &out[r, 0], 1, n, log_out)
            else:
                cn_softmax_rows_f(&z[r, 0], &out[r, 0], 1, n, log_out)


cdef void _softmax_vjp_rows(
    const floating[:, ::1] s,   # IN  softmax of each row
    const floating[:, ::1] g,   # IN  upstream gradient
    floating[:, ::1] out,       # OUT may be g itself
    bint log_out,
) noexcept nogil:
    cdef Py_ssize_t r
    if s.shape[1] == 0:
        return
    for r in range(s.shape[0]):
        if floating is double:
            cn_softmax_vjp_row_d(&s[r, 0], &g[r, 0], &out[r, 0], s.shape[1], log_out)
        else:
            cn_softmax_vjp_row_f(&s[r, 0], &g[r, 0], &out[r, 0], s.shape[1], log_out)


# ---- Python entry points, one per dtype (no fused dispatch cost) ----------


def softmax_vjp_rows_f64(const double[:, ::1] s, const double[:, ::1] g,
                         double[:, ::1] out, bint log_out):
    """Vector-Jacobian product of (log_)softmax per row, float64; nogil."""
    with nogil:
        _softmax_vjp_rows(s, g, out, log_out)


def softmax_vjp_rows_f32(const float[:, ::1] s, const float[:, ::1] g,
                         float[:, ::1] out, bint log_out):
    """Vector-Jacobian product of (log_)softmax per row, float32; nogil."""
    with nogil:
        _softmax_vjp_rows(s, g, out, log_out)


def softmax_rows_f64(const double[:, ::1] z, double[:, ::1] out, bint log_out,
                     int n_threads):
    """(log_)softmax of each row, float64; out may be z; releases the GIL."""
    with nogil:
        _softmax_rows(z, out, log_out, n_threads)


def softmax_rows_f32(const float[:, ::1] z, float[:, ::1] out, bint log_out,
                     int n_threads):
    """(log_)softmax of each row, float32; out may be z; releases the GIL."""
    with nogil:
        _softmax_rows(z, out, log_out, n_threads)


def forward_batch_f64(const double[:, ::1] X, const double[::1] w, double b,
                      double[::1] out, int act, double p0, double p1,
                      int n_threads):
    """out[i] = act(X[i].w + b) for every row, float64; releases the GIL."""
    with nogil:
        _forward_batch(X, w, b, out, act, p0, p1, n_threads)


def forward_batch_f32(const float[:, ::1] X, const float[::1] w, float b,
                      float[::1] out, int act, float p0, float p1,
                      int n_threads):
    """out[i] = act(X[i].w + b) for every row, float32; releases the GIL."""
    with nogil:
        _forward_batch(X, w, b, out, act, p0, p1, n_threads)


def forward_one_f64(const double[::1] x, const double[::1] w, double b,
                    int act, double p0, double p1):
    """act(x.w + b) for one sample, float64, as a Python float."""
    return _act_point(_dot(&x[0], &w[0], x.shape[0]) + b, act, p0, p1)


def forward_one_f32(const float[::1] x, const float[::1] w, float b,
                    int act, float p0, float p1):
    """act(x.w + b) for one sample, float32, as a Python float."""
    cdef float z = _dot(&x[0], &w[0], x.shape[0]) + b
    return _act_point(z, act, p0, p1)


def elementwise_f64(const double[::1] z, double[::1] out, int act, double p0,
                    double p1, bint derive, int n_threads):
    """out = act(z) (or act'(z)) elementwise, float64; out may be z; releases
    the GIL."""
    with nogil:
        _elementwise(z, out, act, p0, p1, derive, n_threads)


def elementwise_f32(const float[::1] z, float[::1] out, int act, float p0,
                    float p1, bint derive, int n_threads):
    """out = act(z) (or act'(z)) elementwise, float32; out may be z; releases
    the GIL."""
    with nogil:
        _elementwise(z, out, act, p0, p1, derive, n_threads)


# ---- one sample, without the validation round trip ---------------------------

from cpython.buffer cimport (PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyBUF_STRIDES, PyBUF_WRITABLE,
                             PyBuffer_Release,
                             PyObject_CheckBuffer, PyObject_GetBuffer)
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_CheckExact
from cpython.long cimport PyLong_CheckExact


import numpy as _np


cdef int _fast_threads(num_threads, int max_threads):
    """The thread count of a fast-path call: the runtime's default for None,
    a plain int capped at max_threads, -1 for anything else (the validating
    path then says what is wrong)."""
    if num_threads is None:
        return min(cn_omp_max_threads(), max_threads)
    if type(num_threads) is int and 1 <= num_threads <= 1 << 20:
        return min(<int>num_threads, max_threads)
    return -1


cdef class FastForward:
    """act(X.w + b) for a model whose weights were validated, on the inputs
    that need no coercion.

    ``__call__(x)`` returns a Python float when ``x`` is one sample: a
    native 1-D buffer of the model's dtype and length (a numpy row, possibly
    strided by one element) or a list/tuple of Python floats and ints; a new
    array when ``x`` is a native C-contiguous 2-D buffer of the model's dtype
    and width; otherwise ``None``, and the caller takes the general,
    validating path. It computes with the same row functions as that path,
    so both give bitwise the same result.
    """

    cdef const double[::1] w64
    cdef const float[::1] w32
    cdef double b
    cdef int act
    cdef double p0
    cdef double p1
    cdef int is_f64
    cdef Py_ssize_t d
    cdef int max_threads
    cdef object dtype

    def __init__(self, w, double b, int act, double p0, double p1, int max_threads):
        if w.dtype.itemsize == 8:
            self.w64 = w
            self.is_f64 = 1
        else:
            self.w32 = w
            self.is_f64 = 0
        self.d = w.shape[0]
        self.b = b
        self.act = act
        self.p0 = p0
        self.p1 = p1
        self.max_threads = max_threads
        self.dtype = w.dtype

    def __call__(self, x, out=None, num_threads=None):
        cdef Py_buffer view
        cdef double z
        cdef float zf
        cdef Py_ssize_t itemsize = 8 if self.is_f64 else 4
        cdef int n_threads
        n_threads = _fast_threads(num_threads, self.max_threads)
        if n_threads < 0:
            return None
        if type(x) is list or type(x) is tuple:
            return self._sequence(x) if out is None else None
        if not PyObject_CheckBuffer(x):
            return None
        PyObject_GetBuffer(x, &view, PyBUF_STRIDES | PyBUF_FORMAT)
        try:
            if (<size_t>view.buf) % itemsize:
                return None  # misaligned: the general path copies
            if view.ndim == 2:
                return self._batch(x, &view, out, n_threads)
            if out is not None:
                return None
            if (view.ndim != 1 or view.shape[0] != self.d
                    or view.strides[0] != itemsize
                    or view.format == NULL or view.format[1] != 0):
                return None
            if self.is_f64:
                if view.format[0] != b"d":
                    return None
                z = cn_dot_d(<const double *>view.buf, &self.w64[0], self.d) + self.b
                return cn_act_point_d(z, self.act, self.p0, self.p1)
            if view.format[0] != b"f":
                return None
            zf = cn_dot_f(<const float *>view.buf, &self.w32[0], self.d) + <float>self.b
            return cn_act_point_f(zf, self.act, <float>self.p0, <float>self.p1)
        finally:
            PyBuffer_Release(&view)

    cdef object _batch(self, x, Py_buffer *view, out, int n_threads):
        """A C-contiguous 2-D buffer of the model's dtype, into a new array or
        into ``out`` when that is a writable, contiguous ndarray of the right
        dtype and length that does not overlap ``x``."""
        cdef Py_ssize_t itemsize = 8 if self.is_f64 else 4
        cdef char code = b"d" if self.is_f64 else b"f"
        cdef Py_ssize_t n = view.shape[0]
        cdef Py_buffer oview
        cdef char *xa
        cdef char *oa
        if (view.shape[1] != self.d or view.format == NULL or view.format[1] != 0
                or view.format[0] != code
                or (n > 1 and view.strides[0] != self.d * itemsize)
                or view.strides[1] != itemsize):
            return None
        if out is None:
            out = _np.empty(n, dtype=self.dtype)
        else:
            if type(out) is not _np.ndarray:
                return None
            try:
                PyObject_GetBuffer(out, &oview, PyBUF_STRIDES | PyBUF_FORMAT | PyBUF_WRITABLE)
            except (BufferError, ValueError):  # read-only: the general path says so
                return None
            try:
                if (oview.ndim != 1 or oview.shape[0] != n or oview.format == NULL
                        or oview.format[0] != code or oview.format[1] != 0
                        or (n > 1 and oview.strides[0] != itemsize)):
                    return None
                xa = <char *>view.buf
                oa = <char *>oview.buf
                if (<size_t>oa) % itemsize:
                    return None  # misaligned: the general path computes aside
                if n > 0 and oa < xa + n * self.d * itemsize and xa < oa + n * itemsize:
                    return None  # overlaps the input: the general path copies
            finally:
                PyBuffer_Release(&oview)
        cdef const double[:, ::1] X64
        cdef const float[:, ::1] X32
        cdef double[::1] o64
        cdef float[::1] o32
        if self.is_f64:
            X64 = x
            o64 = out
            with nogil:
                _forward_batch(X64, self.w64, self.b, o64, self.act, self.p0, self.p1,
                               n_threads)
        else:
            X32 = x
            o32 = out
            with nogil:
                _forward_batch(X32, self.w32, <float>self.b, o32, self.act,
                               <float>self.p0, <float>self.p1, n_threads)
        return out

    cdef object _sequence(self, seq):
        """A list or tuple of Python floats and small ints, converted as numpy
        converts them; anything else goes the general way."""
        cdef Py_ssize_t k, n = len(seq)
        cdef double buf64[64]
        cdef float buf32[64]
        cdef double v, z
        cdef float zf
        if n != self.d or n > 64:
            return None
        for k in range(n):
            item = seq[k]
            if PyFloat_CheckExact(item):
                v = PyFloat_AS_DOUBLE(item)
            elif PyLong_CheckExact(item) and -(1 << 53) <= item <= (1 << 53):
                v = <double>(<long long>item)
            else:
                return None
            buf64[k] = v
            buf32[k] = <float>v
        if self.is_f64:
            z = cn_dot_d(buf64, &self.w64[0], n) + self.b
            return cn_act_point_d(z, self.act, self.p0, self.p1)
        zf = cn_dot_f(buf32, &self.w32[0], n) + <float>self.b
        return cn_act_point_f(zf, self.act, <float>self.p0, <float>self.p1)


# ---- layers and networks ---------------------------------------------------------

from cython.parallel cimport parallel, threadid
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.string cimport memset

# The layer kernel's packing (src/cn_dense_impl.h): lanes of the dot
# product (a panel has at least this many rows) and outputs per panel.
DENSE_LANES_F64 = 16
DENSE_LANES_F32 = 32
DENSE_PANEL_F64 = 8
DENSE_PANEL_F32 = 16
# A row block's working set (its inputs and the two intermediate buffers)
# is kept near this many bytes, so that it stays in L2 across the layers.
cdef Py_ssize_t NET_BLOCK_BYTES = 512 * 1024
# Below this many multiply-adds (about 25 us of work) a call runs on the
# calling thread: waking a second thread costs microseconds on an idle
# machine and far more when the other CPU is busy.
cdef Py_ssize_t NET_PARALLEL_MIN_MACS = 1 << 19


cdef inline Py_ssize_t _part_elems(Py_ssize_t rb, size_t itemsize) noexcept nogil:
    """Room for the lane sums of wide layers (cn_dense_rows) over a block of
    rb rows, with slack for aligning them to 64 bytes."""
    return ((rb + 4) * 2048 + 64) // itemsize


cdef inline void *_align64(void *p) noexcept nogil:
    return <void *>((<size_t>p + 63) & ~(<size_t>63))


cdef struct LayerSpec:
    const void *Wp      # packed weight panels (P, Kp, PW), see src/cn_dense_impl.h
    const void *b       # bias padded to whole panels (P * PW,)
    const void *w1      # the first output's weights, unpacked (K,)
    Py_ssize_t K        # inputs
    Py_ssize_t Kp       # rows of a panel: max(K, lanes)
    Py_ssize_t N        # outputs
    int act             # elementwise activation code
    int mode            # 0 elementwise, 1 softmax, 2 log_softmax
    double p0
    double p1


cdef void _net_rows(
    const LayerSpec *specs,
    int n_layers,
    const floating *X,          # IN  n rows, stride ldx
    Py_ssize_t ldx,
    Py_ssize_t n,
    floating *out,              # OUT n rows of specs[-1].N
    floating *ws,               # workspace: pack (rb * Kp0) | part | A | B (rb * width)
    Py_ssize_t rb,
    Py_ssize_t width,
) noexcept nogil:
    """The layers back to back over one block of n <= rb rows: each layer's
    output goes to a buffer whose rows are padded (+0.0) to the next layer's
    Kp, so the next layer reads it without copying."""
    # the scratch rows (padded or packed input of a layer) are as wide as
    # the widest layer input
    cdef Py_ssize_t kpmax = max(specs[0].Kp, width)
    cdef floating *scratch = ws
    cdef floating *part = <floating *>_align64(ws + rb * kpmax)
    cdef floating *bufs[2]
    cdef const floating *cur = X
    cdef floating *dst
    cdef Py_ssize_t ldcur = ldx, lddst, r, li
    cdef int padded = 0
    cdef const LayerSpec *s
    bufs[0] = ws + rb * kpmax + _part_elems(rb, sizeof(floating))
    bufs[1] = bufs[0] + rb * width
    for li in range(n_layers):
        s = &specs[li]
        if li == n_layers - 1:
            dst = out
            lddst = s.N
        else:
            dst = bufs[li % 2]
            lddst = specs[li + 1].Kp
        if s.N == 1 and s.mode == 0 and ldcur == s.K and lddst == 1:
            # one output: the neuron's kernel (the same operations, faster
            # for a single dot product per row)
            _forward_rows(cur, n, s.K, <const floating *>s.w1, (<const floating *>s.b)[0],
                          dst, s.act, <floating>s.p0, <floating>s.p1)
        elif floating is double:
            cn_dense_rows_d(cur, ldcur, n, s.K, padded, <const double *>s.Wp, s.Kp, s.N,
                            <const double *>s.b, dst, lddst, s.act, s.p0, s.p1, s.mode,
                            scratch, part)
        else:
            cn_dense_rows_f(cur, ldcur, n, s.K, padded, <const float *>s.Wp, s.Kp, s.N,
                            <const float *>s.b, dst, lddst, s.act, <float>s.p0,
                            <float>s.p1, s.mode, scratch, part)
        if lddst > s.N:
            for r in range(n):
                memset(dst + r * lddst + s.N, 0, (lddst - s.N) * sizeof(floating))
        cur = dst
        ldcur = lddst
        padded = 1


cdef void _net_batch(
    const LayerSpec *specs,
    int n_layers,
    const floating *X,          # IN  (n, K0), C-contiguous
    Py_ssize_t n,
    floating *out,              # OUT (n, N_last), C-contiguous
    floating *ws,               # n_ws workspaces of ws_elems each
    Py_ssize_t ws_elems,
    Py_ssize_t rb,
    Py_ssize_t width,
    Py_ssize_t macs_per_row,
    int n_threads,
) noexcept nogil:
    cdef Py_ssize_t K0 = specs[0].K, N = specs[n_layers - 1].N
    cdef Py_ssize_t blk, start, stop, n_blocks, rows
    if n == 0:
        return
    if n_threads <= 1 or n <= rb // 2 or n * macs_per_row < NET_PARALLEL_MIN_MACS:
        start = 0
        while start < n:
            stop = min(start + rb, n)
            _net_rows(specs, n_layers, X + start * K0, K0, stop - start,
                      out + start * N, ws, rb, width)
            start = stop
        return
    # blocks small enough that every thread gets some
    rows = min(rb, ((n + n_threads - 1) // n_threads + 7) // 8 * 8)
    n_blocks = (n + rows - 1) // rows
    with parallel(num_threads=n_threads):
        for blk in prange(n_blocks, schedule="static"):
            start = blk * rows
            stop = min(start + rows, n)
            _net_rows(specs, n_layers, X + start * K0, K0, stop - start,
                      out + start * N, ws + threadid() * ws_elems, rb, width)


cdef class Network:
    """Layers for the kernels: packed weights and the sizes of each, and a
    pool of preallocated workspaces (one is taken per call, under the GIL,
    and returned after it, so concurrent calls never share one).

    ``layers`` is a list of (Wp, b, w1, N, act, p0, p1, mode): Wp the packed
    weight panels and b the padded bias (see src/cn_dense_impl.h), w1 the
    first output's weights, N the number of outputs; arrays C-contiguous, of
    one dtype. The Python layer (cneuron/_layers.py) validates everything.
    """

    cdef LayerSpec *specs
    cdef int n_layers
    cdef int is_f64
    cdef object keep            # the arrays the specs point into
    cdef list pool              # free workspaces
    cdef Py_ssize_t rb          # rows per block
    cdef Py_ssize_t width       # row width of the intermediate buffers
    cdef Py_ssize_t ws_elems    # elements of one thread's workspace
    cdef Py_ssize_t macs_per_row
    cdef int max_threads
    cdef readonly object dtype
    cdef readonly Py_ssize_t n_inputs
    cdef readonly Py_ssize_t n_outputs

    def __cinit__(self):
        self.specs = NULL

    def __init__(self, list layers, int max_threads):
        cdef Py_ssize_t i, itemsize
        cdef LayerSpec *s
        cdef const double[:, ::1] W64
        cdef const double[::1] b64
        cdef const float[:, ::1] W32
        cdef const float[::1] b32
        if not layers:
            raise ValueError("a network needs at least one layer")
        if self.specs != NULL:
            raise RuntimeError("a Network is initialised once")
        self.n_layers = len(layers)
        self.specs = <LayerSpec *>PyMem_Malloc(self.n_layers * sizeof(LayerSpec))
        if self.specs == NULL:
            raise MemoryError()
        self.dtype = layers[0][0].dtype
        self.is_f64 = self.dtype.itemsize == 8
        itemsize = self.dtype.itemsize
        self.keep = []
        self.width = 1
        self.macs_per_row = 0
        for i, (Wp, b, w1, N, act, p0, p1, mode) in enumerate(layers):
            if Wp.dtype != self.dtype or b.dtype != self.dtype or w1.dtype != self.dtype:
                raise TypeError("layers must share one dtype")
            pw = DENSE_PANEL_F64 if self.is_f64 else DENSE_PANEL_F32
            lanes = DENSE_LANES_F64 if self.is_f64 else DENSE_LANES_F32
            K = w1.shape[0]
            if (Wp.ndim != 3 or Wp.shape[2] != pw or Wp.shape[0] != (N + pw - 1) // pw
                    or Wp.shape[1] != max(K, lanes) or b.shape[0] != Wp.shape[0] * pw):
                raise ValueError("packed weights of the wrong shape")
            s = &self.specs[i]
            if self.is_f64:
                W64 = Wp.reshape(Wp.shape[0], -1)
                b64 = b
                s.Wp = &W64[0, 0]
                s.b = &b64[0]
                b64 = w1
                s.w1 = &b64[0]
            else:
                W32 = Wp.reshape(Wp.shape[0], -1)
                b32 = b
                s.Wp = &W32[0, 0]
                s.b = &b32[0]
                b32 = w1
                s.w1 = &b32[0]
            s.K = K
            s.Kp = Wp.shape[1]
            s.N = N
            s.act = act
            s.mode = mode
            s.p0 = p0
            s.p1 = p1
            if i > 0 and s.K != self.specs[i - 1].N:
                raise ValueError("consecutive layers' sizes do not match")
            if i > 0:
                self.width = max(self.width, s.Kp)
            self.macs_per_row += s.Kp * s.N
            self.keep.append((Wp, b, w1))
        self.n_inputs = self.specs[0].K
        self.n_outputs = self.specs[self.n_layers - 1].N
        self.rb = NET_BLOCK_BYTES // ((self.specs[0].Kp + 2 * self.width) * itemsize)
        self.rb = max(8, min(384, self.rb // 8 * 8))  # whole tiles of 4 rows
        self.ws_elems = (self.rb * (max(self.specs[0].Kp, self.width) + 2 * self.width)
                         + _part_elems(self.rb, itemsize))
        self.max_threads = max(1, max_threads)
        self.pool = []

    def __dealloc__(self):
        PyMem_Free(self.specs)

    cdef _Workspace _workspace(self):
        if self.pool:
            return self.pool.pop()
        return _Workspace(self.max_threads * self.ws_elems * self.dtype.itemsize)

    cdef void _go(self, const void *X, Py_ssize_t n, void *out, _Workspace ws,
                  int n_threads) noexcept nogil:
        if self.is_f64:
            _net_batch(self.specs, self.n_layers, <const double *>X, n, <double *>out,
                       <double *>ws.ptr, self.ws_elems, self.rb, self.width,
                       self.macs_per_row, n_threads)
        else:
            _net_batch(self.specs, self.n_layers, <const float *>X, n, <float *>out,
                       <float *>ws.ptr, self.ws_elems, self.rb, self.width,
                       self.macs_per_row, n_threads)

    def run(self, X, out, int n_threads):
        """out = the network over the rows of X (C-contiguous 2-D, the model's
        dtype, out (n, n_outputs) not overlapping X); releases the GIL."""
        cdef Py_buffer xv, ov
        cdef _Workspace ws
        cdef char code = b"d" if self.is_f64 else b"f"
        n_threads = max(1, min(n_threads, self.max_threads))
        PyObject_GetBuffer(X, &xv, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
        try:
            PyObject_GetBuffer(out, &ov, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE)
            try:
                if (xv.ndim != 2 or ov.ndim != 2 or xv.shape[1] != self.n_inputs
                        or ov.shape[0] != xv.shape[0] or ov.shape[1] != self.n_outputs
                        or xv.format == NULL or ov.format == NULL
                        or xv.format[0] != code or xv.format[1] != 0
                        or ov.format[0] != code or ov.format[1] != 0):
                    raise ValueError("Network.run: arrays of the wrong shape or dtype")
                ws = self._workspace()
                try:
                    with nogil:
                        self._go(xv.buf, xv.shape[0], ov.buf, ws, n_threads)
                finally:
                    self.pool.append(ws)
            finally:
                PyBuffer_Release(&ov)
        finally:
            PyBuffer_Release(&xv)

    def fast(self, x, out, num_threads):
        """The network over ``x`` when ``x`` needs no coercion: a C-contiguous
        1-D or 2-D buffer of the model's dtype and width, ``out`` None or a
        writable C-contiguous ndarray of the result's shape and dtype that
        does not overlap ``x``, ``num_threads`` None or an int. Returns the
        result, or None and the caller takes the validating path; both run
        the same kernels and give bitwise the same result."""
        cdef Py_buffer xv, ov
        cdef _Workspace ws
        cdef Py_ssize_t n, itemsize = self.dtype.itemsize
        cdef int n_threads
        cdef char code = b"d" if self.is_f64 else b"f"
        cdef char *xa
        cdef char *oa
        n_threads = _fast_threads(num_threads, self.max_threads)
        if n_threads < 0:
            return None
        if type(x) is not _np.ndarray:
            return None
        try:
            PyObject_GetBuffer(x, &xv, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
        except (BufferError, ValueError):
            return None
        try:
            if (xv.ndim < 1 or xv.ndim > 2 or xv.shape[xv.ndim - 1] != self.n_inputs
                    or xv.format == NULL or xv.format[0] != code or xv.format[1] != 0):
                return None
            n = xv.shape[0] if xv.ndim == 2 else 1
            if out is None:
                if xv.ndim == 2:
                    res = _np.empty((n, self.n_outputs), dtype=self.dtype)
                else:
                    res = _np.empty(self.n_outputs, dtype=self.dtype)
            elif type(out) is _np.ndarray:
                res = out
            else:
                return None
            try:
                PyObject_GetBuffer(res, &ov, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE)
            except (BufferError, ValueError):
                return None
            try:
                if (ov.ndim != xv.ndim or ov.shape[0] != (n if xv.ndim == 2 else self.n_outputs)
                        or (ov.ndim == 2 and ov.shape[1] != self.n_outputs)
                        or ov.format == NULL or ov.format[0] != code or ov.format[1] != 0):
                    return None
                xa = <char *>xv.buf
                oa = <char *>ov.buf
                if (<size_t>xa) % itemsize or (<size_t>oa) % itemsize:
                    return None  # misaligned: the general path copies
                if (oa < xa + n * self.n_inputs * itemsize
                        and xa < oa + n * self.n_outputs * itemsize):
                    return None  # overlaps the input: the general path copies
                ws = self._workspace()
                try:
                    with nogil:
                        self._go(xv.buf, n, ov.buf, ws, n_threads)
                finally:
                    self.pool.append(ws)
            finally:
                PyBuffer_Release(&ov)
        finally:
            PyBuffer_Release(&xv)
        return res


cdef class _Workspace:
    """Scratch memory of one call of a Network, 64-byte aligned."""

    cdef void *raw
    cdef void *ptr

    def __cinit__(self, Py_ssize_t nbytes):
        self.raw = PyMem_Malloc(nbytes + 64)
        if self.raw == NULL:
            raise MemoryError()
        self.ptr = _align64(self.raw)

    def __dealloc__(self):
        PyMem_Free(self.raw)
