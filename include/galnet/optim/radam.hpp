// galnet/optim/radam.hpp — Rectified Adam, exactly fastai.optimizer.RAdam.
#pragma once
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "galnet/optim/optimizer.hpp"

namespace galnet::optim {

struct RAdamOptions {
  double lr = 1e-3;
  double mom = 0.9;        ///< fastai mom (beta1); kept in ParamGroup::momentum
  double sqr_mom = 0.99;   ///< fastai sqr_mom (beta2); kept in ParamGroup::beta2
  double eps = 1e-5;
  double weight_decay = 0.0;  ///< decoupled (true) weight decay: p *= 1 - lr*wd
};

namespace detail {
/// The RAdam update of n elements (fastai callbacks weight_decay, average_grad(dampening),
/// average_sqr_grad, radam_step, in their order of operations):
///   p *= decay;  avg = mom*avg + (1-mom)*g;  sqr = sqr_mom*sqr + (1-sqr_mom)*g*g
///   rectified: p += coef * avg / (sqrt(sqr/debias2) + eps)    else: p += coef * avg
/// One element of it: the CPU loop below and the CUDA kernel both run exactly this.
template <class T>
GALNET_HOST_DEVICE inline void radam_element(T& p, T g, T& avg, T& sqr, T decay, T mom, T one_minus_mom, T sqr_mom,
                                             T one_minus_sqr_mom, bool rectified, T coef, T debias2, T eps) {
  if (decay != T(1)) p = p * decay;
  avg = avg * mom;
  avg = avg + one_minus_mom * g;
  sqr = sqr * sqr_mom;
  sqr = sqr + one_minus_sqr_mom * g * g;
  if (rectified) {
    T denom = std::sqrt(sqr / debias2);
    if (eps != T(0)) denom = denom + eps;
    p = p + coef * avg / denom;
  } else {
    p = p + coef * avg;
  }
}
template <class T>
void radam_update(Cpu, std::int64_t n, T* p, const T* g, T* avg, T* sqr, T decay, T mom,
                  T one_minus_mom, T sqr_mom, T one_minus_sqr_mom, bool rectified, T coef,
                  T debias2, T eps) {
  GALNET_OPTIM_PARALLEL_FOR
  for (std::int64_t i = 0; i < n; ++i)
    radam_element(p[i], g[i], avg[i], sqr[i], decay, mom, one_minus_mom, sqr_mom, one_minus_sqr_mom, rectified, coef,
                  debias2, eps);
}
/// Cuda: galnet/optim/cuda/updates.cuh (declared here so RAdam's template finds it).
template <class T>
void radam_update(Cuda, std::int64_t n, T* p, const T* g, T* avg, T* sqr, T decay, T mom,
                  T one_minus_mom, T sqr_mom, T one_minus_sqr_mom, bool rectified, T coef,
                  T debias2, T eps);

/// fastai's debias(mom, damp, step) = damp * (1 - mom^step) / (1 - mom).
inline double fastai_debias(double mom, double damp, double step) {
  return damp * (1.0 - std::pow(mom, step)) / (1.0 - mom);
}
}  // namespace detail

/// RAdam — fastai.optimizer.RAdam semantics (Liu et al. 2019 as fastai implements it):
/// decoupled weight decay first (p *= 1 - lr*wd), dampened moving averages of the gradient and
/// its square, and the variance rectification: with r_inf = 2/(1-sqr_mom) - 1 and
/// r = r_inf - 2*step*sqr_mom^step/(1-sqr_mom^step), an adaptive step scaled by
/// v = sqrt((r-4)(r-2)r_inf / ((r_inf-4)(r_inf-2)r)) when r > 5, a plain momentum step before.
/// Defaults: lr 1e-3, mom 0.9, sqr_mom 0.99, eps 1e-5, weight_decay 0.
/// Example: RAdam opt(nn::parameters(model), {.lr = 1e-3, .weight_decay = 0.01});
template <class T, class D = Cpu>
class RAdam : public Optimizer<T, D> {
public:
  using Options = RAdamOptions;

  explicit RAdam(std::vector<nn::Parameter<T, D>*> params, RAdamOptions o = {}) {
    detail::check_unit(o.mom, name(), "mom");
    detail::check_unit(o.sqr_mom, name(), "sqr_mom");
    this->init(std::move(params),
               {.lr = o.lr, .weight_decay = o.weight_decay, .momentum = o.mom, .beta2 = o.sqr_mom, .eps = o.eps},
               {"grad_avg", "sqr_avg"});
  }

  [[nodiscard]] const char* name() const override { return "galnet::optim::RAdam"; }

  void step() override {
    this->update_each([&](const auto& h, auto& p, auto& st) {
      const auto step = static_cast<double>(++st.step);
      const double mom = h.momentum, sqr_mom = h.beta2, lr = h.lr;
      const double debias1 = detail::fastai_debias(mom, 1.0 - mom, step);
      const double debias2 = detail::fastai_debias(sqr_mom, 1.0 - sqr_mom, step);
      const double r_inf = 2.0 / (1.0 - sqr_mom) - 1.0;
      const double sqr_pow = std::pow(sqr_mom, step);
      const double r = r_inf - 2.0 * step * sqr_pow / (1.0 - sqr_pow);
      const bool rectified = r > 5.0;
      double coef = -lr / debias1;
      if (rectified) {
        const double v = std::sqrt(((r - 4.0) * (r - 2.0) * r_inf) /
                                   ((r_inf - 4.0) * (r_inf - 2.0) * r));
        coef = -lr * v / debias1;
      }
      const double decay = h.weight_decay != 0.0 ? 1.0 - lr * h.weight_decay : 1.0;
      detail::radam_update(D{}, p.value.numel(), p.value.data(), p.grad.data(),
                           st.slots[0].data(), st.slots[1].data(), T(decay), T(mom),
                           T(1.0 - mom), T(sqr_mom), T(1.0 - sqr_mom), rectified, T(coef),
                           T(debias2), T(h.eps));
    });
  }
};

}  // namespace galnet::optim
