// galnet/models/wu_boada.hpp — WuBoada<T, D, Outputs, W>: Wu & Boada (2019)'s metallicity
// network, a ResNet-34 body with fastai's regression head.
//
//   ResNet-34 body · head: AdaptiveConcatPool2d (max ‖ avg, 16W = 1024) · Flatten ·
//   BatchNorm1d(1024) · Dropout(0.25) · Linear(1024 → 512) · ReLU · BatchNorm1d(512) ·
//   Dropout(0.5) · Linear(512 → Outputs)
// Input [N, 3, 128, 128] in the paper. Outputs 0 (nn::kRuntimeFeatures): the count is given to
// the constructor, as the wu_boada program does. Keys: torchvision names for the body, head.N.* for the
// head (head.2 and head.6 the batch norms, head.4 and head.8 the linears). The head is
// initialised as fastai does (kaiming normal weights, zero biases). Trainable parameters with
// one output: 21,813,057. Freeze the body with nn::freeze(model.body()) for head-only epochs;
// layer_groups() splits the parameters as fastai does for discriminative learning rates.
#pragma once
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "galnet/models/resnet.hpp"
#include "galnet/nn/batchnorm.hpp"
#include "galnet/nn/dropout.hpp"
#include "galnet/nn/flatten.hpp"
#include "galnet/nn/linear.hpp"
#include "galnet/nn/pooling.hpp"
#include "galnet/nn/sequential.hpp"

namespace galnet::models {

template <int Outputs = 1, int W = 64>
using FastaiHead = nn::Sequential<nn::AdaptiveConcatPool2d<1>, nn::Flatten, nn::BatchNorm1d<16 * W>,
                                  nn::Dropout<0.25>, nn::Linear<16 * W, 8 * W>, nn::ReLU,
                                  nn::BatchNorm1d<8 * W>, nn::Dropout<0.5>, nn::Linear<8 * W, Outputs>>;

template <class T = float, class D = Cpu, int Outputs = 1, int W = 64>
class WuBoada : public nn::layer_t<nn::Sequential<nn::Named<"", ResNet<W, resnet34_blocks>>,
                                                  nn::Named<"head", FastaiHead<Outputs, W>>>, T, D> {
public:
  explicit WuBoada(int outputs = Outputs > 0 ? Outputs : 1) {  // fastai's head: kaiming normal (fan-in) weights, zero biases
    if constexpr (Outputs == nn::kRuntimeFeatures) head().template get<8>().set_out_features(outputs);
    else GALNET_CHECK(outputs == Outputs, "WuBoada<…, ", Outputs, ">: built for ", outputs, " outputs");
    head().visit("", [](const std::string&, auto& t, auto* p) {
      if (p && t.rank() == 2) nn::init::normal(t, 0.0, std::sqrt(2.0 / static_cast<double>(t.dim(1))));
    });
    for (auto* bias : {&head().template get<4>().bias(), &head().template get<8>().bias()}) bias->value.zero();
  }

  auto& body() { return this->template get<0>(); }
  auto& head() { return this->template get<"head">(); }
  /// fastai's three layer groups of a ResNet learner, for discriminative learning rates: the
  /// stem, layer1 and layer2; layer3 and layer4; the head.
  std::array<std::vector<nn::Parameter<T, D>*>, 3> layer_groups() {
    std::array<std::vector<nn::Parameter<T, D>*>, 3> g;
    this->visit("", [&](const std::string& name, auto&, auto* p) {
      if (!p) return;
      const bool head = name.starts_with("head."), late = name.starts_with("layer3.") || name.starts_with("layer4.");
      g[head ? 2 : late ? 1 : 0].push_back(p);
    });
    return g;
  }
};

}  // namespace galnet::models
