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
 * (the derivative is even). */
CN_INLINE CN_T CN_SFX(cn_sigmoid_grad)(CN_T z)
{
    CN_T p, s1, s2;
    CN_EXP_PARTS(-CN_FABS_T(z), &p, &s1, &s2);
    CN_T e = (p * s1) * s2;
    CN_T den = ((CN_T)1 + e) * ((CN_T)1 + e);
    return ((p / den) * s1) * s2;
}

/* silu(z) = z sigma(z): z / (1 + e) for z >= 0, z e / (1 + e) for z < 0. */
CN_INLINE CN_T CN_SFX(cn_silu)(CN_T z)
{
    CN_T a = CN_FABS_T(z);
    CN_T p, s1, s2;
    CN_EXP_PARTS(-a, &p, &s1, &s2);
    CN_T e = (p * s1) * s2;
    CN_T num = (z >= 0) ? z : z * p;
    CN_T r = num / ((CN_T)1 + e);
    CN_T y = (z >= 0) ? r : (r * s1) * s2;
    /* +-inf: the limits +inf and -0 (inf * 0 would be NaN) */
    return (a == (CN_T)INFINITY) ? ((z > 0) ? z : -(CN_T)0) : y;
}

/* silu'(z) = sigma(z) (1 + z (1 - sigma(z))):
 *   (1 + e + z e) / (1 + e)^2      for z >= 0 (all terms positive),
 *   e ((1 + z) + e) / (1 + e)^2    for z < 0 (1 + z is exact near the root
 *                                  z0 = -1.2785, where the absolute error is
 *                                  that of e, a fraction of an ulp of 0.28). */
CN_INLINE CN_T CN_SFX(cn_silu_grad)(CN_T z)
{
    CN_T a = CN_FABS_T(z);
    CN_T p, s1, s2;
    CN_EXP_PARTS(-a, &p, &s1, &s2);
    CN_T e = (p * s1) * s2;
    CN_T den = ((CN_T)1 + e) * ((CN_T)1 + e);
    CN_T num = (z >= 0) ? (((CN_T)1 + e) + z * e) : p * (((CN_T)1 + z) + e);
    CN_T r = num / den;
    CN_T y = (z >= 0) ? r : (r * s1) * s2;
    return (a == (CN_T)INFINITY) ? ((z > 0) ? (CN_T)1 : (CN_T)0) : y;
}

/* ---- one value, any activation (the one-sample path) ----------------------- */

CN_INLINE CN_T CN_SFX(cn_act_point)(CN_T z, int act, CN_T p0)
{
    switch (act) {
    case CN_ACT_SIGMOID: return CN_SIGMOID(z);
    case CN_ACT_STEP: return CN_SFX(cn_step)(z);
    case CN_ACT_RELU: return CN_SFX(cn_relu)(z);
    case CN_ACT_LEAKY_RELU: return CN_SFX(cn_leaky_relu)(z, p0);
    case CN_ACT_SILU: return CN_SFX(cn_silu)(z);
    default: return z;
    }
}
