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
#include <vector>

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

/// fastai's even_mults(start, stop, n): n rates from start to stop in equal ratios, the rates of
/// a model's layer groups for lr = slice(start, stop) (discriminative learning rates).
inline std::vector<double> even_mults(double start, double stop, int n) {
  GALNET_CHECK(n >= 1 && start > 0 && stop > 0, "galnet::optim::even_mults: needs n >= 1 and positive rates, got n ",
               n, ", ", start, ", ", stop);
  std::vector<double> r(static_cast<std::size_t>(n), stop);
  for (int i = 0; i + 1 < n; ++i) r[static_cast<std::size_t>(i)] = start * std::pow(stop / start, double(i) / double(n - 1));
  return r;
}

/// One call of fastai 0.7's learn.fit(lrs, cycles, cycle_len, cycle_mult): `cycles` cosine
/// cycles (0: unbounded, for the last call of a run of any length), the first cycle_len epochs
/// long and each next one cycle_mult times longer.
struct SGDRFit {
  int cycles = 1;
  int cycle_len = 1;
  int cycle_mult = 1;
};

/// SGDRPhases — a sequence of fastai 0.7 fit calls with cosine annealing (sgdr.CosAnneal), the
/// schedule of Wu & Boada (2019). Within a call whose first cycle has nb steps, step j gets
/// base_lr/100 while j < nb/20 (fastai 0.7's warm-up), else base_lr·(1 + cos(π·t/len))/2 with t
/// the steps since the cycle began and len its length. Each group scales from its initial_lr.
/// Example: SGDRPhases sched({{2}, {1}, {.cycles = 0, .cycle_mult = 2}}, batches);  // 2, 1, 1+2+4…
class SGDRPhases {
public:
  SGDRPhases(std::vector<SGDRFit> fits, std::int64_t steps_per_epoch) : fits_(std::move(fits)), spe_(steps_per_epoch) {
    GALNET_CHECK(steps_per_epoch >= 1, "galnet::optim::SGDRPhases: steps_per_epoch must be >= 1, got ", steps_per_epoch);
    GALNET_CHECK(!fits_.empty(), "galnet::optim::SGDRPhases: no fit calls");
    for (std::size_t i = 0; i < fits_.size(); ++i) {
      const auto& f = fits_[i];
      GALNET_CHECK(f.cycle_len >= 1 && f.cycle_mult >= 1 && f.cycles >= 0 && (f.cycles > 0 || i + 1 == fits_.size()),
                   "galnet::optim::SGDRPhases: fit call ", i, " needs cycle_len >= 1, cycle_mult >= 1 and cycles >= 1 "
                   "(0, unbounded, only for the last call)");
    }
  }
  [[nodiscard]] double lr(std::int64_t step, double base_lr) const {
    step = std::max<std::int64_t>(step, 0);
    for (const auto& f : fits_) {
      const std::int64_t nb = spe_ * f.cycle_len;
      std::int64_t j = step, len = nb;
      for (int c = 0; f.cycles == 0 || c < f.cycles; ++c) {
        if (j < len) {
          if (static_cast<double>(step) < static_cast<double>(nb) / 20.0) return base_lr / 100.0;
          return base_lr / 2.0 * (std::cos(std::numbers::pi * static_cast<double>(j) / static_cast<double>(len)) + 1.0);
        }
        j -= len;
        len *= f.cycle_mult;
      }
      step = j;  // past this call: into the next
    }
    return 0.0;  // past the last bounded call: annealed
  }
  template <class T, class D>
  void apply(Optimizer<T, D>& opt, std::int64_t step) const {
    for (auto& g : opt.groups()) g.lr = lr(step, g.initial_lr);
  }
  /// The epoch counts at which a cycle ends (the rate annealed), up to `max_epochs`.
  [[nodiscard]] std::vector<int> cycle_ends(int max_epochs) const {
    std::vector<int> ends;
    int e = 0;
    for (const auto& f : fits_) {
      int len = f.cycle_len;
      for (int c = 0; f.cycles == 0 || c < f.cycles; ++c, len *= f.cycle_mult) {
        if (e + len > max_epochs) return ends;  // this cycle, and all after it, end past max_epochs
        ends.push_back(e += len);
      }
    }
    return ends;
  }
  /// The fit call that epoch `epoch` (0-based) belongs to (the last one past the end).
  [[nodiscard]] std::size_t fit_of_epoch(int epoch) const {
    int e = 0;
    for (std::size_t i = 0; i < fits_.size(); ++i) {
      if (fits_[i].cycles == 0) return i;
      int len = fits_[i].cycle_len;
      for (int c = 0; c < fits_[i].cycles; ++c, len *= fits_[i].cycle_mult) e += len;
      if (epoch < e) return i;
    }
    return fits_.size() - 1;
  }

private:
  std::vector<SGDRFit> fits_;
  std::int64_t spe_;
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
