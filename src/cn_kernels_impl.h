/*
 * cn_kernels_impl.h -- type-generic bodies, included by cn_kernels.h once per
 * dtype with CN_T (the element type), CN_SFX(name) (name + dtype suffix),
 * CN_LANES (number of fixed partial sums) and CN_SIGMOID defined.
 * Not a standalone header: no include guard on purpose.
 */

/* z = x.w (without bias) for one contiguous row of d >= 1 features.
 *
 * The order of operations, which defines the result bit for bit:
 *   lane k (k < CN_LANES) holds the products p_i = x_i*w_i with
 *   i % CN_LANES == k, summed in increasing i starting from the first
 *   product (lanes with k >= d are empty);
 *   a halving tree then adds lane k+h into lane k, h = CN_LANES/2, ..., 1,
 *   skipping empty lanes (after each level, lane j is empty iff j >= d).
 * Every path that computes a row (one sample, a batch, any thread, any
 * specialisation below) performs exactly these operations. */
CN_INLINE CN_T CN_SFX(cn_dot)(const CN_T *x, const CN_T *w, ptrdiff_t d)
{
    CN_T acc[CN_LANES];
    ptrdiff_t i;
    if (d >= CN_LANES) {
        for (int k = 0; k < CN_LANES; k++)
            acc[k] = x[k] * w[k];
        for (i = CN_LANES; i + CN_LANES <= d; i += CN_LANES)
            for (int k = 0; k < CN_LANES; k++)
                acc[k] += x[i + k] * w[i + k];
        for (int k = 0; i + k < d; k++)
            acc[k] += x[i + k] * w[i + k];
    } else {
        for (int k = 0; k < d; k++)
            acc[k] = x[k] * w[k];
    }
    for (int h = CN_LANES / 2; h >= 1; h /= 2)
        for (int k = 0; k < h; k++)
            if (k + h < d)
                acc[k] += acc[k + h];
    return acc[0];
}

/* out[r] = X[r, :].w + b for n rows of width d (a compile-time constant
 * where this is inlined with a literal d, so the dot product unrolls). */
CN_INLINE void CN_SFX(cn_rows_z)(const CN_T *X, ptrdiff_t n, ptrdiff_t d,
                                 const CN_T *w, CN_T b, CN_T *out)
{
    for (ptrdiff_t r = 0; r < n; r++)
        out[r] = CN_SFX(cn_dot)(X + r * d, w, d) + b;
}

/* z[j] = sigmoid(z[j]) in place: one pointer, so the loop vectorizes
 * without a runtime alias check. */
CN_INLINE void CN_SFX(cn_sigmoid_inplace)(CN_T *z, ptrdiff_t n)
{
    for (ptrdiff_t j = 0; j < n; j++)
        z[j] = CN_SIGMOID(z[j]);
}

/* out[j] = act(z[j]) for j < n; out either is z (in place) or does not
 * overlap it at all (the Python layer copies partial overlaps away). */
CN_INLINE void CN_SFX(cn_activate)(const CN_T *z, CN_T *out, ptrdiff_t n, int act)
{
    if (z == out) {
        if (act == CN_ACT_SIGMOID)
            CN_SFX(cn_sigmoid_inplace)(out, n);
        return;
    }
    const CN_T *CN_RESTRICT src = z;
    CN_T *CN_RESTRICT dst = out;
    if (act == CN_ACT_SIGMOID) {
        for (ptrdiff_t j = 0; j < n; j++)
            dst[j] = CN_SIGMOID(src[j]);
    } else {
        for (ptrdiff_t j = 0; j < n; j++)
            dst[j] = src[j];
    }
}

/* out[r] = act(X[r, :].w + b) for the n rows of a C-contiguous block X of
 * width d: one pass over X; z goes to out, then act runs in place over the
 * block while it is still in cache. */
static inline void CN_SFX(cn_forward_rows)(const CN_T *X, ptrdiff_t n, ptrdiff_t d,
                                           const CN_T *w, CN_T b, CN_T *out, int act)
{
    /* one clone per small width: same operations, unrolled */
    switch (d) {
    case 1: CN_SFX(cn_rows_z)(X, n, 1, w, b, out); break;
    case 2: CN_SFX(cn_rows_z)(X, n, 2, w, b, out); break;
    case 3: CN_SFX(cn_rows_z)(X, n, 3, w, b, out); break;
    case 4: CN_SFX(cn_rows_z)(X, n, 4, w, b, out); break;
    case 5: CN_SFX(cn_rows_z)(X, n, 5, w, b, out); break;
    case 6: CN_SFX(cn_rows_z)(X, n, 6, w, b, out); break;
    case 7: CN_SFX(cn_rows_z)(X, n, 7, w, b, out); break;
    case 8: CN_SFX(cn_rows_z)(X, n, 8, w, b, out); break;
    case 16: CN_SFX(cn_rows_z)(X, n, 16, w, b, out); break;
    default: CN_SFX(cn_rows_z)(X, n, d, w, b, out); break;
    }
    CN_SFX(cn_activate)(out, out, n, act);
}
