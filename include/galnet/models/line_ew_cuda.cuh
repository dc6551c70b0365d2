// galnet/models/line_ew_cuda.cuh — LineEWCuda: a float32 LineEWNet's ten lines predicted on the
// GPU by one fused kernel (ops/cuda/line_ew.cuh: weights in shared memory, bfloat16 tensor cores
// with float32 accumulation), for surveys and simulations of 10⁶–10⁹ galaxies.
//
//   models::LineEWNet<float> net;                      // on the CPU, e.g. the published weights
//   io::load_state_dict(net, models::find_line_ew_weights());
//   models::LineEWCuda gpu(net);                       // packed and uploaded once
//   const auto& y = gpu.forward(features_on_device);   // [N, 10] arcsinh(EW / Å), line_ew_lines order
//
// Inference only, and a snapshot: later changes to `net` need a new LineEWCuda. Precision: the
// kernel's bfloat16 operands, documented with the device tests (docs/cuda.md).
#pragma once
#include "galnet/cuda/memory.hpp"
#include "galnet/models/line_ew.hpp"
#include "galnet/ops/cuda/line_ew.cuh"

namespace galnet::models {

template <bool WithLuminosity = true>
class LineEWCuda {
public:
  using Net = LineEWNet<float, Cpu, WithLuminosity>;
  static constexpr int inputs = Net::inputs, lines = Net::lines;

  explicit LineEWCuda(const Net& net) : kernel_(pack(net)) {}

  /// Every line's packed weights and scalers (what the GPU holds), from the network's.
  static ops::LineEWPack pack(const Net& net) {
    ops::LineEWPack p;
    for (int l = 0; l < lines; ++l) {
      float mean[inputs], scale[inputs];
      for (int j = 0; j < inputs; ++j) mean[j] = net.input_mean(l, j), scale[j] = net.input_scale(l, j);
      p.add(net.line(l).dense(), mean, scale);
    }
    return p;
  }

  /// [N, 10] from raw features [N, inputs] on the GPU; asynchronous on galnet's stream. The
  /// result stays valid until the next call.
  const Tensor<float, Cuda>& forward(const Tensor<float, Cuda>& x) {
    GALNET_CHECK(x.rank() == 2 && x.dim(1) == inputs, "LineEWCuda: expected features [N, ", inputs, "], got ",
                 x.shape().str());
    y_.resize(Shape{x.dim(0), lines});
    kernel_.forward(x.data(), x.dim(0), y_.data());
    return y_;
  }

private:
  ops::LineEWKernel kernel_;
  Tensor<float, Cuda> y_;
};

}  // namespace galnet::models
