/*
 * cn_act_impl.h -- activation functions and their derivatives as point
 * functions, included by cn_kernels.h once per dtype with CN_T, CN_SFX,
 * CN_FABS_T (|x|), CN_EXP_PARTS (exp split as p * s1 * s2) and CN_SIGMOID
 * defined. Branch-free (selects, no branches), so loops over them vectorize.
 * No include guard on purpose.
 *
 * Conventions (documented in cneuron/activations.py): NaN in -> NaN out for
 * every function and derivative; step(0) = 1 and step'(z) = 0; relu'(0) = 0;
 * leaky_relu'(0) = alpha.
 *
 * Where exp(z) for z << 0 multiplies something (silu, the derivatives), the
 * powers of two s1, s2 of exp's result are applied last, so that results in
 * the subnormal range are rounded once instead of losing digits.
 */

CN_INLINE CN_T CN_SFX(cn_identity_grad)(CN_T z)
{
    return (z == z) ? (CN_T)1 : z;
}

CN_INLINE CN_T CN_SFX(cn_step)(CN_T z)
{
    return (z >= 0) ? (CN_T)1 : ((z < 0) ? (CN_T)0 : z);
}

CN_INLINE CN_T CN_SFX(cn_step_grad)(CN_T z)
{
    return (z == z) ? (CN_T)0 : z;
}

CN_INLINE CN_T CN_SFX(cn_relu)(CN_T z)
{
    return (z > 0) ? z : ((z <= 0) ? (CN_T)0 : z);
}

CN_INLINE CN_T CN_SFX(cn_relu_grad)(CN_T z)
{
    return (z > 0) ? (CN_T)1 : ((z <= 0) ? (CN_T)0 : z);
}

CN_INLINE CN_T CN_SFX(cn_leaky_relu)(CN_T z, CN_T alpha)
{
    return (z > 0) ? z : alpha * z;
}

CN_INLINE CN_T CN_SFX(cn_leaky_relu_grad)(CN_T z, CN_T alpha)
{
    return (z > 0) ? (CN_T)1 : ((z <= 0) ? alpha : z);
}

/* sigma'(z) = sigma(z) (1 - sigma(z)) = e / (1 + e)^2 with e = exp(-|z|)
 * (the derivative is even); (1 + e)^2 is formed as 1 + e (2 + e), one
 * rounding fewer than squaring 1 + e. float32 computes in double (below). */
CN_INLINE CN_T CN_SFX(cn_sigmoid_grad_native)(CN_T z)
{
    CN_T p, s1, s2;
    CN_EXP_PARTS(-CN_FABS_T(z), &p, &s1, &s2);
    CN_T e = (p * s1) * s2;
    CN_T den = (CN_T)1 + e * ((CN_T)2 + e);
    return ((p / den) * s1) * s2;
}

/* silu(z) = z sigma(z): z / (1 + e) for z >= 0, z e / (1 + e) for z < 0. */
CN_INLINE CN_T CN_SFX(cn_silu)(CN_T z)
{
    CN_T a = CN_FABS_T(z);
    CN_T p, s1, s2;
    CN_EXP_PARTS(-a, &p, &s1, &s2);
    CN_T e = (p * s1) * s2;
    /* exp's argument is clamped at CN_EXP_CLAMP: clamp z alike, so that
     * z e^z underflows to -0 for huge negative z instead of mixing scales */
    CN_T zc = (z < (CN_T)-1100) ? (CN_T)-1100 : z;
    CN_T num = (z >= 0) ? z : zc * p;
    CN_T r = num / ((CN_T)1 + e);
    CN_T y = (z >= 0) ? r : (r * s1) * s2;
    /* +-inf: the limits +inf and -0 (inf * 0 would be NaN) */
    return (a == (CN_T)INFINITY) ? ((z > 0) ? z : -(CN_T)0) : y;
}

/* silu'(z) = sigma(z) (1 + z (1 - sigma(z))):
 *   (1 + e + z e) / (1 + e)^2      for z >= 0 (all terms positive),
 *   e ((1 + z) + e) / (1 + e)^2    for z < 0,
 * except within CN_SILU_WINDOW of its zero z0 = -1.27846..., where 1 + z + e
 * cancels and the Taylor series at z0 (cn_silu_root.h) takes over.
 * float32 computes in double (below). */
#define CN_SILU_WINDOW 0.15
CN_INLINE CN_T CN_SFX(cn_silu_grad_native)(CN_T z)
{
    CN_T a = CN_FABS_T(z);
    CN_T p, s1, s2;
    CN_EXP_PARTS(-a, &p, &s1, &s2);
    CN_T e = (p * s1) * s2;
    CN_T den = (CN_T)1 + e * ((CN_T)2 + e);
    CN_T zc = (z < (CN_T)-1100) ? (CN_T)-1100 : z; /* as in silu */
    CN_T num = (z >= 0) ? (((CN_T)1 + e) + z * e) : p * (((CN_T)1 + zc) + e);
    CN_T r = num / den;
    CN_T y = (z >= 0) ? r : (r * s1) * s2;
    /* near the zero: t = z - z0 to double-double accuracy, then the series */
    CN_T t = (z - (CN_T)CN_SILU_Z0_HI) - (CN_T)CN_SILU_Z0_LO;
    CN_T q = (CN_T)CN_SILU_C15;
    q = q * t + (CN_T)CN_SILU_C14;
    q = q * t + (CN_T)CN_SILU_C13;
    q = q * t + (CN_T)CN_SILU_C12;
    q = q * t + (CN_T)CN_SILU_C11;
    q = q * t + (CN_T)CN_SILU_C10;
    q = q * t + (CN_T)CN_SILU_C9;
    q = q * t + (CN_T)CN_SILU_C8;
    q = q * t + (CN_T)CN_SILU_C7;
    q = q * t + (CN_T)CN_SILU_C6;
    q = q * t + (CN_T)CN_SILU_C5;
    q = q * t + (CN_T)CN_SILU_C4;
    q = q * t + (CN_T)CN_SILU_C3;
    q = q * t + (CN_T)CN_SILU_C2;
    q = q * t + (CN_T)CN_SILU_C1;
    y = (CN_FABS_T(t) <= (CN_T)CN_SILU_WINDOW) ? q * t : y;
    return (a == (CN_T)INFINITY) ? ((z > 0) ? (CN_T)1 : (CN_T)0) : y;
}

/* The derivatives of the sigmoid family in float32 are computed in double
 * and rounded once: within 0.5 ulp + a hair, subnormals included. */
#if CN_T_IS_FLOAT
CN_INLINE float cn_sigmoid_grad_f(float z) { return (float)cn_sigmoid_grad_native_d((double)z); }
CN_INLINE float cn_silu_grad_f(float z) { return (float)cn_silu_grad_native_d((double)z); }
#else
CN_INLINE double cn_sigmoid_grad_d(double z) { return cn_sigmoid_grad_native_d(z); }
CN_INLINE double cn_silu_grad_d(double z) { return cn_silu_grad_native_d(z); }
#endif

/* tanh from one range reduction, one small polynomial and one division
 * (cn_math.h). Odd: the sign of x is copied, so tanh(-0) = -0. Native in
 * both dtypes. */
CN_INLINE CN_T CN_SFX(cn_tanh)(CN_T x)
{
    return CN_COPYSIGN_T(CN_SFX(cn_tanh_nonneg)(CN_FABS_T(x)), x);
}

/* ---- the expm1/log1p family: computed in double (float32 converts) ------- *
 * tanh, elu, selu, softplus, log_sigmoid and their derivatives. Each double
 * function is branch-free; the float32 ones convert to double and round
 * once, so they are within 0.5 ulp plus a hair. */
#if !CN_T_IS_FLOAT
#define CN_SELU_SCALE 1.0507009873554804934193349852946
#define CN_SELU_ALPHA 1.6732632423543772848170429916717
#define CN_SELU_SCALE_ALPHA 1.7580993408473768599402175208123 /* the product */

/* tanh'(x) = 1 - tanh^2 x = 4 sigma'(2x): no cancellation for large |x|. */
CN_INLINE double cn_tanh_grad_d(double x)
{
    return 4.0 * cn_sigmoid_grad_native_d(2.0 * x);
}

CN_INLINE double cn_elu_d(double z, double alpha)
{
    return (z > 0) ? z : alpha * cn_expm1_nonpos_d(z);
}

CN_INLINE double cn_elu_grad_d(double z, double alpha)
{
    return (z > 0) ? 1.0 : alpha * cn_exp_nonpos_d(z);
}

CN_INLINE double cn_selu_d(double z)
{
    return (z > 0) ? CN_SELU_SCALE * z : CN_SELU_SCALE_ALPHA * cn_expm1_nonpos_d(z);
}

CN_INLINE double cn_selu_grad_d(double z)
{
    return (z > 0) ? CN_SELU_SCALE : CN_SELU_SCALE_ALPHA * cn_exp_nonpos_d(z);
}

/* softplus(z) = log(1 + e^(beta z)) / beta = (max(y, 0) + log1p(e^-|y|)) / beta
 * with y = beta z: never overflows; z itself where y > threshold. */
CN_INLINE double cn_softplus_d(double z, double beta, double threshold)
{
    double y = beta * z;
    double l = ((y > 0) ? y : 0.0) + cn_log1p_nonneg_d(cn_exp_nonpos_d(-CN_FABS(y)));
    return (y > threshold) ? z : l / beta;
}

CN_INLINE double cn_softplus_grad_d(double z, double beta, double threshold)
{
    double y = beta * z;
    return (y > threshold) ? 1.0 : cn_sigmoid_d(y);
}

/* log sigma(z) = -softplus(-z) = min(z, 0) - log1p(e^-|z|). */
CN_INLINE double cn_log_sigmoid_d(double z)
{
    return ((z < 0) ? z : 0.0) - cn_log1p_nonneg_d(cn_exp_nonpos_d(-CN_FABS(z)));
}

CN_INLINE double cn_log_sigmoid_grad_d(double z)
{
    return cn_sigmoid_d(-z);
}
/* ---- GELU ------------------------------------------------------------------ *
 * Exact: gelu(z) = z Phi(z), Phi the standard normal CDF (cn_gelu_coeffs.h,
 * generated by tools/gen_gelu.py):
 *   |z| <= 1      Phi = 1/2 + z B(z^2), its Taylor series;
 *   1 < |z|       Phi(-|z|) = tail = e^(-z^2/2) u H(s) / 2, u = 4 / (4 + |z|),
 *                 with z^2 as an exact sum t + err (TwoProduct), so that
 *                 e^(-z^2/2) keeps its digits at |z| = 38; Phi(|z|) = 1 - tail.
 *                 No 1 + erf cancellation anywhere in the negative tail.
 * The powers of two of the exponential are applied last (subnormal results).
 * Tanh form: 0.5 z (1 + tanh(k (z + 0.044715 z^3))) = z sigma(u) with
 * u = 2k z (1 + 0.044715 z^2), k = sqrt(2/pi): no cancellation of 1 + tanh. */
#define CN_GELU_K2 0x1.9884533d43651p+0 /* 2 sqrt(2/pi) */
#define CN_GELU_C 0.044715
#define CN_INV_SQRT_2PI 0x1.9884533d43651p-2

/* z^2 = t + err exactly (Dekker's TwoProduct without FMA). */
CN_INLINE void cn_square_dd(double a, double *t, double *err)
{
    double ah = cn_asdouble(cn_asuint64(a) & UINT64_C(0xfffffffff8000000));
    double al = a - ah;
    *t = a * a;
    *err = ((ah * ah - *t) + 2.0 * ah * al) + al * al;
}

/* The tail pieces for |z| in (1, 38.6]: Phi(-|z|) = (c * s1) * s2. */
CN_INLINE void cn_phi_tail_d(double a, double *c, double *s1, double *s2)
{
    double ac = (a > 38.6) ? 38.6 : a;
    double u = 4.0 / (4.0 + ac);
    double s = (2.0 * u - (CN_PHI_UA + CN_PHI_UB)) / (CN_PHI_UB - CN_PHI_UA);
    double h = CN_PHI_G26;
    h = h * s + CN_PHI_G25; h = h * s + CN_PHI_G24; h = h * s + CN_PHI_G23;
    h = h * s + CN_PHI_G22; h = h * s + CN_PHI_G21; h = h * s + CN_PHI_G20;
    h = h * s + CN_PHI_G19; h = h * s + CN_PHI_G18; h = h * s + CN_PHI_G17;
    h = h * s + CN_PHI_G16; h = h * s + CN_PHI_G15; h = h * s + CN_PHI_G14;
    h = h * s + CN_PHI_G13; h = h * s + CN_PHI_G12; h = h * s + CN_PHI_G11;
    h = h * s + CN_PHI_G10; h = h * s + CN_PHI_G9; h = h * s + CN_PHI_G8;
    h = h * s + CN_PHI_G7; h = h * s + CN_PHI_G6; h = h * s + CN_PHI_G5;
    h = h * s + CN_PHI_G4; h = h * s + CN_PHI_G3; h = h * s + CN_PHI_G2;
    h = h * s + CN_PHI_G1; h = h * s + CN_PHI_G0;
    double t, err, p;
    cn_square_dd(ac, &t, &err);
    cn_exp_parts_d(-0.5 * t, &p, s1, s2);
    p = p - p * (0.5 * err); /* e^(-err/2) to first order: err <= ulp(t)/2 */
    *c = 0.5 * p * u * h;
}

/* Phi(z) - 1/2 for |z| <= 1, as z B(z^2). */
CN_INLINE double cn_phi_series_d(double z)
{
    double w = z * z;
    double b = CN_PHI_B14;
    b = b * w + CN_PHI_B13; b = b * w + CN_PHI_B12; b = b * w + CN_PHI_B11;
    b = b * w + CN_PHI_B10; b = b * w + CN_PHI_B9; b = b * w + CN_PHI_B8;
    b = b * w + CN_PHI_B7; b = b * w + CN_PHI_B6; b = b * w + CN_PHI_B5;
    b = b * w + CN_PHI_B4; b = b * w + CN_PHI_B3; b = b * w + CN_PHI_B2;
    b = b * w + CN_PHI_B1; b = b * w + CN_PHI_B0;
    return z * b;
}

CN_INLINE double cn_gelu_d(double z)
{
    double a = CN_FABS(z);
    double c, s1, s2;
    cn_phi_tail_d(a, &c, &s1, &s2);
    double neg = ((z * c) * s1) * s2;           /* z Phi(z) for z < -1 */
    double pos = z * (1.0 - (c * s1) * s2);     /* z Phi(z) for z > 1 */
    double mid = z * (0.5 + cn_phi_series_d(z));
    double y = (a <= 1.0) ? mid : ((z < 0) ? neg : pos);
    return (a == (double)INFINITY) ? ((z > 0) ? z : -0.0) : y;
}

/* gelu'(z) = Phi(z) + z phi(z), phi(z) = e^(-z^2/2) / sqrt(2 pi). */
CN_INLINE double cn_gelu_grad_d(double z)
{
    double a = CN_FABS(z);
    double c, s1, s2;
    cn_phi_tail_d(a, &c, &s1, &s2);
    double t, err, p, q1, q2;
    cn_square_dd((a > 38.6) ? 38.6 : a, &t, &err);
    cn_exp_parts_d(-0.5 * t, &p, &q1, &q2);
    p = p - p * (0.5 * err);
    double zphi_scaled = z * p * CN_INV_SQRT_2PI; /* times q1 q2 = s1 s2 */
    double neg = ((c + zphi_scaled) * s1) * s2;
    double pos = (1.0 - (c * s1) * s2) + (zphi_scaled * s1) * s2;
    double mid = (0.5 + cn_phi_series_d(z)) + (zphi_scaled * q1) * q2;
    double y = (a <= 1.0) ? mid : ((z < 0) ? neg : pos);
    return (a == (double)INFINITY) ? ((z > 0) ? 1.0 : 0.0) : y;
}

CN_INLINE double cn_gelu_tanh_d(double z)
{
    double u = CN_GELU_K2 * (z * (1.0 + CN_GELU_C * (z * z)));
    double a = CN_FABS(u);
    double p, s1, s2;
    cn_exp_parts_d(-a, &p, &s1, &s2);
    double e = (p * s1) * s2;
    double num = (u >= 0) ? z : z * p;
    double r = num / (1.0 + e);
    double y = (u >= 0) ? r : (r * s1) * s2;
    return (CN_FABS(z) == (double)INFINITY) ? ((z > 0) ? z : -0.0) : y;
}

/* d/dz z sigma(u) = sigma(u) (1 + z sigma(-u) u'(z)), u' = 2k (1 + 3 c z^2);
 * for u < 0, sigma(u) = e / (1 + e) with exp's powers of two applied last. */
CN_INLINE double cn_gelu_tanh_grad_d(double z)
{
    double u = CN_GELU_K2 * (z * (1.0 + CN_GELU_C * (z * z)));
    double du = CN_GELU_K2 * (1.0 + 3.0 * CN_GELU_C * (z * z));
    double p, s1, s2;
    cn_exp_parts_d(-CN_FABS(u), &p, &s1, &s2);
    double e = (p * s1) * s2;
    double sm = ((u >= 0) ? e : 1.0) / (1.0 + e); /* sigma(-u) */
    double f = 1.0 + (z * sm) * du;
    double y = (u >= 0) ? f / (1.0 + e) : (((p * f) / (1.0 + e)) * s1) * s2;
    return (CN_FABS(u) == (double)INFINITY) ? ((z > 0) ? 1.0 : 0.0) : y;
}

#else
CN_INLINE float cn_tanh_grad_f(float x) { return (float)cn_tanh_grad_d((double)x); }
CN_INLINE float cn_elu_f(float z, float a) { return (float)cn_elu_d((double)z, (double)a); }
CN_INLINE float cn_elu_grad_f(float z, float a)
{
    return (float)cn_elu_grad_d((double)z, (double)a);
}
CN_INLINE float cn_selu_f(float z) { return (float)cn_selu_d((double)z); }
CN_INLINE float cn_selu_grad_f(float z) { return (float)cn_selu_grad_d((double)z); }
CN_INLINE float cn_softplus_f(float z, float beta, float threshold)
{
    return (float)cn_softplus_d((double)z, (double)beta, (double)threshold);
}
CN_INLINE float cn_softplus_grad_f(float z, float beta, float threshold)
{
    return (float)cn_softplus_grad_d((double)z, (double)beta, (double)threshold);
}
CN_INLINE float cn_log_sigmoid_f(float z) { return (float)cn_log_sigmoid_d((double)z); }
CN_INLINE float cn_log_sigmoid_grad_f(float z) { return (float)cn_log_sigmoid_grad_d((double)z); }
CN_INLINE float cn_gelu_f(float z) { return (float)cn_gelu_d((double)z); }
CN_INLINE float cn_gelu_grad_f(float z) { return (float)cn_gelu_grad_d((double)z); }
CN_INLINE float cn_gelu_tanh_f(float z) { return (float)cn_gelu_tanh_d((double)z); }
CN_INLINE float cn_gelu_tanh_grad_f(float z) { return (float)cn_gelu_tanh_grad_d((double)z); }
#endif

/* ---- one value, any activation (the one-sample path) ----------------------- */

CN_INLINE CN_T CN_SFX(cn_act_point)(CN_T z, int act, CN_T p0, CN_T p1)
{
    if (z != z) /* NaN: the same NaN out, as the spans give it */
        return z;
    switch (act) {
    case CN_ACT_SIGMOID: return CN_SIGMOID(z);
    case CN_ACT_STEP: return CN_SFX(cn_step)(z);
    case CN_ACT_RELU: return CN_SFX(cn_relu)(z);
    case CN_ACT_LEAKY_RELU: return CN_SFX(cn_leaky_relu)(z, p0);
    case CN_ACT_SILU: return CN_SFX(cn_silu)(z);
    case CN_ACT_TANH: return CN_SFX(cn_tanh)(z);
    case CN_ACT_ELU: return CN_SFX(cn_elu)(z, p0);
    case CN_ACT_SELU: return CN_SFX(cn_selu)(z);
    case CN_ACT_SOFTPLUS: return CN_SFX(cn_softplus)(z, p0, p1);
    case CN_ACT_LOG_SIGMOID: return CN_SFX(cn_log_sigmoid)(z);
    case CN_ACT_GELU: return CN_SFX(cn_gelu)(z);
    case CN_ACT_GELU_TANH: return CN_SFX(cn_gelu_tanh)(z);
    default: return z;
    }
}
