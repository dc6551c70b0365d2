// Max pooling (ops/cpu/pool2d.hpp) against its definition, window by window: the first maximum
// in row-major window order wins (ties are common after ReLU: inputs here take four values),
// a NaN takes the place and keeps it; regular windows of strides 1–3 with padding and odd
// sizes, and adaptive windows.
#include <doctest/doctest.h>

#include <cmath>
#include <galnet/core/parallel.hpp>
#include <galnet/core/rng.hpp>
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
  for (auto& v : x) v = std::floor(static_cast<float>(rng.uniform()) * 4.f);
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
    check({2, 3, 9, 7, 4, 3, 0, 1, 0, true});  // adaptive
  }
  set_num_threads(2);
}
