// galnet/ops/cuda/bias.cuh — ops::Bias<Cuda>, the contract of galnet/ops/cpu/bias.hpp.
// accumulate_rows gives each column one thread that sums the rows in order: deterministic and
// equal to the CPU's summation order (the row counts of a batch are small).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/ops/bias.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace cuda_kernels {
template <class T>
__global__ void bias_add_rows(std::int64_t total, std::int64_t c, const T* __restrict__ b, T* __restrict__ y) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)
    y[i] += b[i % c];
}
template <class T>
__global__ void bias_accumulate_rows(std::int64_t c, std::int64_t n, const T* __restrict__ dy, T* __restrict__ db) {
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < c;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    T s = db[j];
    for (std::int64_t i = 0; i < n; ++i) s += dy[i * c + j];
    db[j] = s;
  }
}
}  // namespace cuda_kernels

template <>
struct Bias<Cuda> {
  template <class T>
  static void add_rows(std::int64_t n, std::int64_t c, const T* b, T* y) {
    cuda::launch_elementwise("bias_add_rows", cuda_kernels::bias_add_rows<T>, n * c, c, b, y);
  }
  template <class T>
  static void accumulate_rows(std::int64_t n, std::int64_t c, const T* dy, T* db) {
    cuda::launch_elementwise("bias_accumulate_rows", cuda_kernels::bias_accumulate_rows<T>, c, n, dy, db);
  }
};

}  // namespace galnet::ops
