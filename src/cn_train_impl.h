/*
 * cn_train_impl.h -- type-generic training kernels, included by cn_train.h
 * once per dtype with CN_T, CN_SFX(name) and CN_SIGMOID defined. No include
 * guard on purpose.
 *
 * A sample's pre-activation z = x.w + b is computed with cn_dot, in the
 * contract's order: the z a step sees is bit for bit the z the neuron's
 * forward pass computes with the same weights.
 */

/* cn_dot with the contract's expression written out for K <= 16
 * (cn_small_dot.h): after inlining with a literal K, straight-line code. */
CN_INLINE CN_T CN_SFX(cn_dot_fixed)(const CN_T *x, const CN_T *w, ptrdiff_t K)
{
    switch (K) {
    case 1: return CN_DOT_1(x, w);
    case 2: return CN_DOT_2(x, w);
    case 3: return CN_DOT_3(x, w);
    case 4: return CN_DOT_4(x, w);
    case 5: return CN_DOT_5(x, w);
    case 6: return CN_DOT_6(x, w);
    case 7: return CN_DOT_7(x, w);
    case 8: return CN_DOT_8(x, w);
    case 9: return CN_DOT_9(x, w);
    case 10: return CN_DOT_10(x, w);
    case 11: return CN_DOT_11(x, w);
    case 12: return CN_DOT_12(x, w);
    case 13: return CN_DOT_13(x, w);
    case 14: return CN_DOT_14(x, w);
    case 15: return CN_DOT_15(x, w);
    case 16: return CN_DOT_16(x, w);
    default: return CN_SFX(cn_dot)(x, w, K);
    }
}

/* d loss / d z for one sample (before its sample weight):
 *   log loss with sigmoid      sigmoid(z) - y            (y in {0, 1})
 *   squared error, identity    z - y
 *   perceptron rule, step      -s if s z <= 0 else 0     (s = 2y - 1)   */
CN_INLINE CN_T CN_SFX(cn_dloss)(CN_T z, CN_T y, int loss)
{
    if (loss == CN_LOSS_LOG)
        return CN_SIGMOID(z) - y;
    if (loss == CN_LOSS_SQUARED)
        return z - y;
    {
        CN_T s = (y > (CN_T)0.5) ? (CN_T)1 : (CN_T)-1;
        return (s * z <= 0) ? -s : (CN_T)0;
    }
}

/* The learning rate of update number t (t = 1, 2, ...). */
CN_INLINE CN_T CN_SFX(cn_eta)(int schedule, CN_T eta0, CN_T power_t, CN_T alpha, CN_T t0, double t)
{
    if (schedule == CN_ETA_INVSCALING)
        return (CN_T)((double)eta0 / pow(t, (double)power_t));
    if (schedule == CN_ETA_OPTIMAL)
        return (CN_T)(1.0 / ((double)alpha * ((double)t0 + t - 1.0)));
    return eta0; /* constant, adaptive */
}

/* w <- w - (shrink w + c g), then the L1 proximal step (soft threshold by
 * thr, skipped when thr == 0). shrink = eta alpha (1 - l1_ratio), capped at
 * 1, is the L2 penalty's share of the step: kept apart from 1 (not folded
 * into a factor 1 - shrink) so that a small shrink is not lost to rounding
 * in float32. g is a sample row (one-sample step) or the summed gradient of
 * a batch. Elementwise: the loops vectorize. */
CN_INLINE void CN_SFX(cn_apply_step)(CN_T *CN_RESTRICT w, const CN_T *CN_RESTRICT g,
                                     ptrdiff_t K, CN_T shrink, CN_T c, CN_T thr)
{
    if (shrink == 0) {
        for (ptrdiff_t j = 0; j < K; j++)
            w[j] = w[j] - c * g[j];
    } else {
        for (ptrdiff_t j = 0; j < K; j++)
            w[j] = w[j] - (shrink * w[j] + c * g[j]);
    }
    if (thr > 0) {
        for (ptrdiff_t j = 0; j < K; j++) {
            CN_T a = CN_FABS_T(w[j]) - thr;
            w[j] = (a > 0) ? CN_COPYSIGN_T(a, w[j]) : (CN_T)0;
        }
    }
}

/* The L2 share of a step of rate eta, capped at 1 (all of w). */
CN_INLINE CN_T CN_SFX(cn_shrink)(CN_T eta, CN_T alpha, CN_T l1_ratio)
{
    CN_T shrink = eta * alpha * ((CN_T)1 - l1_ratio);
    return (shrink > (CN_T)1) ? (CN_T)1 : shrink;
}

/* One-sample steps over order[s0..s1): the body of cn_sgd_epoch for
 * batch == 1, inlined with a literal K for narrow rows (the dot product and
 * the update unroll completely: the chain from one update to the next dot
 * product is what bounds an epoch). */
CN_INLINE void CN_SFX(cn_sgd_ones)(const CN_T *CN_RESTRICT X, ptrdiff_t K,
                                   const CN_T *CN_RESTRICT y, const CN_T *CN_RESTRICT sw,
                                   const int64_t *CN_RESTRICT order, ptrdiff_t n,
                                   CN_T *CN_RESTRICT w, CN_T *bias_io, int fit_intercept,
                                   int loss, CN_T alpha, CN_T l1_ratio, int schedule, CN_T eta0,
                                   CN_T power_t, CN_T t0, double *t, CN_T *CN_RESTRICT zsave)
{
    CN_T bias = *bias_io;
    double step = *t;
    for (ptrdiff_t s = 0; s < n; s++) {
        CN_T eta = CN_SFX(cn_eta)(schedule, eta0, power_t, alpha, t0, step);
        CN_T shrink = CN_SFX(cn_shrink)(eta, alpha, l1_ratio);
        CN_T thr = eta * alpha * l1_ratio;
        int64_t r = order[s];
        const CN_T *x = X + r * K;
        if (s + CN_PREFETCH_AHEAD < n) /* memory latency spans several steps */
            CN_PREFETCH(X + order[s + CN_PREFETCH_AHEAD] * K);
        {
            CN_T z = CN_SFX(cn_dot_fixed)(x, w, K) + bias;
            CN_T d = CN_SFX(cn_dloss)(z, y[r], loss);
            if (sw)
                d *= sw[r];
            zsave[r] = z;
            CN_SFX(cn_apply_step)(w, x, K, shrink, eta * d, thr);
            if (fit_intercept)
                bias -= eta * d;
        }
        step += 1.0;
    }
    *bias_io = bias;
    *t = step;
}

/* One epoch of (mini-batch) stochastic gradient descent.
 *
 * Visits the rows order[0..n) of X (row-major, K features) in batches of
 * `batch` rows (the last one may be shorter). For each batch, with the
 * weights as they are at its start: z_i = x_i.w + b, d_i = sw_i dloss(z_i);
 * then with eta = the schedule's rate for update number *t:
 *   w <- w - (eta alpha (1 - l1_ratio) w + eta/m sum_i d_i x_i)
 *   w <- soft_threshold(w, eta alpha l1_ratio)
 *   b <- b - eta/m sum_i d_i              (when fit_intercept)
 * where m is the batch's row count; sums run in visiting order. *t grows by
 * one per update. zsave[row] receives each row's z (for the epoch's loss).
 * sw may be NULL (all ones). g is scratch of K elements. */
static void CN_SFX(cn_sgd_epoch)(const CN_T *CN_RESTRICT X, ptrdiff_t K,
                                 const CN_T *CN_RESTRICT y, const CN_T *CN_RESTRICT sw,
                                 const int64_t *CN_RESTRICT order, ptrdiff_t n, ptrdiff_t batch,
                                 CN_T *CN_RESTRICT w, CN_T *CN_RESTRICT b, int fit_intercept,
                                 int loss, CN_T alpha, CN_T l1_ratio, int schedule, CN_T eta0,
                                 CN_T power_t, CN_T t0, double *t, CN_T *CN_RESTRICT g,
                                 CN_T *CN_RESTRICT zsave)
{
    CN_T bias = *b;
    double step = *t;
    if (batch <= 1) {
#define CN_ONES_CASE(k)                                                                    \
    case k:                                                                                \
        CN_SFX(cn_sgd_ones)(X, k, y, sw, order, n, w, b, fit_intercept, loss, alpha,       \
                            l1_ratio, schedule, eta0, power_t, t0, t, zsave);              \
        return;
        switch (K) {
            CN_ONES_CASE(1) CN_ONES_CASE(2) CN_ONES_CASE(3) CN_ONES_CASE(4)
            CN_ONES_CASE(5) CN_ONES_CASE(6) CN_ONES_CASE(7) CN_ONES_CASE(8)
            CN_ONES_CASE(9) CN_ONES_CASE(10) CN_ONES_CASE(11) CN_ONES_CASE(12)
            CN_ONES_CASE(13) CN_ONES_CASE(14) CN_ONES_CASE(15) CN_ONES_CASE(16)
            CN_ONES_CASE(32)
        default:
            CN_SFX(cn_sgd_ones)(X, K, y, sw, order, n, w, b, fit_intercept, loss, alpha,
                                l1_ratio, schedule, eta0, power_t, t0, t, zsave);
            return;
        }
#undef CN_ONES_CASE
    }
    for (ptrdiff_t s = 0; s < n; s += batch) {
        ptrdiff_t m = (n - s < batch) ? n - s : batch;
        CN_T eta = CN_SFX(cn_eta)(schedule, eta0, power_t, alpha, t0, step);
        CN_T shrink = CN_SFX(cn_shrink)(eta, alpha, l1_ratio);
        CN_T thr = eta * alpha * l1_ratio;
        CN_T gb = 0;
        for (ptrdiff_t i = 0; i < m; i++) {
            int64_t r = order[s + i];
            const CN_T *x = X + r * K;
            CN_T z, d;
            if (s + i + CN_PREFETCH_AHEAD < n)
                CN_PREFETCH(X + order[s + i + CN_PREFETCH_AHEAD] * K);
            z = CN_SFX(cn_dot)(x, w, K) + bias;
            d = CN_SFX(cn_dloss)(z, y[r], loss);
            if (sw)
                d *= sw[r];
            zsave[r] = z;
            if (i == 0) {
                for (ptrdiff_t j = 0; j < K; j++)
                    g[j] = d * x[j];
                gb = d;
            } else {
                for (ptrdiff_t j = 0; j < K; j++)
                    g[j] += d * x[j];
                gb += d;
            }
        }
        CN_SFX(cn_apply_step)(w, g, K, shrink, eta / (CN_T)m, thr);
        if (fit_intercept)
            bias -= (eta / (CN_T)m) * gb;
        step += 1.0;
    }
    *b = bias;
    *t = step;
}

/* The gradient of one block of rows for full-batch descent: G[0..K) = sum_i
 * d_i x_i and G[K] = sum_i d_i over rows 0..n of X in order; zsave[i] = z_i. */
static void CN_SFX(cn_grad_block)(const CN_T *CN_RESTRICT X, ptrdiff_t K,
                                  const CN_T *CN_RESTRICT y, const CN_T *CN_RESTRICT sw,
                                  ptrdiff_t n, const CN_T *CN_RESTRICT w, CN_T bias, int loss,
                                  CN_T *CN_RESTRICT G, CN_T *CN_RESTRICT zsave)
{
    for (ptrdiff_t j = 0; j <= K; j++)
        G[j] = 0;
    for (ptrdiff_t i = 0; i < n; i++) {
        const CN_T *x = X + i * K;
        CN_T z = CN_SFX(cn_dot)(x, w, K) + bias;
        CN_T d = CN_SFX(cn_dloss)(z, y[i], loss);
        if (sw)
            d *= sw[i];
        zsave[i] = z;
        for (ptrdiff_t j = 0; j < K; j++)
            G[j] += d * x[j];
        G[K] += d;
    }
}

/* One full-batch step from the block gradients G (nblocks rows of K + 1,
 * summed in block order): w and b as in cn_sgd_epoch with m = scale. */
static void CN_SFX(cn_gd_step)(const CN_T *CN_RESTRICT G, ptrdiff_t nblocks, ptrdiff_t K,
                               CN_T *CN_RESTRICT w, CN_T *CN_RESTRICT b, int fit_intercept,
                               CN_T alpha, CN_T l1_ratio, CN_T eta, CN_T scale,
                               CN_T *CN_RESTRICT g)
{
    for (ptrdiff_t j = 0; j <= K; j++)
        g[j] = G[j];
    for (ptrdiff_t k = 1; k < nblocks; k++)
        for (ptrdiff_t j = 0; j <= K; j++)
            g[j] += G[k * (K + 1) + j];
    {
        CN_T shrink = CN_SFX(cn_shrink)(eta, alpha, l1_ratio);
        CN_SFX(cn_apply_step)(w, g, K, shrink, eta / scale, eta * alpha * l1_ratio);
        if (fit_intercept)
            *b -= (eta / scale) * g[K];
    }
}

/* out[i] = sw_i * loss(z_i, y_i), elementwise:
 *   log: softplus(z) - y z, computed as softplus(+-z) for y in {0, 1}
 *        (no cancellation; never overflows);
 *   squared: (z - y)^2 / 2;  perceptron: max(0, -s z).
 * sw may be NULL. Branch-free loops without calls: they vectorize. */
static void CN_SFX(cn_loss_terms)(const CN_T *CN_RESTRICT z, const CN_T *CN_RESTRICT y,
                                  const CN_T *CN_RESTRICT sw, ptrdiff_t n, int loss,
                                  CN_T *CN_RESTRICT out)
{
    if (loss == CN_LOSS_LOG) {
        for (ptrdiff_t i = 0; i < n; i++) {
            CN_T u = (y[i] > (CN_T)0.5) ? -z[i] : z[i];
            out[i] = CN_SFX(cn_softplus)(u, (CN_T)1, (CN_T)INFINITY);
        }
    } else if (loss == CN_LOSS_SQUARED) {
        for (ptrdiff_t i = 0; i < n; i++) {
            CN_T e = z[i] - y[i];
            out[i] = (CN_T)0.5 * (e * e);
        }
    } else {
        for (ptrdiff_t i = 0; i < n; i++) {
            CN_T l = ((y[i] > (CN_T)0.5) ? -z[i] : z[i]);
            out[i] = (l > 0) ? l : (CN_T)0;
        }
    }
    if (sw)
        for (ptrdiff_t i = 0; i < n; i++)
            out[i] = sw[i] * out[i];
}
