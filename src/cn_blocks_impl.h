/*
 * cn_blocks_impl.h -- the block kernels, included by cn_kernels.h once per
 * dtype and instruction set with CN_T, CN_SFX (dtype suffix), CN_FN(name)
 * (name + dtype + instruction-set suffix), CN_TARGET (the function
 * attribute that selects the instruction set) and CN_VBYTES (bytes in one
 * vector register of that instruction set: 16, 32 or 64) defined. These are
 * the functions the dispatch table points at. CN_TANH_SPAN, when defined,
 * names a span kernel for tanh of this dtype and instruction set that
 * replaces the generic loop (same bits). No include guard on purpose.
 */

/* out = act(z) over a span, through CN_TANH_SPAN for tanh where there is one */
#ifdef CN_TANH_SPAN
#define CN_ACTIVATE(z, out, n, act, p0, p1)                                  \
    do {                                                                     \
        if ((act) == CN_ACT_TANH)                                            \
            CN_TANH_SPAN((z), (out), (n));                                   \
        else                                                                 \
            CN_SFX(cn_activate)((z), (out), (n), (act), (p0), (p1));         \
    } while (0)
#else
#define CN_ACTIVATE(z, out, n, act, p0, p1) CN_SFX(cn_activate)(z, out, n, act, p0, p1)
#endif

#if CN_VECTOR_EXT
/* x.w for d >= CN_LANES with the lanes held in CN_LANES / VW native vectors
 * of VW elements (vector j holds lanes j*VW .. j*VW+VW-1), so they stay in
 * registers. The tree is cn_dot's: lane k+h into lane k, first across
 * vectors (h >= VW), then within one vector by halves. */
typedef CN_T CN_FN(cn_vec) __attribute__((vector_size(CN_VBYTES)));
typedef CN_T CN_FN(cn_v32b) __attribute__((vector_size(32)));
typedef CN_T CN_FN(cn_v16b) __attribute__((vector_size(16)));
#define CN_VW ((int)(CN_VBYTES / sizeof(CN_T)))
#define CN_NV (CN_LANES / CN_VW)

CN_TARGET CN_INLINE CN_T CN_FN(cn_dot_wide)(const CN_T *x, const CN_T *w, ptrdiff_t d)
{
    CN_FN(cn_vec) acc[CN_NV], vx, vw;
    ptrdiff_t i;
    for (int j = 0; j < CN_NV; j++) {
        memcpy(&vx, x + j * CN_VW, sizeof vx);
        memcpy(&vw, w + j * CN_VW, sizeof vw);
        acc[j] = vx * vw;
    }
    for (i = CN_LANES; i + CN_LANES <= d; i += CN_LANES) {
        for (int j = 0; j < CN_NV; j++) {
            memcpy(&vx, x + i + j * CN_VW, sizeof vx);
            memcpy(&vw, w + i + j * CN_VW, sizeof vw);
            acc[j] += vx * vw;
        }
    }
    if (i < d) {
        CN_T a[CN_LANES];
        memcpy(a, acc, sizeof a);
        for (int k = 0; i + k < d; k++)
            a[k] += x[i + k] * w[i + k];
        memcpy(acc, a, sizeof a);
    }
    for (int h = CN_NV / 2; h >= 1; h /= 2)
        for (int j = 0; j < h; j++)
            acc[j] += acc[j + h];
#if CN_VBYTES >= 64
    CN_FN(cn_v32b) lo32, hi32, s32;
    memcpy(&lo32, &acc[0], 32);
    memcpy(&hi32, (const char *)&acc[0] + 32, 32);
    s32 = lo32 + hi32;
#else
    CN_FN(cn_v32b) s32;
    memcpy(&s32, &acc[0], 32);
#endif
#if CN_VBYTES >= 32
    CN_FN(cn_v16b) lo16, hi16, s16;
    memcpy(&lo16, &s32, 16);
    memcpy(&hi16, (const char *)&s32 + 16, 16);
    s16 = lo16 + hi16;
#else
    CN_FN(cn_v16b) s16 = acc[0];
    (void)s32;
#endif
#if CN_LANES == 32 /* float: 4 lanes left */
    return (s16[0] + s16[2]) + (s16[1] + s16[3]);
#else
    return s16[0] + s16[1];
#endif
}
#undef CN_VW
#undef CN_NV
#define CN_DOT_WIDE CN_FN(cn_dot_wide)
#else
#define CN_DOT_WIDE CN_SFX(cn_dot)
#endif

/* out[r] = act(X[r, :].w + b) for the n rows of a C-contiguous block X of
 * width d: one pass over X; z goes to out, then act runs in place over the
 * block while it is still in cache. */
CN_TARGET static void CN_FN(cn_forward_rows)(const CN_T *CN_RESTRICT X, ptrdiff_t n,
                                             ptrdiff_t d, const CN_T *CN_RESTRICT w, CN_T b,
                                             CN_T *CN_RESTRICT out, int act, CN_T p0,
                                             CN_T p1)
{
    /* small widths: the contract's expression written out (cn_small_dot.h),
     * so that the loop over rows vectorizes, several rows per vector; with
     * the sigmoid in the same loop, the loads of later rows overlap the
     * arithmetic of earlier ones */
#define CN_SMALL_CASE(D)                                                   \
    case D:                                                                \
        if (act == CN_ACT_SIGMOID) {                                       \
            for (ptrdiff_t r = 0; r < n; r++) {                            \
                const CN_T *CN_RESTRICT x = X + r * (D);                   \
                CN_T z_ = CN_DOT_##D(x, w) + b;                            \
                out[r] = (z_ != z_) ? z_ : CN_SIGMOID(z_);                 \
            }                                                              \
        } else {                                                           \
            for (ptrdiff_t r = 0; r < n; r++) {                            \
                const CN_T *CN_RESTRICT x = X + r * (D);                   \
                out[r] = CN_DOT_##D(x, w) + b;                             \
            }                                                              \
            CN_ACTIVATE(out, out, n, act, p0, p1);                         \
        }                                                                  \
        return;
    switch (d) {
    CN_SMALL_CASE(1) CN_SMALL_CASE(2) CN_SMALL_CASE(3) CN_SMALL_CASE(4)
    CN_SMALL_CASE(5) CN_SMALL_CASE(6) CN_SMALL_CASE(7) CN_SMALL_CASE(8)
    CN_SMALL_CASE(9) CN_SMALL_CASE(10) CN_SMALL_CASE(11) CN_SMALL_CASE(12)
    CN_SMALL_CASE(13) CN_SMALL_CASE(14) CN_SMALL_CASE(15) CN_SMALL_CASE(16)
    default:
        if (d >= CN_LANES) {
            for (ptrdiff_t r = 0; r < n; r++)
                out[r] = CN_DOT_WIDE(X + r * d, w, d) + b;
        } else {
            CN_SFX(cn_rows_z)(X, n, d, w, b, out);
        }
        break;
    }
#undef CN_SMALL_CASE
    CN_ACTIVATE(out, out, n, act, p0, p1);
}

#undef CN_DOT_WIDE

/* out[j] = act(z[j]) over a span; out is z or disjoint from it. */
CN_TARGET static void CN_FN(cn_activate_span)(const CN_T *z, CN_T *out, ptrdiff_t n, int act,
                                              CN_T p0, CN_T p1)
{
    CN_ACTIVATE(z, out, n, act, p0, p1);
}

/* out[j] = act'(z[j]) over a span; out is z or disjoint from it. */
CN_TARGET static void CN_FN(cn_derive_span)(const CN_T *z, CN_T *out, ptrdiff_t n, int act,
                                            CN_T p0, CN_T p1)
{
    CN_SFX(cn_derive)(z, out, n, act, p0, p1);
}

/* (log_)softmax of n_rows contiguous rows of length n. */
CN_TARGET static void CN_FN(cn_softmax_rows)(const CN_T *z, CN_T *out, ptrdiff_t n_rows,
                                             ptrdiff_t n, int log_out)
{
    CN_SFX(cn_softmax_rows_seq)(z, out, n_rows, n, log_out);
}

/* the layer kernel */
#include "cn_dense_impl.h"

#undef CN_ACTIVATE
