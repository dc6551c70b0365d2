// galnet/ops/cuda/activation.cuh — ReLU and SELU on the GPU: ops::Activation<Cuda>, the same
// contract as the CPU's (galnet/ops/cpu/activation.hpp), one grid-stride kernel per direction.
// SELU uses expm1/exp in the element type, as the CPU path does, so float results agree to
// within a few ulp.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/ops/cpu/activation.hpp"
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
    if (n == 0) return;
    cuda_kernels::relu_forward<<<cuda::grid_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(n, x, y);
    cuda::check_launch("relu_forward");
  }
  template <class T>
  static void relu_backward(std::int64_t n, const T* x, const T* dy, T* dx) {
    if (n == 0) return;
    cuda_kernels::relu_backward<<<cuda::grid_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(n, x, dy, dx);
    cuda::check_launch("relu_backward");
  }
  template <class T>
  static void selu_forward(std::int64_t n, const T* x, T* y) {
    if (n == 0) return;
    cuda_kernels::selu_forward<<<cuda::grid_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(n, x, y);
    cuda::check_launch("selu_forward");
  }
  template <class T>
  static void selu_backward(std::int64_t n, const T* x, const T* dy, T* dx) {
    if (n == 0) return;
    cuda_kernels::selu_backward<<<cuda::grid_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(n, x, dy, dx);
    cuda::check_launch("selu_backward");
  }
};

}  // namespace galnet::ops
