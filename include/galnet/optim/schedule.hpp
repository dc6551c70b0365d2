// galnet/optim/schedule.hpp — learning-rate schedules as pure functions of the step.
//
// Contract
//   - A schedule's lr(step, base_lr) is a pure function: the same step always gives the same
//     value, so resuming from a checkpoint only needs the step number.
//   - apply(opt, step) sets every group's lr from that group's initial_lr (and, for OneCycle,
//     its momentum), so differential learning rates keep their ratios through any schedule.
//     Call it before opt.step() for step = 0, 1, 2, ... (the step about to be taken).
//   - Lookahead forwards groups() to its inner optimizer, so schedules drive it too.
//   - The stateful ReduceLROnPlateau lives in galnet/optim/plateau.hpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <utility>

#include "galnet/core/error.hpp"
#include "galnet/optim/optimizer.hpp"

namespace galnet::optim {

/// fastai's sched_cos: cosine annealing from start (pos 0) to end (pos 1).
inline double sched_cos(double start, double end, double pos) {
  return start + (1.0 + std::cos(std::numbers::pi * (1.0 - pos))) * (end - start) / 2.0;
}

/// fastai's combined_cos(pct, start, middle, end) at pos in [0, 1]: cosine start -> middle over
/// [0, pct), then middle -> end over [pct, 1].
inline double combined_cos(double pct, double start, double middle, double end, double pos) {
  if (pos < pct) return sched_cos(start, middle, pos / pct);
  return sched_cos(middle, end, (pos - pct) / (1.0 - pct));
}

struct OneCycleOptions {
  std::int64_t total_steps = 0;  ///< required: optimizer steps in the whole cycle
  double pct_start = 0.25;
  double div = 25.0;         ///< start lr = lr_max / div
  double div_final = 1e5;    ///< final lr = lr_max / div_final
  double mom_start = 0.95;   ///< momentum at the start and end (fastai moms)
  double mom_mid = 0.85;     ///< momentum at the peak lr
  double mom_end = 0.95;
  bool cycle_momentum = true;
};

/// OneCycle — fastai's fit_one_cycle (Smith's 1cycle policy as fastai runs it): each group's
/// lr_max is its initial_lr; step s of total_steps sits at pos = s / total_steps and gets
/// lr = combined_cos(pct_start, lr_max/div, lr_max, lr_max/div_final) and momentum
/// combined_cos(pct_start, 0.95, 0.85, 0.95). Steps outside [0, total_steps] are clamped.
/// Defaults: pct_start 0.25, div 25, div_final 1e5, moms (0.95, 0.85, 0.95).
/// Example: OneCycle sched({.total_steps = epochs * batches}); sched.apply(opt, step);
class OneCycle {
public:
  explicit OneCycle(OneCycleOptions o) : o_(o) {
    GALNET_CHECK(o.total_steps >= 1, "galnet::optim::OneCycle: total_steps must be >= 1, got ",
                 o.total_steps);
    GALNET_CHECK(o.pct_start > 0.0 && o.pct_start < 1.0,
                 "galnet::optim::OneCycle: pct_start must be in (0, 1), got ", o.pct_start);
    GALNET_CHECK(o.div > 0.0 && o.div_final > 0.0,
                 "galnet::optim::OneCycle: div and div_final must be > 0");
  }
  [[nodiscard]] double pos(std::int64_t step) const {
    step = std::clamp<std::int64_t>(step, 0, o_.total_steps);
    return static_cast<double>(step) / static_cast<double>(o_.total_steps);
  }
  [[nodiscard]] double lr(std::int64_t step, double lr_max) const {
    return combined_cos(o_.pct_start, lr_max / o_.div, lr_max, lr_max / o_.div_final, pos(step));
  }
  [[nodiscard]] double momentum(std::int64_t step) const {
    return combined_cos(o_.pct_start, o_.mom_start, o_.mom_mid, o_.mom_end, pos(step));
  }
  template <class T, class D>
  void apply(Optimizer<T, D>& opt, std::int64_t step) const {
    for (auto& g : opt.groups()) {
      g.lr = lr(step, g.initial_lr);
      if (o_.cycle_momentum) g.momentum = momentum(step);
    }
  }
  [[nodiscard]] const OneCycleOptions& options() const { return o_; }

private:
  OneCycleOptions o_;
};

struct CosineRestartsOptions {
  std::int64_t T_0 = 0;     ///< required: steps in the first cycle
  std::int64_t T_mult = 1;  ///< each cycle is T_mult times longer than the one before
  double eta_min = 0.0;     ///< absolute floor, the same for every group
};

/// CosineAnnealingWarmRestarts — torch.optim.lr_scheduler.CosineAnnealingWarmRestarts (SGDR)
/// with T_0 counted in steps: with T_cur the steps since the last restart and T_i the current
/// cycle length, lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2.
/// Defaults: T_mult 1, eta_min 0.
/// Example: CosineAnnealingWarmRestarts sched({.T_0 = 1000, .T_mult = 2, .eta_min = 1e-6});
class CosineAnnealingWarmRestarts {
public:
  explicit CosineAnnealingWarmRestarts(CosineRestartsOptions o) : o_(o) {
    GALNET_CHECK(o.T_0 >= 1, "galnet::optim::CosineAnnealingWarmRestarts: T_0 must be >= 1, got ",
                 o.T_0);
    GALNET_CHECK(o.T_mult >= 1,
                 "galnet::optim::CosineAnnealingWarmRestarts: T_mult must be >= 1, got ", o.T_mult);
  }
  /// (T_cur, T_i) at `step`, computed exactly in integers.
  [[nodiscard]] std::pair<std::int64_t, std::int64_t> position(std::int64_t step) const {
    step = std::max<std::int64_t>(step, 0);
    if (o_.T_mult == 1) return {step % o_.T_0, o_.T_0};
    std::int64_t t = step, len = o_.T_0;
    while (t >= len) {
      t -= len;
      len *= o_.T_mult;
    }
    return {t, len};
  }
  [[nodiscard]] double lr(std::int64_t step, double base_lr) const {
    const auto [t_cur, t_i] = position(step);
    return o_.eta_min + (base_lr - o_.eta_min) *
                            (1.0 + std::cos(std::numbers::pi * static_cast<double>(t_cur) /
                                            static_cast<double>(t_i))) /
                            2.0;
  }
  template <class T, class D>
  void apply(Optimizer<T, D>& opt, std::int64_t step) const {
    for (auto& g : opt.groups()) g.lr = lr(step, g.initial_lr);
  }
  [[nodiscard]] const CosineRestartsOptions& options() const { return o_; }

private:
  CosineRestartsOptions o_;
};

/// StepLR — torch.optim.lr_scheduler.StepLR: lr = base_lr * gamma^(step / step_size)
/// (integer division; torch's closed form). Default gamma 0.1.
/// Example: StepLR sched(30 * batches_per_epoch, 0.1);
class StepLR {
public:
  explicit StepLR(std::int64_t step_size, double gamma = 0.1)
      : step_size_(step_size), gamma_(gamma) {
    GALNET_CHECK(step_size >= 1, "galnet::optim::StepLR: step_size must be >= 1, got ", step_size);
    GALNET_CHECK(gamma > 0.0, "galnet::optim::StepLR: gamma must be > 0, got ", gamma);
  }
  [[nodiscard]] double lr(std::int64_t step, double base_lr) const {
    const std::int64_t k = std::max<std::int64_t>(step, 0) / step_size_;
    return base_lr * std::pow(gamma_, static_cast<double>(k));
  }
  template <class T, class D>
  void apply(Optimizer<T, D>& opt, std::int64_t step) const {
    for (auto& g : opt.groups()) g.lr = lr(step, g.initial_lr);
  }
  [[nodiscard]] std::int64_t step_size() const { return step_size_; }
  [[nodiscard]] double gamma() const { return gamma_; }

private:
  std::int64_t step_size_;
  double gamma_;
};

}  // namespace galnet::optim
