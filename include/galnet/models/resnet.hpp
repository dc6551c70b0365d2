// galnet/models/resnet.hpp — ResNetBody<T, D, W, Blocks>: torchvision's ResNet-18/34 without its
// final pool and fc, as a Sequential with torchvision's keys.
//
// conv1 7×7/2 (3 → W) · bn1 · relu · maxpool 3/2/1 · layer1..layer4 of BasicBlocks with widths
// W, 2W, 4W, 8W (strides 1, 2, 2, 2). Input [N, 3, H, W] → [N, 8W, H/32, W/32].
// Blocks per stage: resnet18_blocks {2,2,2,2}, resnet34_blocks {3,4,6,3}. Width 64 is the
// published network; smaller widths serve tests. Keys are torchvision's (conv1.weight,
// bn1.running_mean, layer1.0.conv1.weight, layer2.0.downsample.0.weight, …), initialised as
// torchvision does (kaiming normal fan-out for convolutions, BN weight 1 and bias 0).
// ResNet<W, Blocks> is its spec, for a model that holds the body as a child.
#pragma once
#include <array>
#include <string>

#include "galnet/nn/activation.hpp"
#include "galnet/nn/basic_block.hpp"
#include "galnet/nn/batchnorm.hpp"
#include "galnet/nn/conv2d.hpp"
#include "galnet/nn/init.hpp"
#include "galnet/nn/pooling.hpp"
#include "galnet/nn/sequential.hpp"

namespace galnet::models {

inline constexpr std::array<int, 4> resnet18_blocks{2, 2, 2, 2};
inline constexpr std::array<int, 4> resnet34_blocks{3, 4, 6, 3};

template <int W, std::array<int, 4> B>
using ResNetLayers =
    nn::Sequential<nn::Named<"conv1", nn::Conv2d<3, W, 7, 2, 3, false>>, nn::Named<"bn1", nn::BatchNorm2d<W>>,
                   nn::Named<"relu", nn::ReLU>, nn::Named<"maxpool", nn::MaxPool2d<3, 2, 1>>,
                   nn::Named<"layer1", nn::ResNetLayer<W, W, 1, B[0]>>,
                   nn::Named<"layer2", nn::ResNetLayer<W, 2 * W, 2, B[1]>>,
                   nn::Named<"layer3", nn::ResNetLayer<2 * W, 4 * W, 2, B[2]>>,
                   nn::Named<"layer4", nn::ResNetLayer<4 * W, 8 * W, 2, B[3]>>>;

template <class T, class D = Cpu, int W = 64, std::array<int, 4> Blocks = resnet18_blocks>
class ResNetBody : public nn::layer_t<ResNetLayers<W, Blocks>, T, D> {
public:
  static constexpr int out_channels = 8 * W;

  ResNetBody() {
    this->visit("", [](const std::string&, auto& t, auto* p) {
      if (p && t.rank() == 4) nn::init::kaiming_normal_fan_out(t);
    });
  }
};

template <int W = 64, std::array<int, 4> Blocks = resnet18_blocks>
struct ResNet : ResNetLayers<W, Blocks> {
  template <class T, class D = Cpu>
  using layer = ResNetBody<T, D, W, Blocks>;
};

}  // namespace galnet::models
