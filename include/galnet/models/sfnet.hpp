// galnet/models/sfnet.hpp — SFNet<T, D, Outputs, W>: Wu (2025)'s Sparse Feature Network,
// PyTorch `ResNet18TopK`.
//
//   ResNet-18 body · AdaptiveAvgPool2d(1) · flatten (8W = 512 features) · ReLU · TopK(k) ·
//   fc Linear(8W → Outputs)
// Input [N, 3, 144, 144] in the paper (any size ≥ 32 works). Outputs 1 (oh_p50) or 4 (BPT line
// fluxes), or 0 (nn::kRuntimeFeatures) for a count given to the constructor, as the sfnet program
// does; k ∈ {2, 3, 4, 6, 8} in the paper, set at run time. Keys: the body's torchvision
// names and fc.weight, fc.bias. Trainable parameters: 11,177,025 (1 output), 11,178,564 (4).
#pragma once
#include "galnet/models/resnet.hpp"
#include "galnet/nn/flatten.hpp"
#include "galnet/nn/linear.hpp"
#include "galnet/nn/topk.hpp"

namespace galnet::models {

template <int Outputs, int W>
using SFNetLayers = nn::Sequential<nn::Named<"", ResNet<W, resnet18_blocks>>, nn::Named<"avgpool", nn::AdaptiveAvgPool2d<1>>,
                                   nn::Named<"flatten", nn::Flatten>, nn::Named<"relu", nn::ReLU>,
                                   nn::Named<"topk", nn::TopK<4>>, nn::Named<"fc", nn::Linear<8 * W, Outputs>>>;

template <class T = float, class D = Cpu, int Outputs = 1, int W = 64>
class SFNet : public nn::layer_t<SFNetLayers<Outputs, W>, T, D> {
public:
  static constexpr int features = 8 * W;

  explicit SFNet(int k = 4, int outputs = Outputs > 0 ? Outputs : 1) {
    set_k(k);
    if constexpr (Outputs == nn::kRuntimeFeatures) fc().set_out_features(outputs);
    else GALNET_CHECK(outputs == Outputs, "SFNet<…, ", Outputs, ">: built for ", outputs, " outputs");
  }

  void set_k(int k) { this->template get<"topk">().set_k(k); }
  [[nodiscard]] int k() const { return this->template get<"topk">().k(); }
  auto& body() { return this->template get<0>(); }
  auto& fc() { return this->template get<"fc">(); }
  /// The sparse features of the last forward ([N, 8W], at most k non-zero per row).
  [[nodiscard]] const Tensor<T, D>& sparse_features() const { return this->template get<"topk">().output(); }
};

}  // namespace galnet::models
