// galnet/nn/flatten.hpp — Flatten (channel-first, PyTorch's order) and FlattenChannelsLast
// (Keras' order: NCHW read as NHWC), [N, C, H, W] → [N, C·H·W].
//
// FlattenChannelsLast lets a network trained in Keras (channels-last images) load its Dense
// weights unchanged after its convolutions were converted to NCHW.
#pragma once
#include <string>

#include "galnet/nn/module.hpp"
#include "galnet/ops/cpu/permute.hpp"

namespace galnet::nn {

template <class T, class D, bool ChannelsLast>
class FlattenLayer : public LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;

  [[nodiscard]] Shape output_shape(const Shape& in) const {
    GALNET_CHECK(in.rank() >= 2, describe(), ": expected input [N, ...], got ", in.str());
    return Shape{in[0], in.numel_from(1)};
  }
  const tensor& forward(const tensor& x) {
    y_.resize(output_shape(x.shape()));
    in_shape_ = x.shape();
    if (!ChannelsLast || x.rank() != 4) y_.copy_from(x);
    else ops::Permute<D>::nchw_nhwc(x.dim(0), x.dim(1), x.dim(2) * x.dim(3), x.data(), y_.data(), false);
    return y_;
  }
  const tensor& backward(const tensor& dy) {
    check_shape(dy, y_.shape(), describe().c_str(), "output gradient");
    dx_.resize(in_shape_);
    if (!ChannelsLast || in_shape_.rank() != 4) dx_.copy_from(dy);
    else ops::Permute<D>::nchw_nhwc(in_shape_[0], in_shape_[1], in_shape_[2] * in_shape_[3], dy.data(), dx_.data(), true);
    return dx_;
  }
  template <class F>
  void visit(const std::string&, F&&) {}
  [[nodiscard]] std::string describe() const {
    return ChannelsLast ? "FlattenChannelsLast()" : "Flatten()";
  }

private:
  tensor y_, dx_;
  Shape in_shape_;
};

template <bool ChannelsLast>
struct FlattenSpec {
  static constexpr int channels_in = kAnyChannels;
  static constexpr int channels_out(int) { return kRuntimeChannels; }
  template <class T, class D = Cpu>
  using layer = FlattenLayer<T, D, ChannelsLast>;
};
struct Flatten : FlattenSpec<false> {};
struct FlattenChannelsLast : FlattenSpec<true> {};

}  // namespace galnet::nn
