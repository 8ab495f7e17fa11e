# cneuron._train -- the compiled layer of learning: one epoch of stochastic
# gradient descent, one step of full-batch descent, per-sample losses.
#
# The arithmetic lives in src/cn_train.h (portable C on raw pointers); this
# module releases the GIL around it and runs the blocks of a full-batch
# gradient in parallel. Nothing here validates: cneuron/_train.py has checked
# dtypes, shapes and contiguity.
#
# Reproducibility: a stochastic epoch is sequential (each update depends on
# the last); a full-batch gradient is summed per block of BLOCK_ROWS rows
# (fixed, whatever the thread count) and the blocks are added in block order,
# so the result never depends on the number of threads.

from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int64_t

cdef extern from "cn_train.h" nogil:
    int CN_LOSS_LOG
    int CN_LOSS_SQUARED
    int CN_LOSS_PERCEPTRON
    int CN_ETA_CONSTANT
    int CN_ETA_INVSCALING
    int CN_ETA_OPTIMAL
    void cn_sgd_epoch_d(const double *X, Py_ssize_t K, const double *y, const double *sw,
                        const int64_t *order, Py_ssize_t n, Py_ssize_t batch, double *w,
                        double *b, int fit_intercept, int loss, double alpha,
                        double l1_ratio, int schedule, double eta0, double power_t,
                        double t0, double *t, double *g, double *zsave) noexcept
    void cn_sgd_epoch_f(const float *X, Py_ssize_t K, const float *y, const float *sw,
                        const int64_t *order, Py_ssize_t n, Py_ssize_t batch, float *w,
                        float *b, int fit_intercept, int loss, float alpha,
                        float l1_ratio, int schedule, float eta0, float power_t,
                        float t0, double *t, float *g, float *zsave) noexcept
    void cn_grad_block_d(const double *X, Py_ssize_t K, const double *y, const double *sw,
                         Py_ssize_t n, const double *w, double bias, int loss, double *G,
                         double *zsave) noexcept
    void cn_grad_block_f(const float *X, Py_ssize_t K, const float *y, const float *sw,
                         Py_ssize_t n, const float *w, float bias, int loss, float *G,
                         float *zsave) noexcept
    void cn_gd_step_d(const double *G, Py_ssize_t nblocks, Py_ssize_t K, double *w,
                      double *b, int fit_intercept, double alpha, double l1_ratio,
                      double eta, double scale, double *g) noexcept
    void cn_gd_step_f(const float *G, Py_ssize_t nblocks, Py_ssize_t K, float *w,
                      float *b, int fit_intercept, float alpha, float l1_ratio,
                      float eta, float scale, float *g) noexcept
    void cn_loss_terms_d(const double *z, const double *y, const double *sw, Py_ssize_t n,
                         int loss, double *out) noexcept
    void cn_loss_terms_f(const float *z, const float *y, const float *sw, Py_ssize_t n,
                         int loss, float *out) noexcept

LOSS_LOG = CN_LOSS_LOG
LOSS_SQUARED = CN_LOSS_SQUARED
LOSS_PERCEPTRON = CN_LOSS_PERCEPTRON
ETA_CONSTANT = CN_ETA_CONSTANT
ETA_INVSCALING = CN_ETA_INVSCALING
ETA_OPTIMAL = CN_ETA_OPTIMAL

cdef enum:
    BLOCK = 4096

# rows per block of a full-batch gradient: part of the order of its sums
BLOCK_ROWS = BLOCK


def sgd_epoch(const floating[:, ::1] X not None, const floating[::1] y not None,
              const floating[::1] sw, const int64_t[::1] order not None, Py_ssize_t batch,
              floating[::1] w not None, floating[::1] b not None, bint fit_intercept,
              int loss, double alpha, double l1_ratio, int schedule, double eta0,
              double power_t, double t0, double t, floating[::1] g not None,
              floating[::1] zsave not None):
    """One epoch of mini-batch SGD over rows ``order`` of X; updates w and b[0]
    in place, writes each visited row's z to zsave[row]; returns the update
    count after the epoch (``t`` before it). ``sw`` may be None."""
    cdef Py_ssize_t K = X.shape[1]
    cdef Py_ssize_t n = order.shape[0]
    cdef const floating *swp = NULL
    cdef double step = t
    if sw is not None:
        swp = &sw[0]
    if n == 0:
        return step
    with nogil:
        if floating is double:
            cn_sgd_epoch_d(&X[0, 0], K, &y[0], swp, &order[0], n, batch, &w[0], &b[0],
                           fit_intercept, loss, alpha, l1_ratio, schedule, eta0, power_t,
                           t0, &step, &g[0], &zsave[0])
        else:
            cn_sgd_epoch_f(&X[0, 0], K, &y[0], swp, &order[0], n, batch, &w[0], &b[0],
                           fit_intercept, loss, <float>alpha, <float>l1_ratio, schedule,
                           <float>eta0, <float>power_t, <float>t0, &step, &g[0], &zsave[0])
    return step


def gd_step(const floating[:, ::1] X not None, const floating[::1] y not None,
            const floating[::1] sw, floating[::1] w not None, floating[::1] b not None,
            bint fit_intercept, int loss, double alpha, double l1_ratio, double eta,
            double scale, floating[:, ::1] G not None, floating[::1] g not None,
            floating[::1] zsave not None, int n_threads):
    """One step of full-batch gradient descent: block gradients of
    BLOCK_ROWS rows (G: one row of K + 1 per block) in parallel, summed in
    block order, then w, b[0] updated with the gradient divided by ``scale``
    (the row count, or the sum of the sample weights). zsave gets
    every row's z at the weights before the step."""
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t K = X.shape[1]
    cdef Py_ssize_t nblocks = G.shape[0]
    cdef Py_ssize_t blk, r0, m
    cdef const floating *swp = NULL
    cdef floating bias = b[0]
    if sw is not None:
        swp = &sw[0]
    if n == 0:
        return
    with nogil:
        for blk in prange(nblocks, schedule="static", num_threads=n_threads):
            r0 = blk * BLOCK
            m = n - r0
            if m > BLOCK:
                m = BLOCK
            if floating is double:
                cn_grad_block_d(&X[r0, 0], K, &y[r0], (swp + r0) if swp != NULL else NULL,
                                m, &w[0], bias, loss, &G[blk, 0], &zsave[r0])
            else:
                cn_grad_block_f(&X[r0, 0], K, &y[r0], (swp + r0) if swp != NULL else NULL,
                                m, &w[0], bias, loss, &G[blk, 0], &zsave[r0])
        if floating is double:
            cn_gd_step_d(&G[0, 0], nblocks, K, &w[0], &b[0], fit_intercept, alpha,
                         l1_ratio, eta, scale, &g[0])
        else:
            cn_gd_step_f(&G[0, 0], nblocks, K, &w[0], &b[0], fit_intercept, <float>alpha,
                         <float>l1_ratio, <float>eta, <float>scale, &g[0])


def loss_terms(const floating[::1] z not None, const floating[::1] y not None,
               const floating[::1] sw, int loss, floating[::1] out not None):
    """out[i] = sw[i] * loss(z[i], y[i]) (sw may be None)."""
    cdef const floating *swp = NULL
    cdef Py_ssize_t n = z.shape[0]
    if sw is not None:
        swp = &sw[0]
    if n == 0:
        return
    with nogil:
        if floating is double:
            cn_loss_terms_d(&z[0], &y[0], swp, n, loss, &out[0])
        else:
            cn_loss_terms_f(&z[0], &y[0], swp, n, loss, &out[0])
