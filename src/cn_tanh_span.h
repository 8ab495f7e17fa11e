/*
 * cn_tanh_span.h -- float tanh over a span for the x86 instruction sets with
 * a fused multiply-add (AVX2 + FMA, AVX-512), included by cn_kernels.h when
 * it builds the dispatch variants. The float block kernels of those sets
 * call these through CN_TANH_SPAN.
 *
 * Both perform, lane by lane, the IEEE operations of cn_tanh_nonneg_f_impl
 * (cn_math.h) with the sign copied from z and a NaN passed through
 * unchanged, as CN_SPAN does (AVX-512 reads r = (1 - 2^-n)/(1 + 2^-n) from
 * CN_TANH_RHO_F, which holds exactly the floats that division gives); the
 * baseline path computes the same fused operations with cn_fmaf_emul. So
 * every path gives the same bits; tests/test_simd.py checks every argument.
 *
 * AVX2: the portable formula with fused = 1, which the compiler vectorizes.
 * AVX-512: intrinsics, because three steps have no plain-C form that becomes
 * one instruction each: min(|z|, 10) is one range operation; the table of
 * tanh(n ln2/2) (32 floats) is read by one two-register permute, indexed by
 * the bits of -(shift + n) (whose low 5 bits are n); the sign and the NaN
 * lanes are merged by one masked bitwise select. This loop is bound by the
 * number of vector operations (16 per 16 values, besides the load and the
 * store), not by memory, so each one saved counts.
 */
#ifndef CN_TANH_SPAN_H
#define CN_TANH_SPAN_H

#include <immintrin.h>

/* out[j] = tanh(z[j]) for j < n; out is z or does not overlap it. */
CN_TARGET_AVX2 static void cn_tanh_span_f_avx2(const float *z, float *out, ptrdiff_t n)
{
#define CN_T float
    CN_SPAN(CN_COPYSIGNF(cn_tanh_nonneg_f_impl(CN_FABSF(v), 1), v));
#undef CN_T
}

#define CN_TANH_AVX512_BODY(v, r)                                                          \
    do {                                                                                   \
        /* min(|v|, 10), sign cleared (imm: absolute minimum, sign bit 0) */              \
        __m512 a_ = _mm512_range_ps((v), ten, 0x0a);                                       \
        __m512 kr_ = _mm512_fmadd_ps(a_, neg2invln2, negshift); /* -(shift + n) */         \
        __m512 kd_ = _mm512_sub_ps(kr_, negshift);              /* -n */                    \
        __m512 s_ = _mm512_fmadd_ps(kd_, lnc, a_);                                         \
        __m512 s2_ = _mm512_mul_ps(s_, s_);                                                \
        __m512 p_ = _mm512_fmadd_ps(f2, s2_, f1);                                          \
        p_ = _mm512_fmadd_ps(p_, s2_, f0);                                                 \
        __m512 h_ = _mm512_fmadd_ps(_mm512_mul_ps(s_, s2_), p_, s_);                       \
        /* r = tanh(n ln2/2): the table, indexed by the low 5 bits of kr's bits (n) */    \
        __m512 r_ = _mm512_permutex2var_ps(rho0, _mm512_castps_si512(kr_), rho1);          \
        __m512 t_ = _mm512_div_ps(_mm512_add_ps(r_, h_), _mm512_fmadd_ps(r_, h_, one));    \
        /* ordered lanes: t with the sign bit of v; NaN lanes: v itself */                 \
        __mmask16 ok_ = _mm512_cmp_ps_mask((v), (v), _CMP_ORD_Q);                           \
        (r) = _mm512_castsi512_ps(_mm512_mask_ternarylogic_epi32(                           \
            _mm512_castps_si512(v), ok_, _mm512_castps_si512(t_), sign, 0xe4));            \
    } while (0)

/* out[j] = tanh(z[j]) for j < n; out is z or does not overlap it. */
CN_TARGET_AVX512 static void cn_tanh_span_f_avx512(const float *z, float *out, ptrdiff_t n)
{
    const __m512 ten = _mm512_set1_ps(10.0f);
    const __m512 neg2invln2 = _mm512_set1_ps(-2.0f * CN_INVLN2_F);
    const __m512 lnc = _mm512_set1_ps(CN_TANH_C_F);
    const __m512 f0 = _mm512_set1_ps(CN_TANH_F0);
    const __m512 f1 = _mm512_set1_ps(CN_TANH_F1);
    const __m512 f2 = _mm512_set1_ps(CN_TANH_F2);
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 negshift = _mm512_set1_ps(-CN_SHIFT_F);
    const __m512 rho0 = _mm512_loadu_ps(CN_TANH_RHO_F);
    const __m512 rho1 = _mm512_loadu_ps(CN_TANH_RHO_F + 16);
    const __m512i sign = _mm512_set1_epi32((int)UINT32_C(0x80000000));
    ptrdiff_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512 v = _mm512_loadu_ps(z + j), r;
        CN_TANH_AVX512_BODY(v, r);
        _mm512_storeu_ps(out + j, r);
    }
    if (j < n) { /* the last 1..15 lanes, masked */
        __mmask16 m = (__mmask16)((1u << (n - j)) - 1u);
        __m512 v = _mm512_maskz_loadu_ps(m, z + j), r;
        CN_TANH_AVX512_BODY(v, r);
        _mm512_mask_storeu_ps(out + j, m, r);
    }
}

#undef CN_TANH_AVX512_BODY

#endif /* CN_TANH_SPAN_H */
