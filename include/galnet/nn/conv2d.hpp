// galnet/nn/conv2d.hpp — Conv2d<In, Out, K, S, P, Bias>: 2-D convolution, PyTorch semantics.
//
// Input [N, In, H, W] → output [N, Out, (H+2P−K)/S+1, (W+2P−K)/S+1]. Parameters `weight`
// [Out, In, K, K] and, when Bias, `bias` [Out]; initialised as PyTorch does. Channel counts are
// compile-time (checked between layers by Sequential), spatial sizes run-time.
#pragma once
#include <string>
#include <type_traits>

#include "galnet/nn/init.hpp"
#include "galnet/nn/module.hpp"
#include "galnet/ops/cpu/conv2d.hpp"

namespace galnet::nn {

template <class T, class D, int In, int Out, int K, int S, int P, bool Bias>
class Conv2dLayer : public LayerBase {
  static_assert(In > 0 && Out > 0 && K > 0 && S > 0 && P >= 0, "Conv2d: invalid geometry");

public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;
  /// forward_fused's epilogue may carry batch norm's scale and shift (no bias of its own).
  static constexpr bool takes_affine_epilogue = !Bias;

  Conv2dLayer() {
    weight_.init(Shape{Out, In, K, K});
    init::pytorch_default(weight_.value, In * K * K);
    if constexpr (Bias) {
      bias_.init(Shape{Out});
      init::pytorch_default(bias_.value, In * K * K);
    }
  }

  [[nodiscard]] Shape output_shape(const Shape& in) const {
    GALNET_CHECK(in.rank() == 4, describe(), ": expected input [N, ", In, ", H, W], got ", in.str());
    GALNET_CHECK(in[1] == In, describe(), ": input has ", in[1], " channels (shape ", in.str(),
                 "), expected ", In);
    const std::int64_t ho = (in[2] + 2 * P - K) / S + 1, wo = (in[3] + 2 * P - K) / S + 1;
    GALNET_CHECK(in[2] + 2 * P >= K && in[3] + 2 * P >= K, describe(), ": input ", in.str(),
                 " is smaller than the kernel");
    return Shape{in[0], Out, ho, wo};
  }

  const tensor& forward(const tensor& x) {
    y_.resize(output_shape(x.shape()));
    const auto g = geometry(x.shape());
    conv_.forward(g, x.data(), weight_.value.data(), Bias ? bias_.value.data() : nullptr, y_.data());
    x_ = &x;
    return y_;
  }

  /// Inference (CPU): ep(conv(x)), ep being what follows the convolution (batch norm's affine
  /// form, a residual, ReLU: ops::Epilogue) applied while the output is in cache. With Bias, the
  /// bias is ep's shift (ep then has neither scale nor shift). Into its own output, so that a
  /// layered forward() afterwards (a backward pass re-running it) leaves this result intact.
  /// Keeps no state for backward.
  const tensor& forward_fused(const tensor& x, ops::Epilogue<T> ep)
    requires std::is_same_v<D, Cpu>
  {
    if constexpr (Bias) {
      GALNET_CHECK(!ep.scale && !ep.shift, describe(), ": forward_fused takes no scale or shift here (the bias is the shift)");
      ep.shift = bias_.value.data();
    }
    fused_y_.resize(output_shape(x.shape()));
    conv_.forward(geometry(x.shape()), x.data(), weight_.value.data(), ep, fused_y_.data());
    x_ = nullptr;
    return fused_y_;
  }

  const tensor& backward(const tensor& dy) {
    GALNET_CHECK(x_ != nullptr, describe(), ": backward called before forward");
    check_shape(dy, y_.shape(), describe().c_str(), "output gradient");
    const auto g = geometry(x_->shape());
    if (weight_.requires_grad)
      conv_.backward_weight(g, x_->data(), dy.data(), weight_.grad.data(),
                            (Bias && bias_.requires_grad) ? bias_.grad.data() : nullptr);
    else if constexpr (Bias)
      if (bias_.requires_grad) conv_.backward_weight(g, x_->data(), dy.data(), scratch_dw(), bias_.grad.data());
    gradient_ready(weight_);  // before the data gradient: data-parallel sums may start now
    if constexpr (Bias) gradient_ready(bias_);
    if (!input_grad_) {
      dx_.resize(Shape{});
      return dx_;
    }
    dx_.resize(x_->shape());
    conv_.backward_data(g, dy.data(), weight_.value.data(), dx_.data());
    return dx_;
  }

  template <class F>
  void visit(const std::string& prefix, F&& f) {
    f(join(prefix, "weight"), weight_.value, &weight_);
    if constexpr (Bias) f(join(prefix, "bias"), bias_.value, &bias_);
  }
  [[nodiscard]] std::string describe() const {
    return "Conv2d(" + std::to_string(In) + ", " + std::to_string(Out) + ", kernel_size=" +
           std::to_string(K) + ", stride=" + std::to_string(S) + ", padding=" + std::to_string(P) +
           (Bias ? "" : ", bias=False") + ")";
  }

  Parameter<T, D>& weight() { return weight_; }
  Parameter<T, D>& bias() {
    static_assert(Bias, "Conv2d: this convolution has no bias");
    return bias_;
  }

private:
  ops::Conv2dGeometry geometry(const Shape& in) const {
    const auto out = output_shape(in);
    return {in[0], In, in[2], in[3], Out, K, K, S, P, out[2], out[3]};
  }
  T* scratch_dw() {
    dw_scratch_.resize(weight_.value.shape());
    dw_scratch_.zero();
    return dw_scratch_.data();
  }

  Parameter<T, D> weight_, bias_;
  ops::Conv2dOp<T, D> conv_;
  tensor y_, fused_y_, dx_, dw_scratch_;
  const tensor* x_ = nullptr;
};

/// Layer spec for type lists: Conv2d<in, out, kernel, stride = 1, padding = 0, bias = true>.
template <int In, int Out, int K, int S = 1, int P = 0, bool Bias = true>
struct Conv2d {
  static constexpr int channels_in = In;
  static constexpr int channels_out(int) { return Out; }
  template <class T, class D = Cpu>
  using layer = Conv2dLayer<T, D, In, Out, K, S, P, Bias>;
};

}  // namespace galnet::nn
