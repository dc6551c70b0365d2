// galnet/ops/cpu/elementwise.hpp — ops::Elementwise<Device>::add(n, a, b, y): y = a + b
// (residual sums, gradients meeting at a fork). Cuda: galnet/ops/cuda/elementwise.cuh.
#pragma once
#include <cstdint>

#include "galnet/core/device.hpp"
#include "galnet/ops/elementwise.hpp"

namespace galnet::ops {

template <>
struct Elementwise<Cpu> {
  template <class T>
  static void add(std::int64_t n, const T* a, const T* b, T* y) {
#if defined(_OPENMP)
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
    for (std::int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
  }
};

}  // namespace galnet::ops
