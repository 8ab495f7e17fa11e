/*
 * cn_rows_impl.h -- type-generic row primitives, included by cn_kernels.h
 * once per dtype with CN_T (element type), CN_SFX(name) (name + dtype
 * suffix), CN_LANES (number of fixed partial sums) and CN_SIGMOID defined.
 * Everything here is always inlined: it is compiled into each CPU-specific
 * variant of the block kernels (cn_blocks_impl.h). No include guard on
 * purpose.
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
 * instruction set, any specialisation) performs exactly these operations. */
/* The reference implementation of the order (plain C, used for one sample
 * and wherever no vector code is compiled). */
CN_INLINE CN_T CN_SFX(cn_dot)(const CN_T *x, const CN_T *w, ptrdiff_t d)
{
    CN_T acc[CN_LANES];
    if (d >= CN_LANES) {
        /* every lane is non-empty: the full tree */
        ptrdiff_t i;
        for (int k = 0; k < CN_LANES; k++)
            acc[k] = x[k] * w[k];
        for (i = CN_LANES; i + CN_LANES <= d; i += CN_LANES)
            for (int k = 0; k < CN_LANES; k++)
                acc[k] += x[i + k] * w[i + k];
        for (int k = 0; i + k < d; k++)
            acc[k] += x[i + k] * w[i + k];
        for (int h = CN_LANES / 2; h >= 1; h /= 2)
            for (int k = 0; k < h; k++)
                acc[k] += acc[k + h];
        return acc[0];
    }
    for (int k = 0; k < d; k++)
        acc[k] = x[k] * w[k];
    /* lane k + h is non-empty iff k + h < d: add it for k < min(h, d - h) */
    for (int h = CN_LANES / 2; h >= 1; h /= 2) {
        ptrdiff_t m = (d - h < h) ? d - h : h;
        for (int k = 0; k < m; k++)
            acc[k] += acc[k + h];
    }
    return acc[0];
}

/* out[r] = X[r, :].w + b for n rows of width d. Inlined with a literal d,
 * the dot product unrolls completely and the loop over rows vectorizes
 * across rows (several rows per vector). */
CN_INLINE void CN_SFX(cn_rows_z)(const CN_T *CN_RESTRICT X, ptrdiff_t n, ptrdiff_t d,
                                 const CN_T *CN_RESTRICT w, CN_T b, CN_T *CN_RESTRICT out)
{
    for (ptrdiff_t r = 0; r < n; r++)
        out[r] = CN_SFX(cn_dot)(X + r * d, w, d) + b;
}

/* out = act(z) elementwise; p0, p1 are the activation's parameters (alpha;
 * softplus: beta, threshold). */
CN_INLINE void CN_SFX(cn_activate)(const CN_T *z, CN_T *out, ptrdiff_t n, int act, CN_T p0,
                                   CN_T p1)
{
    switch (act) {
    case CN_ACT_SIGMOID: CN_SPAN(CN_SIGMOID(v)); break;
    case CN_ACT_STEP: CN_SPAN(CN_SFX(cn_step)(v)); break;
    case CN_ACT_RELU: CN_SPAN(CN_SFX(cn_relu)(v)); break;
    case CN_ACT_LEAKY_RELU: CN_SPAN(CN_SFX(cn_leaky_relu)(v, p0)); break;
    case CN_ACT_SILU: CN_SPAN(CN_SFX(cn_silu)(v)); break;
    case CN_ACT_TANH: CN_SPAN(CN_SFX(cn_tanh)(v)); break;
    case CN_ACT_ELU: CN_SPAN(CN_SFX(cn_elu)(v, p0)); break;
    case CN_ACT_SELU: CN_SPAN(CN_SFX(cn_selu)(v)); break;
    case CN_ACT_SOFTPLUS: CN_SPAN(CN_SFX(cn_softplus)(v, p0, p1)); break;
    case CN_ACT_LOG_SIGMOID: CN_SPAN(CN_SFX(cn_log_sigmoid)(v)); break;
    case CN_ACT_GELU: CN_SPAN(CN_SFX(cn_gelu)(v)); break;
    case CN_ACT_GELU_TANH: CN_SPAN(CN_SFX(cn_gelu_tanh)(v)); break;
    default: /* identity */
        if (z != out)
            CN_SPAN(v);
        break;
    }
}

/* out = act'(z) elementwise. */
CN_INLINE void CN_SFX(cn_derive)(const CN_T *z, CN_T *out, ptrdiff_t n, int act, CN_T p0,
                                 CN_T p1)
{
    switch (act) {
    case CN_ACT_SIGMOID: CN_SPAN(CN_SFX(cn_sigmoid_grad)(v)); break;
    case CN_ACT_STEP: CN_SPAN(CN_SFX(cn_step_grad)(v)); break;
    case CN_ACT_RELU: CN_SPAN(CN_SFX(cn_relu_grad)(v)); break;
    case CN_ACT_LEAKY_RELU: CN_SPAN(CN_SFX(cn_leaky_relu_grad)(v, p0)); break;
    case CN_ACT_SILU: CN_SPAN(CN_SFX(cn_silu_grad)(v)); break;
    case CN_ACT_TANH: CN_SPAN(CN_SFX(cn_tanh_grad)(v)); break;
    case CN_ACT_ELU: CN_SPAN(CN_SFX(cn_elu_grad)(v, p0)); break;
    case CN_ACT_SELU: CN_SPAN(CN_SFX(cn_selu_grad)(v)); break;
    case CN_ACT_SOFTPLUS: CN_SPAN(CN_SFX(cn_softplus_grad)(v, p0, p1)); break;
    case CN_ACT_LOG_SIGMOID: CN_SPAN(CN_SFX(cn_log_sigmoid_grad)(v)); break;
    case CN_ACT_GELU: CN_SPAN(CN_SFX(cn_gelu_grad)(v)); break;
    case CN_ACT_GELU_TANH: CN_SPAN(CN_SFX(cn_gelu_tanh_grad)(v)); break;
    default: CN_SPAN(CN_SFX(cn_identity_grad)(v)); break;
    }
}

