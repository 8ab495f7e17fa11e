/*
 * cn_train.h -- the training kernels of cneuron (src/_train.pyx): one epoch
 * of stochastic gradient descent, block gradients and the step of full-batch
 * descent, per-sample losses. Built on the row primitives of cn_kernels.h
 * (the contract's dot product, the activations' point functions); portable
 * C compiled once (the kernels are dominated by one dependent update per
 * sample, not by vector width).
 */
#ifndef CN_TRAIN_H
#define CN_TRAIN_H

#include <math.h>
#include <stdint.h>
#include "cn_kernels.h"

#if defined(__GNUC__) || defined(__clang__)
#define CN_PREFETCH(p) __builtin_prefetch(p)
#else
#define CN_PREFETCH(p) ((void)0)
#endif

/* rows ahead of the current one whose first cache line is requested: a
 * shuffled epoch reads rows in random order, and one step takes a fraction
 * of a memory access's latency */
#define CN_PREFETCH_AHEAD 8

#define CN_LOSS_LOG 0
#define CN_LOSS_SQUARED 1
#define CN_LOSS_PERCEPTRON 2

#define CN_ETA_CONSTANT 0
#define CN_ETA_INVSCALING 1
#define CN_ETA_OPTIMAL 2

#define CN_T double
#define CN_SFX(name) name##_d
#define CN_SIGMOID cn_sigmoid_d
#define CN_FABS_T CN_FABS
#define CN_COPYSIGN_T CN_COPYSIGN
#include "cn_train_impl.h"
#undef CN_T
#undef CN_SFX
#undef CN_SIGMOID
#undef CN_FABS_T
#undef CN_COPYSIGN_T

#define CN_T float
#define CN_SFX(name) name##_f
#define CN_SIGMOID cn_sigmoid_f
#define CN_FABS_T CN_FABSF
#define CN_COPYSIGN_T CN_COPYSIGNF
#include "cn_train_impl.h"
#undef CN_T
#undef CN_SFX
#undef CN_SIGMOID
#undef CN_FABS_T
#undef CN_COPYSIGN_T

#endif /* CN_TRAIN_H */
