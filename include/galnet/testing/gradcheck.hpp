// galnet/testing/gradcheck.hpp — finite-difference gradient checking for any galnet layer.
//
// gradcheck(layer, x) compares the layer's analytic gradients with central differences of the
// scalar L = Σ forward(x) · R (R fixed, random) with respect to the input and to every
// trainable parameter. Run it in double: the default step 1e-6 and tolerances
// |analytic − numeric| ≤ atol + rtol·|numeric| (1e-7, 1e-5) assume float64.
// Layers drawing random numbers (dropout) must repeat them on each forward: pass a
// `before_forward` that reseeds their generator. Public, so users can check their own layers.
#pragma once
#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "galnet/core/rng.hpp"
#include "galnet/nn/module.hpp"

namespace galnet::testing {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-7;
  double rtol = 1e-5;
  bool check_input = true;
  bool check_params = true;
  /// At most this many elements per tensor are checked (chosen at random); 0 checks all.
  std::int64_t max_per_tensor = 0;
  std::uint64_t seed = 1234;
  std::function<void()> before_forward;  ///< e.g. reseed a dropout generator
};

struct GradcheckReport {
  bool ok = true;
  std::int64_t checked = 0;
  double max_abs_error = 0;
  std::string worst;  ///< where the largest violation (or error) happened
  std::string message;

  [[nodiscard]] std::string str() const {
    std::ostringstream os;
    os << (ok ? "gradcheck passed" : "gradcheck FAILED") << ": " << checked
       << " elements, max |error| " << max_abs_error << (worst.empty() ? "" : " at " + worst)
       << (message.empty() ? "" : "; " + message);
    return os.str();
  }
};

template <nn::Layer L>
GradcheckReport gradcheck(L& layer, Tensor<typename L::value_type, typename L::device_type> x,
                          const GradcheckOptions& opt = {}) {
  using T = typename L::value_type;
  using Tn = Tensor<T, typename L::device_type>;
  Generator gen(opt.seed);
  GradcheckReport rep;

  auto run_forward = [&]() -> const Tn& {
    if (opt.before_forward) opt.before_forward();
    return layer.forward(x);
  };
  const Tn& y0 = run_forward();
  Tn r(y0.shape());
  for (std::int64_t i = 0; i < r.numel(); ++i) r[i] = static_cast<T>(gen.normal());
  auto loss = [&]() {
    const Tn& y = run_forward();
    double s = 0;
    for (std::int64_t i = 0; i < y.numel(); ++i) s += static_cast<double>(y[i]) * r[i];
    return s;
  };

  // Analytic gradients.
  layer.set_input_grad(opt.check_input);
  nn::zero_grad(layer);
  run_forward();
  Tn dx = layer.backward(r);
  std::vector<std::pair<std::string, nn::Parameter<T, typename L::device_type>*>> params;
  layer.visit("", [&](const std::string& name, auto&, auto* p) {
    if (p && p->requires_grad) params.emplace_back(name, p);
  });
  std::vector<Tn> grads;
  for (auto& [name, p] : params) grads.push_back(p->grad);

  auto check_tensor = [&](const std::string& what, Tn& values, const Tn& analytic) {
    if (analytic.numel() != values.numel()) {
      rep.ok = false;
      rep.message += what + ": gradient has " + std::to_string(analytic.numel()) + " elements, expected " +
                     std::to_string(values.numel()) + ". ";
      return;
    }
    std::vector<std::int64_t> idx(static_cast<std::size_t>(values.numel()));
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<std::int64_t>(i);
    if (opt.max_per_tensor > 0 && values.numel() > opt.max_per_tensor) {
      for (std::int64_t i = 0; i < opt.max_per_tensor; ++i)
        std::swap(idx[i], idx[i + gen.below(idx.size() - i)]);
      idx.resize(opt.max_per_tensor);
    }
    double worst_violation = 0;
    for (auto i : idx) {
      const T saved = values[i];
      values[i] = static_cast<T>(saved + opt.eps);
      const double lp = loss();
      values[i] = static_cast<T>(saved - opt.eps);
      const double lm = loss();
      values[i] = saved;
      const double numeric = (lp - lm) / (2 * opt.eps);
      const double err = std::abs(numeric - static_cast<double>(analytic[i]));
      const double allowed = opt.atol + opt.rtol * std::abs(numeric);
      ++rep.checked;
      rep.max_abs_error = std::max(rep.max_abs_error, err);
      if (err > allowed && err - allowed > worst_violation) {
        worst_violation = err - allowed;
        rep.ok = false;
        std::ostringstream os;
        os << what << "[" << i << "] analytic " << analytic[i] << " numeric " << numeric;
        rep.worst = os.str();
      }
    }
  };
  if (opt.check_input) check_tensor("input", x, dx);
  if (opt.check_params)
    for (std::size_t k = 0; k < params.size(); ++k) check_tensor(params[k].first, params[k].second->value, grads[k]);
  return rep;
}

}  // namespace galnet::testing
