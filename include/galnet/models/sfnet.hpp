// galnet/models/sfnet.hpp — SFNet<T, D, Outputs, W>: Wu (2025)'s Sparse Feature Network,
// PyTorch `ResNet18TopK`.
//
//   ResNet-18 body · AdaptiveAvgPool2d(1) · flatten (8W = 512 features) · ReLU · TopK(k) ·
//   fc Linear(8W → Outputs)
// Input [N, 3, 144, 144] in the paper (any size ≥ 32 works). Outputs 1 (oh_p50) or 4 (BPT line
// fluxes); k ∈ {2, 3, 4, 6, 8} in the paper, set at run time. Keys: the body's torchvision
// names and fc.weight, fc.bias. Trainable parameters: 11,177,025 (1 output), 11,178,564 (4).
#pragma once
#include <string>

#include "galnet/models/resnet.hpp"
#include "galnet/nn/flatten.hpp"
#include "galnet/nn/linear.hpp"
#include "galnet/nn/topk.hpp"

namespace galnet::models {

template <class T = float, class D = Cpu, int Outputs = 1, int W = 64>
class SFNet : public nn::LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;
  static constexpr int features = 8 * W;

  explicit SFNet(int k = 4) : body_(resnet18_blocks) {
    topk_.set_k(k);
    set_input_grad(false);
  }

  [[nodiscard]] Shape output_shape(const Shape& in) const {
    return fc_.output_shape(topk_.output_shape(flatten_.output_shape(pool_.output_shape(body_.output_shape(in)))));
  }
  const tensor& forward(const tensor& x) {
    const tensor& f = flatten_.forward(pool_.forward(body_.forward(x)));
    sparse_ = &topk_.forward(relu_.forward(f));
    return fc_.forward(*sparse_);
  }
  const tensor& backward(const tensor& dy) {
    const tensor& d = relu_.backward(topk_.backward(fc_.backward(dy)));
    return body_.backward(pool_.backward(flatten_.backward(d)));
  }
  void train(bool on = true) {
    training_ = on;
    body_.train(on);
  }
  void eval() { train(false); }
  void set_input_grad(bool on) {
    input_grad_ = on;
    body_.set_input_grad(on);
  }
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    body_.visit(prefix, f);
    fc_.visit(nn::join(prefix, "fc"), f);
  }
  void summarize(nn::Summary& s, const std::string& prefix, const Shape& in) const {
    body_.summarize(s, prefix, in);
    Shape sh = body_.output_shape(in);
    pool_.summarize(s, nn::join(prefix, "avgpool"), sh);
    sh = flatten_.output_shape(pool_.output_shape(sh));
    relu_.summarize(s, nn::join(prefix, "relu"), sh);
    topk_.summarize(s, nn::join(prefix, "topk"), sh);
    fc_.summarize(s, nn::join(prefix, "fc"), sh);
  }

  void set_k(int k) { topk_.set_k(k); }
  [[nodiscard]] int k() const { return topk_.k(); }
  ResNetBody<T, D, W>& body() { return body_; }
  auto& fc() { return fc_; }
  /// The sparse features of the last forward ([N, 8W], at most k non-zero per row).
  [[nodiscard]] const tensor& sparse_features() const {
    GALNET_CHECK(sparse_ != nullptr, "SFNet::sparse_features: no forward pass yet");
    return *sparse_;
  }

private:
  ResNetBody<T, D, W> body_;
  nn::layer_t<nn::AdaptiveAvgPool2d<1>, T, D> pool_;
  nn::layer_t<nn::Flatten, T, D> flatten_;
  nn::layer_t<nn::ReLU, T, D> relu_;
  nn::layer_t<nn::TopK<4>, T, D> topk_;
  nn::layer_t<nn::Linear<features, Outputs>, T, D> fc_;
  const tensor* sparse_ = nullptr;
};

}  // namespace galnet::models
