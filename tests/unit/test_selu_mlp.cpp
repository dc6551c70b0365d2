// The fused line-EW inference path (galnet/ops/cpu/selu_mlp.hpp, LineEWNet<float> in eval mode)
// against the layered path (training mode runs layer by layer): every batch size that mixes the
// tile and single-row paths, SELU's exponential against expm1 in double, results independent
// of the thread count, weights changed after eval() used at once, backward after a fused
// forward, and no allocation in a steady-state call.
#include <doctest/doctest.h>

#include <cmath>
#include <galnet/core/rng.hpp>
#include <galnet/models/line_ew.hpp>

#include "../support.hpp"

using namespace galnet;
using galnet::test::max_rel_diff;

#if defined(GALNET_SELU_MLP_FUSED)
namespace {
Tensor<float> features(std::int64_t n, std::uint64_t seed) {
  Tensor<float> x(Shape{n, 12});
  Generator g(seed);
  for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(g.uniform() * 4 - 2);
  return x;
}
/// Non-trivial scalers, so that the fused standardisation is exercised too.
void set_scalers(models::LineEWNet<float, Cpu, true>& net) {
  int k = 0;
  net.visit("", [&](const std::string& name, Tensor<float>& t, nn::Parameter<float>* p) {
    if (p) return;
    for (std::int64_t i = 0; i < t.numel(); ++i, ++k)
      t[i] = name.find("mean") != std::string::npos ? 0.1f * static_cast<float>(k % 7 - 3)
                                                    : 0.5f + 0.1f * static_cast<float>(k % 5);
  });
}
}  // namespace

TEST_CASE("SELU's vector exponential is within a few float ulp of expm1") {
  using I = ops::selu_mlp_detail::Isa;  // this build's instruction set: AVX-512 or AVX2
  alignas(64) float in[I::kLanes], out[I::kLanes];
  double worst = 0;
  for (double x0 = -25.0; x0 < 3.0; x0 += I::kLanes * 1e-3) {
    for (int j = 0; j < I::kLanes; ++j) in[j] = static_cast<float>(x0 + j * 1e-3);
    I::store(out, I::selu(I::load(in)));
    for (int j = 0; j < I::kLanes; ++j) {
      const double x = in[j], lambda = 1.0507009873554804934, alpha = 1.6732632423543772848;
      const double ref = x > 0 ? lambda * x : lambda * alpha * std::expm1(x);
      worst = std::max(worst, std::abs(out[j] - ref) / std::max(std::abs(ref), 1e-30));
    }
  }
  MESSAGE("SELU, x in [-25, 3): worst relative error ", worst);
  CHECK(worst < 4e-7);  // float's ulp is 6e-8 to 1.2e-7 relative
  in[0] = NAN;
  I::store(out, I::selu(I::load(in)));
  CHECK(std::isnan(out[0]));
}

TEST_CASE("ops::SeluMlp of one to four layers against a float64 reference, with and without scalers") {
  // LineEWNet always has four layers; these shapes also reach a lone output layer (nothing to
  // fold it into), a fold straight after the first layer, and widths that are no multiple of
  // an output block.
  const std::vector<std::vector<int>> nets = {{12, 1}, {5, 7, 1}, {12, 64, 128, 64, 1}, {3, 13, 29, 1}};
  Generator g(8);
  for (const auto& widths : nets) {
    std::vector<std::vector<float>> w, b;
    std::vector<ops::DenseRef> layers;
    for (std::size_t k = 0; k + 1 < widths.size(); ++k) {
      w.emplace_back(static_cast<std::size_t>(widths[k] * widths[k + 1]));
      b.emplace_back(static_cast<std::size_t>(widths[k + 1]));
      for (auto& v : w.back()) v = static_cast<float>(g.normal() / std::sqrt(widths[k]));
      for (auto& v : b.back()) v = static_cast<float>(0.3 * g.normal());
    }
    for (std::size_t k = 0; k + 1 < widths.size(); ++k) layers.push_back({w[k].data(), b[k].data(), widths[k], widths[k + 1]});
    const int in = widths.front();
    std::vector<float> mean(static_cast<std::size_t>(in)), scale(mean.size());
    for (int i = 0; i < in; ++i) mean[i] = 0.1f * static_cast<float>(i % 3), scale[i] = 0.5f + 0.25f * static_cast<float>(i % 4);
    for (const bool scaled : {false, true}) {
      const ops::SeluMlp mlp(layers, scaled ? mean.data() : nullptr, scaled ? scale.data() : nullptr);
      for (const std::int64_t rows : {std::int64_t{1}, std::int64_t{ops::SeluMlp::kTile}, std::int64_t{77}}) {
        std::vector<float> x(static_cast<std::size_t>(rows * in)), y(static_cast<std::size_t>(rows));
        for (auto& v : x) v = static_cast<float>(2 * g.normal());
        mlp.forward(rows, x.data(), in, y.data(), 1);
        double worst = 0, largest = 0;
        for (std::int64_t r = 0; r < rows; ++r) {
          std::vector<double> a(x.begin() + r * in, x.begin() + (r + 1) * in);
          if (scaled)
            for (int i = 0; i < in; ++i) a[i] = (a[i] - mean[i]) / scale[i];
          for (std::size_t k = 0; k < layers.size(); ++k) {
            std::vector<double> z(static_cast<std::size_t>(layers[k].out));
            for (int o = 0; o < layers[k].out; ++o) {
              z[o] = layers[k].b[o];
              for (int i = 0; i < layers[k].in; ++i) z[o] += double(layers[k].w[o * layers[k].in + i]) * a[i];
              if (k + 1 < layers.size())
                z[o] = 1.0507009873554804934 * (z[o] > 0 ? z[o] : 1.6732632423543772848 * std::expm1(z[o]));
            }
            a = std::move(z);
          }
          worst = std::max(worst, std::abs(y[r] - a[0]));
          largest = std::max(largest, std::abs(a[0]));
        }
        CHECK_MESSAGE(worst <= 1e-5 * std::max(largest, 1.0), "layers ", (widths.size() - 1), ", rows ", rows,
                      std::string(scaled ? ", scaled" : ""), ": ", worst, " of ", largest);
      }
    }
  }
}

TEST_CASE("LineEWNet<float> in eval mode (fused) predicts as the layered training-mode path") {
  manual_seed(3);
  models::LineEWNet<float, Cpu, true> net;
  set_scalers(net);
  for (std::int64_t n : {1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 47, 48, 100, 127, 128, 129, 300}) {
    const auto x = features(n, static_cast<std::uint64_t>(n));
    net.train();
    const Tensor<float> layered = net.forward(x);
    net.eval();
    const Tensor<float> fused = net.forward(x);
    const double d = max_rel_diff(layered, fused);
    CHECK_MESSAGE(d < 2e-6, "batch ", n, ": ", d);  // measured ≤ 6e-7
  }
}

TEST_CASE("the fused path gives the same bits on one thread and on two") {
  manual_seed(4);
  models::LineEWNet<float, Cpu, true> net;
  net.eval();
  for (std::int64_t n : {1, 7, 200, 1000}) {
    const auto x = features(n, 11);
    set_num_threads(1);
    const Tensor<float> one = net.forward(x);
    set_num_threads(2);
    const Tensor<float> two = net.forward(x);
    CHECK_MESSAGE(max_rel_diff(one, two) == 0.0, "batch ", n);
  }
}

TEST_CASE("the fused path reads the layers' weights: a change after eval() counts at once") {
  manual_seed(5);
  models::LineEWNet<float, Cpu, true> net;
  const auto x = features(40, 2);
  net.eval();
  const Tensor<float> before = net.forward(x);
  net.line(6).visit("", [](const std::string& name, Tensor<float>& t, nn::Parameter<float>*) {
    if (name == "layers.3.bias") t[0] += 1.0f;  // HALPHA's output moves by exactly 1
  });
  const Tensor<float> after = net.forward(x);
  for (std::int64_t i = 0; i < 40; ++i)
    for (int l = 0; l < 10; ++l) {
      const float d = after[i * 10 + l] - before[i * 10 + l];
      if (l == 6) CHECK(d == doctest::Approx(1.0).epsilon(1e-5));
      else CHECK(d == 0.0f);
    }
}

TEST_CASE("backward after a fused forward gives the layered gradients") {
  manual_seed(6);
  models::LineEWNet<float, Cpu, true> net;
  set_scalers(net);
  const auto x = features(37, 9);
  Tensor<float> dy(Shape{37, 10});
  for (std::int64_t i = 0; i < dy.numel(); ++i) dy[i] = static_cast<float>(std::sin(0.3 * static_cast<double>(i)));
  net.eval();
  net.forward(x);
  const Tensor<float> dx_fused = net.backward(dy);
  net.train();
  net.forward(x);
  const Tensor<float> dx_layered = net.backward(dy);
  CHECK(max_rel_diff(dx_layered, dx_fused) == 0.0);
}

TEST_CASE("a steady-state fused forward allocates nothing") {
  manual_seed(7);
  models::LineEWNet<float, Cpu, true> net;
  net.eval();
  const auto x = features(100, 3), one = features(1, 4);
  net.forward(x);
  const long long before = allocation_count();
  for (int r = 0; r < 3; ++r) net.forward(x), net.forward(one);
  CHECK(allocation_count() == before);
}
#else
TEST_CASE("the fused line-EW path needs AVX-512 or AVX2 + FMA, this build uses the layered path") {
  CHECK_FALSE(ops::kSeluMlpFused);
}
#endif
