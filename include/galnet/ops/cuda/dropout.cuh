// galnet/ops/cuda/dropout.cuh — ops::DropoutOp<Cuda>, the contract of galnet/ops/cpu/dropout.hpp:
// the same counter-based mask, so the GPU drops exactly the elements the CPU would.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/ops/dropout.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace cuda_kernels {
template <class T>
__global__ void dropout_forward(std::int64_t n, const T* __restrict__ x, T* __restrict__ y, T* __restrict__ mask,
                                std::uint64_t key, double p, T scale) {
  for (auto i = cuda::grid_start(); i < n; i += cuda::grid_stride()) {
    mask[i] = dropout_keeps(key, i, p) ? scale : T(0);
    y[i] = x[i] * mask[i];
  }
}
template <class T>
__global__ void multiply(std::int64_t n, const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ y) {
  for (auto i = cuda::grid_start(); i < n; i += cuda::grid_stride()) y[i] = a[i] * b[i];
}
}  // namespace cuda_kernels

template <>
struct DropoutOp<Cuda> {
  template <class T>
  static void forward(std::int64_t n, const T* x, T* y, T* mask, std::uint64_t key, double p, T scale) {
    cuda::launch_elementwise("dropout_forward", cuda_kernels::dropout_forward<T>, n, x, y, mask, key, p, scale);
  }
  template <class T>
  static void backward(std::int64_t n, const T* dy, const T* mask, T* dx) {
    cuda::launch_elementwise("dropout_backward", cuda_kernels::multiply<T>, n, dy, mask, dx);
  }
};

}  // namespace galnet::ops
