// galnet/optim/plateau.hpp — ReduceLROnPlateau, Keras semantics.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>

#include "galnet/core/error.hpp"
#include "galnet/optim/optimizer.hpp"

namespace galnet::optim {

struct PlateauOptions {
  double factor = 0.1;      ///< new_lr = max(lr * factor, min_lr)
  std::int64_t patience = 10;
  double min_delta = 1e-4;  ///< absolute: an improvement must beat best by more than this
  std::int64_t cooldown = 0;
  double min_lr = 0.0;
  bool maximize = false;    ///< Keras mode "max" (e.g. accuracy); default "min" (a loss)
};

/// ReduceLROnPlateau — keras.callbacks.ReduceLROnPlateau semantics, driven once per epoch with
/// the monitored metric: the metric improves when it is below best - min_delta (above
/// best + min_delta when maximizing); otherwise, outside cooldown, wait grows, and when
/// wait >= patience every group whose lr > min_lr gets lr = max(lr * factor, min_lr), then
/// cooldown starts and wait resets. During cooldown wait stays 0. It changes lr only (not
/// initial_lr) and holds a pointer to the optimizer, which must outlive it and not move.
/// Defaults: factor 0.1, patience 10, min_delta 1e-4, cooldown 0, min_lr 0, mode min.
/// Example: ReduceLROnPlateau plateau(opt, {.factor = 0.5, .patience = 3, .min_lr = 1e-6});
///          if (plateau.step(val_loss)) ...;
template <class T, class D = Cpu>
class ReduceLROnPlateau {
public:
  /// The counters a checkpoint saves to resume exactly.
  struct State {
    double best = std::numeric_limits<double>::infinity();
    std::int64_t wait = 0;
    std::int64_t cooldown_counter = 0;
  };

  ReduceLROnPlateau(Optimizer<T, D>& opt, PlateauOptions o = {}) : opt_(&opt), o_(o) {
    GALNET_CHECK(o.factor > 0.0 && o.factor < 1.0,
                 "galnet::optim::ReduceLROnPlateau: factor must be in (0, 1), got ", o.factor);
    GALNET_CHECK(o.patience >= 0 && o.cooldown >= 0 && o.min_delta >= 0.0 && o.min_lr >= 0.0,
                 "galnet::optim::ReduceLROnPlateau: patience, cooldown, min_delta and min_lr "
                 "must be >= 0");
    reset();
  }

  /// Records one epoch's metric; returns whether it reduced any group's lr.
  bool step(double metric) {
    if (in_cooldown()) {
      --s_.cooldown_counter;
      s_.wait = 0;
    }
    const bool improved = o_.maximize ? metric > s_.best + o_.min_delta
                                      : metric < s_.best - o_.min_delta;
    if (improved) {
      s_.best = metric;
      s_.wait = 0;
      return false;
    }
    if (in_cooldown()) return false;
    if (++s_.wait < o_.patience) return false;
    bool reduced = false;
    for (auto& g : opt_->groups()) {
      if (g.lr > o_.min_lr) {
        g.lr = std::max(g.lr * o_.factor, o_.min_lr);
        reduced = true;
      }
    }
    if (reduced) {
      s_.cooldown_counter = o_.cooldown;
      s_.wait = 0;
    }
    return reduced;
  }

  /// Forgets the best metric and the counters (Keras on_train_begin).
  void reset() {
    s_ = State{};
    if (o_.maximize) s_.best = -std::numeric_limits<double>::infinity();
  }
  [[nodiscard]] bool in_cooldown() const { return s_.cooldown_counter > 0; }
  [[nodiscard]] const State& state() const { return s_; }
  void set_state(const State& s) { s_ = s; }
  [[nodiscard]] const PlateauOptions& options() const { return o_; }

private:
  Optimizer<T, D>* opt_;
  PlateauOptions o_;
  State s_;
};

}  // namespace galnet::optim
