// galnet/ops/cuda/activation.cuh — ReLU and SELU on the GPU: ops::Activation<Cuda>, the same
// contract as the CPU's (galnet/ops/cpu/activation.hpp), one grid-stride kernel per direction.
// SELU uses expm1/exp in the element type, as the CPU path does, so float results agree to
// within a few ulp.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/ops/activation.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace cuda_kernels {
template <class T>
__global__ void relu_forward(std::int64_t n, const T* __restrict__ x, T* __restrict__ y) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)
    y[i] = x[i] > T(0) ? x[i] : T(0);
}
template <class T>
__global__ void relu_backward(std::int64_t n, const T* __restrict__ x, const T* __restrict__ dy, T* __restrict__ dx) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)
    dx[i] = x[i] > T(0) ? dy[i] : T(0);
}
template <class T>
__global__ void selu_forward(std::int64_t n, const T* __restrict__ x, T* __restrict__ y) {
  const T scale = static_cast<T>(kSeluScale), sa = static_cast<T>(kSeluScale * kSeluAlpha);
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)
    y[i] = x[i] > T(0) ? scale * x[i] : sa * expm1(x[i]);
}
template <class T>
__global__ void selu_backward(std::int64_t n, const T* __restrict__ x, const T* __restrict__ dy, T* __restrict__ dx) {
  const T scale = static_cast<T>(kSeluScale), sa = static_cast<T>(kSeluScale * kSeluAlpha);
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)
    dx[i] = dy[i] * (x[i] > T(0) ? scale : sa * exp(x[i]));
}
}  // namespace cuda_kernels

template <>
struct Activation<Cuda> {
  template <class T>
  static void relu_forward(std::int64_t n, const T* x, T* y) {
    cuda::launch_elementwise("relu_forward", cuda_kernels::relu_forward<T>, n, x, y);
  }
  template <class T>
  static void relu_backward(std::int64_t n, const T* x, const T* dy, T* dx) {
    cuda::launch_elementwise("relu_backward", cuda_kernels::relu_backward<T>, n, x, dy, dx);
  }
  template <class T>
  static void selu_forward(std::int64_t n, const T* x, T* y) {
    cuda::launch_elementwise("selu_forward", cuda_kernels::selu_forward<T>, n, x, y);
  }
  template <class T>
  static void selu_backward(std::int64_t n, const T* x, const T* dy, T* dx) {
    cuda::launch_elementwise("selu_backward", cuda_kernels::selu_backward<T>, n, x, dy, dx);
  }
};

}  // namespace galnet::ops
