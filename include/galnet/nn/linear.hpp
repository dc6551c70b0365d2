// galnet/nn/linear.hpp — Linear<In, Out, Bias>: y = x·Wᵀ + b, PyTorch semantics.
//
// Input [N, In] → output [N, Out]. Parameters `weight` [Out, In], `bias` [Out], initialised as
// PyTorch does. A wrong feature count (e.g. an image size that does not give the flattened
// size the layer was built for) throws, naming the layer and both counts.
// Out = kRuntimeFeatures (0): the output count is set at run time, once, by set_out_features
// (a model's output count chosen by a program's --target: one compiled model for every count).
#pragma once
#include <string>

#include "galnet/nn/init.hpp"
#include "galnet/nn/module.hpp"
#include "galnet/ops/cpu/bias.hpp"
#include "galnet/ops/cpu/gemm.hpp"

namespace galnet::nn {

/// Linear's Out for an output count set at run time (LinearLayer::set_out_features).
inline constexpr int kRuntimeFeatures = 0;

template <class T, class D, int In, int Out, bool Bias>
class LinearLayer : public LayerBase {
  static_assert(In > 0 && Out >= 0, "Linear: feature counts must be positive (Out 0: set at run time)");

public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;

  LinearLayer() {
    if constexpr (Out > 0) set_out_features(Out);
  }

  /// Allocates and initialises the parameters for `n` outputs: once, before any use, where Out
  /// is kRuntimeFeatures; otherwise n must equal Out.
  void set_out_features(int n) {
    GALNET_CHECK(n > 0, "Linear(", In, ", …): set_out_features(", n, "): the output count must be positive");
    GALNET_CHECK(Out == kRuntimeFeatures || n == Out, "Linear(", In, ", ", Out, "): set_out_features(", n,
                 "): this layer has ", Out, " outputs");
    GALNET_CHECK(out_ == 0, describe(), ": set_out_features(", n, "): the output count is set already");
    out_ = n;
    weight_.init(Shape{n, In});
    init::pytorch_default(weight_.value, In);
    if constexpr (Bias) {
      bias_.init(Shape{n});
      init::pytorch_default(bias_.value, In);
    }
  }
  [[nodiscard]] int out_features() const { return out_; }

  [[nodiscard]] Shape output_shape(const Shape& in) const {
    GALNET_CHECK(out_ > 0, describe(), ": set_out_features was never called");
    GALNET_CHECK(in.rank() == 2, describe(), ": expected input [N, ", In, "], got ", in.str(),
                 " (add a Flatten before it?)");
    GALNET_CHECK(in[1] == In, describe(), ": input has ", in[1], " features (shape ", in.str(),
                 "), expected ", In);
    return Shape{in[0], out_};
  }

  const tensor& forward(const tensor& x) {
    y_.resize(output_shape(x.shape()));
    const std::int64_t n = x.dim(0);
    ops::Gemm<D>::run(false, true, n, out_, In, T(1), x.data(), weight_.value.data(), T(0), y_.data());
    if constexpr (Bias) ops::Bias<D>::add_rows(n, out_, bias_.value.data(), y_.data());
    x_ = &x;
    return y_;
  }

  const tensor& backward(const tensor& dy) {
    GALNET_CHECK(x_ != nullptr, describe(), ": backward called before forward");
    check_shape(dy, y_.shape(), describe().c_str(), "output gradient");
    const std::int64_t n = x_->dim(0);
    if (weight_.requires_grad)
      ops::Gemm<D>::run(true, false, out_, In, n, T(1), dy.data(), x_->data(), T(1), weight_.grad.data());
    if constexpr (Bias)
      if (bias_.requires_grad) ops::Bias<D>::accumulate_rows(n, out_, dy.data(), bias_.grad.data());
    gradient_ready(weight_);  // before the data gradient: data-parallel sums may start now
    if constexpr (Bias) gradient_ready(bias_);
    if (!input_grad_) {
      dx_.resize(Shape{});
      return dx_;
    }
    dx_.resize(x_->shape());
    ops::Gemm<D>::run(false, false, n, In, out_, T(1), dy.data(), weight_.value.data(), T(0), dx_.data());
    return dx_;
  }

  template <class F>
  void visit(const std::string& prefix, F&& f) {
    f(join(prefix, "weight"), weight_.value, &weight_);
    if constexpr (Bias) f(join(prefix, "bias"), bias_.value, &bias_);
  }
  [[nodiscard]] std::string describe() const {
    return "Linear(" + std::to_string(In) + ", " + std::to_string(out_) + (Bias ? "" : ", bias=False") + ")";
  }

  Parameter<T, D>& weight() { return weight_; }
  const Parameter<T, D>& weight() const { return weight_; }
  Parameter<T, D>& bias() {
    static_assert(Bias, "Linear: this layer has no bias");
    return bias_;
  }
  const Parameter<T, D>& bias() const {
    static_assert(Bias, "Linear: this layer has no bias");
    return bias_;
  }

private:
  Parameter<T, D> weight_, bias_;
  tensor y_, dx_;
  const tensor* x_ = nullptr;
  int out_ = 0;
};

template <int In, int Out, bool Bias = true>
struct Linear {
  static constexpr int channels_in = In;
  static constexpr int channels_out(int) { return Out > 0 ? Out : kRuntimeChannels; }
  template <class T, class D = Cpu>
  using layer = LinearLayer<T, D, In, Out, Bias>;
};

}  // namespace galnet::nn
