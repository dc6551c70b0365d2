// galnet/core/parallel.hpp — the CPU thread team.
//
// galnet parallelises with OpenMP when the compiler has it (the galnet::galnet target adds it
// when found) and runs serially otherwise. set_num_threads() sets both OpenMP's team and Eigen's
// GEMM threads, so galnet never oversubscribes the cores.
#pragma once
#include <Eigen/Core>
#if defined(_OPENMP)
#include <omp.h>
#endif

/// Asks the compiler to vectorise the loop that follows (OpenMP's `simd`; nothing without
/// OpenMP, and nothing in CUDA translation units, whose front end rejects host pragmas).
#if defined(_OPENMP) && !defined(__CUDACC__)
#define GALNET_SIMD _Pragma("omp simd")
#else
#define GALNET_SIMD
#endif

namespace galnet {

inline int num_threads() {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

inline void set_num_threads(int n) {
  if (n < 1) n = 1;
#if defined(_OPENMP)
  omp_set_num_threads(n);
#endif
  Eigen::setNbThreads(n);
}

/// Index of the calling thread inside a parallel region (0 outside).
inline int thread_index() {
#if defined(_OPENMP)
  return omp_get_thread_num();
#else
  return 0;
#endif
}

}  // namespace galnet
