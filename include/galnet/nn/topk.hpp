// galnet/nn/topk.hpp — TopK: the sparsity layer of SFNets (Wu 2025).
//
// Input [N, F] → output [N, F] keeping, per sample, the k largest values at their positions
// and zeroing the rest; ties go to the lower index (deterministic). The gradient flows only
// through the kept entries. k is set at run time (set_k; the template argument is the default)
// and must satisfy 1 ≤ k ≤ F.
#pragma once
#include <string>

#include "galnet/nn/module.hpp"
#include "galnet/ops/cpu/topk.hpp"

namespace galnet::nn {

template <class T, class D, int DefaultK>
class TopKLayer : public LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;

  void set_k(int k) { k_ = k; }
  [[nodiscard]] int k() const { return k_; }

  [[nodiscard]] Shape output_shape(const Shape& in) const {
    GALNET_CHECK(in.rank() == 2, describe(), ": expected input [N, F], got ", in.str());
    GALNET_CHECK(k_ >= 1 && k_ <= in[1], describe(), ": k = ", k_, " must be in [1, ", in[1],
                 "] for input ", in.str());
    return in;
  }
  const tensor& forward(const tensor& x) {
    y_.resize(output_shape(x.shape()));
    mask_.resize(x.shape());
    scratch_.resize(Shape{x.dim(1)});
    ops::TopKOp<D>::forward(x.dim(0), x.dim(1), k_, x.data(), y_.data(), mask_.data(), scratch_.data());
    return y_;
  }
  const tensor& backward(const tensor& dy) {
    check_shape(dy, y_.shape(), describe().c_str(), "output gradient");
    dx_.resize(dy.shape());
    ops::TopKOp<D>::backward(dy.numel(), dy.data(), mask_.data(), dx_.data());
    return dx_;
  }
  /// The last forward's output (an SFNet's sparse features).
  [[nodiscard]] const tensor& output() const {
    GALNET_CHECK(y_.numel() > 0, describe(), ": no forward pass yet");
    return y_;
  }
  /// 1 where the last forward kept an entry (for interpretation: which features fired).
  [[nodiscard]] const Tensor<std::uint8_t, D>& mask() const { return mask_; }

  template <class F>
  void visit(const std::string&, F&&) {}
  [[nodiscard]] std::string describe() const { return "TopK(k=" + std::to_string(k_) + ")"; }

private:
  int k_ = DefaultK;
  tensor y_, dx_;
  Tensor<std::uint8_t, D> mask_;
  Tensor<std::int32_t, D> scratch_;
};

template <int DefaultK = 0>
struct TopK {
  static constexpr int channels_in = kAnyChannels;
  static constexpr int channels_out(int c) { return c; }
  template <class T, class D = Cpu>
  using layer = TopKLayer<T, D, DefaultK>;
};

}  // namespace galnet::nn
