// galnet/models/line_ew.hpp — Khederlarian et al. (2024)'s emission-line equivalent-width MLPs.
//
// LineEWMLP<T, D, In>: one line's network, In = 12 (11 colours + log luminosity) or 11:
//   layers.0 Linear(In → 64) · SELU · layers.1 Linear(64 → 128) · SELU ·
//   layers.2 Linear(128 → 64) · SELU · layers.3 Linear(64 → 1)
// Output y = arcsinh(EW / Å). Trainable parameters: 17,473 (In = 12), 17,409 (In = 11).
// Initialised N(0, 0.1²) as in the paper.
//
// LineEWNet<T, D, WithLuminosity>: all ten lines over raw features [N, In] → [N, 10]. Each line
// standardises its input with its own stored scalers (buffers LINE.color_scaler.mean/scale,
// LINE.luminosity_scaler.mean/scale) before its MLP (LINE.layers.K.*), so the published
// safetensors (../shared/data/emission-lines) load with load_state_dict as they are.
// Differentiable with respect to the raw features.
//
// Inference: in eval mode a float32 CPU net runs every line through ops::SeluMlp (fused,
// AVX-512 or AVX2, allocation-free once its buffers have grown, reading the layers' own weights), where
// the build has it; otherwise, and in training mode, layer by layer. infer() is the same fused
// inference as a const, thread-safe call (what models::LineEW predicts with). backward() after a fused
// forward first re-runs the layered forward on the same input, so gradients are always
// available (at the cost of that pass).
#pragma once
#include <array>
#include <string>
#include <string_view>
#include <type_traits>

#include "galnet/core/parallel.hpp"
#include "galnet/nn/activation.hpp"
#include "galnet/nn/init.hpp"
#include "galnet/nn/linear.hpp"
#include "galnet/nn/sequential.hpp"
#include "galnet/ops/cpu/selu_mlp.hpp"

namespace galnet::models {

inline constexpr std::array<std::string_view, 10> line_ew_lines{
    "OII_DOUBLET", "HGAMMA", "HBETA", "OIII_4959", "OIII_5007",
    "NII_6548",    "HALPHA", "NII_6584", "SII_6716", "SII_6731"};

template <class T = float, class D = Cpu, int In = 12>
class LineEWMLP : public nn::LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;

  LineEWMLP() {
    net_.visit("", [](const std::string&, auto& t, auto* p) {
      if (p) nn::init::normal(t, 0.0, 0.1);
    });
    net_.set_input_grad(true);
  }

  [[nodiscard]] Shape output_shape(const Shape& in) const { return net_.output_shape(in); }
  const tensor& forward(const tensor& x) { return net_.forward(x); }
  const tensor& backward(const tensor& dy) { return net_.backward(dy); }
  void train(bool on = true) { training_ = on, net_.train(on); }
  void eval() { train(false); }
  void set_input_grad(bool on) { input_grad_ = on, net_.set_input_grad(on); }
  template <class F>
  void for_each_child(F&& f) { f(net_); }
  /// Keys layers.0 … layers.3 (the Sequential's indices 0, 2, 4, 6).
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    net_.template get<0>().visit(nn::join(prefix, "layers.0"), f);
    net_.template get<2>().visit(nn::join(prefix, "layers.1"), f);
    net_.template get<4>().visit(nn::join(prefix, "layers.2"), f);
    net_.template get<6>().visit(nn::join(prefix, "layers.3"), f);
  }
  void summarize(nn::Summary& s, const std::string& prefix, const Shape& in) const {
    nn::summarize(net_, s, prefix, in);
  }
  /// Views of layers.0 … layers.3 for ops::SeluMlp (float32, CPU).
  std::array<ops::DenseRef, 4> dense() const
    requires(std::is_same_v<T, float> && std::is_same_v<D, Cpu>)
  {
    auto ref = [](const auto& linear, int in, int out) {
      return ops::DenseRef{linear.weight().value.data(), linear.bias().value.data(), in, out};
    };
    return {ref(net_.template get<0>(), In, 64), ref(net_.template get<2>(), 64, 128),
            ref(net_.template get<4>(), 128, 64), ref(net_.template get<6>(), 64, 1)};
  }

private:
  nn::layer_t<nn::Sequential<nn::Linear<In, 64>, nn::SELU, nn::Linear<64, 128>, nn::SELU,
                             nn::Linear<128, 64>, nn::SELU, nn::Linear<64, 1>>,
              T, D>
      net_;
};

template <class T = float, class D = Cpu, bool WithLuminosity = true>
class LineEWNet : public nn::LayerBase {
public:
  using value_type = T;
  using device_type = D;
  using tensor = Tensor<T, D>;
  static constexpr int colours = 11;
  static constexpr int inputs = WithLuminosity ? 12 : 11;
  static constexpr int lines = static_cast<int>(line_ew_lines.size());

  LineEWNet() {
    for (auto& l : line_) {
      l.colour_mean.resize(Shape{colours}), l.colour_mean.zero();
      l.colour_scale.resize(Shape{colours}), l.colour_scale.fill(T(1));
      l.lum_mean.resize(Shape{1}), l.lum_mean.zero();
      l.lum_scale.resize(Shape{1}), l.lum_scale.fill(T(1));
    }
  }

  [[nodiscard]] Shape output_shape(const Shape& in) const {
    GALNET_CHECK(in.rank() == 2 && in[1] == inputs, "LineEWNet: expected features [N, ", inputs,
                 "] (11 colours", WithLuminosity ? " + log luminosity" : "", "), got ", in.str());
    return Shape{in[0], lines};
  }

  const tensor& forward(const tensor& x) {
    y_.resize(output_shape(x.shape()));
#if defined(GALNET_SELU_MLP_FUSED)
    if constexpr (kFusable) {
      if (!training_ && nn::fused_inference()) {
        forward_fused(x);
        return y_;
      }
    }
#endif
    forward_layered(x);
    return y_;
  }

  const tensor& backward(const tensor& dy) {
    check_shape(dy, y_.shape(), "LineEWNet", "output gradient");
    if (fused_input_) forward_layered(*fused_input_);  // the layers' caches for their backward
    const std::int64_t n = dy.dim(0);
    dx_.resize(Shape{n, inputs});
    dx_.zero();
    for (int l = 0; l < lines; ++l) {
      auto& ln = line_[l];
      ln.dy.resize(Shape{n, 1});
      for (std::int64_t i = 0; i < n; ++i) ln.dy[i] = dy[i * lines + l];
      const tensor& dz = ln.mlp.backward(ln.dy);
      for (std::int64_t i = 0; i < n; ++i)
        for (int j = 0; j < inputs; ++j) dx_[i * inputs + j] += dz[i * inputs + j] / scale(ln, j);
    }
    return dx_;
  }

  void train(bool on = true) {
    training_ = on;
    for (auto& l : line_) l.mlp.train(on);
  }
  void eval() { train(false); }
  void set_input_grad(bool on) { input_grad_ = on; }
  template <class F>
  void for_each_child(F&& f) {
    for (auto& l : line_) f(l.mlp);
  }
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    using P = nn::Parameter<T, D>*;  // P(nullptr), not P{}: nvcc's front end turns P{} into int
    for (int l = 0; l < lines; ++l) {
      auto& ln = line_[l];
      const std::string name = nn::join(prefix, std::string(line_ew_lines[l]));
      f(nn::join(name, "color_scaler.mean"), ln.colour_mean, P(nullptr));
      f(nn::join(name, "color_scaler.scale"), ln.colour_scale, P(nullptr));
      if constexpr (WithLuminosity) {
        f(nn::join(name, "luminosity_scaler.mean"), ln.lum_mean, P(nullptr));
        f(nn::join(name, "luminosity_scaler.scale"), ln.lum_scale, P(nullptr));
      }
      ln.mlp.visit(name, f);
    }
  }
  void summarize(nn::Summary& s, const std::string& prefix, const Shape& in) const {
    for (int l = 0; l < lines; ++l)
      nn::summarize(line_[l].mlp, s, nn::join(prefix, std::string(line_ew_lines[l])), Shape{in[0], inputs});
  }
  LineEWMLP<T, D, inputs>& line(int l) { return line_[l].mlp; }
  const LineEWMLP<T, D, inputs>& line(int l) const { return line_[l].mlp; }
  /// Line l's input scaler for feature j (its colour or luminosity scaler's mean, scale).
  [[nodiscard]] T input_mean(int l, int j) const { return mean(line_[l], j); }
  [[nodiscard]] T input_scale(int l, int j) const { return scale(line_[l], j); }

  /// Inference that leaves the layers' buffers alone: y[i·10 + l] = line l's arcsinh(EW) of the
  /// raw features x[i·inputs …], n rows, through ops::SeluMlp (float32 CPU; the vector path
  /// where the build has it). Const, allocation-free and thread-safe; with `parallel` it may
  /// use the OpenMP team (never nested inside one); with `batch_invariant` a row's bits do not
  /// depend on the rows beside it (ops::SeluMlp::forward).
  void infer(std::int64_t n, const float* x, float* y, bool parallel = true, bool batch_invariant = false) const
    requires(std::is_same_v<T, float> && std::is_same_v<D, Cpu>)
  {
    // Few rows: the lines share out the threads (each line's weights, 69 KB, stay in one core's
    // cache); many rows: the lines run in turn, each splitting its row tiles.
    const bool by_line = parallel && n < 4 * ops::SeluMlp::kTile;
    auto run_line = [&](int l) {
      const auto& ln = line_[l];
      float centre[inputs], spread[inputs];
      for (int j = 0; j < inputs; ++j) centre[j] = mean(ln, j), spread[j] = scale(ln, j);
      const auto layers = ln.mlp.dense();
      ops::SeluMlp(layers, centre, spread).forward(n, x, inputs, y + l, lines, parallel && !by_line, batch_invariant);
    };
#if defined(_OPENMP)
    if (by_line && num_threads() > 1 && !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
      for (int l = 0; l < lines; ++l) run_line(l);
      return;
    }
#endif
    for (int l = 0; l < lines; ++l) run_line(l);
  }

private:
  struct Line {
    tensor colour_mean, colour_scale, lum_mean, lum_scale, z, dy;
    LineEWMLP<T, D, inputs> mlp;
  };
  static constexpr bool kFusable = ops::kSeluMlpFused && std::is_same_v<T, float> && std::is_same_v<D, Cpu>;

  /// Every line through infer(), straight from x into y_. The input is kept (by pointer, as
  /// the layers keep theirs) for a backward() that may follow.
#if defined(GALNET_SELU_MLP_FUSED)
  void forward_fused(const tensor& x)
    requires kFusable
  {
    infer(x.dim(0), x.data(), y_.data());
    fused_input_ = &x;
  }
#endif

  void forward_layered(const tensor& x) {
    fused_input_ = nullptr;
    const std::int64_t n = x.dim(0);
    for (int l = 0; l < lines; ++l) {
      auto& ln = line_[l];
      ln.z.resize(Shape{n, inputs});
      for (std::int64_t i = 0; i < n; ++i)
        for (int j = 0; j < inputs; ++j) ln.z[i * inputs + j] = (x[i * inputs + j] - mean(ln, j)) / scale(ln, j);
      const tensor& out = ln.mlp.forward(ln.z);
      for (std::int64_t i = 0; i < n; ++i) y_[i * lines + l] = out[i];
    }
  }

  static T mean(const Line& l, int j) { return j < colours ? l.colour_mean[j] : l.lum_mean[0]; }
  static T scale(const Line& l, int j) { return j < colours ? l.colour_scale[j] : l.lum_scale[0]; }

  std::array<Line, lines> line_;
  tensor y_, dx_;
  const tensor* fused_input_ = nullptr;  ///< the input of the last forward, when it was fused
};

}  // namespace galnet::models
