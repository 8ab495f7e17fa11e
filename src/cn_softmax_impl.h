/*
 * cn_softmax_impl.h -- softmax and log_softmax of one contiguous row,
 * included by cn_kernels.h once per dtype with CN_T and CN_SFX defined.
 * Exponentials in the storage dtype, sums and logarithms in double. No
 * include guard on purpose.
 *
 * For a row x with maximum m: softmax_i = e_i / S and log_softmax_i =
 * (x_i - m) - log S, where e_i = exp(x_i - m) <= 1 and S = sum e_i >= 1.
 * Accuracy:
 *   - x_i - m is formed exactly, as a double-double (TwoSum), and exp applied
 *     to it: no error proportional to |x_i - m|;
 *   - S = k + T with k the number of entries equal to m (each e = 1 exactly)
 *     and T the sum of the others, compensated (error-free pairwise sums in
 *     chunks, Neumaier across chunks, in a fixed order): its error does not
 *     grow with the row length, and the result is reproducible;
 *   - log S = log1p(T) when k = 1 (the usual case), so log_softmax of the
 *     dominant entry keeps its digits when T is tiny.
 * Limits: a row with NaN gives NaN; +inf entries share the mass (softmax
 * 1/k, others 0; log_softmax -log k, others -inf); -inf entries give 0 and
 * -inf; a row of -inf only is uniform (1/n; log_softmax -log n), the limit
 * of equal entries.
 */

#define CN_SM_LANES 8
#define CN_SM_CHUNK 256 /* a power of two */

/* e = exp(v - m) in the storage dtype (float32 exps run 16 to a zmm), with
 * v - m formed exactly (TwoSum) and applied to first order; 0 for v = -inf. */
CN_INLINE CN_T CN_SFX(cn_sm_exp)(CN_T v, CN_T m)
{
    CN_T s = v - m;
    CN_T bb = s - v;
    CN_T err = (v - (s - bb)) + (-m - bb);
    err = (s > -(CN_T)INFINITY) ? err : (CN_T)0;
    CN_T e = CN_SFX(cn_exp_nonpos)(s);
    return e + e * err;
}

/* (v - m) - logS with v - m exact, in double */
CN_INLINE double CN_SFX(cn_sm_log)(CN_T v, CN_T m, double logS)
{
    CN_T s = v - m;
    CN_T bb = s - v;
    CN_T err = (v - (s - bb)) + (-m - bb);
    err = (s > -(CN_T)INFINITY) ? err : (CN_T)0;
    return (double)s + ((double)err - logS);
}

/* one lane step of the sum: Neumaier, e >= 0 and t >= 0 */
#define CN_SM_ADD(T, C, E)                                          \
    do {                                                            \
        double t_ = (T) + (E);                                      \
        (C) += ((T) >= (E)) ? ((T) - t_) + (E) : ((E) - t_) + (T);  \
        (T) = t_;                                                   \
    } while (0)

CN_INLINE void CN_SFX(cn_softmax_row)(const CN_T *x, CN_T *out, ptrdiff_t n, int log_out)
{
    if (n <= 0)
        return;
    const ptrdiff_t nfull = n - n % CN_SM_LANES;
    /* max, NaN sticky, in fixed lanes */
    CN_T ml[CN_SM_LANES];
    for (int l = 0; l < CN_SM_LANES; l++)
        ml[l] = x[0];
    for (ptrdiff_t i0 = 0; i0 < nfull; i0 += CN_SM_LANES)
        for (int l = 0; l < CN_SM_LANES; l++) {
            CN_T v = x[i0 + l];
            ml[l] = (v > ml[l] || v != v) ? v : ml[l];
        }
    CN_T m = ml[0];
    for (int l = 1; l < CN_SM_LANES; l++)
        m = (ml[l] > m || ml[l] != ml[l]) ? ml[l] : m;
    for (ptrdiff_t i = nfull; i < n; i++) {
        CN_T v = x[i];
        m = (v > m || v != v) ? v : m;
    }
    /* m = +inf: the +inf entries share the mass; m = -inf: every entry is
     * -inf, equal, and (softmax being shift-invariant) shares it too */
    const int inf_max = (m == (CN_T)INFINITY || m == -(CN_T)INFINITY);

    /* S = K + T: K entries equal to m (e = 1 each), T the sum of the others.
     * Each chunk of CN_SM_CHUNK exponentials is summed by a halving tree of
     * error-free additions (TwoSum: the rounding errors are kept and summed
     * too), a loop that vectorizes; the chunk totals are accumulated with
     * Neumaier's compensation. The error of T does not grow with n, and the
     * order is fixed, so the result is reproducible. For softmax the
     * exponentials are also stored in out (rounded to float32 there: half an
     * ulp more), and the last pass only divides. */
    const int keep = (!log_out && !inf_max);
    double buf[CN_SM_CHUNK], cbuf[CN_SM_CHUNK];
    double T = 0.0, C = 0.0, K = 0.0;
    for (ptrdiff_t i0 = 0; i0 < n; i0 += CN_SM_CHUNK) {
        ptrdiff_t len = (n - i0 < CN_SM_CHUNK) ? n - i0 : CN_SM_CHUNK;
        int64_t kc = 0; /* an integer count: the loop still vectorizes */
        for (ptrdiff_t j = 0; j < len; j++) {
            CN_T v = x[i0 + j];
            int one = (v == m);
            kc += one;
            buf[j] = (one || inf_max) ? 0.0 : (double)CN_SFX(cn_sm_exp)(v, m);
            cbuf[j] = 0.0;
        }
        if (keep) /* e_i, 1 for the maxima; x may be out: read above, first */
            for (ptrdiff_t j = 0; j < len; j++)
                out[i0 + j] = (x[i0 + j] == m) ? (CN_T)1 : (CN_T)buf[j];
        K += (double)kc;
        for (ptrdiff_t j = len; j < CN_SM_CHUNK; j++)
            buf[j] = cbuf[j] = 0.0; /* +0 leaves a sum of non-negatives unchanged */
        for (int w = CN_SM_CHUNK / 2; w >= 1; w /= 2) {
            for (int j = 0; j < w; j++) {
                double a = buf[j], b = buf[j + w];
                double t = a + b;
                double bp = t - a;
                double err = (a - (t - bp)) + (b - bp);
                buf[j] = t;
                cbuf[j] = (cbuf[j] + cbuf[j + w]) + err;
            }
        }
        CN_SM_ADD(T, C, buf[0]);
        C += cbuf[0];
    }
    T = T + C;
    double S = K + T;
    double logS = (K == 1.0) ? cn_log1p_nonneg_d(T) : cn_log_ge1_d(S);
    logS = (S == S) ? logS : S; /* NaN row */

    if (m != m) {
        for (ptrdiff_t i = 0; i < n; i++)
            out[i] = m;
    } else if (inf_max) {
        for (ptrdiff_t i = 0; i < n; i++) {
            int top = (x[i] == m);
            out[i] = (CN_T)(log_out ? (top ? -logS : -(double)INFINITY) : (top ? 1.0 / S : 0.0));
        }
    } else if (log_out) {
        for (ptrdiff_t i = 0; i < n; i++)
            out[i] = (CN_T)CN_SFX(cn_sm_log)(x[i], m, logS);
    } else if (keep) {
        for (ptrdiff_t i = 0; i < n; i++) /* out holds e_i */
            out[i] = (CN_T)((double)out[i] / S);
    } else {
        for (ptrdiff_t i = 0; i < n; i++)
            out[i] = (CN_T)((double)CN_SFX(cn_sm_exp)(x[i], m) / S);
    }
}

#undef CN_SM_ADD

/* The vector-Jacobian product of a row, given s = softmax(z) and the
 * upstream gradient g:
 *   softmax:      out_i = s_i (g_i - sum_j g_j s_j)
 *   log_softmax:  out_i = g_i - s_i sum_j g_j
 * The sums in double with Neumaier's compensation, in order; out may be g. */
CN_INLINE void CN_SFX(cn_softmax_vjp_row)(const CN_T *s, const CN_T *g, CN_T *out, ptrdiff_t n,
                                          int log_out)
{
    double acc = 0.0, comp = 0.0;
    for (ptrdiff_t i = 0; i < n; i++) {
        double v = log_out ? (double)g[i] : (double)g[i] * (double)s[i];
        double t = acc + v;
        comp += (CN_FABS(acc) >= CN_FABS(v)) ? (acc - t) + v : (v - t) + acc;
        acc = t;
    }
    double dot = acc + comp;
    for (ptrdiff_t i = 0; i < n; i++) {
        double si = (double)s[i], gi = (double)g[i];
        out[i] = (CN_T)(log_out ? gi - si * dot : si * (gi - dot));
    }
}
