// galnet/models/spin_cnn.hpp — SpinCNN<T, D, Div>: the sdss_CNN Keras network for galaxy spin λ_R.
//
// Input [N, 3, 80, 80] (pixels / 255). All convolutions 'valid' with bias, max pools 2×2/2:
//   conv 6×6·64 ReLU, dropout 0.5 · conv 5×5·96 ReLU, maxpool, dropout 0.25 ·
//   conv 2×2·128 ReLU, maxpool, dropout 0.25 · conv 2×2·192 ReLU, dropout 0.25 ·
//   conv 2×2·192 ReLU, dropout 0.25 · flatten in Keras' channel-last order (15·15·192 = 43,200) ·
//   dense 128 ReLU, dropout 0.25 · dense 64 · dense 1
// Trainable parameters: 5,994,145. Keys are the Sequential indices (0.weight, 3.weight, 7, 11,
// 14, 18, 21, 22). Initialised as Keras does (glorot uniform, zero biases). Div divides every
// width (tests use 8); the dense input is 15·15·192/Div, so the input must be 80×80.
#pragma once
#include <string>

#include "galnet/nn/activation.hpp"
#include "galnet/nn/conv2d.hpp"
#include "galnet/nn/dropout.hpp"
#include "galnet/nn/flatten.hpp"
#include "galnet/nn/linear.hpp"
#include "galnet/nn/pooling.hpp"
#include "galnet/nn/sequential.hpp"

namespace galnet::models {

template <int Div = 1>
using SpinCNNSpec = nn::Sequential<
    nn::Conv2d<3, 64 / Div, 6>, nn::ReLU, nn::Dropout<0.5>,                                 // 0-2
    nn::Conv2d<64 / Div, 96 / Div, 5>, nn::ReLU, nn::MaxPool2d<2>, nn::Dropout<0.25>,        // 3-6
    nn::Conv2d<96 / Div, 128 / Div, 2>, nn::ReLU, nn::MaxPool2d<2>, nn::Dropout<0.25>,       // 7-10
    nn::Conv2d<128 / Div, 192 / Div, 2>, nn::ReLU, nn::Dropout<0.25>,                        // 11-13
    nn::Conv2d<192 / Div, 192 / Div, 2>, nn::ReLU, nn::Dropout<0.25>,                        // 14-16
    nn::FlattenChannelsLast,                                                                 // 17
    nn::Linear<15 * 15 * (192 / Div), 128 / Div>, nn::ReLU, nn::Dropout<0.25>,               // 18-20
    nn::Linear<128 / Div, 64 / Div>, nn::Linear<64 / Div, 1>>;                               // 21-22

template <class T = float, class D = Cpu, int Div = 1>
class SpinCNN : public nn::layer_t<SpinCNNSpec<Div>, T, D> {
public:
  SpinCNN() {
    this->visit("", [](const std::string&, auto& t, auto* p) {
      if (!p) return;
      if (t.rank() == 1) {
        t.zero();
      } else {
        // Keras fans: conv fan_in = k·k·in, fan_out = k·k·out; dense fan_in = in, fan_out = out.
        const std::int64_t rf = t.shape().numel_from(2);
        nn::init::glorot_uniform(t, t.dim(1) * rf, t.dim(0) * rf);
      }
    });
  }
};

}  // namespace galnet::models
