// galnet/ops/cuda/batchnorm.cuh — ops::BatchNorm<Cuda>, the contract and arithmetic of
// galnet/ops/cpu/batchnorm.hpp: one block per channel, statistics accumulated in double with
// a fixed reduction order (deterministic), biased variance for normalising, unbiased for the
// running variance (PyTorch). Eval-mode backward (frozen statistics) is supported, which
// cuDNN's batch norm is not, hence galnet's own kernels.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/core/error.hpp"
#include "galnet/ops/cpu/batchnorm.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace cuda_kernels {
template <class T>
__global__ void bn_forward_train(BatchNormGeometry g, const T* __restrict__ x, const T* __restrict__ gamma,
                                 const T* __restrict__ beta, double eps, double momentum, T* running_mean,
                                 T* running_var, T* __restrict__ y, T* save_mean, T* save_invstd) {
  const std::int64_t c = blockIdx.x, m = g.n * g.s;
  double sum = 0;
  for (std::int64_t j = threadIdx.x; j < m; j += blockDim.x) sum += x[(j / g.s * g.c + c) * g.s + j % g.s];
  const double mean = cuda::block_sum(sum) / static_cast<double>(m);
  double sq = 0;
  for (std::int64_t j = threadIdx.x; j < m; j += blockDim.x) {
    const double d = x[(j / g.s * g.c + c) * g.s + j % g.s] - mean;
    sq += d * d;
  }
  const double var = cuda::block_sum(sq) / static_cast<double>(m);
  const double invstd = 1.0 / sqrt(var + eps);
  if (threadIdx.x == 0) {
    save_mean[c] = static_cast<T>(mean);
    save_invstd[c] = static_cast<T>(invstd);
    running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean);
    running_var[c] = static_cast<T>((1 - momentum) * running_var[c] + momentum * var * m / (m - 1));
  }
  const T scale = static_cast<T>(gamma[c] * invstd), shift = static_cast<T>(beta[c] - mean * gamma[c] * invstd);
  for (std::int64_t j = threadIdx.x; j < m; j += blockDim.x) {
    const std::int64_t i = (j / g.s * g.c + c) * g.s + j % g.s;
    y[i] = x[i] * scale + shift;
  }
}
template <class T>
__global__ void bn_forward_eval(BatchNormGeometry g, const T* __restrict__ x, const T* __restrict__ gamma,
                                const T* __restrict__ beta, double eps, const T* running_mean, const T* running_var,
                                T* __restrict__ y) {
  const std::int64_t total = g.n * g.c * g.s;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t c = i / g.s % g.c;
    const double invstd = 1.0 / sqrt(static_cast<double>(running_var[c]) + eps);
    const T scale = static_cast<T>(gamma[c] * invstd);
    const T shift = static_cast<T>(beta[c] - running_mean[c] * gamma[c] * invstd);
    y[i] = x[i] * scale + shift;
  }
}
template <class T>
__global__ void bn_eval_statistics(std::int64_t c, const T* running_mean, const T* running_var, double eps, T* mean,
                                   T* invstd) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < c;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    mean[i] = running_mean[i];
    invstd[i] = static_cast<T>(1.0 / sqrt(static_cast<double>(running_var[i]) + eps));
  }
}
template <class T>
__global__ void bn_backward(BatchNormGeometry g, bool training, const T* __restrict__ x, const T* __restrict__ dy,
                            const T* __restrict__ gamma, const T* __restrict__ mean, const T* __restrict__ invstd,
                            T* __restrict__ dx, T* dgamma, T* dbeta) {
  const std::int64_t c = blockIdx.x, m = g.n * g.s;
  const double mu = mean[c], is = invstd[c];
  double s_dy = 0, s_dy_xhat = 0;
  for (std::int64_t j = threadIdx.x; j < m; j += blockDim.x) {
    const std::int64_t i = (j / g.s * g.c + c) * g.s + j % g.s;
    s_dy += dy[i];
    s_dy_xhat += dy[i] * (x[i] - mu) * is;
  }
  const double sum_dy = cuda::block_sum(s_dy), sum_dy_xhat = cuda::block_sum(s_dy_xhat);
  if (threadIdx.x == 0) {
    if (dgamma) dgamma[c] += static_cast<T>(sum_dy_xhat);
    if (dbeta) dbeta[c] += static_cast<T>(sum_dy);
  }
  if (!dx) return;
  const double k = gamma[c] * is;
  const double a = training ? sum_dy / m : 0.0, b = training ? sum_dy_xhat / m : 0.0;
  for (std::int64_t j = threadIdx.x; j < m; j += blockDim.x) {
    const std::int64_t i = (j / g.s * g.c + c) * g.s + j % g.s;
    dx[i] = static_cast<T>(k * (dy[i] - a - (x[i] - mu) * is * b));
  }
}
}  // namespace cuda_kernels

template <>
struct BatchNorm<Cuda> {
  template <class T>
  static void forward_train(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta, double eps,
                            double momentum, T* running_mean, T* running_var, T* y, T* save_mean, T* save_invstd) {
    GALNET_CHECK(g.count() > 1, "BatchNorm: training needs more than one value per channel, got input [", g.n, ", ",
                 g.c, ", ", g.s, "]");
    cuda_kernels::bn_forward_train<<<channels(g.c), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
        g, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean, save_invstd);
    cuda::check_launch("bn_forward_train");
  }
  template <class T>
  static void forward_eval(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta, double eps,
                           const T* running_mean, const T* running_var, T* y) {
    const std::int64_t total = g.n * g.c * g.s;
    if (total == 0) return;
    cuda_kernels::bn_forward_eval<<<cuda::grid_for(total), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
        g, x, gamma, beta, eps, running_mean, running_var, y);
    cuda::check_launch("bn_forward_eval");
  }
  template <class T>
  static void eval_statistics(std::int64_t c, const T* running_mean, const T* running_var, double eps, T* mean,
                              T* invstd) {
    cuda::launch_elementwise("bn_eval_statistics", cuda_kernels::bn_eval_statistics<T>, c, running_mean, running_var,
                             eps, mean, invstd);
  }
  template <class T>
  static void backward(const BatchNormGeometry& g, bool training, const T* x, const T* dy, const T* gamma,
                       const T* mean, const T* invstd, T* dx, T* dgamma, T* dbeta) {
    cuda_kernels::bn_backward<<<channels(g.c), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
        g, training, x, dy, gamma, mean, invstd, dx, dgamma, dbeta);
    cuda::check_launch("bn_backward");
  }

private:
  static unsigned channels(std::int64_t c) {
    GALNET_CHECK(c > 0 && c <= 0x7fffffff, "BatchNorm<Cuda>: ", c, " channels");
    return static_cast<unsigned>(c);
  }
};

}  // namespace galnet::ops
