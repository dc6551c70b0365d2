// The CPU convolution's im2col paths against a direct convolution in double, on shapes whose
// column matrix exceeds ops::detail::kBandBytes, so that it is built and used in bands of output
// rows (the gradient checks' small shapes never are): forward with bias, data gradient, and
// weight and bias gradients added into non-zero buffers, on one and two threads. The float
// forward pass (implicit im2col with the own GEMM) against the same reference, and its packed panels
// against im2col + pack_b, bit for bit.
#include <doctest/doctest.h>

#include <cstring>
#if defined(__unix__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <galnet/core/parallel.hpp>
#include <galnet/core/rng.hpp>
#include <galnet/ops/cpu/conv2d.hpp>
#include <galnet/ops/cpu/detail/im2col_avx512.hpp>

#include "../support.hpp"

using namespace galnet;
using galnet::test::max_rel_diff;
using galnet::test::WinogradScope;

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
  const WinogradScope im2col(false);                   // a 5×5 layer: not F(2, 5) along rows
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

namespace {
/// The float forward pass (with the own GEMM: implicit im2col; on AVX2 stride 1 and the 7×7/2
/// stem run directly) against the direct convolution in double; Winograd off.
void check_float_forward(const ops::Conv2dGeometry& g) {
  const WinogradScope im2col(false);
  CAPTURE(g.kh);
  CAPTURE(g.stride);
  CAPTURE(g.pad);
  CAPTURE(g.wo);
  const auto x = random(Shape{g.n, g.c, g.h, g.w}, 7), w = random(Shape{g.o, g.c, g.kh, g.kw}, 8);
  const auto b = random(Shape{g.o}, 9), dy = random(Shape{g.n, g.o, g.ho, g.wo}, 10);
  const auto ref = direct(g, x, w, b, dy, Tensor<double>(w.shape(), 0.0), Tensor<double>(b.shape(), 0.0));
  auto to_float = [](const Tensor<double>& t) {
    Tensor<float> f(t.shape());
    for (std::int64_t i = 0; i < t.numel(); ++i) f[i] = static_cast<float>(t[i]);
    return f;
  };
  const auto xf = to_float(x), wf = to_float(w), bf = to_float(b);
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    set_num_threads(threads);
    Tensor<float> y(dy.shape());
    ops::Conv2dWorkspace<float> ws;
    ops::conv2d_forward(g, xf.data(), wf.data(), bf.data(), y.data(), ws);
    CHECK(max_rel_diff(to_float(ref.y), y) < 2e-6);
  }
  set_num_threads(2);
}
ops::Conv2dGeometry geometry(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w, std::int64_t o,
                             std::int64_t k, std::int64_t stride, std::int64_t pad) {
  return {n, c, h, w, o, k, k, stride, pad, (h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1};
}
}  // namespace

TEST_CASE("float convolutions (implicit im2col with the own GEMM) equal the direct convolution") {
  check_float_forward(geometry(2, 16, 40, 40, 24, 5, 1, 0));  // banded, valid 5×5
  check_float_forward(geometry(3, 3, 37, 35, 16, 7, 2, 3));   // stem-like 7×7/2, odd sizes
  check_float_forward(geometry(5, 8, 9, 9, 12, 3, 2, 1));     // grouped (25 outputs per sample)
  check_float_forward(geometry(4, 8, 10, 7, 8, 1, 2, 0));     // 1×1 stride 2
  check_float_forward(geometry(2, 4, 13, 11, 8, 4, 3, 2));    // stride 3 (explicit im2col)
  check_float_forward(geometry(2, 5, 6, 20, 9, 3, 1, 4));     // padding wider than the kernel
  check_float_forward(geometry(2, 6, 9, 8, 7, 2, 1, 0));      // 2×2 (explicit im2col)
  check_float_forward(geometry(6, 4, 7, 7, 5, 5, 1, 1));      // grouped 5×5
}

#if defined(GALNET_IMPLICIT_IM2COL)
TEST_CASE("implicit im2col packs exactly the panels of im2col + pack_b") {
#if defined(GALNET_GEMM_AVX512)
  namespace k = ops::detail::avx512;
#else
  namespace k = ops::detail::avx2;
#endif
  for (const auto& g : {geometry(3, 6, 9, 11, 1, 3, 1, 1), geometry(2, 5, 13, 12, 1, 5, 2, 2),
                        geometry(2, 3, 7, 60, 1, 2, 1, 0), geometry(4, 2, 5, 5, 1, 7, 3, 3),
                        geometry(2, 11, 8, 8, 1, 5, 1, 4), geometry(3, 4, 20, 3, 1, 1, 2, 0)}) {
    CAPTURE(g.kh);
    CAPTURE(g.stride);
    CAPTURE(g.pad);
    const std::int64_t rows = g.col_rows(), cols = g.col_cols(), width = g.n * cols;
    Tensor<float> x(Shape{g.n, g.c, g.h, g.w}), col(Shape{rows, width});
    Generator rng(11);
    for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(rng.uniform()) + 0.5f;  // never 0
    for (std::int64_t s = 0; s < g.n; ++s) ops::im2col(g, x.data() + s * g.c * g.h * g.w, col.data() + s * cols, width);
    const ops::detail::packed::MatrixB<k::Kernel> explicit_b{false, col.data(), width};
    const k::Im2colB implicit_b{.x = x.data(), .c = g.c, .h = g.h, .w = g.w, .kh = g.kh, .kw = g.kw,
                                .stride = g.stride, .pad = g.pad, .ho = g.ho, .wo = g.wo};
    Tensor<float> want(Shape{rows * k::kCols}), got(Shape{rows * k::kCols});
    for (std::int64_t lo : {std::int64_t(0), std::int64_t(5), width / 2})
      for (std::int64_t p0 : {std::int64_t(0), std::int64_t(1), rows / 3})
        for (std::int64_t j = 0; j < width - lo; j += 13) {
          const std::int64_t depth = rows - p0, cover = std::min(k::kCols, width - lo - j);
          CAPTURE(lo);
          CAPTURE(p0);
          CAPTURE(j);
          want.fill(-1.f);
          got.fill(-2.f);
          explicit_b.from_col(lo).panel(j, cover).pack(p0, depth, want.data());
          implicit_b.from_col(lo).panel(j, cover).pack(p0, depth, got.data());
          REQUIRE(std::memcmp(want.data(), got.data(), depth * k::kCols * sizeof(float)) == 0);
        }
  }
}
#endif

#if defined(GALNET_CONV_DIRECT) && !defined(GALNET_EXPLICIT_IM2COL)
TEST_CASE("direct convolution (B read in place) equals im2col + GEMM bit for bit") {
  {
    // Output channels not a multiple of the tile's rows and above one A block; weights below
    // PackedA's packing threshold (A packed per slice); depths of several slices; rows of
    // whole, short and single runs (fewer than 8 columns too); windows of one column (K × 1 ones
    // under 128 deep: deeper ones sum in halves, tested below) or row; the
    // last rows' masked loads (inputs of whole 64-byte blocks, so that under ASan a read past
    // x's end would fault: Cpu::allocate rounds up to 64 bytes).
    for (const auto& g : {geometry(2, 64, 20, 23, 7, 5, 1, 0), geometry(1, 3, 40, 41, 400, 6, 1, 0),
                          geometry(1, 16, 10, 10, 8, 5, 1, 0), ops::Conv2dGeometry{1, 1, 12, 20, 390, 3, 2, 1, 0, 10, 19},
                          ops::Conv2dGeometry{2, 2, 9, 12, 5, 3, 2, 1, 0, 7, 11}, geometry(1, 130, 6, 9, 13, 2, 1, 0),
                          ops::Conv2dGeometry{2, 4, 11, 30, 9, 1, 7, 1, 0, 11, 24},
                          ops::Conv2dGeometry{1, 5, 17, 8, 6, 4, 1, 1, 0, 14, 8}}) {
      CAPTURE(g.c);
      CAPTURE(g.o);
      CAPTURE(g.kh);
      CAPTURE(g.kw);
      const std::int64_t cols = g.col_cols(), sample = g.c * g.h * g.w;
      Tensor<float> x(Shape{g.n, g.c, g.h, g.w}), w(Shape{g.o, g.c, g.kh, g.kw}), col(Shape{g.col_rows(), cols});
      Generator rng(12);
      for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(rng.uniform()) - 0.5f;
      for (std::int64_t i = 0; i < w.numel(); ++i) w[i] = static_cast<float>(rng.uniform()) - 0.5f;
      Tensor<float> want(Shape{g.n, g.o, g.ho, g.wo}), got(want.shape(), -7.f);
      ops::PackedA<float> weights;
      weights.pack(false, g.o, g.col_rows(), w.data());
      for (std::int64_t s = 0; s < g.n; ++s) {
        ops::im2col(g, x.data() + s * sample, col.data());
        ops::gemm<float>(false, false, g.o, cols, g.col_rows(), 1.f, w.data(), col.data(), 0.f,
                         want.data() + s * g.o * cols);
        const ops::detail::packed::DirectConv xs{.x = x.data() + s * sample, .c = g.c, .h = g.h, .w = g.w,
                                                 .kh = g.kh, .kw = g.kw};
        for (std::int64_t oy0 = 0; oy0 < g.ho; oy0 += 3)  // in bands, as conv2d_forward calls it
          weights.convolve_direct(xs, oy0, std::min(g.ho, oy0 + 3), got.data() + s * g.o * cols, cols);
      }
      REQUIRE(std::memcmp(want.data(), got.data(), want.numel() * sizeof(float)) == 0);
      // And through conv2d_forward (which takes it for these, 5×5 ones with Winograd off: else
      // F(2, 5) along rows), one sample over both threads too.
      const WinogradScope direct_path(false);
      for (int threads : {1, 2}) {
        CAPTURE(threads);
        set_num_threads(threads);
        REQUIRE(ops::detail::direct_conv<float>(g) == (g.kh * g.kw > 4 || g.wo % 8 == 0));
        Tensor<float> y(want.shape(), -7.f);
        ops::Conv2dWorkspace<float> ws;
        ops::conv2d_forward(g, x.data(), w.data(), static_cast<const float*>(nullptr), y.data(), ws);
        CHECK(std::memcmp(want.data(), y.data(), want.numel() * sizeof(float)) == 0);
      }
      set_num_threads(2);
    }
  }
}

#if defined(__unix__)
TEST_CASE("direct convolution never reads past its input (input abutting an inaccessible page)") {
  // The kernel's whole-vector loads are inline assembly, which ASan does not see: a read past x
  // would fault here instead.
  const long page = sysconf(_SC_PAGESIZE);
  for (const auto& g : {geometry(1, 5, 13, 21, 7, 5, 1, 0), ops::Conv2dGeometry{1, 3, 9, 11, 8, 2, 7, 1, 0, 8, 5},
                        geometry(1, 2, 12, 17, 6, 2, 1, 0),
                        ops::Conv2dGeometry{1, 6, 13, 11, 7, 5, 1, 1, 0, 9, 11}}) {  // 5×1: runs across rows
    CAPTURE(g.kw);
    const std::int64_t count = g.c * g.h * g.w, cols = g.col_cols();
    const auto bytes = static_cast<std::size_t>(count) * sizeof(float);
    const std::size_t span = (bytes + page - 1) / page * page + page;
    void* map = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(map != MAP_FAILED);
    char* guard = static_cast<char*>(map) + span - page;
    REQUIRE(mprotect(guard, page, PROT_NONE) == 0);
    auto* x = reinterpret_cast<float*>(guard - bytes);  // x ends where the guard page starts
    Tensor<float> w(Shape{g.o, g.c, g.kh, g.kw}), want(Shape{g.o, cols}), got(want.shape());
    Generator rng(13);
    for (std::int64_t i = 0; i < count; ++i) x[i] = static_cast<float>(rng.uniform());
    for (std::int64_t i = 0; i < w.numel(); ++i) w[i] = static_cast<float>(rng.uniform());
    ops::Conv2dWorkspace<float> ws;
    {
      const WinogradScope direct_path(false);  // the 5×5 one direct, not by F(2, 5) along rows
      ops::conv2d_forward(g, x, w.data(), static_cast<const float*>(nullptr), got.data(), ws);
    }
    Tensor<float> col(Shape{g.col_rows(), cols});
    ops::im2col(g, x, col.data());
    ops::gemm<float>(false, false, g.o, cols, g.col_rows(), 1.f, w.data(), col.data(), 0.f, want.data());
    CHECK(std::memcmp(want.data(), got.data(), want.numel() * sizeof(float)) == 0);
    munmap(map, span);
  }
}
#endif

TEST_CASE("the direct data gradient (padded dy, flipped weights) equals the definition") {
  {
    for (const auto& g : {geometry(2, 32, 20, 23, 12, 5, 1, 0), geometry(1, 40, 21, 22, 13, 4, 1, 1),
                          ops::Conv2dGeometry{2, 33, 10, 30, 11, 1, 7, 1, 0, 10, 24},
                          geometry(3, 36, 9, 9, 5, 5, 1, 2)}) {
      CAPTURE(g.c);
      CAPTURE(g.kh);
      CAPTURE(g.pad);
      REQUIRE(ops::detail::direct_conv_data<float>(g));
      const auto x = random(Shape{g.n, g.c, g.h, g.w}, 7), w = random(Shape{g.o, g.c, g.kh, g.kw}, 8);
      const auto b = random(Shape{g.o}, 9), dy = random(Shape{g.n, g.o, g.ho, g.wo}, 10);
      const auto ref = direct(g, x, w, b, dy, Tensor<double>(w.shape(), 0.0), Tensor<double>(b.shape(), 0.0));
      Tensor<float> wf(w.shape()), dyf(dy.shape());
      for (std::int64_t i = 0; i < w.numel(); ++i) wf[i] = static_cast<float>(w[i]);
      for (std::int64_t i = 0; i < dy.numel(); ++i) dyf[i] = static_cast<float>(dy[i]);
      Tensor<float> want(x.shape());
      for (std::int64_t i = 0; i < x.numel(); ++i) want[i] = static_cast<float>(ref.dx[i]);
      for (int threads : {1, 2})
        for (bool winograd : {false, true}) {  // 5×5 ones: direct, then F(2, 5) along rows
          CAPTURE(threads);
          CAPTURE(winograd);
          set_num_threads(threads);
          const WinogradScope path(winograd);
          Tensor<float> dx(x.shape(), 5.f);  // overwritten
          ops::Conv2dWorkspace<float> ws;
          ops::conv2d_backward_data(g, dyf.data(), wf.data(), dx.data(), ws);
          CHECK(max_rel_diff(want, dx) < 2e-6);
        }
      set_num_threads(2);
    }
  }
}

TEST_CASE("direct K x 1 convolutions (runs across rows, slices in halves) equal the definition") {
  // 40 channels × 5 rows = 200 deep (two halves of 128 and 72), 11 columns (runs cross rows);
  // and 320 deep over 3 columns.
  for (const auto& g : {ops::Conv2dGeometry{2, 40, 13, 11, 6, 5, 1, 1, 0, 9, 11},
                        ops::Conv2dGeometry{1, 64, 8, 3, 9, 5, 1, 1, 0, 4, 3}}) {
    REQUIRE(ops::detail::direct_conv<float>(g));
    check_float_forward(g);
  }
}

TEST_CASE("stride-2 convolutions with 7x7 windows and above run directly over their input's phases") {
  // A ResNet stem in miniature (3 channels, padding 3), every padding below the window, odd and
  // even maps, an even window and a 9×9 one, a batch of one over both threads.
  for (const auto& g : {geometry(2, 3, 23, 20, 20, 7, 2, 3), geometry(1, 3, 16, 17, 9, 7, 2, 0),
                        geometry(2, 2, 15, 18, 7, 7, 2, 5), geometry(2, 4, 19, 13, 6, 8, 2, 2),
                        geometry(1, 3, 21, 22, 13, 9, 2, 4), geometry(3, 1, 7, 7, 5, 7, 2, 3)}) {
    REQUIRE(ops::detail::phase_conv<float>(g));
    check_float_forward(g);
  }
  CHECK_FALSE(ops::detail::phase_conv<float>(geometry(2, 3, 20, 20, 8, 5, 2, 2)));   // 5×5: 36 % zero taps
  CHECK_FALSE(ops::detail::phase_conv<float>(geometry(2, 64, 20, 20, 8, 3, 2, 1)));  // 3×3/2: im2col
  CHECK_FALSE(ops::detail::phase_conv<float>(geometry(2, 3, 20, 20, 8, 7, 1, 3)));   // stride 1
  CHECK_FALSE(ops::detail::phase_conv<double>(geometry(2, 3, 20, 20, 8, 7, 2, 3)));  // float only
}
#endif
