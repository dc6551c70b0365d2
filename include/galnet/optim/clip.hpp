// galnet/optim/clip.hpp — gradient clipping, torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "galnet/optim/optimizer.hpp"

namespace galnet::optim {

namespace detail {
template <class T>
double sum_squares(Cpu, std::int64_t n, const T* g) {
  double s = 0.0;
  for (std::int64_t i = 0; i < n; ++i) s += static_cast<double>(g[i]) * static_cast<double>(g[i]);
  return s;
}
template <class T>
void scale_elements(Cpu, std::int64_t n, T* g, T c) {
  GALNET_OPTIM_PARALLEL_FOR
  for (std::int64_t i = 0; i < n; ++i) g[i] = g[i] * c;
}
template <class T>
void clamp_elements(Cpu, std::int64_t n, T* g, T lo, T hi) {
  GALNET_OPTIM_PARALLEL_FOR
  for (std::int64_t i = 0; i < n; ++i) g[i] = std::clamp(g[i], lo, hi);
}
/// Cuda: galnet/optim/cuda/updates.cuh (declared here so the templates below find them).
template <class T>
double sum_squares(Cuda, std::int64_t n, const T* g);
template <class T>
void scale_elements(Cuda, std::int64_t n, T* g, T c);
template <class T>
void clamp_elements(Cuda, std::int64_t n, T* g, T lo, T hi);
}  // namespace detail

/// Total L2 norm of the gradients of the trainable parameters (requires_grad), as if they were
/// one vector; accumulated in double.
template <class T, class D>
double grad_norm(const std::vector<nn::Parameter<T, D>*>& params) {
  double s = 0.0;
  for (const auto* p : params)
    if (p->requires_grad) s += detail::sum_squares(D{}, p->grad.numel(), p->grad.data());
  return std::sqrt(s);
}

/// clip_grad_norm — torch.nn.utils.clip_grad_norm_ (L2): computes the total norm of the
/// trainable parameters' gradients and, when max_norm / (norm + 1e-6) < 1, multiplies every
/// gradient by that factor. Returns the total norm before clipping (NaN/inf pass through
/// unclipped so the caller can detect them). Frozen parameters are ignored.
template <class T, class D>
double clip_grad_norm(const std::vector<nn::Parameter<T, D>*>& params, double max_norm) {
  GALNET_CHECK(max_norm >= 0.0, "galnet::optim::clip_grad_norm: max_norm must be >= 0, got ",
               max_norm);
  const double norm = grad_norm(params);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0)
    for (auto* p : params)
      if (p->requires_grad) detail::scale_elements(D{}, p->grad.numel(), p->grad.data(), T(coef));
  return norm;
}

/// clip_grad_value — torch.nn.utils.clip_grad_value_: clamps every gradient element of the
/// trainable parameters to [-clip_value, clip_value].
template <class T, class D>
void clip_grad_value(const std::vector<nn::Parameter<T, D>*>& params, double clip_value) {
  GALNET_CHECK(clip_value >= 0.0, "galnet::optim::clip_grad_value: clip_value must be >= 0, got ",
               clip_value);
  for (auto* p : params)
    if (p->requires_grad)
      detail::clamp_elements(D{}, p->grad.numel(), p->grad.data(), T(-clip_value), T(clip_value));
}

/// Every parameter of every group of `opt`, in group order.
template <class T, class D>
std::vector<nn::Parameter<T, D>*> all_params(Optimizer<T, D>& opt) {
  std::vector<nn::Parameter<T, D>*> out;
  for (auto& g : opt.groups()) out.insert(out.end(), g.params.begin(), g.params.end());
  return out;
}
/// clip_grad_norm over all of an optimizer's parameters (allocates the list; for the hot loop
/// keep the vector from all_params() and call the vector overload).
template <class T, class D>
double clip_grad_norm(Optimizer<T, D>& opt, double max_norm) {
  return clip_grad_norm(all_params(opt), max_norm);
}
template <class T, class D>
void clip_grad_value(Optimizer<T, D>& opt, double clip_value) {
  clip_grad_value(all_params(opt), clip_value);
}

}  // namespace galnet::optim
