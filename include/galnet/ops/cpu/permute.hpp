// galnet/ops/cpu/permute.hpp — ops::Permute<Device>::nchw_nhwc(n, c, hw, src, dst, inverse):
// NCHW → NHWC (inverse: NHWC → NCHW), the Keras-order flatten. Cuda: galnet/ops/cuda/permute.cuh.
#pragma once
#include <cstdint>

#include "galnet/core/device.hpp"
#include "galnet/ops/permute.hpp"

namespace galnet::ops {

template <>
struct Permute<Cpu> {
  template <class T>
  static void nchw_nhwc(std::int64_t n, std::int64_t c, std::int64_t hw, const T* src, T* dst, bool inverse) {
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t ch = 0; ch < c; ++ch)
        for (std::int64_t p = 0; p < hw; ++p) {
          const std::int64_t nchw = (i * c + ch) * hw + p, nhwc = (i * hw + p) * c + ch;
          if (inverse) dst[nchw] = src[nhwc];
          else dst[nhwc] = src[nchw];
        }
  }
};

}  // namespace galnet::ops
