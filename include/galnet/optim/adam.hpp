// galnet/optim/adam.hpp — Adam and AdamW, exactly torch.optim.Adam / torch.optim.AdamW.
#pragma once
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "galnet/optim/optimizer.hpp"

namespace galnet::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled_weight_decay = false;  ///< true: AdamW (p *= 1 - lr*wd); false: L2 on the gradient
};

/// AdamW's options: Adam's with decoupled weight decay, default 0.01 (torch.optim.AdamW).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

namespace detail {
/// The Adam update of n elements (torch single-tensor path, in its order of operations):
///   p *= decay (AdamW) or d = g + wd*p (Adam);  m = lerp(m, d, 1-beta1)
///   v = beta2*v + (1-beta2)*d*d;  p -= step_size * m / (sqrt(v)/bc2_sqrt + eps)
/// One element of it: the CPU loop below and the CUDA kernel both run exactly this.
template <class T>
GALNET_HOST_DEVICE inline void adam_element(T& p, T g, T& m, T& v, T decay, T l2, T w1, T beta2, T one_minus_beta2,
                                            T neg_step_size, T bc2_sqrt, T eps) {
  if (decay != T(1)) p = p * decay;
  T d = g;
  if (l2 != T(0)) d = d + l2 * p;
  // torch.lerp: start + w*(end-start) for w < 0.5, end - (end-start)*(1-w) otherwise
  m = w1 < T(0.5) ? m + w1 * (d - m) : d - (d - m) * (T(1) - w1);
  v = v * beta2;
  v = v + one_minus_beta2 * d * d;
  const T denom = std::sqrt(v) / bc2_sqrt + eps;
  p = p + neg_step_size * m / denom;
}
template <class T>
void adam_update(Cpu, std::int64_t n, T* p, const T* g, T* m, T* v, T decay, T l2, T w1, T beta2,
                 T one_minus_beta2, T neg_step_size, T bc2_sqrt, T eps) {
  GALNET_OPTIM_PARALLEL_FOR
  for (std::int64_t i = 0; i < n; ++i)
    adam_element(p[i], g[i], m[i], v[i], decay, l2, w1, beta2, one_minus_beta2, neg_step_size, bc2_sqrt, eps);
}
/// Cuda: galnet/optim/cuda/updates.cuh (declared here so Adam's template finds it).
template <class T>
void adam_update(Cuda, std::int64_t n, T* p, const T* g, T* m, T* v, T decay, T l2, T w1, T beta2,
                 T one_minus_beta2, T neg_step_size, T bc2_sqrt, T eps);
}  // namespace detail

/// Adam — torch.optim.Adam semantics: bias-corrected first and second moments, eps added
/// outside the square root, weight decay as L2 (wd*p added to the gradient), or decoupled
/// (p *= 1 - lr*wd, AdamW) when decoupled_weight_decay is set. Per-parameter step counts.
/// Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0.
/// Example: Adam opt(nn::parameters(model), {.lr = 3e-4, .weight_decay = 1e-5});
template <class T, class D = Cpu>
class Adam : public Optimizer<T, D> {
public:
  using Options = AdamOptions;

  explicit Adam(std::vector<nn::Parameter<T, D>*> params, AdamOptions o = {})
      : decoupled_(o.decoupled_weight_decay) {
    detail::check_unit(o.beta1, name(), "beta1");
    detail::check_unit(o.beta2, name(), "beta2");
    this->init(std::move(params),
               {.lr = o.lr, .weight_decay = o.weight_decay, .momentum = o.beta1, .beta2 = o.beta2, .eps = o.eps},
               {"exp_avg", "exp_avg_sq"});
  }

  [[nodiscard]] const char* name() const override {
    return decoupled_ ? "galnet::optim::AdamW" : "galnet::optim::Adam";
  }
  [[nodiscard]] bool decoupled_weight_decay() const { return decoupled_; }

  void step() override {
    this->update_each([&](const auto& h, auto& p, auto& st) {
      const auto step = static_cast<double>(++st.step);
      const double bc1 = 1.0 - std::pow(h.momentum, step);
      const double bc2 = 1.0 - std::pow(h.beta2, step);
      const double step_size = h.lr / bc1;
      const bool wd = h.weight_decay != 0.0;
      const double decay = decoupled_ && wd ? 1.0 - h.lr * h.weight_decay : 1.0;
      const double l2 = !decoupled_ && wd ? h.weight_decay : 0.0;
      detail::adam_update(D{}, p.value.numel(), p.value.data(), p.grad.data(),
                          st.slots[0].data(), st.slots[1].data(), T(decay), T(l2),
                          T(1.0 - h.momentum), T(h.beta2), T(1.0 - h.beta2), T(-step_size),
                          T(std::sqrt(bc2)), T(h.eps));
    });
  }

private:
  bool decoupled_ = false;
};

/// AdamW — torch.optim.AdamW: Adam with decoupled weight decay p *= 1 - lr*wd.
/// Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01.
/// Example: AdamW opt(nn::parameters(model), {.lr = 1e-3, .weight_decay = 0.05});
template <class T, class D = Cpu>
class AdamW : public Adam<T, D> {
public:
  using Options = AdamWOptions;
  explicit AdamW(std::vector<nn::Parameter<T, D>*> params, AdamWOptions o = {})
      : Adam<T, D>(std::move(params), {.lr = o.lr, .beta1 = o.beta1, .beta2 = o.beta2, .eps = o.eps,
                                       .weight_decay = o.weight_decay,
                                       .decoupled_weight_decay = true}) {}
};

}  // namespace galnet::optim
