/*
 * cn_omp.h -- the OpenMP facts cneuron needs, available with or without
 * OpenMP: a serial build (no -fopenmp) reports one thread and no OpenMP.
 */
#ifndef CN_OMP_H
#define CN_OMP_H

#ifdef _OPENMP
#include <omp.h>
#define CN_HAVE_OPENMP 1
static inline int cn_omp_max_threads(void) { return omp_get_max_threads(); }
#else
#define CN_HAVE_OPENMP 0
static inline int cn_omp_max_threads(void) { return 1; }
#endif

#endif /* CN_OMP_H */
