// galnet/nn/activation.hpp — ReLU and SELU layers (any shape in, same shape out; no parameters).
#pragma once
#include <string>
#include <type_traits>

#include "galnet/nn/module.hpp"
#include "galnet/ops/cpu/activation.hpp"

namespace galnet::nn {

struct ReluOp;

/// Element-wise layer over an op pair: Op::forward<D>(n, x, y), Op::backward<D>(n, x, dy, dx).
template <class T, class D, class Op>
class ElementwiseLayer : public LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;
  /// Whether this is a ReLU (Sequential then lets the layer before it apply it at inference).
  static constexpr bool is_relu = std::is_same_v<Op, ReluOp>;

  [[nodiscard]] Shape output_shape(const Shape& in) const { return in; }
  const tensor& forward(const tensor& x) {
    y_.resize(x.shape());
    Op::template forward<D>(x.numel(), x.data(), y_.data());
    x_ = &x;
    return y_;
  }
  const tensor& backward(const tensor& dy) {
    GALNET_CHECK(x_ != nullptr, describe(), ": backward called before forward");
    check_shape(dy, x_->shape(), describe().c_str(), "output gradient");
    dx_.resize(x_->shape());
    Op::template backward<D>(dy.numel(), x_->data(), dy.data(), dx_.data());
    return dx_;
  }
  template <class F>
  void visit(const std::string&, F&&) {}
  [[nodiscard]] std::string describe() const { return Op::name; }

private:
  tensor y_, dx_;
  const tensor* x_ = nullptr;
};

struct ReluOp {
  static constexpr const char* name = "ReLU()";
  template <class D, class T>
  static void forward(std::int64_t n, const T* x, T* y) { ops::Activation<D>::relu_forward(n, x, y); }
  template <class D, class T>
  static void backward(std::int64_t n, const T* x, const T* dy, T* dx) { ops::Activation<D>::relu_backward(n, x, dy, dx); }
};
struct SeluOp {
  static constexpr const char* name = "SELU()";
  template <class D, class T>
  static void forward(std::int64_t n, const T* x, T* y) { ops::Activation<D>::selu_forward(n, x, y); }
  template <class D, class T>
  static void backward(std::int64_t n, const T* x, const T* dy, T* dx) { ops::Activation<D>::selu_backward(n, x, dy, dx); }
};

/// Spec of a shape-preserving layer without channel constraints.
template <template <class, class> class L>
struct PassThrough {
  static constexpr int channels_in = kAnyChannels;
  static constexpr int channels_out(int c) { return c; }
  template <class T, class D = Cpu>
  using layer = L<T, D>;
};

template <class T, class D>
using ReLULayer = ElementwiseLayer<T, D, ReluOp>;
template <class T, class D>
using SELULayer = ElementwiseLayer<T, D, SeluOp>;
struct ReLU : PassThrough<ReLULayer> {};
struct SELU : PassThrough<SELULayer> {};

}  // namespace galnet::nn
