// galnet/ops/cpu/topk.hpp — ops::TopKOp<Device>: keep the k largest entries of each row, zero
// the rest.
//
//   forward(n, f, k, x, y, mask, scratch[f]): x [N, F] → y [N, F]. Larger values first; equal
//     values: the lower index first; NaN counts as the largest. So the kept set is a
//     deterministic function of x, the same on every device. mask: 1 kept, 0 dropped.
//   backward(count, dy, mask, dx): dx = dy·mask.
// Cuda: galnet/ops/cuda/topk.cuh.
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>

#include "galnet/core/device.hpp"
#include "galnet/ops/topk.hpp"

namespace galnet::ops {


template <>
struct TopKOp<Cpu> {
  template <class T>
  static void forward(std::int64_t n, std::int64_t f, std::int64_t k, const T* x, T* y, std::uint8_t* mask,
                      std::int32_t* scratch) {
    for (std::int64_t r = 0; r < n; ++r) {
      const T* xr = x + r * f;
      T* yr = y + r * f;
      std::uint8_t* mr = mask + r * f;
      std::iota(scratch, scratch + f, 0);
      auto before = [xr](std::int32_t a, std::int32_t b) { return topk_before(xr[a], a, xr[b], b); };
      std::nth_element(scratch, scratch + std::max<std::int64_t>(k - 1, 0), scratch + f, before);
      std::fill_n(mr, f, std::uint8_t{0});
      for (std::int64_t i = 0; i < k; ++i) mr[scratch[i]] = 1;
      for (std::int64_t i = 0; i < f; ++i) yr[i] = mr[i] ? xr[i] : T(0);
    }
  }
  template <class T>
  static void backward(std::int64_t count, const T* dy, const std::uint8_t* mask, T* dx) {
    for (std::int64_t i = 0; i < count; ++i) dx[i] = mask[i] ? dy[i] : T(0);
  }
};

}  // namespace galnet::ops
