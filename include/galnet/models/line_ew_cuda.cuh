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
//
// predict_on_cuda(model, fluxes, z, ew, status): LineEW::predict with the networks on the GPU —
// the same row checks, features (double), EWs = sinh(y) (double) and flags, through
// LineEW::predict_through; rows cross to the device in tiles.
#pragma once
#include <cstddef>
#include <span>
#include <type_traits>

#include "galnet/cuda/memory.hpp"
#include "galnet/models/line_ew.hpp"
#include "galnet/models/line_ew_predictor.hpp"
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

/// LineEW::predict's EWs, statuses and return value (the invalid rows), with the ten networks
/// run by the fused kernel: packs and uploads the weights (≈ 0.5 MB) each call, then moves rows
/// in tiles of `tile` (features up, arcsinh(EW) down). Synchronous.
inline std::size_t predict_on_cuda(const LineEW& model, std::span<const double> fluxes, std::span<const double> z,
                                   std::span<double> ew, std::span<LineEW::RowStatus> status = {},
                                   std::size_t tile = std::size_t{1} << 18) {
  return model.visit_network([&](const auto& net) {
    using Net = std::decay_t<decltype(net)>;
    LineEWCuda<Net::inputs == 12> gpu(net);
    Tensor<float, Cuda> x;
    auto run = [&](std::size_t m, const float* hx, float* hy) {
      x.resize(Shape{static_cast<std::int64_t>(m), Net::inputs});
      x.upload(hx);
      gpu.forward(x).download(hy);
    };
    return model.predict_through(run, tile, fluxes, z, ew, status);
  });
}

}  // namespace galnet::models
