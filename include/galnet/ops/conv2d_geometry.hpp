// galnet/ops/conv2d_geometry.hpp — Conv2dGeometry: the sizes of one 2-D convolution (every
// backend), and which CPU algorithm they take (under the Winograd switches of core/options.hpp).
#pragma once
#include <cstdint>

#include "galnet/core/options.hpp"

namespace galnet::ops {

struct Conv2dGeometry {
  std::int64_t n, c, h, w;  ///< input
  std::int64_t o, kh, kw;   ///< filters
  std::int64_t stride, pad;
  std::int64_t ho, wo;      ///< output

  [[nodiscard]] std::int64_t col_rows() const { return c * kh * kw; }
  [[nodiscard]] std::int64_t col_cols() const { return ho * wo; }
  /// A 1×1, stride-1, unpadded convolution reads its input as the column matrix directly.
  [[nodiscard]] bool pointwise() const { return kh == 1 && kw == 1 && stride == 1 && pad == 0; }
  /// Square 3×3 filters at stride 1 (padding below the filter size; the ResNets' blocks) take
  /// Winograd F(2×2, 3×3) (winograd.hpp) unless set_winograd(false); 5×5 ones (SpinCNN's
  /// second layer) take F(2×2, 5×5) after set_winograd_5x5(true), in the forward and
  /// data-gradient passes.
  [[nodiscard]] bool winograd() const {
    return winograd_enabled() && kh == kw && (kh == 3 || (kh == 5 && winograd_5x5_enabled())) && stride == 1 &&
           pad < kh && ho == h + 2 * pad - kh + 1 && wo == w + 2 * pad - kw + 1;
  }
  /// Square 5×5 filters at stride 1 (padding below 5) that do not take F(2×2, 5×5) take
  /// Winograd F(2, 5) along the rows in the forward and data-gradient passes
  /// (winograd_rows.hpp; its float error is within the layer parity tolerance), while
  /// winograd_enabled() and winograd_rows_enabled().
  [[nodiscard]] bool winograd_rows() const {
    return winograd_enabled() && winograd_rows_enabled() && !winograd() && kh == 5 && kw == 5 && stride == 1 &&
           pad < kh &&
           ho == h + 2 * pad - kh + 1 && wo == w + 2 * pad - kw + 1;
  }
  /// Whether the weight gradient takes Winograd: F(2×2, 3×3)'s only (see set_winograd_5x5).
  [[nodiscard]] bool winograd_weight_gradient() const { return winograd() && kh == 3; }
};

}  // namespace galnet::ops
