// galnet/nn/basic_block.hpp — BasicBlock<In, Out, Stride>: torchvision's ResNet basic block,
// and ResNetStage<In, Out, Stride>: a first block plus n−1 identical blocks held at run time
// (ResNetLayer<In, Out, Stride, Blocks> is its spec, for a Sequential).
//
//   out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))
// conv1 is 3×3/Stride, conv2 3×3/1, both unbiased; the shortcut is the identity, or
// `downsample` = conv 1×1/Stride (unbiased) + BatchNorm2d when Stride ≠ 1 or In ≠ Out.
// State-dict keys are torchvision's: conv1.weight, bn1.*, conv2.weight, bn2.*,
// downsample.0.weight, downsample.1.*. A stage names its blocks "0", "1", … (layer1.0.conv1…).
// Inference on the CPU (eval mode): each batch norm, with the residual add and ReLU that follow
// it, runs as the epilogue of the convolution before it (no pass of its own over the
// activations; the same bits); backward after such a forward first re-runs the layered forward
// on the same input. Training: each batch norm takes the add and ReLU after it as its tail
// (BatchNormLayer::forward(x, residual, relu)), and the ReLUs' masks ride in backward's passes.
#pragma once
#include <string>
#include <type_traits>
#include <vector>

#include "galnet/nn/batchnorm.hpp"
#include "galnet/nn/conv2d.hpp"
#include "galnet/nn/module.hpp"
#include "galnet/ops/cpu/elementwise.hpp"

namespace galnet::nn {

template <class T, class D, int In, int Out, int Stride>
class BasicBlockLayer : public LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;
  static constexpr bool has_downsample = Stride != 1 || In != Out;

  BasicBlockLayer() = default;

  [[nodiscard]] Shape output_shape(const Shape& in) const {
    return conv2_.output_shape(conv1_.output_shape(in));
  }

  const tensor& forward(const tensor& x) {
    if constexpr (std::is_same_v<D, Cpu>) {
      if (!training_ && fused_inference()) {
        const tensor& a = conv1_.forward_fused(x, bn1_.eval_epilogue(nullptr, true));
        const tensor* shortcut = &x;
        if constexpr (has_downsample) shortcut = &ds_conv_.forward_fused(x, ds_bn_.eval_epilogue(nullptr, false));
        fused_input_ = &x;
        return conv2_.forward_fused(a, bn2_.eval_epilogue(shortcut, true));
      }
    }
    return forward_layered(x);
  }

  const tensor& backward(const tensor& dy) {
    if (fused_input_) forward_layered(*fused_input_);  // the layers' caches for their backward
    // dy is the gradient of relu(bn2(…) + shortcut): bn2 masks it by the ReLU, and that masked
    // gradient is also the shortcut's.
    const tensor& dmain = conv1_.backward(bn1_.backward(conv2_.backward(bn2_.backward(dy))));
    const tensor& dsum = bn2_.residual_gradient();
    if constexpr (has_downsample) {
      const tensor& dshort = ds_conv_.backward(ds_bn_.backward(dsum));
      if (!input_grad_) return dmain;
      dx_.resize(dmain.shape());
      ops::Elementwise<D>::add(dx_.numel(), dmain.data(), dshort.data(), dx_.data());
    } else {
      if (!input_grad_) return dmain;
      dx_.resize(dmain.shape());
      ops::Elementwise<D>::add(dx_.numel(), dmain.data(), dsum.data(), dx_.data());
    }
    return dx_;
  }

  void train(bool on = true) {
    training_ = on;
    conv1_.train(on), bn1_.train(on), conv2_.train(on), bn2_.train(on);
    if constexpr (has_downsample) ds_conv_.train(on), ds_bn_.train(on);
  }
  void eval() { train(false); }
  void set_input_grad(bool on) {
    input_grad_ = on;
    conv1_.set_input_grad(on);
    if constexpr (has_downsample) ds_conv_.set_input_grad(on);
  }

  template <class F>
  void for_each_child(F&& f) {
    f(conv1_), f(bn1_), f(conv2_), f(bn2_);
    if constexpr (has_downsample) f(ds_conv_), f(ds_bn_);
  }
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    conv1_.visit(join(prefix, "conv1"), f);
    bn1_.visit(join(prefix, "bn1"), f);
    conv2_.visit(join(prefix, "conv2"), f);
    bn2_.visit(join(prefix, "bn2"), f);
    if constexpr (has_downsample) {
      ds_conv_.visit(join(prefix, "downsample.0"), f);
      ds_bn_.visit(join(prefix, "downsample.1"), f);
    }
  }
  void summarize(Summary& s, const std::string& prefix, const Shape& in) const {
    SummaryRow row;
    row.name = prefix.empty() ? "-" : prefix;
    row.type = "BasicBlock(" + std::to_string(In) + ", " + std::to_string(Out) + ", stride=" +
               std::to_string(Stride) + ")";
    row.output = per_sample(output_shape(in));
    count_params(const_cast<BasicBlockLayer&>(*this), row.params, row.trainable);
    s.rows.push_back(std::move(row));
  }

private:
  const tensor& forward_layered(const tensor& x) {
    fused_input_ = nullptr;
    const tensor& a = bn1_.forward(conv1_.forward(x), nullptr, true);
    const tensor* shortcut = &x;
    if constexpr (has_downsample) shortcut = &ds_bn_.forward(ds_conv_.forward(x));
    return bn2_.forward(conv2_.forward(a), shortcut, true);
  }

  Conv2dLayer<T, D, In, Out, 3, Stride, 1, false> conv1_;
  BatchNormLayer<T, D, Out, true> bn1_;  // with relu1 as its tail
  Conv2dLayer<T, D, Out, Out, 3, 1, 1, false> conv2_;
  BatchNormLayer<T, D, Out, true> bn2_;  // with the residual add and relu2 as its tail
  struct None {};  // stands in for the downsample layers of an identity-shortcut block
  std::conditional_t<has_downsample, Conv2dLayer<T, D, In, Out, 1, Stride, 0, false>, None> ds_conv_;
  std::conditional_t<has_downsample, BatchNormLayer<T, D, Out, true>, None> ds_bn_;
  tensor dx_;
  const tensor* fused_input_ = nullptr;  ///< the input of the last forward, when it was fused
};

template <int In, int Out, int Stride = 1>
struct BasicBlock {
  static constexpr int channels_in = In;
  static constexpr int channels_out(int) { return Out; }
  template <class T, class D = Cpu>
  using layer = BasicBlockLayer<T, D, In, Out, Stride>;
};

/// A ResNet stage: BasicBlock<In, Out, Stride> then `blocks − 1` identical BasicBlock<Out, Out, 1>
/// held in a vector, so ResNet-18 and ResNet-34 are the same type with different counts.
template <class T, class D, int In, int Out, int Stride>
class ResNetStage : public LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;

  explicit ResNetStage(int blocks = 2) : rest_(blocks > 0 ? blocks - 1 : 0) {
    GALNET_CHECK(blocks >= 1, "ResNetStage: needs at least one block, got ", blocks);
  }

  [[nodiscard]] int blocks() const { return 1 + static_cast<int>(rest_.size()); }
  [[nodiscard]] Shape output_shape(const Shape& in) const { return first_.output_shape(in); }

  const tensor& forward(const tensor& x) {
    const tensor* h = &first_.forward(x);
    for (auto& b : rest_) h = &b.forward(*h);
    return *h;
  }
  const tensor& backward(const tensor& dy) {
    const tensor* d = &dy;
    for (auto it = rest_.rbegin(); it != rest_.rend(); ++it) d = &it->backward(*d);
    return first_.backward(*d);
  }
  void train(bool on = true) {
    training_ = on;
    first_.train(on);
    for (auto& b : rest_) b.train(on);
  }
  void eval() { train(false); }
  void set_input_grad(bool on) {
    input_grad_ = on;
    first_.set_input_grad(on);
  }
  template <class F>
  void for_each_child(F&& f) {
    f(first_);
    for (auto& b : rest_) f(b);
  }
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    first_.visit(join(prefix, "0"), f);
    for (std::size_t i = 0; i < rest_.size(); ++i) rest_[i].visit(join(prefix, std::to_string(i + 1)), f);
  }
  void summarize(Summary& s, const std::string& prefix, const Shape& in) const {
    nn::summarize(first_, s, join(prefix, "0"), in);
    const Shape mid = first_.output_shape(in);
    for (std::size_t i = 0; i < rest_.size(); ++i)
      nn::summarize(rest_[i], s, join(prefix, std::to_string(i + 1)), mid);
  }

private:
  BasicBlockLayer<T, D, In, Out, Stride> first_;
  std::vector<BasicBlockLayer<T, D, Out, Out, 1>> rest_;
};

/// Spec of a ResNet stage of `Blocks` blocks (torchvision's layer1 … layer4).
template <int In, int Out, int Stride, int Blocks>
struct ResNetLayer {
  static constexpr int channels_in = In;
  static constexpr int channels_out(int) { return Out; }
  template <class T, class D = Cpu>
  struct layer : ResNetStage<T, D, In, Out, Stride> {
    layer() : ResNetStage<T, D, In, Out, Stride>(Blocks) {}
  };
};

}  // namespace galnet::nn
