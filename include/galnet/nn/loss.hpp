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

namespace galnet::nn {

namespace detail {
template <class T, class D>
void check_loss_inputs(const char* who, const Tensor<T, D>& pred, const Tensor<T, D>& target) {
  GALNET_CHECK(pred.shape() == target.shape(), who, ": prediction ", pred.shape().str(),
               " and target ", target.shape().str(), " differ in shape");
  GALNET_CHECK(pred.numel() > 0, who, ": empty batch");
  for (std::int64_t i = 0; i < target.numel(); ++i)
    GALNET_CHECK(std::isfinite(static_cast<double>(target[i])), who, ": target element ", i,
                 " is not finite (", target[i], ")");
}
}  // namespace detail

template <class T, class D = Cpu>
class MSELoss {
public:
  T forward(const Tensor<T, D>& pred, const Tensor<T, D>& target) {
    detail::check_loss_inputs("MSELoss", pred, target);
    grad_.resize(pred.shape());
    const std::int64_t n = pred.numel();
    double s = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(pred[i]) - target[i];
      s += d * d;
      grad_[i] = static_cast<T>(2.0 * d / n);
    }
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
    detail::check_loss_inputs("RMSELoss", pred, target);
    grad_.resize(pred.shape());
    const std::int64_t n = pred.numel();
    double s = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(pred[i]) - target[i];
      s += d * d;
    }
    const double rmse = std::sqrt(s / n);
    // At a perfect fit the gradient of √MSE is undefined; use 0 there, as PyTorch's sqrt
    // backward would give NaN and poison the weights.
    const double k = rmse > 0 ? 1.0 / (n * rmse) : 0.0;
    for (std::int64_t i = 0; i < n; ++i)
      grad_[i] = static_cast<T>(k * (static_cast<double>(pred[i]) - target[i]));
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
    detail::check_loss_inputs("WeightedMSELoss", pred, target);
    GALNET_CHECK(weight.shape() == pred.shape(), "WeightedMSELoss: weight ", weight.shape().str(),
                 " and prediction ", pred.shape().str(), " differ in shape");
    grad_.resize(pred.shape());
    const std::int64_t n = pred.numel();
    double s = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(pred[i]) - target[i];
      s += weight[i] * d * d;
      grad_[i] = static_cast<T>(2.0 * weight[i] * d / n);
    }
    return static_cast<T>(s / n);
  }
  [[nodiscard]] const Tensor<T, D>& backward() const { return grad_; }

private:
  Tensor<T, D> grad_;
};

}  // namespace galnet::nn
