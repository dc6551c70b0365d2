// Winograd F(2, 5) along rows (galnet/ops/cpu/winograd_rows.hpp), the default forward pass of
// 5×5 stride-1 unpadded convolutions: equal to im2col in double; in float measured against
// the float64 result, within a small factor of im2col's error and below the layer parity
// tolerance (2e-6); odd and even output widths, one-column and one-row outputs, bands that end
// short, the epilogue, one and two threads (bit-identical); which geometries take it.
#include <doctest/doctest.h>

#include <galnet/core/parallel.hpp>
#include <galnet/core/rng.hpp>
#include <galnet/ops/cpu/conv2d.hpp>
#include <limits>
#include <string>

#include "../support.hpp"

using namespace galnet;
using galnet::test::max_rel_diff;

namespace {
ops::Conv2dGeometry valid5x5(std::int64_t n, std::int64_t c, std::int64_t o, std::int64_t h, std::int64_t w) {
  return {n, c, h, w, o, 5, 5, 1, 0, h - 4, w - 4};
}

template <class T>
Tensor<T> random(const Shape& s, std::uint64_t seed, double lo = -1) {
  Tensor<T> t(s);
  Generator g(seed);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(lo + g.uniform() * (1 - lo));
  return t;
}

/// y = relu(conv(x, w) + b) in T from the same double inputs (x ≥ 0 when `relu_input`, as after a
/// ReLU); by rows Winograd, or by im2col (ops::set_winograd(false)).
template <class T>
Tensor<T> forward(const ops::Conv2dGeometry& g, bool rows, bool relu_input = false) {
  const auto xd = random<double>(Shape{g.n, g.c, g.h, g.w}, 1, relu_input ? 0 : -1);
  const auto wd = random<double>(Shape{g.o, g.c, 5, 5}, 2), bd = random<double>(Shape{g.o}, 3);
  Tensor<T> x(xd.shape()), w(wd.shape()), b(bd.shape()), y(Shape{g.n, g.o, g.ho, g.wo});
  for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<T>(xd[i] * 0.5);
  for (std::int64_t i = 0; i < w.numel(); ++i) w[i] = static_cast<T>(wd[i] * 0.05);
  for (std::int64_t i = 0; i < b.numel(); ++i) b[i] = static_cast<T>(bd[i]);
  ops::set_winograd(rows);
  REQUIRE(g.winograd_rows() == rows);
  ops::Conv2dWorkspace<T> ws;
  ops::conv2d_forward(g, x.data(), w.data(), ops::Epilogue<T>{.shift = b.data(), .relu = true}, y.data(), ws);
  ops::set_winograd(true);
  return y;
}

template <class T, class U>
Tensor<T> cast(const Tensor<U>& u) {
  Tensor<T> t(u.shape());
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(u[i]);
  return t;
}

// (N, C, O, H, W): SpinCNN's layer in miniature (64 → 96 channels, odd output), even and odd
// widths, a one-column and a one-row output, a single-channel input, and maps taller than a
// band (several units per sample, the last short).
const std::int64_t kShapes[][5] = {{2, 64, 96, 19, 19}, {3, 5, 7, 9, 8}, {2, 3, 4, 5, 12}, {2, 6, 5, 13, 5},
                                   {3, 1, 8, 10, 11},   {1, 32, 96, 30, 61}};
}  // namespace

TEST_CASE("F(2, 5) along rows equals im2col in double and stays close to it in float") {
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    CAPTURE(threads);
    for (const auto& s : kShapes) {
      const auto g = valid5x5(s[0], s[1], s[2], s[3], s[4]);
      CAPTURE(g.c);
      CAPTURE(g.h);
      CAPTURE(g.w);
      for (bool relu_input : {false, true}) {
        const auto ref = forward<double>(g, false, relu_input);
        CHECK(max_rel_diff(ref, forward<double>(g, true, relu_input)) < 1e-13);
        const double direct = max_rel_diff(ref, cast<double>(forward<float>(g, false, relu_input)));
        const double rows = max_rel_diff(ref, cast<double>(forward<float>(g, true, relu_input)));
        MESSAGE("5x5 ", g.c, "->", g.o, " ", g.h, "x", g.w, std::string(relu_input ? ", x >= 0" : ""),
                ": float error vs float64, im2col ", direct, ", F(2, 5) rows ", rows);
        // Measured: 2–4× im2col's (numpy on SpinCNN's layer, and these shapes). Where im2col
        // is exact by luck, the transforms' few roundings set the floor (16 float ulp).
        CHECK(rows < std::max(6 * direct, 16 * 0.5 * std::numeric_limits<float>::epsilon()));
        CHECK(rows < 2e-6);
      }
    }
  }
  set_num_threads(2);
}

TEST_CASE("F(2, 5) along rows gives the same bits on one and two threads") {
  const auto g = valid5x5(3, 16, 24, 40, 21);
  set_num_threads(1);
  const auto one = forward<float>(g, true);
  set_num_threads(2);
  const auto two = forward<float>(g, true), again = forward<float>(g, true);
  CHECK(max_rel_diff(one, two) == 0);
  CHECK(max_rel_diff(two, again) == 0);
}

TEST_CASE("5x5 stride-1 unpadded convolutions take F(2, 5) along rows unless F(2x2, 5x5) is on") {
  CHECK(valid5x5(2, 4, 4, 9, 9).winograd_rows());
  CHECK(valid5x5(2, 4, 4, 5, 5).winograd_rows());                                      // one output
  CHECK_FALSE(ops::Conv2dGeometry{2, 4, 9, 9, 4, 5, 5, 1, 1, 7, 7}.winograd_rows());   // padded
  CHECK_FALSE(ops::Conv2dGeometry{2, 4, 9, 9, 4, 5, 5, 2, 0, 3, 3}.winograd_rows());   // stride 2
  CHECK_FALSE(ops::Conv2dGeometry{2, 4, 9, 9, 4, 3, 3, 1, 0, 7, 7}.winograd_rows());   // 3×3: F(2×2, 3×3)
  CHECK_FALSE(ops::Conv2dGeometry{2, 4, 9, 9, 4, 5, 3, 1, 0, 5, 7}.winograd_rows());   // 5×3
  CHECK_FALSE(ops::Conv2dGeometry{2, 4, 9, 9, 4, 5, 5, 1, 0, 5, 4}.winograd_rows());   // inconsistent output
  ops::set_winograd_5x5(true);
  CHECK_FALSE(valid5x5(2, 4, 4, 9, 9).winograd_rows());  // the opt-in F(2×2, 5×5) instead
  ops::set_winograd_5x5(false);
  ops::set_winograd(false);
  CHECK_FALSE(valid5x5(2, 4, 4, 9, 9).winograd_rows());
  ops::set_winograd(true);
}
