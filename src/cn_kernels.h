/*
 * cn_kernels.h -- the array kernels of cneuron on raw C pointers: the dot
 * product of one row, the fused z = X.w + b -> activation over a block of rows,
 * and elementwise activations over a contiguous span.
 *
 * The bodies are written once, in cn_kernels_impl.h, and instantiated here for
 * double (suffix _d) and float (suffix _f). Callers (src/_kernels.pyx) own the
 * loops over blocks and the threading; these functions never validate: every
 * pointer is valid for the stated number of elements, rows are contiguous.
 *
 * Reproducibility: a row's dot product uses CN_LANES fixed partial sums
 * (partial k sums the products of features i with i % CN_LANES == k, in
 * increasing i, starting from +0), combined by a fixed halving tree, then the
 * bias is added. That order depends on the number of features alone, never on
 * the batch, the row's position or the thread, so every entry point gives
 * bitwise the same z for the same row.
 */
#ifndef CN_KERNELS_H
#define CN_KERNELS_H

#include <stddef.h>
#include "cn_math.h"

/* activation codes shared with src/_kernels.pyx and cneuron/activations.py */
#define CN_ACT_IDENTITY 0
#define CN_ACT_SIGMOID 1

#if defined(__GNUC__) || defined(__clang__)
#define CN_INLINE static inline __attribute__((always_inline))
#else
#define CN_INLINE static __forceinline
#endif
#if defined(_MSC_VER)
#define CN_RESTRICT __restrict
#else
#define CN_RESTRICT __restrict__
#endif

#define CN_T double
#define CN_SFX(name) name##_d
#define CN_LANES 8
#define CN_SIGMOID cn_sigmoid_d
#include "cn_kernels_impl.h"
#undef CN_T
#undef CN_SFX
#undef CN_LANES
#undef CN_SIGMOID

#define CN_T float
#define CN_SFX(name) name##_f
#define CN_LANES 16
#define CN_SIGMOID cn_sigmoid_f
#include "cn_kernels_impl.h"
#undef CN_T
#undef CN_SFX
#undef CN_LANES
#undef CN_SIGMOID

#endif /* CN_KERNELS_H */
