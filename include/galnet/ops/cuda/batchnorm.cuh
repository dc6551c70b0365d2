// galnet/ops/cuda/batchnorm.cuh — ops::BatchNorm<Cuda>, the contract and arithmetic of
// galnet/ops/cpu/batchnorm.hpp: one block per channel, statistics accumulated in double with
// a fixed reduction order (deterministic), biased variance for normalising, unbiased for the
// running variance (PyTorch). Eval-mode backward (frozen statistics) is supported, which
// cuDNN's batch norm is not, hence galnet's own kernels. With `across` (synchronised batch
// norm) the per-channel sums are summed over the ranks between the passes, on the GPU where the
// communicator can (NCCL), as the CPU does: sums, then squared deviations from the global mean,
// in forward; Σ dy and Σ dy·x̂ in backward.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/core/error.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/cuda/memory.hpp"
#include "galnet/dist/communicator.hpp"
#include "galnet/ops/batchnorm.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace cuda_kernels {
/// Element j of channel c's m = n·s values (block-strided loops below).
__device__ inline std::int64_t bn_index(const BatchNormGeometry& g, std::int64_t c, std::int64_t j) {
  return (j / g.s * g.c + c) * g.s + j % g.s;
}
/// Σ x over channel c, in every thread of the block.
template <class T>
__device__ double bn_channel_sum(const BatchNormGeometry& g, const T* x, std::int64_t c) {
  double sum = 0;
  for (std::int64_t j = threadIdx.x; j < g.n * g.s; j += blockDim.x) sum += x[bn_index(g, c, j)];
  return cuda::block_sum(sum);
}
/// Σ (x − mean)² over channel c, in every thread of the block.
template <class T>
__device__ double bn_channel_squares(const BatchNormGeometry& g, const T* x, std::int64_t c, double mean) {
  double sq = 0;
  for (std::int64_t j = threadIdx.x; j < g.n * g.s; j += blockDim.x) {
    const double d = x[bn_index(g, c, j)] - mean;
    sq += d * d;
  }
  return cuda::block_sum(sq);
}
/// Channel c from its statistics over m values: saved statistics, running ones, y.
template <class T>
__device__ void bn_channel_normalise(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta, double eps,
                                     double momentum, T* running_mean, T* running_var, T* y, T* save_mean,
                                     T* save_invstd, std::int64_t c, double mean, double var, double m) {
  const double invstd = 1.0 / sqrt(var + eps);
  if (threadIdx.x == 0) {
    save_mean[c] = static_cast<T>(mean);
    save_invstd[c] = static_cast<T>(invstd);
    running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean);
    running_var[c] = static_cast<T>((1 - momentum) * running_var[c] + momentum * var * m / (m - 1));
  }
  const T scale = static_cast<T>(gamma[c] * invstd), shift = static_cast<T>(beta[c] - mean * gamma[c] * invstd);
  for (std::int64_t j = threadIdx.x; j < g.n * g.s; j += blockDim.x) {
    const std::int64_t i = bn_index(g, c, j);
    y[i] = x[i] * scale + shift;
  }
}

template <class T>
__global__ void bn_forward_train(BatchNormGeometry g, const T* __restrict__ x, const T* __restrict__ gamma,
                                 const T* __restrict__ beta, double eps, double momentum, T* running_mean,
                                 T* running_var, T* __restrict__ y, T* save_mean, T* save_invstd) {
  const std::int64_t c = blockIdx.x;
  const double m = static_cast<double>(g.n * g.s);
  const double mean = bn_channel_sum(g, x, c) / m;
  const double var = bn_channel_squares(g, x, c, mean) / m;
  bn_channel_normalise(g, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean, save_invstd, c, mean,
                       var, m);
}
// Synchronised: sums[c] = Σ x and sums[C] = m, summed over the ranks; then squares[c], the
// squared deviations from the global mean, summed likewise; then the normalisation.
template <class T>
__global__ void bn_sums(BatchNormGeometry g, const T* __restrict__ x, double* sums) {
  const double s = bn_channel_sum(g, x, blockIdx.x);
  if (threadIdx.x == 0) sums[blockIdx.x] = s;
  if (threadIdx.x == 0 && blockIdx.x == 0) sums[g.c] = static_cast<double>(g.n * g.s);
}
template <class T>
__global__ void bn_squares(BatchNormGeometry g, const T* __restrict__ x, const double* sums, double* squares) {
  const double s = bn_channel_squares(g, x, blockIdx.x, sums[blockIdx.x] / sums[g.c]);
  if (threadIdx.x == 0) squares[blockIdx.x] = s;
}
template <class T>
__global__ void bn_normalise(BatchNormGeometry g, const T* __restrict__ x, const T* __restrict__ gamma,
                             const T* __restrict__ beta, double eps, double momentum, T* running_mean, T* running_var,
                             T* __restrict__ y, T* save_mean, T* save_invstd, const double* sums,
                             const double* squares) {
  const std::int64_t c = blockIdx.x;
  const double total = sums[g.c];
  bn_channel_normalise(g, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean, save_invstd, c,
                       sums[c] / total, squares[c] / total, total);
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

/// Σ dy and Σ dy·x̂ over channel c, in every thread; accumulated into dgamma, dbeta (if given).
template <class T>
__device__ double2 bn_gradient_sums(const BatchNormGeometry& g, const T* x, const T* dy, const T* mean,
                                    const T* invstd, T* dgamma, T* dbeta, std::int64_t c) {
  const double mu = mean[c], is = invstd[c];
  double s_dy = 0, s_dy_xhat = 0;
  for (std::int64_t j = threadIdx.x; j < g.n * g.s; j += blockDim.x) {
    const std::int64_t i = bn_index(g, c, j);
    s_dy += dy[i];
    s_dy_xhat += dy[i] * (x[i] - mu) * is;
  }
  const double sum_dy = cuda::block_sum(s_dy), sum_dy_xhat = cuda::block_sum(s_dy_xhat);
  if (threadIdx.x == 0) {
    if (dgamma) dgamma[c] += static_cast<T>(sum_dy_xhat);
    if (dbeta) dbeta[c] += static_cast<T>(sum_dy);
  }
  return {sum_dy, sum_dy_xhat};
}
/// dx of channel c: γ·σ⁻¹·(dy − a − x̂·b), a and b the means of dy and dy·x̂ (0 in eval).
template <class T>
__device__ void bn_input_gradient(const BatchNormGeometry& g, const T* x, const T* dy, const T* gamma, const T* mean,
                                  const T* invstd, std::int64_t c, double a, double b, T* dx) {
  const double mu = mean[c], is = invstd[c], k = gamma[c] * is;
  for (std::int64_t j = threadIdx.x; j < g.n * g.s; j += blockDim.x) {
    const std::int64_t i = bn_index(g, c, j);
    dx[i] = static_cast<T>(k * (dy[i] - a - (x[i] - mu) * is * b));
  }
}

template <class T>
__global__ void bn_backward(BatchNormGeometry g, bool training, const T* __restrict__ x, const T* __restrict__ dy,
                            const T* __restrict__ gamma, const T* __restrict__ mean, const T* __restrict__ invstd,
                            T* __restrict__ dx, T* dgamma, T* dbeta) {
  const std::int64_t c = blockIdx.x;
  const double m = static_cast<double>(g.n * g.s);
  const double2 s = bn_gradient_sums(g, x, dy, mean, invstd, dgamma, dbeta, c);
  if (dx) bn_input_gradient(g, x, dy, gamma, mean, invstd, c, training ? s.x / m : 0.0, training ? s.y / m : 0.0, dx);
}
// Synchronised: sums[2c], sums[2c + 1] = Σ dy, Σ dy·x̂ and sums[2C] = m, summed over the ranks;
// then dx with the global means. dgamma, dbeta stay this rank's (averaged with the gradients).
template <class T>
__global__ void bn_backward_sums(BatchNormGeometry g, const T* __restrict__ x, const T* __restrict__ dy,
                                 const T* __restrict__ mean, const T* __restrict__ invstd, T* dgamma, T* dbeta,
                                 double* sums) {
  const std::int64_t c = blockIdx.x;
  const double2 s = bn_gradient_sums(g, x, dy, mean, invstd, dgamma, dbeta, c);
  if (threadIdx.x == 0) sums[2 * c] = s.x, sums[2 * c + 1] = s.y;
  if (threadIdx.x == 0 && c == 0) sums[2 * g.c] = static_cast<double>(g.n * g.s);
}
template <class T>
__global__ void bn_backward_input(BatchNormGeometry g, const T* __restrict__ x, const T* __restrict__ dy,
                                  const T* __restrict__ gamma, const T* __restrict__ mean,
                                  const T* __restrict__ invstd, const double* sums, T* __restrict__ dx) {
  const std::int64_t c = blockIdx.x;
  const double total = sums[2 * g.c];
  bn_input_gradient(g, x, dy, gamma, mean, invstd, c, sums[2 * c] / total, sums[2 * c + 1] / total, dx);
}
}  // namespace cuda_kernels

template <>
struct BatchNorm<Cuda> {
  template <class T>
  static void forward_train(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta, double eps,
                            double momentum, T* running_mean, T* running_var, T* y, T* save_mean, T* save_invstd,
                            const dist::Communicator* across = nullptr) {
    const unsigned blocks = channels(g.c);
    if (!across || across->size() == 1) {
      GALNET_CHECK(g.count() > 1, "BatchNorm: training needs more than one value per channel, got input [", g.n, ", ",
                   g.c, ", ", g.s, "]");
      cuda_kernels::bn_forward_train<<<blocks, cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
          g, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean, save_invstd);
      cuda::check_launch("bn_forward_train");
      return;
    }
    Tensor<double, Cuda> sums(Shape{g.c + 1}), squares(Shape{g.c});  // the caching allocator's blocks
    cuda_kernels::bn_sums<<<blocks, cuda::kThreadsPerBlock, 0, cuda::stream()>>>(g, x, sums.data());
    cuda::check_launch("bn_sums");
    dist::sum_in_device_memory<Cuda>(*across, sums.data(), g.c + 1);
    if (g.count() <= 1) check_total(sums.data() + g.c);  // else the total is more than one
    cuda_kernels::bn_squares<<<blocks, cuda::kThreadsPerBlock, 0, cuda::stream()>>>(g, x, sums.data(), squares.data());
    cuda::check_launch("bn_squares");
    dist::sum_in_device_memory<Cuda>(*across, squares.data(), g.c);
    cuda_kernels::bn_normalise<<<blocks, cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
        g, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean, save_invstd, sums.data(),
        squares.data());
    cuda::check_launch("bn_normalise");
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
                       const T* mean, const T* invstd, T* dx, T* dgamma, T* dbeta,
                       const dist::Communicator* across = nullptr) {
    const unsigned blocks = channels(g.c);
    if (!across || across->size() == 1 || !training || !dx) {
      cuda_kernels::bn_backward<<<blocks, cuda::kThreadsPerBlock, 0, cuda::stream()>>>(g, training, x, dy, gamma,
                                                                                        mean, invstd, dx, dgamma, dbeta);
      cuda::check_launch("bn_backward");
      return;
    }
    Tensor<double, Cuda> sums(Shape{2 * g.c + 1});
    cuda_kernels::bn_backward_sums<<<blocks, cuda::kThreadsPerBlock, 0, cuda::stream()>>>(g, x, dy, mean, invstd,
                                                                                           dgamma, dbeta, sums.data());
    cuda::check_launch("bn_backward_sums");
    dist::sum_in_device_memory<Cuda>(*across, sums.data(), 2 * g.c + 1);
    cuda_kernels::bn_backward_input<<<blocks, cuda::kThreadsPerBlock, 0, cuda::stream()>>>(g, x, dy, gamma, mean,
                                                                                            invstd, sums.data(), dx);
    cuda::check_launch("bn_backward_input");
  }

private:
  static unsigned channels(std::int64_t c) {
    GALNET_CHECK(c > 0 && c <= 0x7fffffff, "BatchNorm<Cuda>: ", c, " channels");
    return static_cast<unsigned>(c);
  }
  /// The value count over the ranks (on the device) must exceed one, as in one process.
  static void check_total(const double* total_on_device) {
    double total = 0;
    DeviceMemory<Cuda>::download(&total, total_on_device, sizeof total);
    GALNET_CHECK(total > 1, "BatchNorm: training needs more than one value per channel over the ranks, got ", total);
  }
};

}  // namespace galnet::ops
