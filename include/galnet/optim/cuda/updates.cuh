// galnet/optim/cuda/updates.cuh — the optimizers' element-wise updates on the GPU: the Cuda
// overloads declared in sgd.hpp, adam.hpp, radam.hpp, lookahead.hpp and clip.hpp. Each kernel
// runs the CPU's own per-element function (sgd_element, adam_element…, GALNET_HOST_DEVICE), one
// thread per element, fused: one pass over p, g and the state; so Optimizer<T, Cuda> steps like
// Optimizer<T, Cpu>. sum_squares reduces in a
// fixed order (a fixed grid of block sums, then one block): deterministic.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/core/tensor.hpp"
#include "galnet/cuda/transfer.hpp"
#include "galnet/ops/cuda/launch.cuh"
#include "galnet/optim/adam.hpp"
#include "galnet/optim/clip.hpp"
#include "galnet/optim/lookahead.hpp"
#include "galnet/optim/radam.hpp"
#include "galnet/optim/sgd.hpp"

namespace galnet::optim::detail {

namespace kernels {
template <class T>
__global__ void sgd(std::int64_t n, T* __restrict__ p, const T* __restrict__ g, T* __restrict__ buf, bool first, T lr,
                    T wd, T mom, T one_minus_damp, bool nesterov) {
  for (auto i = cuda::grid_start(); i < n; i += cuda::grid_stride())
    sgd_element(p[i], g[i], buf[i], first, lr, wd, mom, one_minus_damp, nesterov);
}
template <class T>
__global__ void adam(std::int64_t n, T* __restrict__ p, const T* __restrict__ g, T* __restrict__ m, T* __restrict__ v,
                     T decay, T l2, T w1, T beta2, T one_minus_beta2, T neg_step_size, T bc2_sqrt, T eps) {
  for (auto i = cuda::grid_start(); i < n; i += cuda::grid_stride())
    adam_element(p[i], g[i], m[i], v[i], decay, l2, w1, beta2, one_minus_beta2, neg_step_size, bc2_sqrt, eps);
}
template <class T>
__global__ void radam(std::int64_t n, T* __restrict__ p, const T* __restrict__ g, T* __restrict__ avg,
                      T* __restrict__ sqr, T decay, T mom, T one_minus_mom, T sqr_mom, T one_minus_sqr_mom,
                      bool rectified, T coef, T debias2, T eps) {
  for (auto i = cuda::grid_start(); i < n; i += cuda::grid_stride())
    radam_element(p[i], g[i], avg[i], sqr[i], decay, mom, one_minus_mom, sqr_mom, one_minus_sqr_mom, rectified, coef,
                  debias2, eps);
}
template <class T>
__global__ void lookahead(std::int64_t n, T* __restrict__ fast, T* __restrict__ slow, T alpha) {
  for (auto i = cuda::grid_start(); i < n; i += cuda::grid_stride()) lookahead_element(fast[i], slow[i], alpha);
}
template <class T>
__global__ void scale(std::int64_t n, T* g, T c) {
  for (auto i = cuda::grid_start(); i < n; i += cuda::grid_stride()) g[i] = g[i] * c;
}
template <class T>
__global__ void clamp(std::int64_t n, T* g, T lo, T hi) {
  for (auto i = cuda::grid_start(); i < n; i += cuda::grid_stride()) g[i] = g[i] < lo ? lo : (hi < g[i] ? hi : g[i]);
}
inline constexpr int kSumBlocks = 256;
/// partial[block] = Σ g² over the block's grid-stride share; launched with kSumBlocks blocks.
template <class T>
__global__ void partial_sum_squares(std::int64_t n, const T* __restrict__ g, double* __restrict__ partial) {
  double s = 0;
  for (auto i = cuda::grid_start(); i < n; i += cuda::grid_stride()) s += static_cast<double>(g[i]) * g[i];
  s = cuda::block_sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}
__global__ inline void sum_partials(int count, double* partial) {
  double s = 0;
  for (int i = threadIdx.x; i < count; i += blockDim.x) s += partial[i];
  s = cuda::block_sum(s);
  if (threadIdx.x == 0) partial[0] = s;
}
}  // namespace kernels

template <class T>
void sgd_update(Cuda, std::int64_t n, T* p, const T* g, T* buf, bool first, T lr, T wd, T mom, T one_minus_damp,
                bool nesterov) {
  cuda::launch_elementwise("sgd_update", kernels::sgd<T>, n, p, g, buf, first, lr, wd, mom, one_minus_damp, nesterov);
}
template <class T>
void adam_update(Cuda, std::int64_t n, T* p, const T* g, T* m, T* v, T decay, T l2, T w1, T beta2, T one_minus_beta2,
                 T neg_step_size, T bc2_sqrt, T eps) {
  cuda::launch_elementwise("adam_update", kernels::adam<T>, n, p, g, m, v, decay, l2, w1, beta2, one_minus_beta2,
                           neg_step_size, bc2_sqrt, eps);
}
template <class T>
void radam_update(Cuda, std::int64_t n, T* p, const T* g, T* avg, T* sqr, T decay, T mom, T one_minus_mom, T sqr_mom,
                  T one_minus_sqr_mom, bool rectified, T coef, T debias2, T eps) {
  cuda::launch_elementwise("radam_update", kernels::radam<T>, n, p, g, avg, sqr, decay, mom, one_minus_mom, sqr_mom,
                           one_minus_sqr_mom, rectified, coef, debias2, eps);
}
template <class T>
void lookahead_sync(Cuda, std::int64_t n, T* fast, T* slow, T alpha) {
  cuda::launch_elementwise("lookahead_sync", kernels::lookahead<T>, n, fast, slow, alpha);
}
template <class T>
void scale_elements(Cuda, std::int64_t n, T* g, T c) {
  cuda::launch_elementwise("scale_elements", kernels::scale<T>, n, g, c);
}
template <class T>
void clamp_elements(Cuda, std::int64_t n, T* g, T lo, T hi) {
  cuda::launch_elementwise("clamp_elements", kernels::clamp<T>, n, g, lo, hi);
}
template <class T>
double sum_squares(Cuda, std::int64_t n, const T* g) {
  if (n == 0) return 0.0;
  Tensor<double, Cuda> partial(Shape{kernels::kSumBlocks});
  kernels::partial_sum_squares<T><<<kernels::kSumBlocks, cuda::kThreadsPerBlock, 0, cuda::stream()>>>(n, g, partial.data());
  cuda::check_launch("partial_sum_squares");
  kernels::sum_partials<<<1, cuda::kThreadsPerBlock, 0, cuda::stream()>>>(kernels::kSumBlocks, partial.data());
  cuda::check_launch("sum_partials");
  return cuda::to_host<double>(TensorView<const double, Cuda>(partial.data(), Shape{1}))[0];
}

}  // namespace galnet::optim::detail
