// galnet/optim/sgd.hpp — stochastic gradient descent, exactly torch.optim.SGD.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "galnet/optim/optimizer.hpp"

namespace galnet::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;  ///< L2: wd * p added to the gradient
};

namespace detail {
/// The SGD update of n elements (torch.optim.SGD, single-tensor path):
///   d = g + wd*p;  buf = first ? d : mom*buf + (1-damp)*d;  d = nesterov ? d + mom*buf : buf
///   p -= lr * d
/// The gradient itself is left untouched.
/// One element of it: the CPU loop below and the CUDA kernel both run exactly this.
template <class T>
GALNET_HOST_DEVICE inline void sgd_element(T& p, T g, T& buf, bool first, T lr, T wd, T mom, T one_minus_damp,
                                           bool nesterov) {
  T d = g;
  if (wd != T(0)) d = d + wd * p;
  if (mom != T(0)) {
    buf = first ? d : buf * mom + one_minus_damp * d;
    d = nesterov ? d + mom * buf : buf;
  }
  p = p + (-lr) * d;
}
template <class T>
void sgd_update(Cpu, std::int64_t n, T* p, const T* g, T* buf, bool first, T lr, T wd, T mom,
                T one_minus_damp, bool nesterov) {
  GALNET_OPTIM_PARALLEL_FOR
  for (std::int64_t i = 0; i < n; ++i) sgd_element(p[i], g[i], buf[i], first, lr, wd, mom, one_minus_damp, nesterov);
}
/// Cuda: galnet/optim/cuda/updates.cuh (declared here so SGD's template finds it).
template <class T>
void sgd_update(Cuda, std::int64_t n, T* p, const T* g, T* buf, bool first, T lr, T wd, T mom,
                T one_minus_damp, bool nesterov);
}  // namespace detail

/// SGD — torch.optim.SGD semantics: L2 weight decay added to the gradient, a momentum buffer
/// that equals the (decayed) gradient on a parameter's first step and then
/// buf = momentum*buf + (1 - dampening)*grad, Nesterov look-ahead when asked.
/// Defaults: lr 1e-3, momentum 0, dampening 0, nesterov off, weight_decay 0.
/// Example: SGD opt(nn::parameters(model), {.lr = 0.1, .momentum = 0.9, .nesterov = true,
///                                          .weight_decay = 1e-4});
template <class T, class D = Cpu>
class SGD : public Optimizer<T, D> {
public:
  using Options = SGDOptions;

  explicit SGD(std::vector<nn::Parameter<T, D>*> params, SGDOptions o = {}) {
    detail::check_unit(o.momentum, name(), "momentum");
    detail::check_nonneg(o.dampening, name(), "dampening");
    GALNET_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), name(),
                 ": nesterov needs momentum > 0 and dampening 0");
    this->init(std::move(params),
               {.lr = o.lr, .weight_decay = o.weight_decay, .momentum = o.momentum, .dampening = o.dampening,
                .nesterov = o.nesterov},
               {"momentum_buffer"});
  }

  [[nodiscard]] const char* name() const override { return "galnet::optim::SGD"; }

  void step() override {
    this->update_each([&](const auto& h, auto& p, auto& st) {
      detail::sgd_update(D{}, p.value.numel(), p.value.data(), p.grad.data(),
                         st.slots[0].data(), st.step == 0, T(h.lr), T(h.weight_decay),
                         T(h.momentum), T(1.0 - h.dampening), h.nesterov);
      ++st.step;
    });
  }
};

}  // namespace galnet::optim
