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
 *   - S is summed in double in up to CN_SM_LANES fixed lanes (entry i in
 *     lane i mod CN_SM_LANES) combined by a halving tree. In float64 every
 *     addition is error-free (TwoSum: the rounding errors are kept and
 *     summed too), so the error of S does not grow with the row length; in
 *     float32 plain double additions stay far below float's precision. The
 *     order is fixed: results are reproducible;
 *   - softmax divides by S in float64 and multiplies by 1/S (rounded to
 *     float) in float32;
 *   - log_softmax takes S = k + T, k the number of entries equal to m (each
 *     e = 1 exactly) and T the sum of the others, and log S = log1p(T) when
 *     k = 1 (the usual case), so the dominant entry keeps its digits when T
 *     is tiny.
 * Limits: a row with NaN gives NaN; +inf entries share the mass (softmax
 * 1/k, others 0; log_softmax -log k, others -inf); -inf entries give 0 and
 * -inf; a row of -inf only is uniform (1/n; log_softmax -log n), the limit
 * of equal entries.
 *
 * Every loop runs over fixed lanes with selects only, so it vectorizes; the
 * maximum ignores NaN (a NaN entry makes T, hence every output, NaN).
 * A softmax row without NaN whose entries all lie within 300 (float64) or 40
 * (float32) of 0, the usual case, skips the shift: e_i = exp(x_i), each a
 * normal number from a one-step exponential, x_i used exactly as given (no
 * TwoSum), S their sum (float64: lanes start at a power of two above exp(m),
 * so that Fast2Sum stays error-free). Which way a row goes depends on the
 * row alone.
 */

#define CN_SM_LANES 64

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

/* A softmax row whose entries all lie within CN_SM_DIRECT of 0 (and none is
 * NaN) needs no shift: e = exp(v), each a normal number, v taken exactly as
 * it is (no TwoSum, no correction), and S the sum of those. exp(+-300) and
 * exp(+-40) leave S and 1/S far inside the range of the dtype for any row a
 * machine can hold. */
#if CN_T_IS_FLOAT
#define CN_SM_DIRECT 40.0f
#else
#define CN_SM_DIRECT 300.0
#endif

/* (v - m) - logS with v - m exact, in double */
CN_INLINE double CN_SFX(cn_sm_log)(CN_T v, CN_T m, double logS)
{
    CN_T s = v - m;
    CN_T bb = s - v;
    CN_T err = (v - (s - bb)) + (-m - bb);
    err = (s > -(CN_T)INFINITY) ? err : (CN_T)0;
    return (double)s + ((double)err - logS);
}

/* Adding 0 <= a <= 1 to lane sum T, the rounding error kept in C.
 * float64: CN_SM_ADD2 is TwoSum (any operands); CN_SM_ADD is Fast2Sum
 * (three additions), error-free when T >= 1 >= a: softmax starts every
 * lane at T = 1 for it and takes the start off after the tree (log_softmax,
 * which needs the small sum T itself to full relative precision, starts at
 * 0 and uses TwoSum). float32: plain double additions, whose error (2^-53
 * per term) stays far below float's precision for any row a machine can
 * hold. Maxima are counted per lane in CN_SM_COUNT, an integer of the
 * vector's lane width. */
#if CN_T_IS_FLOAT
#define CN_SM_COUNT int32_t
#define CN_SM_ADD(T, C, A) ((T) += (A))
#define CN_SM_ADD2(T, C, A) ((T) += (A))
#else
#define CN_SM_COUNT int64_t
#define CN_SM_ADD(T, C, A)                          \
    do {                                            \
        double a_ = (A);                            \
        double t_ = (T) + a_;                       \
        (C) += a_ - (t_ - (T));                     \
        (T) = t_;                                   \
    } while (0)
#define CN_SM_ADD2(T, C, A)                         \
    do {                                            \
        double a_ = (A);                            \
        double t_ = (T) + a_;                       \
        double bp_ = t_ - (T);                      \
        (C) += ((T) - (t_ - bp_)) + (a_ - bp_);     \
        (T) = t_;                                   \
    } while (0)
#endif

/* BODY for every entry i0 + j of the row, j its lane: the full chunks of
 * CN_SM_LANES entries by a loop of constant trip count (which the compiler
 * unrolls, the lane sums held in registers), then the partial chunk. */
#define CN_SM_ROW(BODY)                                     \
    do {                                                    \
        for (i0 = 0; i0 + CN_SM_LANES <= n; i0 += CN_SM_LANES) \
            for (j = 0; j < CN_SM_LANES; j++) {             \
                BODY                                        \
            }                                               \
        for (j = 0; j < n - i0; j++) {                      \
            BODY                                            \
        }                                                   \
    } while (0)

/* The last pass of a softmax row scales its exponentials: float64 divides
 * them by S; float32 multiplies them by 1/S rounded to float (two roundings,
 * a multiply where a double division would cost a third of the function;
 * within the stated bound). */
#if CN_T_IS_FLOAT
#define CN_SM_FACTOR(S) ((float)(1.0 / (S)))
#define CN_SM_SCALE(E, F) ((E) * (F))
#else
#define CN_SM_FACTOR(S) (S)
#define CN_SM_SCALE(E, F) ((E) / (F))
#endif

/* the last pass of a softmax row whose exponentials are in out */
CN_INLINE void CN_SFX(cn_sm_scale_row)(CN_T *out, ptrdiff_t n, CN_T fac)
{
    for (ptrdiff_t i = 0; i < n; i++)
        out[i] = CN_SM_SCALE(out[i], fac);
}

/* (log_)softmax of the row x into out, except that a softmax row may be
 * left with its exponentials in out: then the function returns 1 and the
 * factor for CN_SM_SCALE in *fac, and the caller finishes the row. pend, if
 * not NULL, is such a row from before (of the same length n, factor pfac):
 * it is finished here, in the loop of this row's exponentials where that
 * is possible, so that its divisions overlap their arithmetic. */
CN_INLINE int CN_SFX(cn_softmax_row_defer)(const CN_T *x, CN_T *out, ptrdiff_t n, int log_out,
                                           CN_T *pend, CN_T pfac, CN_T *fac)
{
    if (n <= 0)
        return 0;
    /* lane j holds entries j, j + L, j + 2L, ... (L = CN_SM_LANES); only
     * the first `nl` lanes are used */
    const ptrdiff_t nl = (n < CN_SM_LANES) ? n : CN_SM_LANES;
    ptrdiff_t i0, i, j;

    /* max and min in lanes (NaN entries are passed over by both), and a
     * plain sum that only serves to detect a NaN; the lanes are combined by
     * a halving tree (lane j + w into lane j), a fixed order */
    CN_T ml[CN_SM_LANES], mnl[CN_SM_LANES], ckl[CN_SM_LANES];
    for (j = 0; j < CN_SM_LANES; j++) {
        ml[j] = -(CN_T)INFINITY;
        mnl[j] = (CN_T)INFINITY;
        ckl[j] = 0;
    }
    CN_SM_ROW({
        CN_T v = x[i0 + j];
        ml[j] = (v > ml[j]) ? v : ml[j];
        mnl[j] = (v < mnl[j]) ? v : mnl[j];
        ckl[j] += v;
    });
    for (ptrdiff_t w = CN_SM_LANES / 2; w >= 1; w /= 2)
        for (j = 0; j < w; j++) {
            ml[j] = (ml[j + w] > ml[j]) ? ml[j + w] : ml[j];
            mnl[j] = (mnl[j + w] < mnl[j]) ? mnl[j + w] : mnl[j];
            ckl[j] += ckl[j + w];
        }
    const CN_T m = ml[0], mn = mnl[0], ck = ckl[0];
    /* No NaN (an overflowing check sum only gives inf, or a NaN that sends
     * the row the general way, which is merely slower) and every entry
     * within CN_SM_DIRECT of 0: softmax takes exp(v) directly. */
    const int direct = (ck == ck) && (m <= CN_SM_DIRECT) && (mn >= -CN_SM_DIRECT);

    if (pend && (log_out || !direct)) { /* no loop below to finish it in */
        CN_SFX(cn_sm_scale_row)(pend, n, pfac);
        pend = NULL;
    }

    if (m == (CN_T)INFINITY || m == -(CN_T)INFINITY) {
        /* +inf: the +inf entries share the mass; -inf: every other entry is
         * -inf (or NaN), equal, and (softmax being shift-invariant) shares
         * it too. A NaN makes the row NaN. */
        double K = 0.0;
        int nan = 0;
        for (i = 0; i < n; i++) {
            K += (x[i] == m) ? 1.0 : 0.0;
            nan |= (x[i] != x[i]);
        }
        double logS = cn_log_ge1_d(K);
        for (i = 0; i < n; i++) {
            int top = (x[i] == m);
            double y = log_out ? (top ? -logS : -(double)INFINITY) : (top ? 1.0 / K : 0.0);
            out[i] = nan ? (CN_T)NAN : (CN_T)y;
        }
        return 0;
    }

    /* Each lane sums its exponentials (CN_SM_ADD: t the sum, c the rounding
     * errors). softmax needs S alone: the exponentials are summed whole and
     * stored in out, where the last pass scales them (x may be out: each
     * entry is read before it is written). log_softmax needs S = K + T:
     * entries equal to m count in K and add 0 to T. The lanes used are the
     * first np, the power of two from nl up, which the tree below halves. */
    ptrdiff_t np = 1;
    while (np < nl)
        np *= 2;
    double tl[CN_SM_LANES], cl[CN_SM_LANES];
    CN_SM_COUNT kl[CN_SM_LANES];
    /* float64 softmax lanes start at 1 (see CN_SM_ADD), or above the largest
     * exp(v) of a row taken directly; the start comes off after the tree */
    double start = (CN_T_IS_FLOAT || log_out) ? 0.0 : 1.0;
    if (!CN_T_IS_FLOAT && !log_out && direct && m > 0) {
        /* e = exp(v) <= exp(m) < 2^(floor(m / ln2) + 1): lanes start at
         * twice that power of two, so that Fast2Sum stays error-free */
        int k = (int)((double)m * CN_INVLN2_D) + 2;
        start = cn_asdouble((uint64_t)(1023 + k) << 52);
    }
    for (j = 0; j < np; j++) {
        tl[j] = start;
        cl[j] = 0.0;
        kl[j] = 0;
    }
    if (!log_out && direct && pend) /* S alone matters */
        CN_SM_ROW({
            CN_T e = CN_SFX(cn_exp_normal)(x[i0 + j]);
            out[i0 + j] = e;
            CN_SM_ADD(tl[j], cl[j], (double)e);
            pend[i0 + j] = CN_SM_SCALE(pend[i0 + j], pfac);
        });
    else if (!log_out && direct)
        CN_SM_ROW({
            CN_T e = CN_SFX(cn_exp_normal)(x[i0 + j]);
            out[i0 + j] = e;
            CN_SM_ADD(tl[j], cl[j], (double)e);
        });
    else if (!log_out)
        CN_SM_ROW({
            CN_T e = CN_SFX(cn_sm_exp)(x[i0 + j], m);
            out[i0 + j] = e;
            CN_SM_ADD(tl[j], cl[j], (double)e);
        });
    else
        CN_SM_ROW({
            CN_T v = x[i0 + j];
            CN_T e = CN_SFX(cn_sm_exp)(v, m);
            int one = (v == m);
            kl[j] += one;
            CN_SM_ADD2(tl[j], cl[j], one ? 0.0 : (double)e);
        });
    /* the lanes by a halving tree, in a fixed order (lane j + w into lane
     * j), the additions error-free in float64 as above */
    for (ptrdiff_t w = np / 2; w >= 1; w /= 2)
        for (j = 0; j < w; j++) {
            cl[j] += cl[j + w];
            CN_SM_ADD2(tl[j], cl[j], tl[j + w]);
        }
    /* tl[0] = start * np + T, exactly: T's high part by TwoSum, then the
     * low parts */
    double th = 0.0, tc = 0.0;
    CN_SM_ADD2(th, tc, tl[0]);
    CN_SM_ADD2(th, tc, -start * (double)np);
    const double T = th + (tc + cl[0]);

    if (log_out) {
        int64_t kc = 0;
        for (j = 0; j < np; j++)
            kc += kl[j];
        const double K = (double)kc;
        const double S = K + T;
        const double logS = (K == 1.0) ? cn_log1p_nonneg_d(T) : cn_log_ge1_d(S);
        for (i = 0; i < n; i++)
            out[i] = (CN_T)CN_SFX(cn_sm_log)(x[i], m, logS);
        return 0;
    }
    *fac = CN_SM_FACTOR(T); /* S = T */
    return 1;
}

/* (log_)softmax of the row x into out (out may be x) */
CN_INLINE void CN_SFX(cn_softmax_row)(const CN_T *x, CN_T *out, ptrdiff_t n, int log_out)
{
    CN_T fac;
    if (CN_SFX(cn_softmax_row_defer)(x, out, n, log_out, NULL, 0, &fac))
        CN_SFX(cn_sm_scale_row)(out, n, fac);
}

/* (log_)softmax of n_rows contiguous rows of length n: each row's scaling
 * runs in the next row's loop of exponentials */
CN_INLINE void CN_SFX(cn_softmax_rows_seq)(const CN_T *z, CN_T *out, ptrdiff_t n_rows,
                                           ptrdiff_t n, int log_out)
{
    CN_T *pend = NULL;
    CN_T pfac = 0, fac = 0;
    for (ptrdiff_t r = 0; r < n_rows; r++) {
        int d = CN_SFX(cn_softmax_row_defer)(z + r * n, out + r * n, n, log_out, pend, pfac, &fac);
        pend = d ? out + r * n : NULL;
        pfac = fac;
    }
    if (pend)
        CN_SFX(cn_sm_scale_row)(pend, n, pfac);
}

#undef CN_SM_ADD
#undef CN_SM_ADD2
#undef CN_SM_COUNT
#undef CN_SM_DIRECT
#undef CN_SM_ROW
#undef CN_SM_FACTOR
#undef CN_SM_SCALE

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
