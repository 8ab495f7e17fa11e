/*
 * cn_math.h -- scalar math of cneuron: exp of a non-positive argument and the
 * logistic sigmoid, in double and float.
 *
 * Every function here is a branch-free `static inline` point function built
 * from IEEE additions, multiplications, one division, comparisons/selects and
 * integer bit operations only. No libm call, no table lookup: a loop over an
 * array of them vectorizes under IEEE rules (no -ffast-math), and a lane of the
 * vector loop computes bitwise what the scalar code computes, whatever the
 * instruction set (SSE2, AVX2, AVX-512), as long as the build does not
 * contract a*b+c into an FMA (setup.py passes -ffp-contract=off).
 *
 * Numerical contract (tested in tests/test_sigmoid.py):
 *   cn_sigmoid_d / cn_sigmoid_f are within 4 ulp of the exact value for every
 *   finite input (measured: below 2 ulp), within a few units of the smallest
 *   subnormal in the subnormal range (never flushed to zero), exactly 0.5 at
 *   +-0, exactly 0 and 1 at -inf and +inf, NaN in -> NaN out, and no overflow
 *   anywhere: exp is only ever evaluated at -|z| <= 0.
 */
#ifndef CN_MATH_H
#define CN_MATH_H

#include <math.h> /* INFINITY */
#include <stdint.h>
#include <string.h>

/* Always inlined: the same source is compiled into every CPU-specific
 * variant of the array kernels (cn_kernels.h), and GCC only inlines a
 * baseline function into a function with a wider target when forced. */
#if defined(__GNUC__) || defined(__clang__)
#define CN_MATH_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define CN_MATH_INLINE static __forceinline
#else
#define CN_MATH_INLINE static inline
#endif

/* |x| as one AND of the sign bit (a compiler builtin, never a libm call) */
#if defined(__GNUC__) || defined(__clang__)
#define CN_FABS(x) __builtin_fabs(x)
#define CN_FABSF(x) __builtin_fabsf(x)
#define CN_COPYSIGN(x, y) __builtin_copysign((x), (y))
#define CN_COPYSIGNF(x, y) __builtin_copysignf((x), (y))
#define CN_FMAF(x, y, z) __builtin_fmaf((x), (y), (z))
#else
#define CN_FABS(x) fabs(x)
#define CN_FABSF(x) fabsf(x)
#define CN_COPYSIGN(x, y) copysign((x), (y))
#define CN_COPYSIGNF(x, y) copysignf((x), (y))
#define CN_FMAF(x, y, z) fmaf((x), (y), (z))
#endif
/* CN_FMAF: x*y + z rounded once, written out where a kernel wants it (a
 * fused instruction where the target has one, the C library's correctly
 * rounded fmaf elsewhere): never a contraction the compiler picks on one
 * target and not another. The x86 baseline uses cn_fmaf_emul instead (float
 * tanh, below). */

/* ---- bit casts (memcpy: defined behaviour, compiles to a register move) -- */

CN_MATH_INLINE uint64_t cn_asuint64(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
CN_MATH_INLINE double cn_asdouble(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }
CN_MATH_INLINE uint32_t cn_asuint32(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
CN_MATH_INLINE float cn_asfloat(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

/* ---- exp(x) for x in [-inf, 0] or NaN, double --------------------------- *
 *
 * Range reduction x = n*ln2 + r, |r| <= ln2/2 (Cody-Waite: ln2 split into a
 * high part with 21 trailing zero bits, so n*CN_LN2HI_D is exact for |n| <
 * 2^21, and a low part). n is found with the 1.5*2^52 shifter: adding it
 * rounds x/ln2 to an integer held in the low mantissa bits, without a
 * float->int conversion (which would not vectorize on SSE2 for 64-bit ints).
 *
 * exp(r) is the Taylor polynomial of degree 13: on |r| <= 0.3466 its
 * truncation error is below 0.02 ulp; evaluated as 1 + (r + r^2 t(r)) with
 * t by Estrin's scheme, rounding adds under 1 ulp.
 *
 * The result p * 2^n is scaled in two steps 2^m1 * 2^m2 with m1 + m2 = -n,
 * each factor a normal number (m1, m2 <= 800), so that results down in the
 * subnormal range are rounded once, correctly, instead of flushed to zero.
 * Arguments below -1100 are clamped there: exp(-1100) underflows to +0
 * (smallest subnormal is exp(-744.44)), and -inf lands there too. The clamp
 * is written `x < C ? C : x` so that NaN (comparison false) passes through and
 * poisons r, hence the result.
 */
#define CN_EXP_CLAMP_D (-1100.0)
#define CN_SHIFT_D 0x1.8p52
#define CN_INVLN2_D 0x1.71547652b82fep0
#define CN_LN2HI_D 0x1.62e42fee00000p-1 /* 6.93147180369123816490e-01 */
#define CN_LN2LO_D 0x1.a39ef35793c76p-33 /* 1.90821492927058770002e-10 */

/* x = n ln2 + r for x in [-1100, 0] (clamped by the caller) or NaN: returns
 * m = -n >= 0 and r, |r| <= ln2/2. */
CN_MATH_INLINE uint64_t cn_reduce_d(double x, double *r)
{
    double kd = x * CN_INVLN2_D + CN_SHIFT_D;
    uint64_t m = cn_asuint64(CN_SHIFT_D) - cn_asuint64(kd);
    kd = kd - CN_SHIFT_D;
    *r = (x - kd * CN_LN2HI_D) - kd * CN_LN2LO_D;
    return m;
}

/* expm1(r) = r + r^2 t(r), t(r) = sum_{k=2..13} r^(k-2)/k! by Estrin's
 * scheme: short dependency chains, so the vector loop is not latency-bound;
 * exp(r) = 1 + expm1(r) adds the big terms last, so rounding errors of t are
 * damped by r^2 <= 0.121. */
CN_MATH_INLINE double cn_expm1_poly_d(double r)
{
    double r2 = r * r;
    double r4 = r2 * r2;
    double r8 = r4 * r4;
    double a0 = 0.5 + r * 0x1.5555555555555p-3;                       /* 1/2!, 1/3!   */
    double a1 = 0x1.5555555555555p-5 + r * 0x1.1111111111111p-7;      /* 1/4!, 1/5!   */
    double a2 = 0x1.6c16c16c16c17p-10 + r * 0x1.a01a01a01a01ap-13;    /* 1/6!, 1/7!   */
    double a3 = 0x1.a01a01a01a01ap-16 + r * 0x1.71de3a556c734p-19;    /* 1/8!, 1/9!   */
    double a4 = 0x1.27e4fb7789f5cp-22 + r * 0x1.ae64567f544e4p-26;    /* 1/10!, 1/11! */
    double a5 = 0x1.1eed8eff8d898p-29 + r * 0x1.6124613a86d09p-33;    /* 1/12!, 1/13! */
    double t = ((a0 + r2 * a1) + r4 * (a2 + r2 * a3)) + r8 * (a4 + r2 * a5);
    return r + r2 * t;
}

/* exp(x) = p * s1 * s2 for x in [-inf, 0] or NaN: p in [0.7, 1.42], s1 and
 * s2 powers of two. Callers that multiply exp(x) by something (z e^z, or a
 * quotient) apply s1 and s2 last, so that a result in the subnormal range is
 * rounded once. */
CN_MATH_INLINE void cn_exp_parts_d(double x, double *pp, double *s1p, double *s2p)
{
    double r;
    x = (x < CN_EXP_CLAMP_D) ? CN_EXP_CLAMP_D : x;
    uint64_t m = cn_reduce_d(x, &r);
    uint64_t m1 = m >> 1;
    uint64_t m2 = m - m1;
    *pp = 1.0 + cn_expm1_poly_d(r);
    *s1p = cn_asdouble((UINT64_C(1023) - m1) << 52);
    *s2p = cn_asdouble((UINT64_C(1023) - m2) << 52);
}

CN_MATH_INLINE double cn_exp_nonpos_d(double x)
{
    double p, s1, s2;
    cn_exp_parts_d(x, &p, &s1, &s2);
    return (p * s1) * s2;
}

/* ---- exp(x) for x in [-inf, 0] or NaN, float ---------------------------- *
 * Same scheme in single precision: Taylor degree 7 (truncation < 0.05 ulp on
 * |r| <= 0.3466), ln2 split as in fdlibm's expf (9 trailing zero bits in the
 * high part, |n| <= 160 here), clamp at -110 (expf(-103.98) is the smallest
 * subnormal), two-step scaling with m1, m2 <= 80. */
#define CN_EXP_CLAMP_F (-110.0f)
#define CN_SHIFT_F 0x1.8p23f
#define CN_INVLN2_F 0x1.715476p0f
#define CN_LN2HI_F 0x1.62e400p-1f /* 6.9314575195e-01 */
#define CN_LN2LO_F 0x1.7f7d1cp-20f /* 1.4286067653e-06 */

CN_MATH_INLINE uint32_t cn_reduce_f(float x, float *r)
{
    float kd = x * CN_INVLN2_F + CN_SHIFT_F;
    uint32_t m = cn_asuint32(CN_SHIFT_F) - cn_asuint32(kd);
    kd = kd - CN_SHIFT_F;
    *r = (x - kd * CN_LN2HI_F) - kd * CN_LN2LO_F;
    return m;
}

/* expm1(r) = r + r^2 t(r), t(r) = sum_{k=2..7} r^(k-2)/k!, Estrin */
CN_MATH_INLINE float cn_expm1_poly_f(float r)
{
    float r2 = r * r;
    float r4 = r2 * r2;
    float a0 = 0.5f + r * 0x1.555556p-3f;                 /* 1/2!, 1/3! */
    float a1 = 0x1.555556p-5f + r * 0x1.111112p-7f;       /* 1/4!, 1/5! */
    float a2 = 0x1.6c16c2p-10f + r * 0x1.a01a02p-13f;     /* 1/6!, 1/7! */
    float t = (a0 + r2 * a1) + r4 * a2;
    return r + r2 * t;
}

CN_MATH_INLINE void cn_exp_parts_f(float x, float *pp, float *s1p, float *s2p)
{
    float r;
    x = (x < CN_EXP_CLAMP_F) ? CN_EXP_CLAMP_F : x;
    uint32_t m = cn_reduce_f(x, &r);
    uint32_t m1 = m >> 1;
    uint32_t m2 = m - m1;
    *pp = 1.0f + cn_expm1_poly_f(r);
    *s1p = cn_asfloat((UINT32_C(127) - m1) << 23);
    *s2p = cn_asfloat((UINT32_C(127) - m2) << 23);
}

CN_MATH_INLINE float cn_exp_nonpos_f(float x)
{
    float p, s1, s2;
    cn_exp_parts_f(x, &p, &s1, &s2);
    return (p * s1) * s2;
}

/* ---- exp(x) where the result is normal ------------------------------------ *
 * For |x| <= 700 (double) or 80 (float) exp(x) = p 2^n is a normal number,
 * so the scaling is exact in one step: n is added to p's exponent field (the
 * reduction's m = -n, in wrapping unsigned arithmetic for x > 0). For x <= 0
 * bitwise what cn_exp_nonpos computes (same p, exact scaling both ways),
 * without its clamp and two-step scaling. Callers check the range first (the
 * softmax, once per row). */
CN_MATH_INLINE double cn_exp_normal_d(double x)
{
    double r;
    uint64_t m = cn_reduce_d(x, &r);
    double p = 1.0 + cn_expm1_poly_d(r);
    return cn_asdouble(cn_asuint64(p) - (m << 52));
}

CN_MATH_INLINE float cn_exp_normal_f(float x)
{
    float r;
    uint32_t m = cn_reduce_f(x, &r);
    float p = 1.0f + cn_expm1_poly_f(r);
    return cn_asfloat(cn_asuint32(p) - (m << 23));
}

/* ---- exp and expm1 from one range reduction, x in [-inf, 0] or NaN --------- *
 * x = n ln2 + r as in exp, q = expm1(r) (no 1 added, so nothing cancels);
 * exp(x) = sc + sc q and expm1(x) = (sc - 1) + sc q with sc = 2^n: sc - 1 is
 * exact for -58 <= n <= 0 and sc q is exact scaling, so each is rounded once.
 * Clamped at -40 (double) and -20 (float), where expm1 rounds to -1: no
 * subnormal scaling is needed. */
CN_MATH_INLINE void cn_exp_expm1_d(double x, double *e, double *em1)
{
    double r;
    uint64_t m = cn_reduce_d((x < -40.0) ? -40.0 : x, &r);
    double sc = cn_asdouble((UINT64_C(1023) - m) << 52);
    double scq = sc * cn_expm1_poly_d(r);
    *e = sc + scq;
    *em1 = (sc - 1.0) + scq;
}

/* ---- tanh(a) for a >= 0 (double: or NaN) -------------------------------- *
 * a = n ln2/2 + s (Cody-Waite with half of exp's ln2 split, |s| <= ln2/4;
 * a clamped at 20 (double) / 10 (float), where tanh rounds to 1), so that
 * e^(-2a) = 2^-n (1 - h) / (1 + h) with h = tanh(s) and
 *   tanh(a) = ((1 - 2^-n) + h (1 + 2^-n)) / ((1 + 2^-n) + h (1 - 2^-n)).
 * h = s + s^3 P(s^2), P fitted (cn_tanh_coeffs.h, degree 5 / 2). 2^-n is a
 * power of two; 1 - 2^-n and 1 + 2^-n are exact up to n = 52 (a < 18), and
 * beyond, where tanh is within 2^-51 of 1, their rounding moves the result
 * by at most an ulp. For n >= 1 the numerator is at least 1/2 - 3/2 |h| >=
 * 0.24, so nothing cancels; for n = 0 the quotient is 2h / 2 = h, tiny and
 * subnormal arguments included. No exp, no expm1: one short polynomial and
 * one division. Measured within 2.5 ulp (double; float: see below). */
#include "cn_tanh_coeffs.h"

CN_MATH_INLINE double cn_tanh_nonneg_d(double a)
{
    a = (a > 20.0) ? 20.0 : a;
    double kd = a * (2.0 * CN_INVLN2_D) + CN_SHIFT_D;
    uint64_t n = cn_asuint64(kd) - cn_asuint64(CN_SHIFT_D);
    kd = kd - CN_SHIFT_D;
    double s = (a - kd * (0.5 * CN_LN2HI_D)) - kd * (0.5 * CN_LN2LO_D);
    double s2 = s * s;
    double p = CN_TANH_D5;
    p = p * s2 + CN_TANH_D4;
    p = p * s2 + CN_TANH_D3;
    p = p * s2 + CN_TANH_D2;
    p = p * s2 + CN_TANH_D1;
    p = p * s2 + CN_TANH_D0;
    double h = s + (s * s2) * p;
    double sc = cn_asdouble((UINT64_C(1023) - n) << 52); /* 2^-n */
    double om = 1.0 - sc, op = 1.0 + sc;
    return (om + h * op) / (op + h * om);
}

/* ---- float x*y + z from double arithmetic, for tanh ---------------------- *
 * x*y is exact in double (24 + 24 bits), so (float)(x*y + z) rounds twice,
 * to double and then to float. That is fmaf(x, y, z) except where the double
 * sum lands exactly on a midpoint between two floats that the exact sum is
 * not on. cn_tanh_nonneg_f_impl's operations never do: a test compares this
 * form with the fused instruction for every float argument of tanh (all of
 * [0, 10]). Use it nowhere else without such a check. Plain IEEE double
 * arithmetic, so it vectorizes where no fused instruction exists. */
CN_MATH_INLINE float cn_fmaf_emul(float x, float y, float z)
{
    return (float)((double)x * (double)y + (double)z);
}

/* CN_FMA_NATIVE: the target always has a fused multiply-add instruction
 * (x86 only when compiled for it; the x86 dispatch paths that have one use
 * cn_tanh_nonneg_f_impl(a, 1) directly) */
#if (defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)) \
    && !defined(__FMA__)
#define CN_FMA_NATIVE 0
#else
#define CN_FMA_NATIVE 1
#endif

/* float tanh: the same reduction with fused multiply-adds, so that it takes
 * one constant: s = fma(-n, C, a) with C = ln2/2 rounded to float is a - n C
 * rounded once, and C's own error (n |C - ln2/2| <= 29 * 2^-27) moves the
 * result by at most 0.3 ulp. Then h = tanh s joins r = tanh(n ln2/2) =
 * (1 - 2^-n)/(1 + 2^-n) by the addition theorem: tanh a = (r + h)/(1 + r h).
 * r is that quotient in float arithmetic (a division here; the AVX-512 span
 * reads the same 32 floats from a table, cn_tanh_coeffs.h). Nothing cancels
 * (r >= 1/3 and |h| <= 0.18 for n >= 1; n = 0 gives r = 0 and h itself); r's
 * rounding costs up to about 0.3 ulp more than the exact 2^-n form.
 * fused = 1: CN_FMAF (one instruction where the target has it), 0:
 * cn_fmaf_emul; the results are bitwise the same (tested for every
 * argument). The AVX-512 span (cn_tanh_span.h) performs exactly these
 * operations too. NaN gives 1 (callers pass NaN through themselves). */
#define CN_TANH_C_F 0x1.62e430p-2f /* ln2/2 */

CN_MATH_INLINE float cn_fmaf_sel(float x, float y, float z, int fused)
{
    return fused ? CN_FMAF(x, y, z) : cn_fmaf_emul(x, y, z);
}

CN_MATH_INLINE float cn_tanh_nonneg_f_impl(float a, int fused)
{
    a = (a < 10.0f) ? a : 10.0f;
    float kr = cn_fmaf_sel(a, -2.0f * CN_INVLN2_F, -CN_SHIFT_F, fused); /* -(shift + n) */
    uint32_t n = cn_asuint32(kr) - cn_asuint32(-CN_SHIFT_F);            /* 0 .. 29 */
    float kd = kr + CN_SHIFT_F;                                         /* -n */
    float s = cn_fmaf_sel(kd, CN_TANH_C_F, a, fused);
    float s2 = s * s;
    float p = cn_fmaf_sel(CN_TANH_F2, s2, CN_TANH_F1, fused);
    p = cn_fmaf_sel(p, s2, CN_TANH_F0, fused);
    float h = cn_fmaf_sel(s * s2, p, s, fused);
    float sc = cn_asfloat((UINT32_C(127) - n) << 23); /* 2^-n */
    float r = (1.0f - sc) / (1.0f + sc); /* = CN_TANH_RHO_F[n], which AVX-512 reads */
    return (r + h) / cn_fmaf_sel(r, h, 1.0f, fused);
}

CN_MATH_INLINE float cn_tanh_nonneg_f(float a)
{
    return cn_tanh_nonneg_f_impl(a, CN_FMA_NATIVE);
}

/* expm1(x) for x in [-inf, 0] or NaN: within ~1.5 ulp; -0 gives -0. */
CN_MATH_INLINE double cn_expm1_nonpos_d(double x)
{
    double e, em1;
    cn_exp_expm1_d(x, &e, &em1);
    return (x == 0.0) ? x : em1;
}

/* ---- log(y) for y >= 1, and log1p(u) for u >= 0 ------------------------- *
 * y = 2^k m with m in [sqrt(2)/2, sqrt(2)) taken from the bits (k >= 0 for
 * y >= 1, so unsigned shifts do); f = m - 1 is exact; fdlibm's
 * log(1 + f) = f - (f^2/2 - s (f^2/2 + R(s^2))), s = f / (2 + f), with its
 * minimax R (|s| <= 0.1716, error below 2^-58), plus k ln2 in two parts:
 * within 1 ulp. +inf gives +inf, NaN gives NaN. */
#define CN_LG1 6.666666666666735130e-01
#define CN_LG2 3.999999999940941908e-01
#define CN_LG3 2.857142874366239149e-01
#define CN_LG4 2.222219843214978396e-01
#define CN_LG5 1.818357216161805012e-01
#define CN_LG6 1.531383769920937332e-01
#define CN_LG7 1.479819860511658591e-01

CN_MATH_INLINE double cn_log_ge1_d(double y)
{
    uint64_t iy = cn_asuint64(y);
    uint64_t k = (iy - UINT64_C(0x3fe6a09e667f3bcd)) >> 52;
    double m = cn_asdouble(iy - (k << 52));
    double kd = cn_asdouble(k | UINT64_C(0x4330000000000000)) - 0x1p52; /* exact */
    double f = m - 1.0;
    double hfsq = 0.5 * f * f;
    double s = f / (2.0 + f);
    double z = s * s;
    double w = z * z;
    double t1 = w * (CN_LG2 + w * (CN_LG4 + w * CN_LG6));
    double t2 = z * (CN_LG1 + w * (CN_LG3 + w * (CN_LG5 + w * CN_LG7)));
    double R = t2 + t1;
    double r = kd * CN_LN2HI_D - ((hfsq - (s * (hfsq + R) + kd * CN_LN2LO_D)) - f);
    r = (y == (double)INFINITY) ? y : r;
    return (y == y) ? r : y;
}

/* log1p(u) = log(1 + u) + c / (1 + u), c the rounding error of 1 + u (exact
 * by Fast2Sum for 0 <= u <= 1; for u > 1 it is a smaller correction still
 * within the bound). Tiny u gives u exactly. */
CN_MATH_INLINE double cn_log1p_nonneg_d(double u)
{
    double y = 1.0 + u;
    double c = u - (y - 1.0);
    return cn_log_ge1_d(y) + c / y;
}

/* ---- sigmoid ------------------------------------------------------------- *
 * sigma(z) = 1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z) for z < 0: both
 * are num / (1 + e) with e = exp(-|z|) in [0, 1], so exp never overflows and
 * one division serves both halves. For z < 0 the error is that of exp plus
 * two roundings; for z >= 0 the error of e is damped by e/(1+e) <= 1/2.
 * z = +-inf: e = 0, giving exactly 1 and 0. NaN: `z >= 0` is false, so
 * num = e = NaN and the quotient is NaN. */
CN_MATH_INLINE double cn_sigmoid_d(double z)
{
    double a = CN_FABS(z);
    double e = cn_exp_nonpos_d(-a);
    double num = (z >= 0.0) ? 1.0 : e;
    return num / (1.0 + e);
}

CN_MATH_INLINE float cn_sigmoid_f(float z)
{
    float a = CN_FABSF(z);
    float e = cn_exp_nonpos_f(-a);
    float num = (z >= 0.0f) ? 1.0f : e;
    return num / (1.0f + e);
}

#endif /* CN_MATH_H */
