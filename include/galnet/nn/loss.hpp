// galnet/nn/loss.hpp — regression losses: MSELoss, RMSELoss, WeightedMSELoss.
//
// forward(pred, target[, weight]) returns the loss (mean over all elements, as PyTorch's
// reduction='mean') and keeps the gradient with respect to pred for backward(). Shapes must
// match exactly (no broadcasting); a NaN or infinite target throws, naming its index, instead
// of silently poisoning the weights.
//   MSE  = Σ (p − y)² / N                 ∂/∂p = 2 (p − y) / N
//   RMSE = √MSE (fastai's root_mean_squared_error, the papers' loss)   ∂/∂p = (p − y) / (N·RMSE)
//   WMSE = Σ w (p − y)² / N  (Khederlarian 2024)                       ∂/∂p = 2 w (p − y) / N
#pragma once
#include <cmath>

#include "galnet/core/tensor.hpp"
#include "galnet/ops/cpu/squared_error.hpp"

namespace galnet::nn {

namespace detail {
/// Σ w (p − y)² over the batch (w may be null), after checking shapes and targets.
template <class T, class D>
double squared_error_sum(const char* who, const Tensor<T, D>& pred, const Tensor<T, D>& target, const T* w) {
  GALNET_CHECK(pred.shape() == target.shape(), who, ": prediction ", pred.shape().str(),
               " and target ", target.shape().str(), " differ in shape");
  GALNET_CHECK(pred.numel() > 0, who, ": empty batch");
  std::int64_t bad = -1;
  const double s = ops::SquaredError<D>::sum(pred.numel(), pred.data(), target.data(), w, bad);
  GALNET_CHECK(bad < 0, who, ": target element ", bad, " is not finite");
  return s;
}
}  // namespace detail

template <class T, class D = Cpu>
class MSELoss {
public:
  T forward(const Tensor<T, D>& pred, const Tensor<T, D>& target) {
    const double s = detail::squared_error_sum("MSELoss", pred, target, static_cast<const T*>(nullptr));
    const auto n = static_cast<double>(pred.numel());
    grad_.resize(pred.shape());
    ops::SquaredError<D>::scaled_diff(pred.numel(), pred.data(), target.data(), static_cast<const T*>(nullptr), 2.0 / n,
                                      grad_.data());
    return static_cast<T>(s / n);
  }
  [[nodiscard]] const Tensor<T, D>& backward() const { return grad_; }

private:
  Tensor<T, D> grad_;
};

template <class T, class D = Cpu>
class RMSELoss {
public:
  T forward(const Tensor<T, D>& pred, const Tensor<T, D>& target) {
    const double s = detail::squared_error_sum("RMSELoss", pred, target, static_cast<const T*>(nullptr));
    const auto n = static_cast<double>(pred.numel());
    const double rmse = std::sqrt(s / n);
    // At a perfect fit the gradient of √MSE is undefined; use 0 there, as PyTorch's sqrt
    // backward would give NaN and poison the weights.
    grad_.resize(pred.shape());
    ops::SquaredError<D>::scaled_diff(pred.numel(), pred.data(), target.data(), static_cast<const T*>(nullptr),
                                      rmse > 0 ? 1.0 / (n * rmse) : 0.0, grad_.data());
    return static_cast<T>(rmse);
  }
  [[nodiscard]] const Tensor<T, D>& backward() const { return grad_; }

private:
  Tensor<T, D> grad_;
};

template <class T, class D = Cpu>
class WeightedMSELoss {
public:
  T forward(const Tensor<T, D>& pred, const Tensor<T, D>& target, const Tensor<T, D>& weight) {
    GALNET_CHECK(weight.shape() == pred.shape(), "WeightedMSELoss: weight ", weight.shape().str(),
                 " and prediction ", pred.shape().str(), " differ in shape");
    const double s = detail::squared_error_sum("WeightedMSELoss", pred, target, weight.data());
    const auto n = static_cast<double>(pred.numel());
    grad_.resize(pred.shape());
    ops::SquaredError<D>::scaled_diff(pred.numel(), pred.data(), target.data(), weight.data(), 2.0 / n, grad_.data());
    return static_cast<T>(s / n);
  }
  [[nodiscard]] const Tensor<T, D>& backward() const { return grad_; }

private:
  Tensor<T, D> grad_;
};

}  // namespace galnet::nn
