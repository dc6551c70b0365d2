// galnet/ops/cuda/launch.cuh — launch geometry and error checking shared by galnet's kernels.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "galnet/cuda/error.hpp"
#include "galnet/cuda/runtime.hpp"

namespace galnet::cuda {

inline constexpr int kThreadsPerBlock = 256;

/// Blocks for a grid-stride loop over n elements: enough to fill the GPU, never more than n needs.
inline unsigned grid_for(std::int64_t n) {
  const std::int64_t blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<unsigned>(std::clamp<std::int64_t>(blocks, 1, 65535));
}

/// Checks the launch just made (bad configuration, missing kernel image for this GPU).
inline void check_launch(const char* kernel) {
  ::galnet::cuda::check(cudaGetLastError(), kernel, __FILE__, __LINE__);
}

/// Launches kernel(n, args...) over n elements on this thread's stream and checks the launch.
template <class... Params, class... Args>
void launch_elementwise(const char* name, void (*kernel)(std::int64_t, Params...), std::int64_t n, Args... args) {
  if (n == 0) return;
  kernel<<<grid_for(n), kThreadsPerBlock, 0, stream()>>>(n, args...);
  check_launch(name);
}

/// First index and stride of a grid-stride loop:
///   for (auto i = grid_start(); i < n; i += grid_stride()) …
__device__ inline std::int64_t grid_start() { return blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; }
__device__ inline std::int64_t grid_stride() { return static_cast<std::int64_t>(blockDim.x) * gridDim.x; }

/// Sum of v over the calling block (blockDim.x a multiple of 32, at most 1024); every thread
/// gets the result. Reduction order is fixed by the thread layout: deterministic.
template <class T>
__device__ T block_sum(T v) {
  __shared__ T warp_sums[32];
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = (blockDim.x + 31) / 32;
  __syncthreads();  // warp_sums may still be read by a previous call
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  T total = 0;
  for (int w = 0; w < warps; ++w) total += warp_sums[w];
  return total;
}

}  // namespace galnet::cuda
