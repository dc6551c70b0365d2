// galnet/ops/pool2d.hpp — ops::Pool2d<Device>: max and average pooling (fixed or adaptive
// windows) and their gradients over NCHW planes.
// The interface each backend specialises: Cpu in galnet/ops/cpu/pool2d.hpp, Cuda in
// galnet/ops/cuda/pool2d.cuh.
#pragma once
#include <algorithm>
#include <cstdint>

#include "galnet/core/device.hpp"

namespace galnet::ops {

struct Pool2dGeometry {
  std::int64_t n, c, h, w, oh, ow;
  std::int64_t kernel = 0, stride = 1, pad = 0;
  bool adaptive = false;

  struct Window {
    std::int64_t begin, end;  ///< valid input range
    std::int64_t extent;      ///< divisor extent for average pooling
  };
  [[nodiscard]] GALNET_HOST_DEVICE Window window(std::int64_t o, std::int64_t in, std::int64_t out) const {
    if (adaptive) {
      const std::int64_t b = o * in / out, e = ((o + 1) * in + out - 1) / out;
      return {b, e, e - b};
    }
    const std::int64_t b = o * stride - pad;
    const std::int64_t e_padded = std::min(b + kernel, in + pad);
    return {std::max<std::int64_t>(b, 0), std::min(b + kernel, in), e_padded - b};
  }
};

template <class D>
struct Pool2d;

}  // namespace galnet::ops
