// galnet/nn/batchnorm.hpp — BatchNorm2d<C> ([N, C, H, W]) and BatchNorm1d<C> ([N, C] or
// [N, C, L]), PyTorch semantics: train() normalises with batch statistics and updates the
// running ones (momentum 0.1, unbiased running variance), eval() uses the running statistics.
// Parameters `weight` (1) and `bias` (0); buffers `running_mean` (0), `running_var` (1).
// set_sync(comm) (or nn::set_sync_batchnorm over a model) makes training mode normalise with the
// statistics of every rank's batch together (PyTorch's SyncBatchNorm; on a GPU through NCCL
// where the communicator has it).
// forward(x, residual, relu) is a ResNet block's bn → (+ residual) → ReLU as one layer: on the
// CPU the add and ReLU run in the normalising pass and the ReLU's mask in backward's first pass.
#pragma once
#include <cmath>
#include <string>
#include <type_traits>

#include "galnet/dist/communicator.hpp"
#include "galnet/nn/module.hpp"
#include "galnet/ops/cpu/activation.hpp"
#include "galnet/ops/cpu/batchnorm.hpp"
#include "galnet/ops/cpu/elementwise.hpp"
#include "galnet/ops/cpu/epilogue.hpp"

namespace galnet::nn {

template <class T, class D, int C, bool Spatial>
class BatchNormLayer : public LayerBase {
  static_assert(C > 0, "BatchNorm: channel count must be positive");

public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;

  BatchNormLayer() {
    weight_.init(Shape{C});
    weight_.value.fill(T(1));
    bias_.init(Shape{C});
    running_mean_.resize(Shape{C});
    running_mean_.zero();
    running_var_.resize(Shape{C});
    running_var_.fill(T(1));
    mean_.resize(Shape{C});
    invstd_.resize(Shape{C});
  }

  double momentum = 0.1;
  double eps = 1e-5;

  [[nodiscard]] Shape output_shape(const Shape& in) const {
    if constexpr (Spatial)
      GALNET_CHECK(in.rank() == 4, describe(), ": expected input [N, ", C, ", H, W], got ", in.str());
    else
      GALNET_CHECK(in.rank() == 2 || in.rank() == 3, describe(), ": expected input [N, ", C,
                   "] or [N, ", C, ", L], got ", in.str());
    GALNET_CHECK(in[1] == C, describe(), ": input has ", in[1], " channels (shape ", in.str(),
                 "), expected ", C);
    return in;
  }

  const tensor& forward(const tensor& x) { return forward(x, nullptr, false); }

  /// y = relu?(bn(x) + residual) (residual shaped as x, or null). backward(dy) then takes the
  /// gradient of this y and masks it by the ReLU; that masked gradient, residual_gradient(), is
  /// also what reaches the residual.
  const tensor& forward(const tensor& x, const tensor* residual, bool relu) {
    y_.resize(output_shape(x.shape()));
    if (residual) check_shape(*residual, x.shape(), describe().c_str(), "residual");
    const auto g = geometry(x.shape());
    synced_ = training_ && sync_ && sync_->size() > 1 ? sync_ : nullptr;
    relu_ = relu;
    if constexpr (std::is_same_v<D, Cpu>) {
      const ops::BatchNormTail<T> tail{residual ? residual->data() : nullptr, relu};
      if (training_) {
        ops::BatchNorm<D>::forward_train(g, x.data(), weight_.value.data(), bias_.value.data(), eps, momentum,
                                         running_mean_.data(), running_var_.data(), y_.data(), mean_.data(),
                                         invstd_.data(), synced_, tail);
      } else {
        ops::BatchNorm<D>::forward_eval(g, x.data(), weight_.value.data(), bias_.value.data(), eps,
                                        running_mean_.data(), running_var_.data(), y_.data(), tail);
      }
    } else {
      // Other devices: batch norm, add and ReLU as their own kernels (no aliased operands).
      tensor& normed = residual || relu ? pre_ : y_;
      normed.resize(x.shape());
      if (training_) {
        ops::BatchNorm<D>::forward_train(g, x.data(), weight_.value.data(), bias_.value.data(), eps, momentum,
                                         running_mean_.data(), running_var_.data(), normed.data(), mean_.data(),
                                         invstd_.data(), synced_);
      } else {
        ops::BatchNorm<D>::forward_eval(g, x.data(), weight_.value.data(), bias_.value.data(), eps,
                                        running_mean_.data(), running_var_.data(), normed.data());
      }
      const tensor* h = &normed;
      if (residual) {
        tensor& sum = relu ? sum_ : y_;
        sum.resize(x.shape());
        ops::Elementwise<D>::add(sum.numel(), h->data(), residual->data(), sum.data());
        h = &sum;
      }
      if (relu) ops::Activation<D>::relu_forward(y_.numel(), h->data(), y_.data());
    }
    if (!training_)
      ops::BatchNorm<D>::eval_statistics(C, running_mean_.data(), running_var_.data(), eps, mean_.data(),
                                         invstd_.data());
    trained_forward_ = training_;
    x_ = &x;
    return y_;
  }

  /// Inference (eval mode, CPU): this batch norm, then the residual add (residual may be null)
  /// and ReLU, as the epilogue of the convolution before it (Conv2dLayer::forward_fused), so
  /// that they run while the convolution's output is in cache. Valid until the next call.
  ops::Epilogue<T> eval_epilogue(const tensor* residual, bool relu)
    requires std::is_same_v<D, Cpu>
  {
    GALNET_CHECK(!training_, describe(), ": eval_epilogue is for eval mode");
    scale_.resize(Shape{C});
    shift_.resize(Shape{C});
    ops::batchnorm_eval_affine(C, weight_.value.data(), bias_.value.data(), eps, running_mean_.data(),
                               running_var_.data(), scale_.data(), shift_.data());
    x_ = nullptr;
    return {.scale = scale_.data(), .shift = shift_.data(), .residual = residual ? residual->data() : nullptr,
            .relu = relu};
  }

  /// The gradient of the last forward's output; masked by its ReLU where the forward had one.
  const tensor& backward(const tensor& dy) {
    GALNET_CHECK(x_ != nullptr, describe(), ": backward called before forward");
    check_shape(dy, y_.shape(), describe().c_str(), "output gradient");
    if (input_grad_) dx_.resize(x_->shape());
    else dx_.resize(Shape{});
    T* dgamma = weight_.requires_grad ? weight_.grad.data() : nullptr;
    T* dbeta = bias_.requires_grad ? bias_.grad.data() : nullptr;
    T* dx = input_grad_ ? dx_.data() : nullptr;
    if (relu_) masked_.resize(dy.shape());
    if constexpr (std::is_same_v<D, Cpu>) {
      const ops::BatchNormMask<T> mask{relu_ ? y_.data() : nullptr, relu_ ? masked_.data() : nullptr};
      ops::BatchNorm<D>::backward(geometry(x_->shape()), trained_forward_, x_->data(), dy.data(),
                                  weight_.value.data(), mean_.data(), invstd_.data(), dx, dgamma, dbeta, synced_,
                                  mask);
    } else {
      if (relu_) ops::Activation<D>::relu_backward(dy.numel(), y_.data(), dy.data(), masked_.data());
      ops::BatchNorm<D>::backward(geometry(x_->shape()), trained_forward_, x_->data(),
                                  relu_ ? masked_.data() : dy.data(), weight_.value.data(), mean_.data(),
                                  invstd_.data(), dx, dgamma, dbeta, synced_);
    }
    gradient_ready(weight_);
    gradient_ready(bias_);
    return dx_;
  }
  /// After backward through a forward with the ReLU: the gradient of the sum before it, which
  /// is also the residual's.
  [[nodiscard]] const tensor& residual_gradient() const {
    GALNET_CHECK(relu_, describe(), ": residual_gradient needs a forward with the ReLU tail");
    return masked_;
  }

  template <class F>
  void visit(const std::string& prefix, F&& f) {
    f(join(prefix, "weight"), weight_.value, &weight_);
    f(join(prefix, "bias"), bias_.value, &bias_);
    f(join(prefix, "running_mean"), running_mean_, static_cast<Parameter<T, D>*>(nullptr));
    f(join(prefix, "running_var"), running_var_, static_cast<Parameter<T, D>*>(nullptr));
  }
  [[nodiscard]] std::string describe() const {
    return std::string(Spatial ? "BatchNorm2d(" : "BatchNorm1d(") + std::to_string(C) + ")";
  }

  /// Training statistics over the ranks of `comm` together (each rank must then run every
  /// forward and backward); nullptr: over this rank's batch alone (the default, as PyTorch DDP).
  void set_sync(const dist::Communicator* comm) { sync_ = comm; }
  [[nodiscard]] const dist::Communicator* sync() const { return sync_; }

  Parameter<T, D>& weight() { return weight_; }
  Parameter<T, D>& bias() { return bias_; }
  tensor& running_mean() { return running_mean_; }
  tensor& running_var() { return running_var_; }

private:
  static ops::BatchNormGeometry geometry(const Shape& in) {
    return {in[0], C, in.rank() > 2 ? in.numel_from(2) : 1};
  }

  Parameter<T, D> weight_, bias_;
  tensor running_mean_, running_var_, mean_, invstd_, y_, dx_;
  tensor scale_, shift_;         ///< eval_epilogue's affine form
  tensor pre_, sum_;             ///< other devices: the unfused tail's intermediates
  tensor masked_;                ///< backward through the ReLU tail: the masked gradient
  const tensor* x_ = nullptr;
  bool trained_forward_ = true;
  bool relu_ = false;            ///< whether the last forward's tail had the ReLU
  const dist::Communicator* sync_ = nullptr;    ///< set_sync's ranks
  const dist::Communicator* synced_ = nullptr;  ///< the ranks the last forward's statistics spanned
};

template <int C>
struct BatchNorm2d {
  static constexpr int channels_in = C;
  static constexpr int channels_out(int) { return C; }
  template <class T, class D = Cpu>
  using layer = BatchNormLayer<T, D, C, true>;
};

template <int C>
struct BatchNorm1d {
  static constexpr int channels_in = C;
  static constexpr int channels_out(int) { return C; }
  template <class T, class D = Cpu>
  using layer = BatchNormLayer<T, D, C, false>;
};

namespace detail {
/// Whether any batch norm of `model` is synchronised over several ranks.
template <class L>
bool any_sync_batchnorm(L& model) {
  bool any = false;
  for_each_layer(model, [&](auto& l) {
    if constexpr (requires { l.sync(); }) any = any || (l.sync() && l.sync()->size() > 1);
  });
  return any;
}

/// set_sync(comm) on every batch norm that for_each_layer reaches; how many.
template <class L>
std::size_t set_sync_each(L& model, const dist::Communicator* comm) noexcept {
  std::size_t reached = 0;
  for_each_layer(model, [&](auto& l) {
    if constexpr (requires { l.set_sync(comm); }) l.set_sync(comm), ++reached;
  });
  return reached;
}
}  // namespace detail

/// Synchronised batch norm for data-parallel training (PyTorch's convert_sync_batchnorm): every
/// batch norm in `model` takes its training statistics over the whole global batch, the ranks
/// of `comm` together, at the price of two small allreduces in forward and one in backward per
/// layer, so that N ranks × batch B normalise as one process × batch N·B. nullptr returns each
/// to its own rank's batch. Throws when a composite without for_each_child hides a batch norm.
template <class L>
void set_sync_batchnorm(L& model, const dist::Communicator* comm) {
  const std::size_t reached = detail::set_sync_each(model, comm);
  std::size_t held = 0;
  model.visit("", [&](const std::string& name, auto&, auto* p) { held += !p && name.ends_with("running_mean"); });
  if (reached != held) detail::set_sync_each(model, nullptr);  // all or none
  GALNET_CHECK(reached == held, "nn::set_sync_batchnorm: reached ", reached, " of the model's ", held,
               " batch norms; a composite layer without for_each_child hides the others");
}

/// set_sync_batchnorm(model, &comm) while this object lives, then none (train::fit's
/// FitOptions::sync_batchnorm).
template <class L>
class SyncBatchNorm {
public:
  SyncBatchNorm(L& model, const dist::Communicator& comm) : model_(model) { set_sync_batchnorm(model_, &comm); }
  SyncBatchNorm(const SyncBatchNorm&) = delete;
  SyncBatchNorm& operator=(const SyncBatchNorm&) = delete;
  ~SyncBatchNorm() { detail::set_sync_each(model_, nullptr); }

private:
  L& model_;
};

}  // namespace galnet::nn
