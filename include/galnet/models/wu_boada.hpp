// galnet/models/wu_boada.hpp — WuBoada<T, D, Outputs, W>: Wu & Boada (2019)'s metallicity
// network, a ResNet-34 body with fastai's regression head.
//
//   ResNet-34 body · head: AdaptiveConcatPool2d (max ‖ avg, 16W = 1024) · Flatten ·
//   BatchNorm1d(1024) · Dropout(0.25) · Linear(1024 → 512) · ReLU · BatchNorm1d(512) ·
//   Dropout(0.5) · Linear(512 → Outputs)
// Input [N, 3, 128, 128] in the paper. Keys: torchvision names for the body, head.N.* for the
// head (head.2 and head.6 the batch norms, head.4 and head.8 the linears). The head is
// initialised as fastai does (kaiming normal weights, zero biases). Trainable parameters with
// one output: 21,813,057. Freeze the body with nn::freeze(model.body()) for head-only epochs;
// layer_groups() splits the parameters as fastai does for discriminative learning rates.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "galnet/models/resnet.hpp"
#include "galnet/nn/batchnorm.hpp"
#include "galnet/nn/dropout.hpp"
#include "galnet/nn/flatten.hpp"
#include "galnet/nn/linear.hpp"
#include "galnet/nn/sequential.hpp"

namespace galnet::models {

template <int Outputs = 1, int W = 64>
using FastaiHead = nn::Sequential<nn::AdaptiveConcatPool2d<1>, nn::Flatten, nn::BatchNorm1d<16 * W>,
                                  nn::Dropout<0.25>, nn::Linear<16 * W, 8 * W>, nn::ReLU,
                                  nn::BatchNorm1d<8 * W>, nn::Dropout<0.5>, nn::Linear<8 * W, Outputs>>;

template <class T = float, class D = Cpu, int Outputs = 1, int W = 64>
class WuBoada : public nn::LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;

  WuBoada() : body_(resnet34_blocks) {
    head_.set_input_grad(true);
    head_.visit("", [](const std::string&, auto& t, auto* p) {
      if (!p || t.rank() != 2) return;
      nn::init::normal(t, 0.0, std::sqrt(2.0 / static_cast<double>(t.dim(1))));  // kaiming, fan_in
    });
    zero_bias(head_.template get<4>());
    zero_bias(head_.template get<8>());
    set_input_grad(false);
  }

  [[nodiscard]] Shape output_shape(const Shape& in) const { return head_.output_shape(body_.output_shape(in)); }
  const tensor& forward(const tensor& x) { return head_.forward(body_.forward(x)); }
  const tensor& backward(const tensor& dy) { return body_.backward(head_.backward(dy)); }
  void train(bool on = true) {
    training_ = on;
    body_.train(on);
    head_.train(on);
  }
  void eval() { train(false); }
  void set_input_grad(bool on) {
    input_grad_ = on;
    body_.set_input_grad(on);
  }
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    body_.visit(prefix, f);
    head_.visit(nn::join(prefix, "head"), f);
  }
  void summarize(nn::Summary& s, const std::string& prefix, const Shape& in) const {
    body_.summarize(s, prefix, in);
    head_.summarize(s, nn::join(prefix, "head"), body_.output_shape(in));
  }

  ResNetBody<T, D, W>& body() { return body_; }
  /// fastai's three layer groups of a ResNet learner, for discriminative learning rates: the
  /// stem, layer1 and layer2; layer3 and layer4; the head.
  std::array<std::vector<nn::Parameter<T, D>*>, 3> layer_groups() {
    std::array<std::vector<nn::Parameter<T, D>*>, 3> g;
    visit("", [&](const std::string& name, auto&, auto* p) {
      if (!p) return;
      const bool head = name.starts_with("head."), late = name.starts_with("layer3.") || name.starts_with("layer4.");
      g[head ? 2 : late ? 1 : 0].push_back(p);
    });
    return g;
  }
  auto& head() { return head_; }

private:
  template <class L>
  static void zero_bias(L& linear) { linear.bias().value.zero(); }

  ResNetBody<T, D, W> body_;
  nn::layer_t<FastaiHead<Outputs, W>, T, D> head_;
};

}  // namespace galnet::models
