// galnet/ops/cpu/dropout.hpp — ops::DropoutOp<Device>: inverted dropout with a counter-based
// mask, so both devices drop the same elements for the same key.
//
//   forward(n, x, y, mask, key, p, scale): element i is kept iff dropout_keeps(key, i, p);
//     mask[i] = kept ? scale : 0 (scale = 1/(1−p)), y[i] = x[i]·mask[i].
//   backward(n, dy, mask, dx): dx = dy·mask.
// Cuda: galnet/ops/cuda/dropout.cuh.
#pragma once
#include <cstdint>

#include "galnet/core/device.hpp"
#include "galnet/core/rng.hpp"
#include "galnet/ops/dropout.hpp"

namespace galnet::ops {


template <>
struct DropoutOp<Cpu> {
  template <class T>
  static void forward(std::int64_t n, const T* x, T* y, T* mask, std::uint64_t key, double p, T scale) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (n > 65536)
#endif
    for (std::int64_t i = 0; i < n; ++i) {
      mask[i] = dropout_keeps(key, i, p) ? scale : T(0);
      y[i] = x[i] * mask[i];
    }
  }
  template <class T>
  static void backward(std::int64_t n, const T* dy, const T* mask, T* dx) {
    for (std::int64_t i = 0; i < n; ++i) dx[i] = dy[i] * mask[i];
  }
};

}  // namespace galnet::ops
