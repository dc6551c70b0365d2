// Winograd F(2×2, 3×3) and F(2×2, 5×5) (galnet/ops/cpu/winograd.hpp) against im2col + GEMM: the
// three passes in double agree to rounding, in float both are measured against the float64
// result and Winograd's error must stay within a small factor of im2col's and below the layer
// parity tolerance (2e-6); every padding from 0 to K − 1, odd and even maps, maps smaller than a
// tile, several chunks on one and two threads; accumulation into dw and db; results
// bit-identical run to run; which geometries take the path.
#include <doctest/doctest.h>

#include <galnet/core/parallel.hpp>
#include <galnet/core/rng.hpp>
#include <galnet/ops/cpu/conv2d.hpp>
#include <limits>

#include "../support.hpp"

using namespace galnet;
using galnet::test::cast;
using galnet::test::max_rel_diff;

namespace {
ops::Conv2dGeometry geometry(std::int64_t n, std::int64_t c, std::int64_t o, std::int64_t h, std::int64_t w,
                             std::int64_t k = 3, std::int64_t pad = 1) {
  return {n, c, h, w, o, k, k, 1, pad, h + 2 * pad - k + 1, w + 2 * pad - k + 1};
}

template <class T>
Tensor<T> random(const Shape& s, std::uint64_t seed) {
  Tensor<T> t(s);
  Generator g(seed);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(g.uniform() * 2 - 1);
  return t;
}
/// y, dx, dw, db of one convolution in T, from the same double inputs; Winograd on or off.
template <class T>
struct Passes {
  Tensor<T> y, dx, dw, db;
};
template <class T>
Passes<T> run(const ops::Conv2dGeometry& g, bool winograd) {
  const auto x = cast<T>(random<double>(Shape{g.n, g.c, g.h, g.w}, 1));
  const auto w = cast<T>(random<double>(Shape{g.o, g.c, g.kh, g.kw}, 2));
  const auto b = cast<T>(random<double>(Shape{g.o}, 3));
  const auto dy = cast<T>(random<double>(Shape{g.n, g.o, g.ho, g.wo}, 4));
  Passes<T> r{Tensor<T>(dy.shape()), Tensor<T>(x.shape()), cast<T>(random<double>(w.shape(), 5)),
              cast<T>(random<double>(b.shape(), 6))};  // dw, db start non-zero: the passes add
  ops::set_winograd(winograd);
  ops::set_winograd_5x5(winograd);  // the opt-in F(2×2, 5×5)
  REQUIRE(g.winograd() == winograd);
  ops::Conv2dWorkspace<T> ws;
  ops::conv2d_forward(g, x.data(), w.data(), b.data(), r.y.data(), ws);
  ops::conv2d_backward_data(g, dy.data(), w.data(), r.dx.data(), ws);
  // The Winograd weight gradient called directly: conv2d_backward_weight keeps im2col for 5×5
  // (Conv2dGeometry::winograd_weight_gradient), but the algorithm serves both sizes.
  if (winograd) ops::winograd_backward_weight(g, x.data(), dy.data(), r.dw.data(), r.db.data(), ws.winograd);
  else ops::conv2d_backward_weight(g, x.data(), dy.data(), r.dw.data(), r.db.data(), ws);
  ops::set_winograd(true);
  ops::set_winograd_5x5(false);
  return r;
}

struct Errors {
  double y, dx, dw;
};
template <class T>
Errors errors(const Passes<double>& ref, const Passes<T>& got) {
  return {max_rel_diff(ref.y, cast<double>(got.y)), max_rel_diff(ref.dx, cast<double>(got.dx)),
          max_rel_diff(ref.dw, cast<double>(got.dw))};
}

/// The checks of one geometry on the current thread count (see the file's opening comment).
void check_against_im2col(const ops::Conv2dGeometry& g) {
  CAPTURE(g.n);
  CAPTURE(g.c);
  CAPTURE(g.o);
  CAPTURE(g.h);
  CAPTURE(g.w);
  CAPTURE(g.kh);
  CAPTURE(g.pad);
  const auto ref = run<double>(g, false);
  const auto wino = errors(ref, run<double>(g, true));
  CHECK(wino.y < 1e-13);
  CHECK(wino.dx < 1e-13);
  CHECK(wino.dw < 1e-13);
  CHECK(max_rel_diff(ref.db, run<double>(g, true).db) < 1e-13);
  const auto direct = errors(ref, run<float>(g, false)), fast = errors(ref, run<float>(g, true));
  MESSAGE(g.kh, "x", g.kh, " float error vs float64, im2col / Winograd: y ", direct.y, " / ", fast.y, ", dx ",
          direct.dx, " / ", fast.dx, ", dw ", direct.dw, " / ", fast.dw);
  // Measured on these shapes: F(2×2, 3×3)'s error is 1–3× im2col's, all below 1e-6 (the layer
  // parity tolerance is 2e-6). The opt-in F(2×2, 5×5) (larger transform coefficients): y and dx
  // 0.3–1.7e-6, 4–13× im2col's; its weight gradient, which conv2d_backward_weight therefore does
  // not use, up to 5.8e-6, 15–66×. Where im2col is exact by luck (a 1×1 map: 3.6e-8 under -O1
  // without FMA), the transforms' own few roundings set the floor: 8 float ulp (32 for 5×5).
  const bool small = g.kh == 3;
  const double ratio = small ? 4 : 24, bound = small ? 2e-6 : 3e-6,
               floor = (small ? 8 : 32) * 0.5 * std::numeric_limits<float>::epsilon();
  CHECK(fast.y < std::max(ratio * direct.y, floor));
  CHECK(fast.dx < std::max(ratio * direct.dx, floor));
  CHECK(fast.dw < std::max((small ? 4 : 128) * direct.dw, floor));
  CHECK(fast.y < bound);
  CHECK(fast.dx < bound);
  CHECK(fast.dw < (small ? 2e-6 : 1.2e-5));
}
}  // namespace

TEST_CASE("Winograd F(2x2, 3x3) equals im2col in double and stays as accurate in float") {
  // (N, C, O, H, W): odd and even maps, 1×1 and 2×3 maps (one tile), ResNet's 5×5 stage, and
  // enough tiles for several chunks per thread; then paddings 0 and 2.
  const std::int64_t shapes[][5] = {{3, 5, 7, 5, 6}, {2, 4, 3, 1, 1}, {1, 3, 2, 2, 3}, {4, 16, 8, 9, 9},
                                    {8, 32, 24, 18, 18}, {2, 64, 64, 5, 5}, {3, 8, 16, 33, 20}};
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    CAPTURE(threads);
    for (const auto& s : shapes) check_against_im2col(geometry(s[0], s[1], s[2], s[3], s[4]));
    check_against_im2col(geometry(3, 6, 5, 9, 8, 3, 0));
    check_against_im2col(geometry(2, 5, 7, 4, 7, 3, 2));
  }
  set_num_threads(2);
}

TEST_CASE("Winograd F(2x2, 5x5) (opt-in) equals im2col in double, and its float error is bounded") {
  // (N, C, O, H, W, padding): SpinCNN's layer in miniature (valid, 64 → 96 channels, odd
  // output), 'same' padding, padding 4 (as the data gradient of a valid layer), maps of one
  // tile and below, and enough tiles for several chunks per thread.
  const std::int64_t shapes[][6] = {{2, 64, 96, 19, 19, 0}, {3, 5, 7, 9, 8, 2},  {2, 4, 3, 1, 1, 4},
                                    {1, 3, 2, 6, 5, 0},     {4, 16, 8, 12, 13, 1}, {3, 8, 16, 40, 23, 3},
                                    {2, 6, 4, 2, 3, 4}};
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    CAPTURE(threads);
    for (const auto& s : shapes) check_against_im2col(geometry(s[0], s[1], s[2], s[3], s[4], 5, s[5]));
  }
  set_num_threads(2);
}

TEST_CASE("Winograd results are bit-identical run to run") {
  set_num_threads(2);
  const auto g = geometry(8, 32, 24, 18, 18);
  const auto a = run<float>(g, true), b = run<float>(g, true);
  CHECK(max_rel_diff(a.y, b.y) == 0);
  CHECK(max_rel_diff(a.dx, b.dx) == 0);
  CHECK(max_rel_diff(a.dw, b.dw) == 0);
  CHECK(max_rel_diff(a.db, b.db) == 0);
}

TEST_CASE("square 3x3 and 5x5 stride-1 convolutions take the Winograd path") {
  CHECK(geometry(2, 4, 4, 8, 8).winograd());
  CHECK(geometry(2, 4, 4, 8, 8, 3, 0).winograd());
  CHECK_FALSE(geometry(2, 4, 4, 8, 8, 5, 0).winograd());  // F(2×2, 5×5) is opt-in
  ops::set_winograd_5x5(true);
  CHECK(geometry(2, 4, 4, 8, 8, 5, 0).winograd());
  CHECK(geometry(2, 4, 4, 8, 8, 5, 4).winograd());
  CHECK(geometry(2, 4, 4, 8, 8).winograd_weight_gradient());
  CHECK_FALSE(geometry(2, 4, 4, 8, 8, 5, 0).winograd_weight_gradient());  // im2col's, more accurate
  CHECK_FALSE(geometry(2, 4, 4, 8, 8, 5, 5).winograd());  // padding ≥ K
  CHECK_FALSE(ops::Conv2dGeometry{2, 4, 8, 8, 4, 3, 3, 2, 1, 4, 4}.winograd());  // stride 2
  CHECK_FALSE(geometry(2, 4, 4, 8, 8, 3, 3).winograd());                         // padding ≥ K
  CHECK_FALSE(geometry(2, 4, 4, 8, 8, 2, 0).winograd());                         // 2×2
  CHECK_FALSE(geometry(2, 4, 4, 8, 8, 6, 0).winograd());                         // 6×6
  CHECK_FALSE(geometry(2, 4, 4, 8, 8, 7, 3).winograd());                         // 7×7
  CHECK_FALSE(ops::Conv2dGeometry{2, 4, 8, 8, 4, 3, 5, 1, 1, 8, 6}.winograd());  // 3×5
  CHECK_FALSE(ops::Conv2dGeometry{2, 4, 8, 8, 4, 3, 3, 1, 1, 7, 8}.winograd());  // inconsistent output
  ops::set_winograd(false);
  CHECK_FALSE(geometry(2, 4, 4, 8, 8).winograd());
  CHECK_FALSE(geometry(2, 4, 4, 8, 8, 5, 0).winograd());
  ops::set_winograd(true);
  ops::set_winograd_5x5(false);
}
