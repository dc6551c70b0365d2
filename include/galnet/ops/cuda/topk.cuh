// galnet/ops/cuda/topk.cuh — ops::TopKOp<Cuda>, the contract of galnet/ops/cpu/topk.hpp.
// One block per row; each thread ranks its entries by counting the entries that come before them
// under the CPU's rule (topk_before), and keeps those ranked below k. O(F²) comparisons per row,
// trivial for SFNet's F = 512, and exactly the CPU's kept set, ties and NaN included.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/ops/topk.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace cuda_kernels {
template <class T>
__global__ void topk_rows(std::int64_t f, std::int64_t k, const T* __restrict__ x, T* __restrict__ y,
                          std::uint8_t* __restrict__ mask) {
  const std::int64_t r = blockIdx.x;
  const T* xr = x + r * f;
  for (std::int64_t i = threadIdx.x; i < f; i += blockDim.x) {
    const T vi = xr[i];
    std::int64_t rank = 0;
    for (std::int64_t j = 0; j < f && rank < k; ++j) rank += topk_before(xr[j], j, vi, i) ? 1 : 0;
    const bool keep = rank < k;
    mask[r * f + i] = keep ? 1 : 0;
    y[r * f + i] = keep ? vi : T(0);
  }
}
template <class T>
__global__ void topk_backward(std::int64_t n, const T* __restrict__ dy, const std::uint8_t* __restrict__ mask,
                              T* __restrict__ dx) {
  for (auto i = cuda::grid_start(); i < n; i += cuda::grid_stride()) dx[i] = mask[i] ? dy[i] : T(0);
}
}  // namespace cuda_kernels

template <>
struct TopKOp<Cuda> {
  template <class T>
  static void forward(std::int64_t n, std::int64_t f, std::int64_t k, const T* x, T* y, std::uint8_t* mask,
                      std::int32_t* /*scratch: unused on the GPU*/) {
    if (n == 0) return;
    GALNET_CHECK(n <= 2147483647, "galnet::ops::TopKOp<Cuda>: ", n, " rows exceed one grid");
    cuda_kernels::topk_rows<T><<<static_cast<unsigned>(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(f, k, x, y, mask);
    cuda::check_launch("topk_rows");
  }
  template <class T>
  static void backward(std::int64_t count, const T* dy, const std::uint8_t* mask, T* dx) {
    cuda::launch_elementwise("topk_backward", cuda_kernels::topk_backward<T>, count, dy, mask, dx);
  }
};

}  // namespace galnet::ops
