// Max pooling (ops/cpu/pool2d.hpp) against its definition, window by window: the first maximum
// in row-major window order wins (ties are common after ReLU: inputs here take four values),
// a NaN takes the place and keeps it; regular windows of strides 1–3 with padding and odd
// sizes, and adaptive windows; without the arg-max (inference), the same bits.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <galnet/core/parallel.hpp>
#include <galnet/core/rng.hpp>
#include <galnet/nn/pooling.hpp>
#include <galnet/ops/cpu/pool2d.hpp>
#include <limits>
#include <vector>

using namespace galnet;

namespace {
void check(const ops::Pool2dGeometry& g) {
  CAPTURE(g.kernel);
  CAPTURE(g.stride);
  CAPTURE(g.pad);
  CAPTURE(g.w);
  CAPTURE(g.adaptive);
  std::vector<float> x(static_cast<std::size_t>(g.n * g.c * g.h * g.w));
  Generator rng(5);
  for (auto& v : x) {  // -1, ±0, 1, 2: ties, and zeros whose sign shows which element was taken
    v = std::floor(static_cast<float>(rng.uniform()) * 4.f) - 1.f;
    if (v == 0.f && rng.uniform() < 0.5) v = -0.f;
  }
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[x.size() / 2] = std::numeric_limits<float>::quiet_NaN();
  const auto outputs = static_cast<std::size_t>(g.n * g.c * g.oh * g.ow);
  std::vector<float> y(outputs);
  std::vector<std::int32_t> arg(outputs);
  ops::maxpool2d_forward(g, x.data(), y.data(), arg.data());
  for (std::int64_t pl = 0; pl < g.n * g.c; ++pl)
    for (std::int64_t oy = 0; oy < g.oh; ++oy)
      for (std::int64_t ox = 0; ox < g.ow; ++ox) {
        const auto wy = g.window(oy, g.h, g.oh), wx = g.window(ox, g.w, g.ow);
        float best = -std::numeric_limits<float>::infinity();
        std::int32_t at = static_cast<std::int32_t>(wy.begin * g.w + wx.begin);
        for (std::int64_t iy = wy.begin; iy < wy.end; ++iy)
          for (std::int64_t ix = wx.begin; ix < wx.end; ++ix) {
            const float v = x[static_cast<std::size_t>((pl * g.h + iy) * g.w + ix)];
            if (v > best || (std::isnan(v) && !std::isnan(best))) best = v, at = static_cast<std::int32_t>(iy * g.w + ix);
          }
        const auto i = static_cast<std::size_t>((pl * g.oh + oy) * g.ow + ox);
        REQUIRE(arg[i] == at);
        REQUIRE((y[i] == best || (std::isnan(y[i]) && std::isnan(best))));
      }
  // Without the arg-max (inference: separable for regular windows) the same element, so the same bits.
  std::vector<float> values(outputs, 7.f);
  ops::maxpool2d_forward(g, x.data(), values.data(), static_cast<std::int32_t*>(nullptr));
  REQUIRE(std::memcmp(values.data(), y.data(), outputs * sizeof(float)) == 0);
}
ops::Pool2dGeometry regular(std::int64_t h, std::int64_t w, std::int64_t k, std::int64_t s, std::int64_t p) {
  return {2, 3, h, w, ops::pool_output_size(h, k, s, p), ops::pool_output_size(w, k, s, p), k, s, p, false};
}
}  // namespace

TEST_CASE("max pooling takes the first maximum in row-major window order, NaN included") {
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    check(regular(72, 72, 3, 2, 1));  // the ResNet stem's
    check(regular(9, 11, 3, 2, 1));
    check(regular(10, 13, 2, 2, 0));
    check(regular(11, 10, 2, 1, 0));
    check(regular(14, 17, 3, 3, 1));
    check(regular(8, 9, 5, 2, 2));
    check(regular(12, 40, 2, 2, 0));  // SpinCNN's 2×2/2: whole vectors of stride-2 windows
    check(regular(7, 37, 3, 2, 1));
    check(regular(5, 1, 3, 2, 1));  // windows wider than the map: columns past it never read
    check(regular(4, 2, 5, 2, 2));
    check({2, 3, 9, 7, 4, 3, 0, 1, 0, true});  // adaptive
  }
  set_num_threads(2);
}

TEST_CASE("MaxPool2d in eval records no arg-max, and a backward after it still routes the gradient") {
  nn::MaxPool2d<3, 2, 1>::layer<float> trained, evaluated;
  evaluated.eval();
  Tensor<float> x(Shape{2, 3, 9, 20}), dy(Shape{2, 3, 5, 10});
  Generator rng(8);
  for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = std::floor(static_cast<float>(rng.uniform()) * 4.f);
  for (std::int64_t i = 0; i < dy.numel(); ++i) dy[i] = static_cast<float>(rng.uniform());
  const auto& y_train = trained.forward(x);
  const auto& y_eval = evaluated.forward(x);
  REQUIRE(std::memcmp(y_train.data(), y_eval.data(), y_train.numel() * sizeof(float)) == 0);
  const auto& dx_train = trained.backward(dy);
  const auto& dx_eval = evaluated.backward(dy);
  CHECK(std::memcmp(dx_train.data(), dx_eval.data(), dx_train.numel() * sizeof(float)) == 0);
}
