// galnet/ops/cpu/bias.hpp — a bias over the rows of an [n, c] matrix and its gradient, as
// ops::Bias<Device> (Cuda: galnet/ops/cuda/bias.cuh):
//   add_rows(n, c, b, y)          y[i, j] += b[j]
//   accumulate_rows(n, c, dy, db) db[j] += Σ_i dy[i, j]   (in row order, so deterministic)
#pragma once
#include <cstdint>

#include "galnet/core/device.hpp"
#include "galnet/ops/bias.hpp"

namespace galnet::ops {

template <>
struct Bias<Cpu> {
  template <class T>
  static void add_rows(std::int64_t n, std::int64_t c, const T* b, T* y) {
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < c; ++j) y[i * c + j] += b[j];
  }
  template <class T>
  static void accumulate_rows(std::int64_t n, std::int64_t c, const T* dy, T* db) {
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < c; ++j) db[j] += dy[i * c + j];
  }
};

}  // namespace galnet::ops
