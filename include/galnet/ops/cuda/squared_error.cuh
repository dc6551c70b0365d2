// galnet/ops/cuda/squared_error.cuh — ops::SquaredError<Cuda>, the contract of
// galnet/ops/cpu/squared_error.hpp. sum() runs in one block (a loss sees batch × outputs
// elements, a few hundred) with a fixed reduction order, and returns its double result to the
// host: the loss value every training step reports (one small transfer, counted).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/core/tensor.hpp"
#include "galnet/cuda/transfer.hpp"
#include "galnet/ops/squared_error.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace cuda_kernels {
/// out[0] = Σ w (p − y)², out[1] = the first non-finite target's index or −1. One block.
template <class T>
__global__ void squared_error_sum(std::int64_t n, const T* __restrict__ p, const T* __restrict__ y,
                                  const T* __restrict__ w, double* out) {
  __shared__ std::int64_t first_bad[cuda::kThreadsPerBlock];
  double s = 0;
  std::int64_t bad = n;
  for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const double yi = y[i];
    if (!isfinite(yi)) {
      bad = bad < i ? bad : i;
      continue;
    }
    const double d = static_cast<double>(p[i]) - yi;
    s += (w ? static_cast<double>(w[i]) : 1.0) * d * d;
  }
  s = cuda::block_sum(s);
  first_bad[threadIdx.x] = bad;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (unsigned t = 1; t < blockDim.x; ++t) bad = bad < first_bad[t] ? bad : first_bad[t];
    out[0] = s;
    out[1] = bad < n ? static_cast<double>(bad) : -1.0;
  }
}
template <class T>
__global__ void scaled_diff(std::int64_t n, const T* __restrict__ p, const T* __restrict__ y, const T* __restrict__ w,
                            double k, T* __restrict__ grad) {
  for (auto i = cuda::grid_start(); i < n; i += cuda::grid_stride())
    grad[i] = static_cast<T>(k * (w ? static_cast<double>(w[i]) : 1.0) * (static_cast<double>(p[i]) - y[i]));
}
}  // namespace cuda_kernels

template <>
struct SquaredError<Cuda> {
  template <class T>
  static double sum(std::int64_t n, const T* p, const T* y, const T* w, std::int64_t& first_bad) {
    Tensor<double, Cuda> out(Shape{2});
    cuda_kernels::squared_error_sum<T><<<1, cuda::kThreadsPerBlock, 0, cuda::stream()>>>(n, p, y, w, out.data());
    cuda::check_launch("squared_error_sum");
    const auto h = cuda::to_host(out);
    first_bad = static_cast<std::int64_t>(h[1]);
    return first_bad < 0 ? h[0] : NAN;
  }
  template <class T>
  static void scaled_diff(std::int64_t n, const T* p, const T* y, const T* w, double k, T* grad) {
    cuda::launch_elementwise("scaled_diff", cuda_kernels::scaled_diff<T>, n, p, y, w, k, grad);
  }
};

}  // namespace galnet::ops
