// galnet/optim/optimizer.hpp — what every optimizer is: parameter groups, state, step().
//
// Contract
//   - An optimizer updates the parameters of its groups in place from their .grad. Parameters
//     whose requires_grad is false are skipped by step() (their value and state stay untouched),
//     so freezing a model's body after building the optimizer works, as in fastai.
//   - Every group carries its own hyper-parameters (lr, momentum, ...). initial_lr is set to lr
//     when the group is added; schedules compute each group's lr from its initial_lr, so
//     differential learning rates (one group per part of the model) follow any schedule.
//   - State (momentum buffers, moment estimates, slow weights) is allocated, zero-filled, when a
//     group is added (or when a parameter's shape changes), never in a steady-state step().
//   - visit_state / visit_counters / visit_hypers enumerate everything a checkpoint needs under
//     stable names: "group0.param3.exp_avg", "group0.param3.step", "step", "group0.lr".
//   - Options with bad values (negative lr, momentum outside [0, 1), ...) throw galnet::Error.
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/nn/module.hpp"

/// Parallelises the element loop that follows over `n` elements when OpenMP is on and n is large.
#if defined(_OPENMP)
#define GALNET_OPTIM_PARALLEL_FOR \
  _Pragma("omp parallel for schedule(static) if (n >= ::galnet::optim::detail::kParallelMin)")
#else
#define GALNET_OPTIM_PARALLEL_FOR
#endif

namespace galnet::optim {

/// A set of parameters sharing hyper-parameters. Field meanings by optimizer:
///   momentum: SGD momentum, Adam beta1, fastai mom (schedules cycle this one)
///   beta2:    Adam beta2, fastai sqr_mom
template <class T, class D = Cpu>
struct ParamGroup {
  std::vector<nn::Parameter<T, D>*> params;
  double lr = 1e-3;
  double initial_lr = 1e-3;  ///< set to lr by add_param_group; what schedules scale from
  double weight_decay = 0.0;
  double momentum = 0.0;
  double beta2 = 0.999;
  double eps = 1e-8;
  double dampening = 0.0;  ///< SGD only
  bool nesterov = false;   ///< SGD only
};

namespace detail {
/// Element-wise kernels run in parallel above this many elements.
inline constexpr std::int64_t kParallelMin = 1 << 15;

/// Zero-fills n elements (the state of a new parameter, a gradient) on device D.
template <class D, class T>
void zero_elements(D, std::int64_t n, T* x) {
  DeviceMemory<D>::zero(x, sizeof(T) * static_cast<std::size_t>(n));
}

inline void check_unit(double v, const char* who, const char* what) {
  GALNET_CHECK(v >= 0.0 && v < 1.0, who, ": ", what, " must be in [0, 1), got ", v);
}
inline void check_nonneg(double v, const char* who, const char* what) {
  GALNET_CHECK(v >= 0.0, who, ": ", what, " must be >= 0, got ", v);
}
}  // namespace detail

template <class T, class D = Cpu>
class Optimizer {
public:
  using value_type = T;
  using device_type = D;
  using Param = nn::Parameter<T, D>;
  using Group = ParamGroup<T, D>;
  using TensorVisitor = std::function<void(const std::string&, Tensor<T, D>&)>;
  using CounterVisitor = std::function<void(const std::string&, std::int64_t&)>;
  using HyperVisitor = std::function<void(const std::string&, double&)>;

  Optimizer() = default;
  Optimizer(const Optimizer&) = default;
  Optimizer(Optimizer&&) noexcept = default;
  Optimizer& operator=(const Optimizer&) = default;
  Optimizer& operator=(Optimizer&&) noexcept = default;
  virtual ~Optimizer() = default;

  /// One update of every trainable parameter from its current gradient.
  virtual void step() = 0;

  virtual std::vector<Group>& groups() { return groups_; }
  const std::vector<Group>& groups() const { return const_cast<Optimizer*>(this)->groups(); }

  /// Adds a group (its initial_lr becomes its lr) and allocates its state. A parameter may
  /// belong to one group only.
  Group& add_param_group(Group g) {
    GALNET_CHECK(!g.params.empty(), name(), ": add_param_group: empty parameter list");
    detail::check_nonneg(g.lr, name(), "lr");
    detail::check_nonneg(g.weight_decay, name(), "weight_decay");
    std::set<const Param*> seen;
    for (const auto& group : groups())
      for (const Param* p : group.params) seen.insert(p);
    for (const Param* p : g.params) {
      GALNET_CHECK(p != nullptr, name(), ": add_param_group: null parameter");
      GALNET_CHECK(seen.insert(p).second, name(),
                   ": add_param_group: a parameter appears in more than one group");
    }
    g.initial_lr = g.lr;
    return do_add_group(std::move(g));
  }
  /// Adds a group with the optimizer's default hyper-parameters and its own lr.
  Group& add_param_group(std::vector<Param*> params, double lr) {
    Group g = hyper_defaults();
    g.params = std::move(params);
    g.lr = lr;
    return add_param_group(std::move(g));
  }

  /// Zeroes the gradient of every parameter in every group.
  void zero_grad() {
    for (auto& g : groups())
      for (Param* p : g.params) detail::zero_elements(D{}, p->grad.numel(), p->grad.data());
  }
  /// Sets lr of every group (initial_lr unchanged).
  void set_lr(double lr) {
    detail::check_nonneg(lr, name(), "lr");
    for (auto& g : groups()) g.lr = lr;
  }
  /// Sets lr and initial_lr of every group: a new base for schedules (fastai's lr_max).
  void set_initial_lr(double lr) {
    set_lr(lr);
    for (auto& g : groups()) g.initial_lr = lr;
  }
  void set_momentum(double m) {
    for (auto& g : groups()) g.momentum = m;
  }
  [[nodiscard]] double lr(std::size_t group = 0) const {
    GALNET_CHECK(group < groups().size(), name(), ": no parameter group ", group);
    return groups()[group].lr;
  }
  /// Number of step() calls so far.
  [[nodiscard]] std::int64_t steps() const { return step_count_; }
  [[nodiscard]] virtual const char* name() const { return "galnet::optim::Optimizer"; }
  /// Hyper-parameters a new group gets by default (the constructor's options).
  [[nodiscard]] virtual Group hyper_defaults() const { return defaults_; }

  /// f(name, tensor) for every state tensor, e.g. "group0.param3.exp_avg". Sizes the state
  /// first, so a freshly built optimizer can be loaded from a checkpoint before any step.
  virtual void visit_state(const TensorVisitor& f) {
    sync_state();
    for (std::size_t g = 0; g < state_.size(); ++g)
      for (std::size_t i = 0; i < state_[g].size(); ++i)
        for (std::size_t s = 0; s < slot_names_.size(); ++s)
          f(key(g, i, slot_names_[s]), state_[g][i].slots[s]);
  }
  /// f(name, counter): "step" (optimizer steps) and "groupG.paramI.step" (per-parameter).
  virtual void visit_counters(const CounterVisitor& f) {
    sync_state();
    f("step", step_count_);
    if (!per_param_step_) return;
    for (std::size_t g = 0; g < state_.size(); ++g)
      for (std::size_t i = 0; i < state_[g].size(); ++i) f(key(g, i, "step"), state_[g][i].step);
  }
  /// f(name, value) for each group's numeric hyper-parameters: "group0.lr", "group0.initial_lr",
  /// "group0.weight_decay", "group0.momentum", "group0.beta2", "group0.eps", "group0.dampening".
  void visit_hypers(const HyperVisitor& f) {
    auto& gs = groups();
    for (std::size_t g = 0; g < gs.size(); ++g) {
      const std::string p = "group" + std::to_string(g) + ".";
      f(p + "lr", gs[g].lr);
      f(p + "initial_lr", gs[g].initial_lr);
      f(p + "weight_decay", gs[g].weight_decay);
      f(p + "momentum", gs[g].momentum);
      f(p + "beta2", gs[g].beta2);
      f(p + "eps", gs[g].eps);
      f(p + "dampening", gs[g].dampening);
    }
  }

protected:
  /// Per-parameter state: `slot_names_.size()` tensors shaped like the parameter, and a count
  /// of the steps that updated this parameter (torch's and fastai's state["step"]).
  struct ParamState {
    std::vector<Tensor<T, D>> slots;
    std::int64_t step = 0;
  };

  /// What a constructor does once it has checked its own options: checks lr, weight_decay and
  /// eps, keeps `defaults` for new groups, sets the state layout and adds the first group.
  void init(std::vector<Param*> params, Group defaults, std::vector<std::string> slots) {
    detail::check_nonneg(defaults.lr, name(), "lr");
    detail::check_nonneg(defaults.weight_decay, name(), "weight_decay");
    detail::check_nonneg(defaults.eps, name(), "eps");
    defaults.initial_lr = defaults.lr;
    defaults_ = std::move(defaults);
    set_slots(std::move(slots));
    add_param_group(std::move(params), defaults_.lr);
  }

  /// Sets the state layout; derived constructors call it before adding their first group.
  void set_slots(std::vector<std::string> names, bool per_param_step = true) {
    slot_names_ = std::move(names);
    per_param_step_ = per_param_step;
  }
  virtual Group& do_add_group(Group g) {
    groups_.push_back(std::move(g));
    sync_state();
    return groups_.back();
  }
  /// Fills a slot tensor that was just (re)sized for `p`; zero by default.
  virtual void init_slot(Tensor<T, D>& slot, const Param& /*p*/) {
    detail::zero_elements(D{}, slot.numel(), slot.data());
  }

  /// Makes state_ mirror groups(): one ParamState per parameter, slots shaped like it. Allocates
  /// only when a group or parameter is new or a parameter changed shape.
  void sync_state() {
    auto& gs = groups();
    if (state_.size() != gs.size()) state_.resize(gs.size());
    for (std::size_t g = 0; g < gs.size(); ++g) {
      auto& st = state_[g];
      if (st.size() != gs[g].params.size()) st.resize(gs[g].params.size());
      for (std::size_t i = 0; i < st.size(); ++i) {
        const Param& p = *gs[g].params[i];
        if (st[i].slots.size() != slot_names_.size()) st[i].slots.resize(slot_names_.size());
        for (auto& s : st[i].slots) {
          // (a default tensor has rank 0 like a scalar parameter, but no storage)
          if (s.shape() == p.value.shape() && (s.data() || !p.value.data())) continue;
          s.resize(p.value.shape());
          init_slot(s, p);
        }
      }
    }
  }
  /// The loop of every step(): f(group, param, state) for each trainable parameter (frozen ones
  /// skipped, gradient shapes checked), then one more optimizer step counted.
  template <class F>
  void update_each(F&& f) {
    sync_state();
    auto& gs = groups();
    for (std::size_t g = 0; g < gs.size(); ++g) {
      const Group& h = gs[g];
      for (std::size_t i = 0; i < h.params.size(); ++i) {
        Param& p = *h.params[i];
        if (!p.requires_grad) continue;
        check_grad(p, g, i);
        f(h, p, state_[g][i]);
      }
    }
    ++step_count_;
  }
  /// Throws unless p's gradient matches its value.
  void check_grad(const Param& p, std::size_t g, std::size_t i) const {
    GALNET_CHECK(p.grad.shape() == p.value.shape(), name(), ": group ", g, " parameter ", i,
                 " has gradient of shape ", p.grad.shape().str(), " but value of shape ",
                 p.value.shape().str());
  }
  static std::string key(std::size_t g, std::size_t i, const std::string& what) {
    return "group" + std::to_string(g) + ".param" + std::to_string(i) + "." + what;
  }

  std::vector<Group> groups_;
  Group defaults_;
  std::vector<std::vector<ParamState>> state_;
  std::vector<std::string> slot_names_;
  bool per_param_step_ = true;
  std::int64_t step_count_ = 0;
};

}  // namespace galnet::optim
