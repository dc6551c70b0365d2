// galnet/nn/dropout.hpp — Dropout<P>: inverted dropout, training only.
//
// In train() each element is zeroed with probability P and the survivors scaled by 1/(1−P);
// in eval() it is the identity: forward returns its input and backward its output gradient,
// as PyTorch does (the reference stays valid as long as the tensor passed in). Each forward
// draws one 64-bit key from galnet::default_generator() (or the generator given with
// set_generator), so galnet::manual_seed makes runs repeatable; the mask is a counter-based
// function of the key and the element's index (ops/cpu/dropout.hpp), identical on the CPU and
// the GPU.
#pragma once
#include <string>

#include "galnet/core/rng.hpp"
#include "galnet/nn/module.hpp"
#include "galnet/ops/cpu/dropout.hpp"

namespace galnet::nn {

template <class T, class D, double P>
class DropoutLayer : public LayerBase {
  static_assert(P >= 0.0 && P < 1.0, "Dropout: probability must be in [0, 1)");

public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;

  void set_generator(Generator* g) { gen_ = g; }

  [[nodiscard]] Shape output_shape(const Shape& in) const { return in; }
  /// In eval() (or with P = 0) the input itself, as PyTorch's dropout: no copy (SpinCNN's six
  /// dropouts copied 7 % of its inference time).
  const tensor& forward(const tensor& x) {
    shape_ = x.shape();
    active_ = training_ && P > 0.0;
    if (!active_) return x;
    y_.resize(x.shape());
    mask_.resize(x.shape());
    Generator& g = gen_ ? *gen_ : default_generator();
    ops::DropoutOp<D>::forward(x.numel(), x.data(), y_.data(), mask_.data(), g.next_u64(), P,
                               static_cast<T>(1.0 / (1.0 - P)));
    return y_;
  }
  const tensor& backward(const tensor& dy) {
    check_shape(dy, shape_, describe().c_str(), "output gradient");
    if (!active_) return dy;
    dx_.resize(dy.shape());
    ops::DropoutOp<D>::backward(dy.numel(), dy.data(), mask_.data(), dx_.data());
    return dx_;
  }
  template <class F>
  void visit(const std::string&, F&&) {}
  [[nodiscard]] std::string describe() const {
    std::string p = std::to_string(P);
    p.erase(p.find_last_not_of('0') + 1);
    return "Dropout(p=" + p + ")";
  }

private:
  tensor y_, dx_, mask_;
  Shape shape_;  ///< of the last input
  Generator* gen_ = nullptr;
  bool active_ = false;
};

template <double P>
struct Dropout {
  static constexpr int channels_in = kAnyChannels;
  static constexpr int channels_out(int c) { return c; }
  template <class T, class D = Cpu>
  using layer = DropoutLayer<T, D, P>;
};

}  // namespace galnet::nn
