// galnet/models/resnet.hpp — ResNetBody<T, D, Width>: torchvision's ResNet-18/34 without its
// final pool and fc.
//
// conv1 7×7/2 (3 → W) · bn1 · relu · maxpool 3/2/1 · layer1..layer4 of BasicBlocks with widths
// W, 2W, 4W, 8W (strides 1, 2, 2, 2). Input [N, 3, H, W] → [N, 8W, H/32, W/32].
// Block counts are run-time: resnet18_blocks {2,2,2,2}, resnet34_blocks {3,4,6,3}. Width 64
// is the published network; smaller widths serve tests. Keys are torchvision's (conv1.weight,
// bn1.running_mean, layer1.0.conv1.weight, layer2.0.downsample.0.weight, …), initialised as
// torchvision does (kaiming normal fan-out for convolutions, BN weight 1 and bias 0).
#pragma once
#include <array>
#include <string>
#include <type_traits>

#include "galnet/nn/activation.hpp"
#include "galnet/nn/basic_block.hpp"
#include "galnet/nn/batchnorm.hpp"
#include "galnet/nn/conv2d.hpp"
#include "galnet/nn/init.hpp"
#include "galnet/nn/pooling.hpp"

namespace galnet::models {

inline constexpr std::array<int, 4> resnet18_blocks{2, 2, 2, 2};
inline constexpr std::array<int, 4> resnet34_blocks{3, 4, 6, 3};

template <class T, class D = Cpu, int W = 64>
class ResNetBody : public nn::LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;
  static constexpr int out_channels = 8 * W;

  explicit ResNetBody(std::array<int, 4> blocks = resnet18_blocks)
      : layer1_(blocks[0]), layer2_(blocks[1]), layer3_(blocks[2]), layer4_(blocks[3]) {
    visit("", [](const std::string& name, auto& t, auto* p) {
      if (p && t.rank() == 4) nn::init::kaiming_normal_fan_out(t);
      (void)name;
    });
    set_input_grad(false);
  }

  [[nodiscard]] Shape output_shape(const Shape& in) const {
    Shape s = maxpool_.output_shape(conv1_.output_shape(in));
    return layer4_.output_shape(layer3_.output_shape(layer2_.output_shape(layer1_.output_shape(s))));
  }
  const tensor& forward(const tensor& x) {
    const tensor* stem = nullptr;
    stem_input_ = nullptr;
    if constexpr (std::is_same_v<D, Cpu>) {
      if (!training_ && nn::fused_inference()) {  // inference: bn1 and ReLU as conv1's epilogue (as the blocks do)
        stem = &conv1_.forward_fused(x, bn1_.eval_epilogue(nullptr, true));
        stem_input_ = &x;
      }
    }
    if (!stem) stem = &bn1_.forward(conv1_.forward(x), nullptr, true);  // the ReLU as bn1's tail
    const tensor& h = maxpool_.forward(*stem);
    return layer4_.forward(layer3_.forward(layer2_.forward(layer1_.forward(h))));
  }
  const tensor& backward(const tensor& dy) {
    if (stem_input_) bn1_.forward(conv1_.forward(*stem_input_), nullptr, true);  // caches for backward
    stem_input_ = nullptr;
    const tensor& d = layer1_.backward(layer2_.backward(layer3_.backward(layer4_.backward(dy))));
    return conv1_.backward(bn1_.backward(maxpool_.backward(d)));
  }
  void train(bool on = true) {
    training_ = on;
    conv1_.train(on), bn1_.train(on), maxpool_.train(on);
    layer1_.train(on), layer2_.train(on), layer3_.train(on), layer4_.train(on);
  }
  void eval() { train(false); }
  void set_input_grad(bool on) {
    input_grad_ = on;
    conv1_.set_input_grad(on);
  }
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    conv1_.visit(nn::join(prefix, "conv1"), f);
    bn1_.visit(nn::join(prefix, "bn1"), f);
    layer1_.visit(nn::join(prefix, "layer1"), f);
    layer2_.visit(nn::join(prefix, "layer2"), f);
    layer3_.visit(nn::join(prefix, "layer3"), f);
    layer4_.visit(nn::join(prefix, "layer4"), f);
  }
  void summarize(nn::Summary& s, const std::string& prefix, const Shape& in) const {
    Shape sh = in;
    conv1_.summarize(s, nn::join(prefix, "conv1"), sh);
    sh = conv1_.output_shape(sh);
    bn1_.summarize(s, nn::join(prefix, "bn1"), sh);
    relu_.summarize(s, nn::join(prefix, "relu"), sh);
    maxpool_.summarize(s, nn::join(prefix, "maxpool"), sh);
    sh = maxpool_.output_shape(sh);
    layer1_.summarize(s, nn::join(prefix, "layer1"), sh);
    sh = layer1_.output_shape(sh);
    layer2_.summarize(s, nn::join(prefix, "layer2"), sh);
    sh = layer2_.output_shape(sh);
    layer3_.summarize(s, nn::join(prefix, "layer3"), sh);
    sh = layer3_.output_shape(sh);
    layer4_.summarize(s, nn::join(prefix, "layer4"), sh);
  }

private:
  nn::layer_t<nn::Conv2d<3, W, 7, 2, 3, false>, T, D> conv1_;
  nn::layer_t<nn::BatchNorm2d<W>, T, D> bn1_;
  nn::layer_t<nn::ReLU, T, D> relu_;  // its summary row only: bn1 applies the ReLU as its tail
  const tensor* stem_input_ = nullptr;  ///< the input of the last forward, when its stem was fused
  nn::layer_t<nn::MaxPool2d<3, 2, 1>, T, D> maxpool_;
  nn::ResNetStage<T, D, W, W, 1> layer1_;
  nn::ResNetStage<T, D, W, 2 * W, 2> layer2_;
  nn::ResNetStage<T, D, 2 * W, 4 * W, 2> layer3_;
  nn::ResNetStage<T, D, 4 * W, 8 * W, 2> layer4_;
};

}  // namespace galnet::models
