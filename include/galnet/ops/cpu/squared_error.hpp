// galnet/ops/cpu/squared_error.hpp — ops::SquaredError<Device>, the reductions behind the
// regression losses (nn/loss.hpp), in double:
//   sum(n, p, y, w, first_bad) = Σ w_i (p_i − y_i)²  (w null: all 1); first_bad is set to the
//     index of the first non-finite target, or −1 (the sum is then meaningless).
//   scaled_diff(n, p, y, w, k, grad): grad_i = k · w_i · (p_i − y_i).
// Cuda: galnet/ops/cuda/squared_error.cuh (one block: a fixed reduction order, deterministic).
#pragma once
#include <cmath>
#include <cstdint>

#include "galnet/core/device.hpp"
#include "galnet/ops/squared_error.hpp"

namespace galnet::ops {

template <>
struct SquaredError<Cpu> {
  template <class T>
  static double sum(std::int64_t n, const T* p, const T* y, const T* w, std::int64_t& first_bad) {
    first_bad = -1;
    double s = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(static_cast<double>(y[i]))) {
        first_bad = i;
        return NAN;
      }
      const double d = static_cast<double>(p[i]) - y[i];
      s += (w ? static_cast<double>(w[i]) : 1.0) * d * d;
    }
    return s;
  }
  template <class T>
  static void scaled_diff(std::int64_t n, const T* p, const T* y, const T* w, double k, T* grad) {
    for (std::int64_t i = 0; i < n; ++i)
      grad[i] = static_cast<T>(k * (w ? static_cast<double>(w[i]) : 1.0) * (static_cast<double>(p[i]) - y[i]));
  }
};

}  // namespace galnet::ops
