// galnet/optim/lookahead.hpp — Lookahead around any optimizer, and ranger = Lookahead(RAdam).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "galnet/optim/optimizer.hpp"
#include "galnet/optim/radam.hpp"

namespace galnet::optim {

struct LookaheadOptions {
  std::int64_t k = 6;  ///< sync every k inner steps
  double alpha = 0.5;  ///< slow-weight interpolation
};

namespace detail {
/// The Lookahead sync of n elements: slow += alpha*(fast - slow); fast = slow.
template <class T>
GALNET_HOST_DEVICE inline void lookahead_element(T& fast, T& slow, T alpha) {
  slow = slow + alpha * (fast - slow);
  fast = slow;
}
template <class T>
void lookahead_sync(Cpu, std::int64_t n, T* fast, T* slow, T alpha) {
  GALNET_OPTIM_PARALLEL_FOR
  for (std::int64_t i = 0; i < n; ++i) lookahead_element(fast[i], slow[i], alpha);
}
template <class D, class T>
void copy_elements(D, std::int64_t n, T* dst, const T* src) {
  DeviceMemory<D>::copy(dst, src, sizeof(T) * static_cast<std::size_t>(n));
}
/// Cuda: galnet/optim/cuda/updates.cuh (declared here so the templates below find it).
template <class T>
void lookahead_sync(Cuda, std::int64_t n, T* fast, T* slow, T alpha);
}  // namespace detail

/// Lookahead — fastai.optimizer.Lookahead semantics (Zhang et al. 2019): slow weights are
/// copied from the parameters at the first step; every step runs the inner optimizer, and after
/// every k-th step slow += alpha*(fast - slow) and fast = slow. groups(), lr, momentum and
/// add_param_group are the inner optimizer's, so schedules drive it through the wrapper.
/// Frozen parameters (requires_grad false) keep their value; their slow copy just follows it.
/// Defaults: k 6, alpha 0.5. State: the inner state plus "groupG.paramI.slow_weight";
/// counters: the inner ones plus "lookahead.count".
/// Example: Lookahead opt(SGD<float>(params, {.lr = 0.1, .momentum = 0.9}), {.k = 5});
template <class Inner>
class Lookahead : public Optimizer<typename Inner::value_type, typename Inner::device_type> {
  using Base = Optimizer<typename Inner::value_type, typename Inner::device_type>;
  using T = typename Inner::value_type;
  using D = typename Inner::device_type;

public:
  using Options = LookaheadOptions;
  using typename Base::CounterVisitor;
  using typename Base::Group;
  using typename Base::Param;
  using typename Base::TensorVisitor;

  explicit Lookahead(Inner inner, LookaheadOptions o = {}) : inner_(std::move(inner)), opts_(o) {
    GALNET_CHECK(o.k >= 1, name(), ": k must be >= 1, got ", o.k);
    GALNET_CHECK(o.alpha >= 0.0 && o.alpha <= 1.0, name(), ": alpha must be in [0, 1], got ",
                 o.alpha);
    this->set_slots({"slow_weight"}, false);
    this->sync_state();
  }

  [[nodiscard]] const char* name() const override { return "galnet::optim::Lookahead"; }
  std::vector<Group>& groups() override { return inner_.groups(); }
  [[nodiscard]] Group hyper_defaults() const override { return inner_.hyper_defaults(); }
  Inner& inner() { return inner_; }
  [[nodiscard]] const Inner& inner() const { return inner_; }
  [[nodiscard]] const LookaheadOptions& options() const { return opts_; }

  void step() override {
    this->sync_state();
    if (this->step_count_ == 0) copy_slow_weights();
    inner_.step();
    ++this->step_count_;
    if (this->step_count_ % opts_.k != 0) return;
    auto& gs = groups();
    for (std::size_t g = 0; g < gs.size(); ++g)
      for (std::size_t i = 0; i < gs[g].params.size(); ++i) {
        Param& p = *gs[g].params[i];
        Tensor<T, D>& slow = this->state_[g][i].slots[0];
        if (p.requires_grad)
          detail::lookahead_sync(D{}, p.value.numel(), p.value.data(), slow.data(), T(opts_.alpha));
        else
          detail::copy_elements(D{}, p.value.numel(), slow.data(), p.value.data());
      }
  }

  void visit_state(const TensorVisitor& f) override {
    inner_.visit_state(f);
    Base::visit_state(f);
  }
  void visit_counters(const CounterVisitor& f) override {
    inner_.visit_counters(f);
    f("lookahead.count", this->step_count_);
  }

protected:
  Group& do_add_group(Group g) override {
    Group& added = inner_.add_param_group(std::move(g));
    this->sync_state();  // the new group's slow weights start as copies of its parameters
    return added;
  }
  void init_slot(Tensor<T, D>& slot, const Param& p) override {
    detail::copy_elements(D{}, p.value.numel(), slot.data(), p.value.data());
  }

private:
  void copy_slow_weights() {
    auto& gs = groups();
    for (std::size_t g = 0; g < gs.size(); ++g)
      for (std::size_t i = 0; i < gs[g].params.size(); ++i) {
        const Param& p = *gs[g].params[i];
        detail::copy_elements(D{}, p.value.numel(), this->state_[g][i].slots[0].data(),
                              p.value.data());
      }
  }

  Inner inner_;
  LookaheadOptions opts_;
};

struct RangerOptions {
  double lr = 1e-3;
  double mom = 0.95;
  double sqr_mom = 0.99;
  double eps = 1e-6;
  double weight_decay = 0.01;
  std::int64_t k = 6;
  double alpha = 0.5;
};

/// ranger — fastai.optimizer.ranger: Lookahead(RAdam) with fastai's defaults
/// (lr 1e-3, mom 0.95, sqr_mom 0.99, eps 1e-6, weight_decay 0.01 decoupled, k 6, alpha 0.5).
/// Example: auto opt = ranger(nn::parameters(model), {.lr = 4e-3});
template <class T, class D = Cpu>
Lookahead<RAdam<T, D>> ranger(std::vector<nn::Parameter<T, D>*> params, RangerOptions o = {}) {
  return Lookahead<RAdam<T, D>>(
      RAdam<T, D>(std::move(params), {.lr = o.lr, .mom = o.mom, .sqr_mom = o.sqr_mom, .eps = o.eps,
                                      .weight_decay = o.weight_decay}),
      {.k = o.k, .alpha = o.alpha});
}

}  // namespace galnet::optim
