// galnet/nn/pooling.hpp — MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d and
// AdaptiveConcatPool2d over [N, C, H, W], PyTorch semantics (see ops/cpu/pool2d.hpp).
//
// AdaptiveConcatPool2d is fastai's: cat(max, avg) along channels, max first, as fastai
// concatenates them, so fastai-trained heads load unchanged. Output [N, 2C, OH, OW].
#pragma once
#include <string>

#include "galnet/nn/module.hpp"
#include "galnet/ops/cpu/elementwise.hpp"
#include "galnet/ops/cpu/pool2d.hpp"

namespace galnet::nn {

enum class PoolKind { max, avg };

/// Regular (Adaptive = false: kernel A, stride B, padding P) or adaptive (output A × B) pooling.
template <class T, class D, PoolKind Kind, bool Adaptive, int A, int B, int P>
class Pool2dLayer : public LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;

  [[nodiscard]] Shape output_shape(const Shape& in) const {
    GALNET_CHECK(in.rank() == 4, describe(), ": expected input [N, C, H, W], got ", in.str());
    if constexpr (Adaptive) {
      GALNET_CHECK(in[2] > 0 && in[3] > 0, describe(), ": empty input ", in.str());
      return Shape{in[0], in[1], A, B};
    } else {
      GALNET_CHECK(in[2] + 2 * P >= A && in[3] + 2 * P >= A, describe(), ": input ", in.str(),
                   " is smaller than the window");
      return Shape{in[0], in[1], ops::pool_output_size(in[2], A, B, P),
                   ops::pool_output_size(in[3], A, B, P)};
    }
  }

  const tensor& forward(const tensor& x) {
    y_.resize(output_shape(x.shape()));
    const auto g = geometry(x.shape());
    if constexpr (Kind == PoolKind::max) {
      // At inference the arg-max is not recorded (a faster pass, same values); a backward
      // after it records it then, from x, which must still hold this forward's input (as
      // every layer's backward assumes of what it saved).
      has_argmax_ = training();
      if (has_argmax_) argmax_.resize(y_.shape());
      ops::Pool2d<D>::max_forward(g, x.data(), y_.data(), has_argmax_ ? argmax_.data() : nullptr);
    } else {
      ops::Pool2d<D>::avg_forward(g, x.data(), y_.data());
    }
    x_ = &x;
    return y_;
  }

  const tensor& backward(const tensor& dy) {
    GALNET_CHECK(x_ != nullptr, describe(), ": backward called before forward");
    check_shape(dy, y_.shape(), describe().c_str(), "output gradient");
    dx_.resize(x_->shape());
    const auto g = geometry(x_->shape());
    if constexpr (Kind == PoolKind::max) {
      if (!has_argmax_) {
        argmax_.resize(y_.shape());
        ops::Pool2d<D>::max_forward(g, x_->data(), y_.data(), argmax_.data());
        has_argmax_ = true;
      }
      ops::Pool2d<D>::max_backward(g, dy.data(), argmax_.data(), dx_.data());
    } else {
      ops::Pool2d<D>::avg_backward(g, dy.data(), dx_.data());
    }
    return dx_;
  }

  template <class F>
  void visit(const std::string&, F&&) {}
  [[nodiscard]] std::string describe() const {
    const std::string kind = Kind == PoolKind::max ? "Max" : "Avg";
    if constexpr (Adaptive)
      return "Adaptive" + kind + "Pool2d(" + std::to_string(A) + ", " + std::to_string(B) + ")";
    else
      return kind + "Pool2d(kernel_size=" + std::to_string(A) + ", stride=" + std::to_string(B) +
             ", padding=" + std::to_string(P) + ")";
  }

private:
  ops::Pool2dGeometry geometry(const Shape& in) const {
    const auto out = output_shape(in);
    ops::Pool2dGeometry g{in[0], in[1], in[2], in[3], out[2], out[3]};
    g.adaptive = Adaptive;
    if constexpr (!Adaptive) {
      g.kernel = A;
      g.stride = B;
      g.pad = P;
    }
    return g;
  }

  tensor y_, dx_;
  Tensor<std::int32_t, D> argmax_;
  bool has_argmax_ = false;  ///< argmax_ holds the last forward's
  const tensor* x_ = nullptr;
};

template <PoolKind Kind, bool Adaptive, int A, int B, int P>
struct PoolSpec {
  static_assert(A > 0 && B > 0 && P >= 0, "pooling: invalid geometry");
  static_assert(Adaptive || 2 * P <= A, "pooling: padding must be at most half the kernel");
  static constexpr int channels_in = kAnyChannels;
  static constexpr int channels_out(int c) { return c; }
  template <class T, class D = Cpu>
  using layer = Pool2dLayer<T, D, Kind, Adaptive, A, B, P>;
};

template <int K, int S = K, int P = 0>
struct MaxPool2d : PoolSpec<PoolKind::max, false, K, S, P> {};
template <int K, int S = K, int P = 0>
struct AvgPool2d : PoolSpec<PoolKind::avg, false, K, S, P> {};
template <int OH, int OW = OH>
struct AdaptiveAvgPool2d : PoolSpec<PoolKind::avg, true, OH, OW, 0> {};
template <int OH, int OW = OH>
struct AdaptiveMaxPool2d : PoolSpec<PoolKind::max, true, OH, OW, 0> {};

/// fastai's AdaptiveConcatPool2d: [max ‖ avg] along channels.
template <class T, class D, int OH, int OW>
class AdaptiveConcatPool2dLayer : public LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;

  [[nodiscard]] Shape output_shape(const Shape& in) const {
    Shape s = max_.output_shape(in);
    s[1] *= 2;
    return s;
  }
  const tensor& forward(const tensor& x) {
    y_.resize(output_shape(x.shape()));
    const auto& m = max_.forward(x);
    const auto& a = avg_.forward(x);
    const std::int64_t n = x.dim(0), half = m.numel() / n;
    const std::size_t bytes = sizeof(T) * static_cast<std::size_t>(half);
    for (std::int64_t i = 0; i < n; ++i) {
      DeviceMemory<D>::copy(y_.data() + i * 2 * half, m.data() + i * half, bytes);
      DeviceMemory<D>::copy(y_.data() + i * 2 * half + half, a.data() + i * half, bytes);
    }
    return y_;
  }
  const tensor& backward(const tensor& dy) {
    check_shape(dy, y_.shape(), describe().c_str(), "output gradient");
    Shape hs = dy.shape();
    hs[1] /= 2;
    dmax_.resize(hs);
    davg_.resize(hs);
    const std::int64_t n = hs[0], half = hs.numel_from(1);
    const std::size_t bytes = sizeof(T) * static_cast<std::size_t>(half);
    for (std::int64_t i = 0; i < n; ++i) {
      DeviceMemory<D>::copy(dmax_.data() + i * half, dy.data() + i * 2 * half, bytes);
      DeviceMemory<D>::copy(davg_.data() + i * half, dy.data() + i * 2 * half + half, bytes);
    }
    const auto& a = max_.backward(dmax_);
    const auto& b = avg_.backward(davg_);
    dx_.resize(a.shape());
    ops::Elementwise<D>::add(a.numel(), a.data(), b.data(), dx_.data());
    return dx_;
  }
  template <class F>
  void visit(const std::string&, F&&) {}
  [[nodiscard]] std::string describe() const {
    return "AdaptiveConcatPool2d(" + std::to_string(OH) + ", " + std::to_string(OW) + ")";
  }

private:
  Pool2dLayer<T, D, PoolKind::max, true, OH, OW, 0> max_;
  Pool2dLayer<T, D, PoolKind::avg, true, OH, OW, 0> avg_;
  tensor y_, dmax_, davg_, dx_;
};

template <int OH = 1, int OW = OH>
struct AdaptiveConcatPool2d {
  static constexpr int channels_in = kAnyChannels;
  static constexpr int channels_out(int c) { return c < 0 ? c : 2 * c; }
  template <class T, class D = Cpu>
  using layer = AdaptiveConcatPool2dLayer<T, D, OH, OW>;
};

}  // namespace galnet::nn
