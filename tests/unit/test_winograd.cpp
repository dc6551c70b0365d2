// Winograd F(2×2, 3×3) (galnet/ops/cpu/winograd.hpp) against im2col + GEMM: the three passes in
// double agree to rounding, in float both are measured against the float64 result and
// Winograd's error must stay within a small factor of im2col's; odd and even maps, maps smaller
// than a tile, several chunks on one and two threads; accumulation into dw and db; results
// bit-identical run to run; which geometries take the path.
#include <doctest/doctest.h>

#include <galnet/core/parallel.hpp>
#include <galnet/core/rng.hpp>
#include <galnet/ops/cpu/conv2d.hpp>
#include <limits>

#include "../support.hpp"

using namespace galnet;
using galnet::test::max_rel_diff;

namespace {
ops::Conv2dGeometry geometry(std::int64_t n, std::int64_t c, std::int64_t o, std::int64_t h, std::int64_t w) {
  return {n, c, h, w, o, 3, 3, 1, 1, h, w};
}

template <class T>
Tensor<T> random(const Shape& s, std::uint64_t seed) {
  Tensor<T> t(s);
  Generator g(seed);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(g.uniform() * 2 - 1);
  return t;
}
template <class T, class U>
Tensor<T> cast(const Tensor<U>& u) {
  Tensor<T> t(u.shape());
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(u[i]);
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
  const auto w = cast<T>(random<double>(Shape{g.o, g.c, 3, 3}, 2));
  const auto b = cast<T>(random<double>(Shape{g.o}, 3));
  const auto dy = cast<T>(random<double>(Shape{g.n, g.o, g.h, g.w}, 4));
  Passes<T> r{Tensor<T>(dy.shape()), Tensor<T>(x.shape()), cast<T>(random<double>(w.shape(), 5)),
              cast<T>(random<double>(b.shape(), 6))};  // dw, db start non-zero: the passes add
  ops::set_winograd(winograd);
  REQUIRE(g.winograd() == winograd);
  ops::Conv2dWorkspace<T> ws;
  ops::conv2d_forward(g, x.data(), w.data(), b.data(), r.y.data(), ws);
  ops::conv2d_backward_data(g, dy.data(), w.data(), r.dx.data(), ws);
  ops::conv2d_backward_weight(g, x.data(), dy.data(), r.dw.data(), r.db.data(), ws);
  ops::set_winograd(true);
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
}  // namespace

TEST_CASE("Winograd F(2x2, 3x3) equals im2col in double and stays as accurate in float") {
  // (N, C, O, H, W): odd and even maps, 1×1 and 2×3 maps (one tile), ResNet's 5×5 stage, and
  // enough tiles for several chunks per thread.
  const std::int64_t shapes[][5] = {{3, 5, 7, 5, 6}, {2, 4, 3, 1, 1}, {1, 3, 2, 2, 3}, {4, 16, 8, 9, 9},
                                    {8, 32, 24, 18, 18}, {2, 64, 64, 5, 5}, {3, 8, 16, 33, 20}};
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (const auto& s : shapes) {
      const auto g = geometry(s[0], s[1], s[2], s[3], s[4]);
      CAPTURE(threads);
      CAPTURE(g.n);
      CAPTURE(g.c);
      CAPTURE(g.o);
      CAPTURE(g.h);
      CAPTURE(g.w);
      const auto ref = run<double>(g, false);
      const auto wino = errors(ref, run<double>(g, true));
      CHECK(wino.y < 1e-13);
      CHECK(wino.dx < 1e-13);
      CHECK(wino.dw < 1e-13);
      CHECK(max_rel_diff(ref.db, run<double>(g, true).db) < 1e-13);
      const auto direct = errors(ref, run<float>(g, false)), fast = errors(ref, run<float>(g, true));
      MESSAGE("float error vs float64, im2col / Winograd: y ", direct.y, " / ", fast.y, ", dx ", direct.dx, " / ",
              fast.dx, ", dw ", direct.dw, " / ", fast.dw);
      // Measured on these shapes: Winograd's error is 1–3× im2col's, all below 1e-6. Where
      // im2col is exact by luck (a 1×1 map: 3.6e-8 under -O1 without FMA), the transforms' own
      // few roundings set the floor: 8 float ulp.
      const double floor = 8 * 0.5 * std::numeric_limits<float>::epsilon();
      CHECK(fast.y < std::max(4 * direct.y, floor));
      CHECK(fast.dx < std::max(4 * direct.dx, floor));
      CHECK(fast.dw < std::max(4 * direct.dw, floor));
      CHECK(fast.y < 2e-6);
      CHECK(fast.dx < 2e-6);
      CHECK(fast.dw < 2e-6);
    }
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

TEST_CASE("only 3x3 stride-1 padding-1 convolutions take the Winograd path") {
  CHECK(geometry(2, 4, 4, 8, 8).winograd());
  CHECK_FALSE(ops::Conv2dGeometry{2, 4, 8, 8, 4, 3, 3, 2, 1, 4, 4}.winograd());  // stride 2
  CHECK_FALSE(ops::Conv2dGeometry{2, 4, 8, 8, 4, 3, 3, 1, 0, 6, 6}.winograd());  // unpadded
  CHECK_FALSE(ops::Conv2dGeometry{2, 4, 8, 8, 4, 5, 5, 1, 2, 8, 8}.winograd());  // 5×5
  ops::set_winograd(false);
  CHECK_FALSE(geometry(2, 4, 4, 8, 8).winograd());
  ops::set_winograd(true);
}
