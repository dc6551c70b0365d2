// The CPU convolution's im2col paths against a direct convolution in double, on shapes whose
// column matrix exceeds ops::detail::kBandBytes, so that it is built and used in bands of output
// rows (the gradient checks' small shapes never are): forward with bias, data gradient, and
// weight and bias gradients added into non-zero buffers, on one and two threads.
#include <doctest/doctest.h>

#include <galnet/core/parallel.hpp>
#include <galnet/core/rng.hpp>
#include <galnet/ops/cpu/conv2d.hpp>

#include "../support.hpp"

using namespace galnet;
using galnet::test::max_rel_diff;

namespace {
Tensor<double> random(const Shape& s, std::uint64_t seed) {
  Tensor<double> t(s);
  Generator g(seed);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = g.uniform() * 2 - 1;
  return t;
}

struct Direct {
  Tensor<double> y, dx, dw, db;
};
/// The three passes by their definitions (cross-correlation, as PyTorch).
Direct direct(const ops::Conv2dGeometry& g, const Tensor<double>& x, const Tensor<double>& w,
              const Tensor<double>& b, const Tensor<double>& dy, Tensor<double> dw, Tensor<double> db) {
  Direct r{Tensor<double>(dy.shape(), 0.0), Tensor<double>(x.shape(), 0.0), std::move(dw), std::move(db)};
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t o = 0; o < g.o; ++o)
      for (std::int64_t oy = 0; oy < g.ho; ++oy)
        for (std::int64_t ox = 0; ox < g.wo; ++ox) {
          const std::int64_t out = ((n * g.o + o) * g.ho + oy) * g.wo + ox;
          double sum = b[o];
          for (std::int64_t c = 0; c < g.c; ++c)
            for (std::int64_t i = 0; i < g.kh; ++i)
              for (std::int64_t j = 0; j < g.kw; ++j) {
                const std::int64_t iy = oy * g.stride - g.pad + i, ix = ox * g.stride - g.pad + j;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                const std::int64_t in = ((n * g.c + c) * g.h + iy) * g.w + ix, k = ((o * g.c + c) * g.kh + i) * g.kw + j;
                sum += w[k] * x[in];
                r.dx[in] += w[k] * dy[out];
                r.dw[k] += x[in] * dy[out];
              }
          r.y[out] = sum;
          r.db[o] += dy[out];
        }
  return r;
}

void check_banded(const ops::Conv2dGeometry& g) {
  CAPTURE(g.c);
  CAPTURE(g.kh);
  CAPTURE(g.stride);
  REQUIRE(ops::detail::band_rows<double>(g) < g.ho);  // the case under test: several bands
  const auto x = random(Shape{g.n, g.c, g.h, g.w}, 1), w = random(Shape{g.o, g.c, g.kh, g.kw}, 2);
  const auto b = random(Shape{g.o}, 3), dy = random(Shape{g.n, g.o, g.ho, g.wo}, 4);
  const auto dw0 = random(w.shape(), 5), db0 = random(b.shape(), 6);
  const auto ref = direct(g, x, w, b, dy, dw0, db0);
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    set_num_threads(threads);
    Tensor<double> y(dy.shape()), dx(x.shape()), dw = dw0, db = db0;
    ops::Conv2dWorkspace<double> ws;
    ops::conv2d_forward(g, x.data(), w.data(), b.data(), y.data(), ws);
    ops::conv2d_backward_data(g, dy.data(), w.data(), dx.data(), ws);
    ops::conv2d_backward_weight(g, x.data(), dy.data(), dw.data(), db.data(), ws);
    CHECK(max_rel_diff(ref.y, y) < 1e-13);
    CHECK(max_rel_diff(ref.dx, dx) < 1e-13);
    CHECK(max_rel_diff(ref.dw, dw) < 1e-13);
    CHECK(max_rel_diff(ref.db, db) < 1e-13);
  }
  set_num_threads(2);
}
}  // namespace

TEST_CASE("im2col convolutions in bands of output rows equal the direct convolution") {
  check_banded({2, 16, 40, 40, 5, 5, 5, 1, 0, 36, 36});  // SpinCNN-like 5×5 valid: 4 bands
  check_banded({3, 32, 64, 63, 4, 7, 7, 2, 3, 32, 32});  // ResNet-stem-like 7×7/2, odd width: 16 bands
}
