// galnet/ops/cuda/bf16.cuh — Bf16Operands<float>: the casts of galnet/ops/cuda/bf16.hpp.
// Each thread writes one destination element (coalesced writes, strided reads). The kernels are
// templates, as every kernel in a galnet header, so that many .cu files may include them.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/ops/cuda/bf16.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace cuda_kernels {
template <class F>
__global__ void nchw_to_nhwc_bf16(std::int64_t total, std::int64_t c, std::int64_t hw, const F* src,
                                  __nv_bfloat16* dst) {
  for (std::int64_t i = cuda::grid_start(); i < total; i += cuda::grid_stride()) {
    const std::int64_t ch = i % c, t = i / c, p = t % hw, img = t / hw;
    dst[i] = __float2bfloat16_rn(src[(img * c + ch) * hw + p]);
  }
}
template <class F>
__global__ void nhwc_bf16_to_nchw(std::int64_t total, std::int64_t c, std::int64_t hw, const __nv_bfloat16* src,
                                  F* dst, bool accumulate) {
  for (std::int64_t i = cuda::grid_start(); i < total; i += cuda::grid_stride()) {
    const std::int64_t p = i % hw, t = i / hw, ch = t % c, img = t / c;
    const F v = __bfloat162float(src[(img * hw + p) * c + ch]);
    dst[i] = accumulate ? dst[i] + v : v;
  }
}
}  // namespace cuda_kernels

template <>
struct Bf16Operands<float> {
  static void to_nhwc(std::int64_t n, std::int64_t c, std::int64_t hw, const float* src, bf16_bits* dst) {
    cuda::launch_elementwise("nchw_to_nhwc_bf16", cuda_kernels::nchw_to_nhwc_bf16<float>, n * c * hw, c, hw, src,
                             reinterpret_cast<__nv_bfloat16*>(dst));
  }
  static void from_nhwc(std::int64_t n, std::int64_t c, std::int64_t hw, const bf16_bits* src, float* dst,
                        bool accumulate) {
    cuda::launch_elementwise("nhwc_bf16_to_nchw", cuda_kernels::nhwc_bf16_to_nchw<float>, n * c * hw, c, hw,
                             reinterpret_cast<const __nv_bfloat16*>(src), dst, accumulate);
  }
};

}  // namespace galnet::ops
