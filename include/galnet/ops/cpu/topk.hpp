// galnet/ops/cpu/topk.hpp — keep the k largest entries of each row, zero the rest.
//
// x [N, F] → y [N, F]. Ties are broken towards the lower index, so the kept set is a
// deterministic function of x. The mask (1 kept, 0 dropped) routes the gradient: dx = dy·mask.
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>

namespace galnet::ops {

template <class T>
void topk_forward(std::int64_t n, std::int64_t f, std::int64_t k, const T* x, T* y,
                  std::uint8_t* mask, std::int32_t* scratch /* [f] */) {
  for (std::int64_t r = 0; r < n; ++r) {
    const T* xr = x + r * f;
    T* yr = y + r * f;
    std::uint8_t* mr = mask + r * f;
    std::iota(scratch, scratch + f, 0);
    // Larger value first; equal values: lower index first. NaN counts as largest.
    auto before = [xr](std::int32_t a, std::int32_t b) {
      const T va = xr[a], vb = xr[b];
      const bool na = va != va, nb = vb != vb;
      if (na != nb) return na;
      if (!na && va != vb) return va > vb;
      return a < b;
    };
    std::nth_element(scratch, scratch + std::max<std::int64_t>(k - 1, 0), scratch + f, before);
    std::fill_n(mr, f, std::uint8_t{0});
    for (std::int64_t i = 0; i < k; ++i) mr[scratch[i]] = 1;
    for (std::int64_t i = 0; i < f; ++i) yr[i] = mr[i] ? xr[i] : T(0);
  }
}

template <class T>
void topk_backward(std::int64_t count, const T* dy, const std::uint8_t* mask, T* dx) {
  for (std::int64_t i = 0; i < count; ++i) dx[i] = mask[i] ? dy[i] : T(0);
}

}  // namespace galnet::ops
