// galnet/nn/module.hpp — what every layer is: the Layer concept, parameters, state, summary.
//
// Contract of a layer L (checked by the concept galnet::nn::Layer):
//   const Tensor& forward(const Tensor& x)   output, owned by the layer; x must stay alive and
//                                            unchanged until backward() (it is not copied)
//   const Tensor& backward(const Tensor& dy) gradient w.r.t. x, owned by the layer; accumulates
//                                            (+=) parameter gradients, as PyTorch does
//   Shape output_shape(const Shape& in)      throws galnet::Error naming the layer on a bad input
//   void train(bool) / bool training()       dropout and batch norm behave per mode
//   void set_input_grad(bool)                false skips the input gradient (a model's first layer)
//   visit(prefix, f)                         f(name, tensor, Parameter* or nullptr for buffers)
//                                            for each parameter and buffer, PyTorch key names
//   describe()                               a leaf: its row's type, e.g. "Conv2d(3, 64, …)"; or
//   summarize(summary, prefix, in_shape)     a composite: appends its rows to a Keras-like table
//                                            (nn::summarize calls whichever the layer has)
//   for_each_child(f)                        a composite only: f(child) for each layer it holds
//                                            (nn::for_each_layer walks a model through it)
// Buffers reached through forward/backward are resized, not reallocated, so a steady-state
// training step allocates nothing.
#pragma once
#include <atomic>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "galnet/core/options.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/nn/gradient_hook.hpp"

namespace galnet::nn {

/// A trainable tensor and its gradient. requires_grad = false freezes it: backward then skips
/// its gradient and optimizers skip it.
template <class T, class D = Cpu>
struct Parameter {
  Tensor<T, D> value;
  Tensor<T, D> grad;
  bool requires_grad = true;

  void init(const Shape& s) {
    value.resize(s);
    grad.resize(s);
    value.zero();
    grad.zero();
  }
};

/// One row of a model summary.
struct SummaryRow {
  std::string name;    ///< state-dict prefix, e.g. "layer1.0.conv1"
  std::string type;    ///< e.g. "Conv2d(64, 64, k=3, s=1, p=1)"
  Shape output;        ///< per-sample output shape (batch axis left out)
  std::int64_t params = 0;
  std::int64_t trainable = 0;
};

struct Summary {
  std::vector<SummaryRow> rows;

  [[nodiscard]] std::int64_t total_params() const {
    std::int64_t n = 0;
    for (const auto& r : rows) n += r.params;
    return n;
  }
  [[nodiscard]] std::int64_t trainable_params() const {
    std::int64_t n = 0;
    for (const auto& r : rows) n += r.trainable;
    return n;
  }
  /// The table, Keras style, ending with "Trainable params: N".
  [[nodiscard]] std::string str() const {
    std::size_t w0 = 24, w1 = 20;
    for (const auto& r : rows) {
      w0 = std::max(w0, r.name.size() + r.type.size() + 3);
      w1 = std::max(w1, r.output.str().size() + 2);
    }
    std::ostringstream os;
    const std::string rule(w0 + w1 + 14, '=');
    os << std::left << std::setw(static_cast<int>(w0)) << "Layer (type)" << std::setw(static_cast<int>(w1))
       << "Output shape" << std::right << std::setw(14) << "Param #" << "\n" << rule << "\n";
    for (const auto& r : rows)
      os << std::left << std::setw(static_cast<int>(w0)) << (r.name + " (" + r.type + ")")
         << std::setw(static_cast<int>(w1)) << r.output.str() << std::right << std::setw(14)
         << with_commas(r.params) << "\n";
    os << rule << "\nTotal params: " << with_commas(total_params())
       << "\nTrainable params: " << with_commas(trainable_params())
       << "\nNon-trainable params: " << with_commas(total_params() - trainable_params()) << "\n";
    return os.str();
  }
  static std::string with_commas(std::int64_t n) {
    std::string s = std::to_string(n), out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (i && (s.size() - i) % 3 == 0 && s[i - 1] != '-') out += ',';
      out += s[i];
    }
    return out;
  }
};

/// Joins state-dict name parts: join("layer1.0", "conv1") == "layer1.0.conv1".
inline std::string join(const std::string& prefix, const std::string& name) {
  if (prefix.empty()) return name;
  if (name.empty()) return prefix;
  return prefix + "." + name;
}

/// Per-sample shape (batch axis dropped) for summaries.
inline Shape per_sample(const Shape& s) {
  std::vector<std::int64_t> d = s.to_vector();
  if (!d.empty()) d.erase(d.begin());
  return Shape(d);
}

/// Mode flags every layer carries.
class LayerBase {
public:
  void train(bool on = true) { training_ = on; }
  void eval() { training_ = false; }
  [[nodiscard]] bool training() const { return training_; }
  void set_input_grad(bool on) { input_grad_ = on; }
  [[nodiscard]] bool input_grad() const { return input_grad_; }

protected:
  bool training_ = true;
  bool input_grad_ = true;
};

template <class L>
concept Layer = requires(L& l, const L& cl, const Tensor<typename L::value_type, typename L::device_type>& x,
                         const Shape& s, Summary& sum) {
  typename L::value_type;
  typename L::device_type;
  { l.forward(x) } -> std::same_as<const Tensor<typename L::value_type, typename L::device_type>&>;
  { l.backward(x) } -> std::same_as<const Tensor<typename L::value_type, typename L::device_type>&>;
  { cl.output_shape(s) } -> std::same_as<Shape>;
  l.train(true);
  l.set_input_grad(true);
  requires requires { cl.describe(); } || requires { cl.summarize(sum, std::string{}, s); };
};

/// Channel bookkeeping of layer specs: `channels_in` is the channel (or feature) count a layer
/// requires on axis 1, or kAnyChannels; `channels_out(c)` what it produces from c, or
/// kRuntimeChannels once the count is only known at run time (after Flatten).
inline constexpr int kAnyChannels = -1;
inline constexpr int kRuntimeChannels = -2;

/// A layer spec (what type lists hold) names its layer for a value type and device:
/// `typename Spec::template layer<T, D>`. layer_t spells that.
template <class Spec, class T = float, class D = Cpu>
using layer_t = typename Spec::template layer<T, D>;

/// Counts a leaf layer's parameters for its summary row.
template <class L>
void count_params(L& layer, std::int64_t& total, std::int64_t& trainable) {
  total = trainable = 0;
  layer.visit("", [&](const std::string&, auto&, auto* p) {
    if (p) {
      total += p->value.numel();
      if (p->requires_grad) trainable += p->value.numel();
    }
  });
}

/// The summary row of a leaf layer (one with no children).
template <class L>
void summarize_leaf(const L& layer, Summary& s, const std::string& prefix, const Shape& in) {
  SummaryRow row;
  row.name = prefix.empty() ? "-" : prefix;
  row.type = layer.describe();
  row.output = per_sample(layer.output_shape(in));
  count_params(const_cast<L&>(layer), row.params, row.trainable);
  s.rows.push_back(std::move(row));
}

/// Appends `layer`'s rows: a composite's own summarize, else the leaf's one row.
template <class L>
void summarize(const L& layer, Summary& s, const std::string& prefix, const Shape& in) {
  if constexpr (requires { layer.summarize(s, prefix, in); }) layer.summarize(s, prefix, in);
  else summarize_leaf(layer, s, prefix, in);
}

// ---- Whole-model helpers: they work on any layer or composition. ----

/// Calls f(l) for `layer` and every layer inside it (through for_each_child), parents first:
/// PyTorch's model.modules().
template <class L, class F>
void for_each_layer(L& layer, F&& f) {
  f(layer);
  if constexpr (requires { layer.for_each_child([](auto&) {}); })
    layer.for_each_child([&](auto& child) { for_each_layer(child, f); });
}

/// Every parameter, frozen or not, in state-dict order (PyTorch's model.parameters()). An
/// optimizer built from it skips frozen parameters at step time and updates them once they are
/// unfrozen, so freezing phases may come before or after the optimizer is built.
template <class L>
auto parameters(L& layer) {
  std::vector<Parameter<typename L::value_type, typename L::device_type>*> out;
  layer.visit("", [&](const std::string&, auto&, auto* p) {
    if (p) out.push_back(p);
  });
  return out;
}

/// The parameters that train now (requires_grad), in state-dict order: what the gradients of a
/// step are summed over.
template <class L>
auto trainable_parameters(L& layer) {
  auto out = parameters(layer);
  std::erase_if(out, [](const auto* p) { return !p->requires_grad; });
  return out;
}

/// Named parameters and buffers, in state-dict order.
template <class L>
auto named_state(L& layer) {
  std::vector<std::pair<std::string, Tensor<typename L::value_type, typename L::device_type>*>> out;
  layer.visit("", [&](const std::string& name, auto& t, auto*) { out.emplace_back(name, &t); });
  return out;
}

/// LibTorch's name for named_state: (key, tensor) for every parameter and buffer.
template <class L>
auto state_dict(L& layer) { return named_state(layer); }

template <class L>
std::int64_t count_parameters(L& layer, bool trainable_only = true) {
  std::int64_t n = 0;
  layer.visit("", [&](const std::string&, auto&, auto* p) {
    if (p && (!trainable_only || p->requires_grad)) n += p->value.numel();
  });
  return n;
}

template <class L>
void zero_grad(L& layer) {
  layer.visit("", [&](const std::string&, auto&, auto* p) {
    if (p) p->grad.zero();
  });
}

/// Freezes (or unfreezes) every parameter of `layer`, e.g. a model's body for head-only training.
template <class L>
void set_requires_grad(L& layer, bool on) {
  layer.visit("", [&](const std::string&, auto&, auto* p) {
    if (p) p->requires_grad = on;
  });
}
template <class L>
void freeze(L& layer) { set_requires_grad(layer, false); }
template <class L>
void unfreeze(L& layer) { set_requires_grad(layer, true); }

template <class L>
Summary summary(const L& layer, const Shape& input) {
  Summary s;
  nn::summarize(layer, s, "", input);
  return s;
}

}  // namespace galnet::nn
