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

}  // namespace galnet::cuda
