// galnet/ops/cuda/permute.cuh — ops::Permute<Cuda>, the contract of galnet/ops/cpu/permute.hpp.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/ops/permute.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace cuda_kernels {
/// One thread per NHWC element (writes coalesced forward, reads coalesced inverse).
template <class T>
__global__ void nchw_nhwc(std::int64_t total, std::int64_t c, std::int64_t hw, const T* __restrict__ src,
                          T* __restrict__ dst, bool inverse) {
  for (auto o = cuda::grid_start(); o < total; o += cuda::grid_stride()) {
    const std::int64_t ch = o % c, p = (o / c) % hw, i = o / (c * hw);
    const std::int64_t nchw = (i * c + ch) * hw + p;
    if (inverse) dst[nchw] = src[o];
    else dst[o] = src[nchw];
  }
}
}  // namespace cuda_kernels

template <>
struct Permute<Cuda> {
  template <class T>
  static void nchw_nhwc(std::int64_t n, std::int64_t c, std::int64_t hw, const T* src, T* dst, bool inverse) {
    cuda::launch_elementwise("nchw_nhwc", cuda_kernels::nchw_nhwc<T>, n * c * hw, c, hw, src, dst, inverse);
  }
};

}  // namespace galnet::ops
