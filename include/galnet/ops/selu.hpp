// galnet/ops/selu.hpp — SELU's constants (Klambauer et al. 2017) and the view of a dense layer
// that the fused SELU networks take, shared by every backend.
#pragma once

namespace galnet::ops {

/// SELU(x) = scale · x for x > 0, scale · alpha · (eˣ − 1) otherwise.
inline constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
inline constexpr double kSeluScale = 1.0507009873554804934193349852946;

/// The float32 forms the fused kernels use: λ and λα (the product rounded in float, as the
/// kernels multiply).
inline constexpr float kSeluScaleF = static_cast<float>(kSeluScale);
inline constexpr float kSeluScaleAlphaF = static_cast<float>(kSeluScale) * static_cast<float>(kSeluAlpha);

/// A Linear layer's float32 parameters as the fused SELU networks read them (no copy).
struct DenseRef {
  const float* w;  ///< [out, in] row-major (PyTorch's Linear.weight)
  const float* b;  ///< [out]
  int in, out;
};

}  // namespace galnet::ops
