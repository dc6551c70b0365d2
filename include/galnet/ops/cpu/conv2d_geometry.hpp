// galnet/ops/cpu/conv2d_geometry.hpp — Conv2dGeometry: the sizes of one 2-D convolution, and
// which CPU algorithm they take (the Winograd switches live here because they decide that).
#pragma once
#include <atomic>
#include <cstdint>

namespace galnet::ops {

/// Whether 3×3 stride-1 convolutions take Winograd F(2×2, 3×3) (default on: its float error is
/// 1–3× im2col's), and 5×5 ones F(2, 5) along rows in the forward and data-gradient passes
/// (y 1–2×, dx 2–7×). Off gives no Winograd anywhere: im2col + GEMM, or the direct paths
/// (for A/B measurements and tests).
inline std::atomic<bool>& winograd_switch() {
  static std::atomic<bool> on{true};
  return on;
}
inline void set_winograd(bool on) { winograd_switch().store(on, std::memory_order_relaxed); }
[[nodiscard]] inline bool winograd_enabled() { return winograd_switch().load(std::memory_order_relaxed); }

/// Opt-in: whether the forward and data-gradient passes of 5×5 stride-1 convolutions take
/// Winograd F(2×2, 5×5) too (while winograd_enabled()): 1.5–1.9× faster than im2col there
/// (SpinCNN's 5×5 layer), but with a float error of 0.3–1.7e-6 of the output's scale, 4–13×
/// im2col's (test_winograd.cpp; the transforms' coefficients reach 5/2 and 16/15), close to the
/// layer parity tolerance (2e-6): off by default. Its weight gradient stays im2col's, whose
/// Winograd form measured 1.5× faster but 15–66× less accurate (up to 5.8e-6).
/// docs/performance.md has the measurements.
inline std::atomic<bool>& winograd_5x5_switch() {
  static std::atomic<bool> on{false};
  return on;
}
inline void set_winograd_5x5(bool on) { winograd_5x5_switch().store(on, std::memory_order_relaxed); }
[[nodiscard]] inline bool winograd_5x5_enabled() { return winograd_5x5_switch().load(std::memory_order_relaxed); }

/// Whether 5×5 stride-1 convolutions take Winograd F(2, 5) along the rows (winograd_rows.hpp)
/// while winograd_enabled(). On by default where products and sums fuse (FMA: every AVX2 and
/// AVX-512 build): there its float error measured at most 1.0e-6 of the output's scale, under
/// the layer parity tolerance (2e-6). A build without FMA (generic x86-64) rounds each product
/// as well and measured up to 2.3e-6 (SpinCNN's layer in miniature, dx): opt-in there.
inline std::atomic<bool>& winograd_rows_switch() {
#if defined(__FMA__)
  static std::atomic<bool> on{true};
#else
  static std::atomic<bool> on{false};
#endif
  return on;
}
inline void set_winograd_rows(bool on) { winograd_rows_switch().store(on, std::memory_order_relaxed); }
[[nodiscard]] inline bool winograd_rows_enabled() { return winograd_rows_switch().load(std::memory_order_relaxed); }

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
  /// (winograd_rows.hpp; its float error is 1–2× im2col's in y, 2–7× in dx), while
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
