// galnet/nn/sequential.hpp — Sequential<Specs...>: layers applied in order, from a flat type list.
//
// The layers are members constructed in order, layer 0 first (as PyTorch builds a model, so a
// seed gives the same initial weights whatever the standard library), and are walked at
// compile time. Children are named "0", "1",
// … as in torch.nn.Sequential, or by their key where the spec is Named<"key", …> (nn/named.hpp),
// so a model such as SFNet is a Sequential with torchvision's key names. Channel counts are
// checked at compile time between neighbours: a mismatch fails with
// `galnet::nn::channels_match<Index, Produced, Expected>` in the error, naming the layer index
// and both counts. After a Flatten the feature count is checked at run time by the next layer.
// Every child but the first computes its input gradient; the first does where set_input_grad
// says (off by default: a model's input is data).
// Neighbours that run as one, in the same bits as layer by layer:
//   - BatchNorm then ReLU: the ReLU is the batch norm's tail (forward(x, nullptr, true)), and
//     its mask rides in the batch norm's backward;
//   - CPU inference (eval mode, nn::fused_inference()): an unbiased Conv2d then BatchNorm
//     (then ReLU), or a Conv2d then ReLU, run as the convolution's epilogue, with no pass of
//     their own over the activations. Backward after such a forward first re-runs the layered
//     forward on the same input.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "galnet/nn/module.hpp"
#include "galnet/nn/named.hpp"
#include "galnet/ops/cpu/epilogue.hpp"

namespace galnet::nn {

/// Instantiated for each neighbouring pair; fails when the channel counts disagree.
template <std::size_t LayerIndex, int Produced, int Expected>
struct channels_match {
  static_assert(Produced < 0 || Expected < 0 || Produced == Expected,
                "galnet::nn::Sequential: layer LayerIndex expects Expected input channels but the "
                "layer before it produces Produced (read the template arguments of this "
                "channels_match<LayerIndex, Produced, Expected>)");
  static constexpr bool value = true;
};

namespace detail {
template <std::size_t I, int Produced, class... Specs>
struct check_chain : std::true_type {};
template <std::size_t I, int Produced, class First, class... Rest>
struct check_chain<I, Produced, First, Rest...> {
  static constexpr bool value = channels_match<I, Produced, First::channels_in>::value &&
                                check_chain<I + 1,
                                            First::channels_out(Produced < 0 && First::channels_in > 0
                                                                    ? First::channels_in
                                                                    : Produced),
                                            Rest...>::value;
};

/// A layer that can apply a ReLU to its own output while it is in cache (Conv2d on the CPU).
template <class L, class T>
concept TakesEpilogue = requires(L& l, const Tensor<T, Cpu>& x) { l.forward_fused(x, ops::Epilogue<T>{}); };
/// A layer whose epilogue may hold batch norm's affine form (an unbiased Conv2d on the CPU).
template <class L>
concept TakesAffineEpilogue = requires { requires L::takes_affine_epilogue; };
/// A batch norm: its eval-mode affine form as an epilogue, and a ReLU as its tail.
template <class L, class T>
concept IsBatchNorm = requires(L& l, const Tensor<T, typename L::device_type>& x) {
  l.forward(x, nullptr, true);
  l.residual_gradient();
};
/// A ReLU layer (it says so: ElementwiseLayer<…, ReluOp>::is_relu).
template <class L>
concept IsRelu = requires { requires L::is_relu; };

/// Layer I of a Sequential; Layers<…> derives from each in order, so they construct in order
/// (std::tuple's order of construction is the library's choice: libstdc++ builds the last first).
template <std::size_t I, class L>
struct LayerSlot {
  L layer;
};
template <class Indices, class... L>
struct Layers;
template <std::size_t... I, class... L>
struct Layers<std::index_sequence<I...>, L...> : LayerSlot<I, L>... {};

template <class Spec>
constexpr std::string_view key_of() {
  if constexpr (HasKey<Spec>) return Spec::key;
  else return {};
}
}  // namespace detail

template <class T, class D, class... Specs>
class SequentialLayer : public LayerBase {
  static_assert(sizeof...(Specs) > 0, "galnet::nn::Sequential needs at least one layer");
  static_assert(detail::check_chain<0, kAnyChannels, Specs...>::value);
  static_assert((Layer<layer_t<Specs, T, D>> && ...),
                "galnet::nn::Sequential: every spec must name a layer satisfying galnet::nn::Layer");

public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;
  static constexpr std::size_t size = sizeof...(Specs);

  SequentialLayer() {
    each([](auto& l) { l.set_input_grad(true); });
    set_input_grad(false);
  }

  const tensor& forward(const tensor& x) {
    if constexpr (std::is_same_v<D, Cpu>) {
      if (!training_ && fused_inference()) {
        fused_input_ = &x;
        return forward_fused_from<0>(x);
      }
    }
    fused_input_ = nullptr;
    return forward_layered_from<0>(x);
  }
  const tensor& backward(const tensor& dy) {
    if (fused_input_) forward_layered_from<0>(*fused_input_);  // the layers' caches for their backward
    fused_input_ = nullptr;
    return backward_from<size - 1>(dy);
  }
  [[nodiscard]] Shape output_shape(const Shape& in) const {
    Shape s = in;
    each([&](const auto& l) { s = l.output_shape(s); });
    return s;
  }
  void train(bool on = true) {
    training_ = on;
    each([&](auto& l) { l.train(on); });
  }
  void eval() { train(false); }
  /// Whether backward() computes the input gradient (off by default: a model's input is data).
  void set_input_grad(bool on) {
    input_grad_ = on;
    at<0>().set_input_grad(on);
  }
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    visit_each(prefix, f, std::make_index_sequence<size>{});
  }
  template <class F>
  void for_each_child(F&& f) {
    each(f);
  }
  void summarize(Summary& s, const std::string& prefix, const Shape& in) const {
    summarize_each(s, prefix, in, std::make_index_sequence<size>{});
  }

  template <std::size_t I>
  auto& get() { return at<I>(); }
  template <std::size_t I>
  const auto& get() const { return at<I>(); }
  /// The child whose spec is Named<Key, …>: get<"fc">().
  template <FixedString Key>
  auto& get() { return at<index_of(Key.view())>(); }
  template <FixedString Key>
  const auto& get() const { return at<index_of(Key.view())>(); }

private:
  using layers_type = std::tuple<layer_t<Specs, T, D>...>;  // the types only

  template <std::size_t I>
  using layer_at = std::tuple_element_t<I, layers_type>;
  template <std::size_t I>
  layer_at<I>& at() { return static_cast<detail::LayerSlot<I, layer_at<I>>&>(layers_).layer; }
  template <std::size_t I>
  const layer_at<I>& at() const { return static_cast<const detail::LayerSlot<I, layer_at<I>>&>(layers_).layer; }
  /// f(layer) for each layer in order.
  template <class F>
  void each(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (f(at<I>()), ...); }(std::make_index_sequence<size>{});
  }
  template <class F>
  void each(F&& f) const {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (f(at<I>()), ...); }(std::make_index_sequence<size>{});
  }
  /// Whether layer I is a batch norm whose ReLU (layer I + 1) runs as its tail.
  template <std::size_t I>
  static constexpr bool relu_tail_at() {
    if constexpr (I + 1 < size) return detail::IsBatchNorm<layer_at<I>, T> && detail::IsRelu<layer_at<I + 1>>;
    else return false;
  }
  static constexpr std::size_t index_of(std::string_view key) {
    constexpr std::array<std::string_view, size> keys{detail::key_of<Specs>()...};
    std::size_t i = 0;
    while (i < size && keys[i] != key) ++i;
    if (i == size) throw "galnet::nn::Sequential::get: no child has this key";  // a compile-time error
    return i;
  }

  template <std::size_t I>
  const tensor& forward_layered_from(const tensor& h) {
    if constexpr (I == size) {
      return h;
    } else if constexpr (relu_tail_at<I>()) {
      return forward_layered_from<I + 2>(at<I>().forward(h, nullptr, true));
    } else {
      return forward_layered_from<I + 1>(at<I>().forward(h));
    }
  }
  /// Layers I… at CPU inference: a convolution with the batch norm and ReLU after it as one.
  template <std::size_t I>
  const tensor& forward_fused_from(const tensor& h) {
    if constexpr (I == size) {
      return h;
    } else {
      using L = layer_at<I>;
      auto& l = at<I>();
      if constexpr (I + 1 < size && detail::TakesEpilogue<L, T>) {
        using Next = layer_at<I + 1>;
        if constexpr (detail::TakesAffineEpilogue<L> && detail::IsBatchNorm<Next, T>) {
          constexpr bool relu = relu_tail_at<I + 1>();
          return forward_fused_from<I + (relu ? 3 : 2)>(
              l.forward_fused(h, at<I + 1>().eval_epilogue(nullptr, relu)));
        } else if constexpr (detail::IsRelu<Next>) {
          return forward_fused_from<I + 2>(l.forward_fused(h, ops::Epilogue<T>{.relu = true}));
        }
      }
      return forward_fused_from<I + 1>(l.forward(h));
    }
  }
  template <std::size_t I>
  const tensor& backward_from(const tensor& dy) {
    if constexpr (I > 0) {
      if constexpr (relu_tail_at<I - 1>()) return backward_from<I - 1>(dy);  // the batch norm masks dy
    }
    const tensor& dx = at<I>().backward(dy);
    if constexpr (I == 0) return dx;
    else return backward_from<I - 1>(dx);
  }
  /// Child I's key: its Named key, else its index.
  template <std::size_t I>
  static std::string key() {
    using S = std::tuple_element_t<I, std::tuple<Specs...>>;
    return detail::HasKey<S> ? std::string(detail::key_of<S>()) : std::to_string(I);
  }
  template <class F, std::size_t... I>
  void visit_each(const std::string& prefix, F& f, std::index_sequence<I...>) {
    (at<I>().visit(join(prefix, key<I>()), f), ...);
  }
  template <std::size_t... I>
  void summarize_each(Summary& s, const std::string& prefix, const Shape& in,
                      std::index_sequence<I...>) const {
    Shape shape = in;
    ((nn::summarize(at<I>(), s, join(prefix, key<I>()), shape),
      shape = at<I>().output_shape(shape)),
     ...);
  }

  detail::Layers<std::make_index_sequence<size>, layer_t<Specs, T, D>...> layers_;
  const tensor* fused_input_ = nullptr;  ///< the input of the last forward, when it was fused
};

/// Spec of a Sequential, so it can sit inside another type list or model.
template <class... Specs>
struct Sequential {
  static constexpr int channels_in = std::tuple_element_t<0, std::tuple<Specs...>>::channels_in;
  static constexpr int channels_out(int c) {
    ((c = Specs::channels_out(c < 0 && Specs::channels_in > 0 ? Specs::channels_in : c)), ...);
    return c;
  }
  template <class T, class D = Cpu>
  using layer = SequentialLayer<T, D, Specs...>;
};

}  // namespace galnet::nn
