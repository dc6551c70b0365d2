// galnet/nn/sequential.hpp — Sequential<Specs...>: layers applied in order, from a flat type list.
//
// The layers live in a std::tuple and are walked with fold expressions (no recursive nesting,
// so deep models compile quickly). Children are named "0", "1", … as in torch.nn.Sequential.
// Channel counts are checked at compile time between neighbours: a mismatch fails with
// `galnet::nn::channels_match<Index, Produced, Expected>` in the error, naming the layer index
// and both counts. After a Flatten the feature count is checked at run time by the next layer.
// Inference on the CPU (eval mode, nn::fused_inference()): a layer that takes an epilogue
// (Conv2d's forward_fused) followed by a ReLU runs the ReLU as that epilogue, in the same bits,
// with no pass of its own over the activations (SpinCNN's five); backward after such a forward
// first re-runs the layered forward on the same input, as the ResNet blocks do.
#pragma once
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "galnet/nn/module.hpp"
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
/// A ReLU layer (it says so: ElementwiseLayer<…, ReluOp>::is_relu).
template <class L>
concept IsRelu = requires { requires L::is_relu; };
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

  SequentialLayer() { set_input_grad(false); }

  const tensor& forward(const tensor& x) {
    if constexpr (std::is_same_v<D, Cpu>) {
      if (!training_ && fused_inference()) {
        fused_input_ = &x;
        return forward_fused_from<0>(x);
      }
    }
    return forward_layered(x);
  }
  const tensor& backward(const tensor& dy) {
    if (fused_input_) forward_layered(*fused_input_);  // the layers' caches for their backward
    return backward_from<size - 1>(dy);
  }
  [[nodiscard]] Shape output_shape(const Shape& in) const {
    Shape s = in;
    std::apply([&](const auto&... l) { ((s = l.output_shape(s)), ...); }, layers_);
    return s;
  }
  void train(bool on = true) {
    training_ = on;
    std::apply([&](auto&... l) { (l.train(on), ...); }, layers_);
  }
  void eval() { train(false); }
  /// Whether backward() computes the input gradient (off by default: a model's input is data).
  void set_input_grad(bool on) {
    input_grad_ = on;
    std::get<0>(layers_).set_input_grad(on);
  }
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    visit_each(prefix, f, std::make_index_sequence<size>{});
  }
  void summarize(Summary& s, const std::string& prefix, const Shape& in) const {
    summarize_each(s, prefix, in, std::make_index_sequence<size>{});
  }

  template <std::size_t I>
  auto& get() { return std::get<I>(layers_); }
  template <std::size_t I>
  const auto& get() const { return std::get<I>(layers_); }

private:
  using layers_type = std::tuple<layer_t<Specs, T, D>...>;

  const tensor& forward_layered(const tensor& x) {
    fused_input_ = nullptr;
    const tensor* h = &x;
    std::apply([&](auto&... l) { ((h = &l.forward(*h)), ...); }, layers_);
    return *h;
  }
  /// Layers I… at CPU inference: a layer taking an epilogue with the ReLU after it as one.
  template <std::size_t I>
  const tensor& forward_fused_from(const tensor& h) {
    if constexpr (I == size) {
      return h;
    } else {
      using L = std::tuple_element_t<I, layers_type>;
      if constexpr (I + 1 < size) {
        if constexpr (detail::TakesEpilogue<L, T> && detail::IsRelu<std::tuple_element_t<I + 1, layers_type>>)
          return forward_fused_from<I + 2>(std::get<I>(layers_).forward_fused(h, ops::Epilogue<T>{.relu = true}));
      }
      return forward_fused_from<I + 1>(std::get<I>(layers_).forward(h));
    }
  }
  template <std::size_t I>
  const tensor& backward_from(const tensor& dy) {
    const tensor& dx = std::get<I>(layers_).backward(dy);
    if constexpr (I == 0) return dx;
    else return backward_from<I - 1>(dx);
  }
  template <class F, std::size_t... I>
  void visit_each(const std::string& prefix, F& f, std::index_sequence<I...>) {
    (std::get<I>(layers_).visit(join(prefix, std::to_string(I)), f), ...);
  }
  template <std::size_t... I>
  void summarize_each(Summary& s, const std::string& prefix, const Shape& in,
                      std::index_sequence<I...>) const {
    Shape shape = in;
    ((std::get<I>(layers_).summarize(s, join(prefix, std::to_string(I)), shape),
      shape = std::get<I>(layers_).output_shape(shape)),
     ...);
  }

  layers_type layers_;
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
