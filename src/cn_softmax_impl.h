/*
 * cn_softmax_impl.h -- softmax and log_softmax of one contiguous row,
 * included by cn_kernels.h once per dtype with CN_T and CN_SFX defined.
 * Computes in double whatever the storage dtype. No include guard on purpose.
 *
 * For a row x with maximum m: softmax_i = e_i / S and log_softmax_i =
 * (x_i - m) - log S, where e_i = exp(x_i - m) <= 1 and S = sum e_i >= 1.
 * Accuracy:
 *   - x_i - m is formed exactly, as a double-double (TwoSum), and exp applied
 *     to it: no error proportional to |x_i - m|;
 *   - S = k + T with k the number of entries equal to m (each e = 1 exactly)
 *     and T the sum of the others, compensated (Neumaier, in CN_SM_LANES
 *     fixed lanes, combined in a fixed order): its error does not grow with
 *     the row length, and the result is reproducible;
 *   - log S = log1p(T) when k = 1 (the usual case), so log_softmax of the
 *     dominant entry keeps its digits when T is tiny.
 * Limits: a row with NaN gives NaN; +inf entries share the mass (softmax
 * 1/k, others 0; log_softmax -log k, others -inf); -inf entries give 0 and
 * -inf; a row of -inf only is NaN (0/0).
 */

#define CN_SM_LANES 8

CN_INLINE void CN_SFX(cn_softmax_row)(const CN_T *x, CN_T *out, ptrdiff_t n, int log_out)
{
    if (n <= 0)
        return;
    double m = (double)x[0];
    for (ptrdiff_t i = 1; i < n; i++) {
        double v = (double)x[i];
        m = (v > m || v != v) ? v : m; /* NaN sticks */
    }
    const int inf_max = (m == (double)INFINITY);

    double tl[CN_SM_LANES], cl[CN_SM_LANES], kl[CN_SM_LANES];
    for (int l = 0; l < CN_SM_LANES; l++)
        tl[l] = cl[l] = kl[l] = 0.0;
    for (ptrdiff_t i0 = 0; i0 < n; i0 += CN_SM_LANES) {
        for (int l = 0; l < CN_SM_LANES && i0 + l < n; l++) {
            double v = (double)x[i0 + l];
            double s = v - m;
            double bb = s - v;
            double err = (v - (s - bb)) + (-m - bb);
            err = (s > -(double)INFINITY) ? err : 0.0;
            double e = cn_exp_nonpos_d(s);
            e = e + e * err;
            int one = (v == m);
            e = (one || inf_max) ? 0.0 : e;
            kl[l] += one ? 1.0 : 0.0;
            double t = tl[l] + e; /* Neumaier: e >= 0, tl >= 0 */
            cl[l] += (tl[l] >= e) ? (tl[l] - t) + e : (e - t) + tl[l];
            tl[l] = t;
        }
    }
    double T = 0.0, C = 0.0, K = 0.0;
    for (int l = 0; l < CN_SM_LANES; l++) {
        double t = T + tl[l];
        C += ((T >= tl[l]) ? (T - t) + tl[l] : (tl[l] - t) + T) + cl[l];
        T = t;
        K += kl[l];
    }
    T = T + C;
    double S = K + T;
    double logS = (K == 1.0) ? cn_log1p_nonneg_d(T) : cn_log_ge1_d(S);
    logS = (S == S) ? logS : S; /* NaN row */

    for (ptrdiff_t i = 0; i < n; i++) {
        double v = (double)x[i];
        double s = v - m;
        double bb = s - v;
        double err = (v - (s - bb)) + (-m - bb);
        err = (s > -(double)INFINITY) ? err : 0.0;
        double r;
        if (log_out) {
            r = s + (err - logS);
            r = inf_max ? ((v == m) ? -logS : -(double)INFINITY) : r;
        } else {
            double e = cn_exp_nonpos_d(s);
            e = e + e * err;
            e = inf_max ? ((v == m) ? 1.0 : 0.0) : e;
            r = e / S;
        }
        r = (m == m) ? r : m;
        out[i] = (CN_T)r;
    }
}
