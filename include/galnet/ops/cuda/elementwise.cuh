// galnet/ops/cuda/elementwise.cuh — ops::Elementwise<Cuda>, the contract of
// galnet/ops/cpu/elementwise.hpp.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/ops/elementwise.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace cuda_kernels {
template <class T>
__global__ void add(std::int64_t n, const T* a, const T* b, T* y) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)
    y[i] = a[i] + b[i];
}
}  // namespace cuda_kernels

template <>
struct Elementwise<Cuda> {
  template <class T>
  static void add(std::int64_t n, const T* a, const T* b, T* y) {
    cuda::launch_elementwise("add", cuda_kernels::add<T>, n, a, b, y);
  }
};

}  // namespace galnet::ops
