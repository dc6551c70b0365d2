// galnet/ops/cpu/batchnorm.hpp — batch normalisation over x [N, C, S] (S = H·W, or 1 for 1-D).
//
// PyTorch semantics: training normalises with the batch mean and biased variance and updates
// running_mean/var with momentum, the running variance taking the unbiased estimate; eval
// normalises with the running statistics. Sums are taken in double for float inputs. Training
// passes take an optional dist::Communicator for synchronised batch norm over ranks, and an
// optional BatchNormTail: the residual add and ReLU of a ResNet block fused into the normalising
// pass (and the ReLU's gradient mask into backward's first pass, BatchNormMask), so that they
// take no passes of their own.
#pragma once
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "galnet/core/device.hpp"
#include "galnet/core/error.hpp"
#include "galnet/dist/communicator.hpp"
#include "galnet/ops/batchnorm.hpp"
#include "galnet/ops/cpu/epilogue.hpp"

namespace galnet::ops {


/// What follows a batch norm in a ResNet block, applied as it writes y:
/// y = relu?(T(x̂·γ + β) + residual), residual laid out as x (null: none). The arithmetic of
/// the layered passes (batch norm, add, ReLU) in their order, so the same bits.
template <class T>
struct BatchNormTail {
  const T* residual = nullptr;
  bool relu = false;
};

namespace detail {
/// Double sums in 16 lanes: element i of each full block of 16 goes to lane i % 16, the tail to
/// lanes 0, 1, …; then the lanes are added in order. One double accumulator allows one add per
/// add latency, which would bound the per-channel sums. The lanes let the compiler vectorise;
/// the order is fixed, so results repeat run to run.
struct LaneSums {
  double lane[16] = {};
  [[nodiscard]] double total() const {
    double s = 0;
    for (double v : lane) s += v;
    return s;
  }
};
/// Adds term_a(i) to a and term_b(i) to b for i < count (term_b may add into a second LaneSums
/// or be a no-op through `b == nullptr`).
template <class A, class B>
void add_lanes(std::int64_t count, LaneSums& a, A&& term_a, LaneSums* b, B&& term_b) {
  std::int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    for (int j = 0; j < 16; ++j) a.lane[j] += term_a(i + j);
    if (b)
      for (int j = 0; j < 16; ++j) b->lane[j] += term_b(i + j);
  }
  for (int j = 0; i < count; ++i, ++j) {
    a.lane[j] += term_a(i);
    if (b) b->lane[j] += term_b(i);
  }
}
template <class A>
void add_lanes(std::int64_t count, LaneSums& a, A&& term_a) {
  add_lanes(count, a, term_a, nullptr, [](std::int64_t) { return 0.0; });
}
}  // namespace detail

namespace detail {
/// Σ x over channel c.
template <class T>
double channel_sum(const BatchNormGeometry& g, const T* x, std::int64_t c) {
  LaneSums sum;
  for (std::int64_t n = 0; n < g.n; ++n) {
    const T* p = x + (n * g.c + c) * g.s;
    add_lanes(g.s, sum, [&](std::int64_t i) { return static_cast<double>(p[i]); });
  }
  return sum.total();
}
/// Σ (x − mean)² over channel c (the second of two passes: no cancellation when |mean| ≫ std).
template <class T>
double channel_squares(const BatchNormGeometry& g, const T* x, std::int64_t c, double mean) {
  LaneSums sq;
  for (std::int64_t n = 0; n < g.n; ++n) {
    const T* p = x + (n * g.c + c) * g.s;
    add_lanes(g.s, sq, [&](std::int64_t i) {
      const double d = p[i] - mean;
      return d * d;
    });
  }
  return sq.total();
}
/// y = tail(x·scale + shift) over channel c (every sample's row).
template <class T>
void channel_affine(const BatchNormGeometry& g, const T* x, T* y, std::int64_t c, T scale, T shift,
                    BatchNormTail<T> tail) {
  for (std::int64_t n = 0; n < g.n; ++n) {
    const std::int64_t at = (n * g.c + c) * g.s;
    Epilogue<T>::transform(x + at, y + at, g.s, scale, shift, tail.residual ? tail.residual + at : nullptr, tail.relu);
  }
}
/// Channel c from its statistics over m values: saved mean and 1/std, running statistics, y
/// (with the tail).
template <class T>
void channel_normalise(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta, double eps,
                       double momentum, T* running_mean, T* running_var, T* y, T* save_mean, T* save_invstd,
                       std::int64_t c, double mean, double var, double m, BatchNormTail<T> tail) {
  const double invstd = 1.0 / std::sqrt(var + eps);
  save_mean[c] = static_cast<T>(mean);
  save_invstd[c] = static_cast<T>(invstd);
  running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean);
  running_var[c] = static_cast<T>((1 - momentum) * running_var[c] + momentum * var * m / (m - 1));
  const T scale = static_cast<T>(gamma[c] * invstd);
  const T shift = static_cast<T>(beta[c] - mean * gamma[c] * invstd);
  channel_affine(g, x, y, c, scale, shift, tail);
}
/// Sums `sums` over the ranks in place, with this rank's count appended: returns the total count.
inline double sum_over_ranks(std::vector<double>& sums, double count, const dist::Communicator& across) {
  sums.push_back(count);
  across.sum(sums.data(), static_cast<std::int64_t>(sums.size()));
  const double total = sums.back();
  sums.pop_back();
  return total;
}
}  // namespace detail

/// Training forward; saves mean and 1/std per channel for backward. With `across` (synchronised
/// batch norm, nn::SyncBatchNorm), the statistics are those of every rank's batch together: the
/// per-channel sums, then the squared deviations from the global mean, are summed over the ranks
/// (the same two-pass arithmetic, in three sweeps instead of one per channel).
template <class T>
void batchnorm_forward_train(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta,
                             double eps, double momentum, T* running_mean, T* running_var, T* y,
                             T* save_mean, T* save_invstd, const dist::Communicator* across = nullptr,
                             BatchNormTail<T> tail = {}) {
  const std::int64_t m = g.count();
  [[maybe_unused]] const bool big = g.c * m > 32768;
  if (!across || across->size() == 1) {
    GALNET_CHECK(m > 1, "BatchNorm: training needs more than one value per channel, got input [",
                 g.n, ", ", g.c, ", ", g.s, "]");
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (big)
#endif
    for (std::int64_t c = 0; c < g.c; ++c) {  // each channel's passes while it is in cache
      const double mean = detail::channel_sum(g, x, c) / static_cast<double>(m);
      const double var = detail::channel_squares(g, x, c, mean) / static_cast<double>(m);
      detail::channel_normalise(g, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean, save_invstd,
                                c, mean, var, static_cast<double>(m), tail);
    }
    return;
  }
  thread_local std::vector<double> sums, squares;
  sums.resize(static_cast<std::size_t>(g.c));
  squares.resize(static_cast<std::size_t>(g.c));
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (big)
#endif
  for (std::int64_t c = 0; c < g.c; ++c) sums[static_cast<std::size_t>(c)] = detail::channel_sum(g, x, c);
  const double total = detail::sum_over_ranks(sums, static_cast<double>(m), *across);
  GALNET_CHECK(total > 1, "BatchNorm: training needs more than one value per channel over the ranks, got ", total);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (big)
#endif
  for (std::int64_t c = 0; c < g.c; ++c)
    squares[static_cast<std::size_t>(c)] = detail::channel_squares(g, x, c, sums[static_cast<std::size_t>(c)] / total);
  detail::sum_over_ranks(squares, 0.0, *across);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (big)
#endif
  for (std::int64_t c = 0; c < g.c; ++c)
    detail::channel_normalise(g, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean, save_invstd, c,
                              sums[static_cast<std::size_t>(c)] / total, squares[static_cast<std::size_t>(c)] / total,
                              total, tail);
}

/// Eval batch norm as y = x·scale + shift per channel: scale = γ/σ, shift = β − μ·γ/σ, from
/// the running statistics (σ = √(var + eps) in double).
template <class T>
void batchnorm_eval_affine(std::int64_t channels, const T* gamma, const T* beta, double eps, const T* running_mean,
                           const T* running_var, T* scale, T* shift) {
  for (std::int64_t c = 0; c < channels; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
    scale[c] = static_cast<T>(gamma[c] * invstd);
    shift[c] = static_cast<T>(beta[c] - running_mean[c] * gamma[c] * invstd);
  }
}

/// Eval forward with running statistics, y = x·scale + shift (batchnorm_eval_affine). At
/// inference the ResNets run it as their convolutions' epilogue instead (ops::Epilogue), with
/// the same arithmetic.
template <class T>
void batchnorm_forward_eval(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta,
                            double eps, const T* running_mean, const T* running_var, T* y,
                            BatchNormTail<T> tail = {}) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (g.c * g.count() > 32768)
#endif
  for (std::int64_t c = 0; c < g.c; ++c) {
    T scale, shift;
    batchnorm_eval_affine(1, gamma + c, beta + c, eps, running_mean + c, running_var + c, &scale, &shift);
    detail::channel_affine(g, x, y, c, scale, shift, tail);
  }
}

/// The ReLU of a tail, in backward: where relu_output > 0, dy, else 0 (PyTorch's rule, zero at
/// exactly 0; relu_output > 0 exactly where its input was), written to `masked`.
template <class T>
struct BatchNormMask {
  const T* relu_output = nullptr;  ///< null: dy reaches the batch norm as it is
  T* masked = nullptr;             ///< laid out as dy; receives the masked gradient
};

namespace detail {
/// Σ dy and Σ dy·x̂ over channel c; with a mask, dy's rows are masked into mask.masked first
/// (a row at a time, summed while in L1), and `dy` is pointed there for the second pass.
template <class T>
std::pair<double, double> channel_gradient_sums(const BatchNormGeometry& g, const T* x, const T* dy,
                                                BatchNormMask<T> mask, std::int64_t c, double mu, double is) {
  LaneSums dy_sum, dy_xhat_sum;
  for (std::int64_t n = 0; n < g.n; ++n) {
    const std::int64_t at = (n * g.c + c) * g.s;
    const T* p = x + at;
    const T* d = dy + at;
    if (mask.relu_output) {
      const T* keep = mask.relu_output + at;
      T* q = mask.masked + at;
      // Written, then summed: GCC at -O3 miscompiles Σ dy with the select inside add_lanes'
      // terms, and the masked gradient is wanted anyway (the shortcut's).
      GALNET_SIMD
      for (std::int64_t i = 0; i < g.s; ++i) q[i] = keep[i] > T(0) ? d[i] : T(0);
      d = q;
    }
    add_lanes(
        g.s, dy_sum, [&](std::int64_t i) { return static_cast<double>(d[i]); }, &dy_xhat_sum,
        [&](std::int64_t i) { return d[i] * (p[i] - mu) * is; });
  }
  return {dy_sum.total(), dy_xhat_sum.total()};
}
/// dx of channel c: training, γ·σ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂)) with the means `a`, `b`;
/// eval (a = b = 0), γ·σ⁻¹·dy.
template <class T>
void channel_input_gradient(const BatchNormGeometry& g, const T* x, const T* dy, const T* gamma, std::int64_t c,
                            double mu, double is, double a, double b, T* dx) {
  const double k = gamma[c] * is;
  for (std::int64_t n = 0; n < g.n; ++n) {
    const T* p = x + (n * g.c + c) * g.s;
    const T* d = dy + (n * g.c + c) * g.s;
    T* q = dx + (n * g.c + c) * g.s;
    for (std::int64_t i = 0; i < g.s; ++i) q[i] = static_cast<T>(k * (d[i] - a - (p[i] - mu) * is * b));
  }
}
}  // namespace detail

/// Backward. `mean`/`invstd` are the saved batch statistics (training) or the running ones
/// converted (eval, where the statistics are constants). dgamma/dbeta accumulate (may be null
/// when frozen); dx is overwritten (may be null when not needed). With `across` (after a
/// synchronised training forward) the means of dy and dy·x̂ in dx are over every rank's batch;
/// dgamma and dbeta stay this rank's, averaged later with the other gradients (PyTorch's
/// SyncBatchNorm). With `mask` (after a forward whose tail had the ReLU), dy is the gradient of
/// that output: it is masked by the ReLU into mask.masked, which then stands for dy.
template <class T>
void batchnorm_backward(const BatchNormGeometry& g, bool training, const T* x, const T* dy,
                        const T* gamma, const T* mean, const T* invstd, T* dx, T* dgamma, T* dbeta,
                        const dist::Communicator* across = nullptr, BatchNormMask<T> mask = {}) {
  const std::int64_t m = g.count();
  [[maybe_unused]] const bool big = g.c * m > 32768;
  const auto accumulate = [&](std::int64_t c, std::pair<double, double> s) {
    if (dgamma) dgamma[c] += static_cast<T>(s.second);
    if (dbeta) dbeta[c] += static_cast<T>(s.first);
  };
  const T* dy_in = mask.relu_output ? mask.masked : dy;  // what the second pass reads
  if (!across || across->size() == 1 || !training || !dx) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (big)
#endif
    for (std::int64_t c = 0; c < g.c; ++c) {
      const double mu = mean[c], is = invstd[c];
      const auto s = detail::channel_gradient_sums(g, x, dy, mask, c, mu, is);
      accumulate(c, s);
      if (!dx) continue;
      const double a = training ? s.first / static_cast<double>(m) : 0.0;
      const double b = training ? s.second / static_cast<double>(m) : 0.0;
      detail::channel_input_gradient(g, x, dy_in, gamma, c, mu, is, a, b, dx);
    }
    return;
  }
  thread_local std::vector<double> sums;
  sums.resize(static_cast<std::size_t>(2 * g.c));
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (big)
#endif
  for (std::int64_t c = 0; c < g.c; ++c) {
    const auto s = detail::channel_gradient_sums(g, x, dy, mask, c, mean[c], invstd[c]);
    accumulate(c, s);
    sums[static_cast<std::size_t>(2 * c)] = s.first;
    sums[static_cast<std::size_t>(2 * c + 1)] = s.second;
  }
  const double total = detail::sum_over_ranks(sums, static_cast<double>(m), *across);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (big)
#endif
  for (std::int64_t c = 0; c < g.c; ++c)
    detail::channel_input_gradient(g, x, dy_in, gamma, c, mean[c], invstd[c],
                                   sums[static_cast<std::size_t>(2 * c)] / total,
                                   sums[static_cast<std::size_t>(2 * c + 1)] / total, dx);
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

template <>
struct BatchNorm<Cpu> {
  template <class T>
  static void forward_train(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta, double eps,
                            double momentum, T* running_mean, T* running_var, T* y, T* save_mean, T* save_invstd,
                            const dist::Communicator* across = nullptr, BatchNormTail<T> tail = {}) {
    batchnorm_forward_train(g, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean, save_invstd,
                            across, tail);
  }
  template <class T>
  static void forward_eval(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta, double eps,
                           const T* running_mean, const T* running_var, T* y, BatchNormTail<T> tail = {}) {
    batchnorm_forward_eval(g, x, gamma, beta, eps, running_mean, running_var, y, tail);
  }
  template <class T>
  static void eval_statistics(std::int64_t c, const T* running_mean, const T* running_var, double eps, T* mean,
                              T* invstd) {
    batchnorm_eval_statistics(c, running_mean, running_var, eps, mean, invstd);
  }
  template <class T>
  static void backward(const BatchNormGeometry& g, bool training, const T* x, const T* dy, const T* gamma,
                       const T* mean, const T* invstd, T* dx, T* dgamma, T* dbeta,
                       const dist::Communicator* across = nullptr, BatchNormMask<T> mask = {}) {
    batchnorm_backward(g, training, x, dy, gamma, mean, invstd, dx, dgamma, dbeta, across, mask);
  }
};

}  // namespace galnet::ops
