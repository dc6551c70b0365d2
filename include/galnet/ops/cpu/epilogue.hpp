// galnet/ops/cpu/epilogue.hpp — Epilogue<T>: what a CPU convolution applies to its outputs while
// they are still in cache, y = relu?(T(y·scale[o] + shift[o]) + residual) for output channel o.
//
// It carries a bias (shift only), or at inference the batch norm that follows the convolution
// (scale γ/σ, shift β − μ·γ/σ: batchnorm_eval_affine), with the residual add and ReLU of a
// ResNet block. The operations are those of the layered passes in the same order (a bias adds
// as y + b, since y·1 + b rounds once, the same), so the outputs equal theirs bit for bit.
#pragma once
#include <cstdint>

#include "galnet/core/parallel.hpp"

namespace galnet::ops {

template <class T>
struct Epilogue {
  const T* scale = nullptr;     ///< [O]; null: 1
  const T* shift = nullptr;     ///< [O]; null: 0
  const T* residual = nullptr;  ///< laid out as y; null: none
  bool relu = false;

  /// Whether there is nothing to apply.
  [[nodiscard]] bool none() const { return !scale && !shift && !residual && !relu; }

  /// Applies to y[at, at + count), all of output channel o.
  void apply(T* y, std::int64_t at, std::int64_t o, std::int64_t count) const {
    if (none()) return;
    transform(y + at, y + at, count, scale ? scale[o] : T(1), shift ? shift[o] : T(0),
              residual ? residual + at : nullptr, relu);
  }

  /// y[i] = relu?(T(x[i]·s + b) + r[i]) for i < count (r may be null; x may be y): the
  /// arithmetic of the epilogue, shared with training batch norm (ops::BatchNormTail).
  static void transform(const T* x, T* y, std::int64_t count, T s, T b, const T* r, bool relu) {
    if (r && relu) {
      GALNET_SIMD
      for (std::int64_t i = 0; i < count; ++i) {
        const T v = static_cast<T>(x[i] * s + b) + r[i];
        y[i] = v > T(0) ? v : T(0);
      }
    } else if (r) {
      GALNET_SIMD
      for (std::int64_t i = 0; i < count; ++i) y[i] = static_cast<T>(x[i] * s + b) + r[i];
    } else if (relu) {
      GALNET_SIMD
      for (std::int64_t i = 0; i < count; ++i) {
        const T v = x[i] * s + b;
        y[i] = v > T(0) ? v : T(0);
      }
    } else {
      GALNET_SIMD
      for (std::int64_t i = 0; i < count; ++i) y[i] = x[i] * s + b;
    }
  }
};

}  // namespace galnet::ops
