// galnet/ops/cpu/batchnorm.hpp — batch normalisation over x [N, C, S] (S = H·W, or 1 for 1-D).
//
// PyTorch semantics: training normalises with the batch mean and biased variance and updates
// running_mean/var with momentum, the running variance taking the unbiased estimate; eval
// normalises with the running statistics. Sums are taken in double for float inputs.
#pragma once
#include <cmath>
#include <cstdint>

#include "galnet/core/device.hpp"
#include "galnet/core/error.hpp"

namespace galnet::ops {

struct BatchNormGeometry {
  std::int64_t n, c, s;
  [[nodiscard]] std::int64_t count() const { return n * s; }
};

/// Training forward; saves mean and 1/std per channel for backward.
template <class T>
void batchnorm_forward_train(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta,
                             double eps, double momentum, T* running_mean, T* running_var, T* y,
                             T* save_mean, T* save_invstd) {
  const std::int64_t m = g.count();
  GALNET_CHECK(m > 1, "BatchNorm: training needs more than one value per channel, got input [",
               g.n, ", ", g.c, ", ", g.s, "]");
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (g.c * m > 32768)
#endif
  for (std::int64_t c = 0; c < g.c; ++c) {
    double sum = 0, sq = 0;
    for (std::int64_t n = 0; n < g.n; ++n) {
      const T* p = x + (n * g.c + c) * g.s;
      for (std::int64_t i = 0; i < g.s; ++i) sum += p[i];
    }
    const double mean = sum / m;
    for (std::int64_t n = 0; n < g.n; ++n) {
      const T* p = x + (n * g.c + c) * g.s;
      for (std::int64_t i = 0; i < g.s; ++i) {
        const double d = p[i] - mean;
        sq += d * d;
      }
    }
    const double var = sq / m;
    const double invstd = 1.0 / std::sqrt(var + eps);
    save_mean[c] = static_cast<T>(mean);
    save_invstd[c] = static_cast<T>(invstd);
    running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean);
    running_var[c] = static_cast<T>((1 - momentum) * running_var[c] + momentum * var * m / (m - 1));
    const T scale = static_cast<T>(gamma[c] * invstd);
    const T shift = static_cast<T>(beta[c] - mean * gamma[c] * invstd);
    for (std::int64_t n = 0; n < g.n; ++n) {
      const T* p = x + (n * g.c + c) * g.s;
      T* q = y + (n * g.c + c) * g.s;
      for (std::int64_t i = 0; i < g.s; ++i) q[i] = p[i] * scale + shift;
    }
  }
}

/// Eval forward, fused with what follows batch norm in a ResNet block: y = relu?(bn(x) + r)
/// (`residual` r may be null), one pass over the tensor instead of two or three. The same
/// operations in the same order as batch norm, then Elementwise::add, then relu_forward, so
/// the result is the layered one, bit for bit.
template <class T>
void batchnorm_forward_eval_fused(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta,
                                  double eps, const T* running_mean, const T* running_var, const T* residual,
                                  bool relu, T* y) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (g.c * g.count() > 32768)
#endif
  for (std::int64_t c = 0; c < g.c; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
    const T scale = static_cast<T>(gamma[c] * invstd);
    const T shift = static_cast<T>(beta[c] - running_mean[c] * gamma[c] * invstd);
    for (std::int64_t n = 0; n < g.n; ++n) {
      const std::int64_t at = (n * g.c + c) * g.s;
      const T* p = x + at;
      T* q = y + at;
      if (residual) {
        const T* r = residual + at;
        if (relu) {
          for (std::int64_t i = 0; i < g.s; ++i) {
            const T v = static_cast<T>(p[i] * scale + shift) + r[i];
            q[i] = v > T(0) ? v : T(0);
          }
        } else {
          for (std::int64_t i = 0; i < g.s; ++i) q[i] = static_cast<T>(p[i] * scale + shift) + r[i];
        }
      } else if (relu) {
        for (std::int64_t i = 0; i < g.s; ++i) {
          const T v = p[i] * scale + shift;
          q[i] = v > T(0) ? v : T(0);
        }
      } else {
        for (std::int64_t i = 0; i < g.s; ++i) q[i] = p[i] * scale + shift;
      }
    }
  }
}

/// Eval forward with running statistics.
template <class T>
void batchnorm_forward_eval(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta,
                            double eps, const T* running_mean, const T* running_var, T* y) {
  batchnorm_forward_eval_fused(g, x, gamma, beta, eps, running_mean, running_var, static_cast<const T*>(nullptr),
                               false, y);
}

/// Backward. `mean`/`invstd` are the saved batch statistics (training) or the running ones
/// converted (eval, where the statistics are constants). dgamma/dbeta accumulate (may be null
/// when frozen); dx is overwritten (may be null when not needed).
template <class T>
void batchnorm_backward(const BatchNormGeometry& g, bool training, const T* x, const T* dy,
                        const T* gamma, const T* mean, const T* invstd, T* dx, T* dgamma, T* dbeta) {
  const std::int64_t m = g.count();
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (g.c * m > 32768)
#endif
  for (std::int64_t c = 0; c < g.c; ++c) {
    const double mu = mean[c], is = invstd[c];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (std::int64_t n = 0; n < g.n; ++n) {
      const T* p = x + (n * g.c + c) * g.s;
      const T* d = dy + (n * g.c + c) * g.s;
      for (std::int64_t i = 0; i < g.s; ++i) {
        sum_dy += d[i];
        sum_dy_xhat += d[i] * (p[i] - mu) * is;
      }
    }
    if (dgamma) dgamma[c] += static_cast<T>(sum_dy_xhat);
    if (dbeta) dbeta[c] += static_cast<T>(sum_dy);
    if (!dx) continue;
    const double k = gamma[c] * is;
    // Training: dx = γ·σ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂)); eval: dx = γ·σ⁻¹·dy.
    const double a = training ? sum_dy / m : 0.0;
    const double b = training ? sum_dy_xhat / m : 0.0;
    for (std::int64_t n = 0; n < g.n; ++n) {
      const T* p = x + (n * g.c + c) * g.s;
      const T* d = dy + (n * g.c + c) * g.s;
      T* q = dx + (n * g.c + c) * g.s;
      for (std::int64_t i = 0; i < g.s; ++i)
        q[i] = static_cast<T>(k * (d[i] - a - (p[i] - mu) * is * b));
    }
  }
}

/// Per-channel mean and 1/√(var + eps) from running statistics (what eval-mode backward uses).
template <class T>
void batchnorm_eval_statistics(std::int64_t c, const T* running_mean, const T* running_var, double eps, T* mean,
                               T* invstd) {
  for (std::int64_t i = 0; i < c; ++i) {
    mean[i] = running_mean[i];
    invstd[i] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(running_var[i]) + eps));
  }
}

/// How layers reach batch norm: ops::BatchNorm<Cpu> here, <Cuda> in ops/cuda/batchnorm.cuh.
template <class D>
struct BatchNorm;

template <>
struct BatchNorm<Cpu> {
  template <class T>
  static void forward_train(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta, double eps,
                            double momentum, T* running_mean, T* running_var, T* y, T* save_mean, T* save_invstd) {
    batchnorm_forward_train(g, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean, save_invstd);
  }
  template <class T>
  static void forward_eval(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta, double eps,
                           const T* running_mean, const T* running_var, T* y) {
    batchnorm_forward_eval(g, x, gamma, beta, eps, running_mean, running_var, y);
  }
  template <class T>
  static void eval_statistics(std::int64_t c, const T* running_mean, const T* running_var, double eps, T* mean,
                              T* invstd) {
    batchnorm_eval_statistics(c, running_mean, running_var, eps, mean, invstd);
  }
  template <class T>
  static void backward(const BatchNormGeometry& g, bool training, const T* x, const T* dy, const T* gamma,
                       const T* mean, const T* invstd, T* dx, T* dgamma, T* dbeta) {
    batchnorm_backward(g, training, x, dy, gamma, mean, invstd, dx, dgamma, dbeta);
  }
};

}  // namespace galnet::ops
