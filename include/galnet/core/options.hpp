// galnet/core/options.hpp — galnet's process-wide switches, all of them. Each is an atomic
// with a documented default; layers and kernels read it at their next call. They exist for A/B
// measurements, tests and the programs' options (--winograd-5x5, --tf32, --bf16).
#pragma once
#include <atomic>

namespace galnet {

namespace ops {

/// Whether 3×3 stride-1 convolutions take Winograd F(2×2, 3×3) (default on: its float error
/// stays close to im2col's), and 5×5 ones F(2, 5) along rows in the forward and data-gradient
/// passes (within the layer parity tolerance). Off gives no Winograd anywhere: im2col + GEMM, or
/// the direct paths (for A/B measurements and tests).
inline std::atomic<bool>& winograd_switch() {
  static std::atomic<bool> on{true};
  return on;
}
inline void set_winograd(bool on) { winograd_switch().store(on, std::memory_order_relaxed); }
[[nodiscard]] inline bool winograd_enabled() { return winograd_switch().load(std::memory_order_relaxed); }

/// Opt-in: whether the forward and data-gradient passes of 5×5 stride-1 convolutions take
/// Winograd F(2×2, 5×5) too (while winograd_enabled()): faster than im2col, but with a float
/// error several times im2col's (the transforms' coefficients reach 5/2 and 16/15), close to
/// the layer parity tolerance (2e-6): off by default. Its weight gradient stays im2col's, since
/// its Winograd form's error is above that tolerance (test_winograd.cpp measures both).
inline std::atomic<bool>& winograd_5x5_switch() {
  static std::atomic<bool> on{false};
  return on;
}
inline void set_winograd_5x5(bool on) { winograd_5x5_switch().store(on, std::memory_order_relaxed); }
[[nodiscard]] inline bool winograd_5x5_enabled() { return winograd_5x5_switch().load(std::memory_order_relaxed); }

/// Whether 5×5 stride-1 convolutions take Winograd F(2, 5) along the rows (winograd_rows.hpp)
/// while winograd_enabled(). On by default where products and sums fuse (FMA: every AVX2 and
/// AVX-512 build): there its float error stays under the layer parity tolerance (2e-6). A build
/// without FMA (generic x86-64) rounds each product as well, which takes the data gradient's
/// error above it: opt-in there.
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

}  // namespace ops

namespace nn {

/// Whether CPU inference (eval mode) may fuse layers: ResNet blocks and stems run batch norm,
/// the residual add and ReLU in one pass (bit-identical), LineEWNet runs ops::SeluMlp (within
/// a few float ulp). On by default; off runs every layer on its own (tests, comparisons).
inline std::atomic<bool>& fused_inference_setting() {
  static std::atomic<bool> on{true};
  return on;
}
inline void set_fused_inference(bool on) { fused_inference_setting().store(on); }
[[nodiscard]] inline bool fused_inference() { return fused_inference_setting().load(std::memory_order_relaxed); }

}  // namespace nn

namespace cuda {

/// How cuBLAS and cuDNN compute in float32. exact (the default, the parity tests' mode): FMA
/// only, no tensor cores, as the CPU. tf32 (fast): tensor cores round each product's inputs to
/// TF32's 10-bit mantissa (about 1e-3 relative per product; Ampere and later), several times the
/// throughput. bf16 (fast, mixed precision as PyTorch's autocast): convolutions and GEMMs take
/// bfloat16 copies of their float32 operands (8-bit mantissa, about 4e-3 relative per value;
/// convolution operands channels-last, cuDNN's tensor-core layout) and accumulate in float32;
/// weights, gradients, batch norm, activations, losses and optimizer state stay float32. No loss
/// scaling: bfloat16 has float32's exponent range, so gradients do not underflow as in float16.
/// Double tensors always compute exactly. Process-wide; layers pick it up at their next call.
enum class MathMode { exact, tf32, bf16 };


namespace detail {
inline std::atomic<MathMode>& math_mode_setting() {
  static std::atomic<MathMode> m{MathMode::exact};
  return m;
}
}  // namespace detail
inline void set_math_mode(MathMode m) { detail::math_mode_setting().store(m); }
[[nodiscard]] inline MathMode math_mode() { return detail::math_mode_setting().load(); }

}  // namespace cuda

}  // namespace galnet
