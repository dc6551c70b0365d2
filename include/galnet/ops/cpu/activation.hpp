// galnet/ops/cpu/activation.hpp — element-wise activations and their gradients.
//
// ops::Activation<Device> is how layers reach them: specialised here for Cpu and in
// galnet/ops/cuda/activation.cuh for Cuda, so a layer on the GPU compiles only in a .cu file
// that includes the CUDA kernels, and CPU code never sees them.
#pragma once
#include <cmath>
#include <cstdint>

#include "galnet/core/device.hpp"
#include "galnet/ops/activation.hpp"
#include "galnet/ops/selu.hpp"

namespace galnet::ops {

template <class T>
void relu_forward(std::int64_t n, const T* x, T* y) {
#if defined(_OPENMP)
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}

/// dx = dy where x > 0 (PyTorch: zero gradient at exactly 0).
template <class T>
void relu_backward(std::int64_t n, const T* x, const T* dy, T* dx) {
#if defined(_OPENMP)
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
  for (std::int64_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : T(0);
}

/// selu(x) = scale·x for x > 0, scale·α·(eˣ − 1) otherwise.
template <class T>
void selu_forward(std::int64_t n, const T* x, T* y) {
  const T scale = static_cast<T>(kSeluScale), sa = static_cast<T>(kSeluScale * kSeluAlpha);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (n > 65536)
#endif
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? scale * x[i] : sa * std::expm1(x[i]);
}

template <class T>
void selu_backward(std::int64_t n, const T* x, const T* dy, T* dx) {
  const T scale = static_cast<T>(kSeluScale), sa = static_cast<T>(kSeluScale * kSeluAlpha);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (n > 65536)
#endif
  for (std::int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (x[i] > T(0) ? scale : sa * std::exp(x[i]));
}

template <>
struct Activation<Cpu> {
  template <class T>
  static void relu_forward(std::int64_t n, const T* x, T* y) { ops::relu_forward(n, x, y); }
  template <class T>
  static void relu_backward(std::int64_t n, const T* x, const T* dy, T* dx) { ops::relu_backward(n, x, dy, dx); }
  template <class T>
  static void selu_forward(std::int64_t n, const T* x, T* y) { ops::selu_forward(n, x, y); }
  template <class T>
  static void selu_backward(std::int64_t n, const T* x, const T* dy, T* dx) { ops::selu_backward(n, x, dy, dx); }
};

}  // namespace galnet::ops
