// ops::gemm and ops::PackedA (galnet/ops/cpu/gemm.hpp) against a float64 reference: every
// transpose combination, row strides, alpha and beta (beta = 0 ignores NaN in C), edges of the
// own kernels' tiles (AVX-512 8 × 48, AVX2 6 × 16), slices and blocks (m past 512 and 384 rows,
// k past 256), k = 0, columns of C
// beyond n untouched; called from one thread and from inside a parallel region, with one and
// two threads, with bit-identical results; PackedA's products equal gemm's bit for bit.
#include <doctest/doctest.h>

#include <cmath>
#include <galnet/core/parallel.hpp>
#include <galnet/core/rng.hpp>
#include <galnet/ops/cpu/gemm.hpp>
#include <limits>
#include <vector>

using namespace galnet;

namespace {
struct Case {
  std::int64_t m, n, k;
  bool trans_a, trans_b;
  float alpha, beta;
};

struct Operands {
  std::int64_t lda, ldb, ldc;
  std::vector<float> a, b, c;
};

Operands make(const Case& t, std::uint64_t seed) {
  Generator g(seed);
  auto fill = [&](std::vector<float>& v, std::size_t size) {
    v.resize(size);
    for (auto& x : v) x = static_cast<float>(g.uniform() * 2 - 1);
  };
  Operands o;
  o.lda = (t.trans_a ? t.m : t.k) + static_cast<std::int64_t>(seed % 3);
  o.ldb = (t.trans_b ? t.k : t.n) + static_cast<std::int64_t>(seed % 2);
  o.ldc = t.n + 3;
  fill(o.a, static_cast<std::size_t>((t.trans_a ? t.k : t.m) * o.lda));
  fill(o.b, static_cast<std::size_t>((t.trans_b ? t.n : t.k) * o.ldb));
  fill(o.c, static_cast<std::size_t>(t.m * o.ldc));
  return o;
}

/// Checks C against float64: |error| ≤ 4 ε_float (Σ|a·b| + |β c|) per element, columns past n
/// unchanged.
void check(const Case& t, const Operands& in, const std::vector<float>& c) {
  const double eps = std::numeric_limits<float>::epsilon();
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < t.m; ++i)
    for (std::int64_t j = 0; j < in.ldc; ++j) {
      const float got = c[static_cast<std::size_t>(i * in.ldc + j)];
      const float before = in.c[static_cast<std::size_t>(i * in.ldc + j)];
      if (j >= t.n) {
        bad += got != before;
        continue;
      }
      double sum = 0, size = 0;
      for (std::int64_t p = 0; p < t.k; ++p) {
        const double x = in.a[static_cast<std::size_t>(t.trans_a ? p * in.lda + i : i * in.lda + p)];
        const double y = in.b[static_cast<std::size_t>(t.trans_b ? j * in.ldb + p : p * in.ldb + j)];
        sum += x * y;
        size += std::fabs(x * y);
      }
      const double old = t.beta == 0.f ? 0.0 : static_cast<double>(t.beta) * before;
      const double want = t.alpha * sum + old;
      bad += !(std::fabs(got - want) <= 4 * eps * (std::fabs(t.alpha) * size + std::fabs(old)) + 1e-30);
    }
  CHECK_MESSAGE(bad == 0, "m ", t.m, " n ", t.n, " k ", t.k, " trans ", t.trans_a, t.trans_b, " beta ", t.beta);
}

std::vector<float> run(const Case& t, const Operands& in) {
  std::vector<float> c = in.c;
  if (t.beta == 0.f)  // beta = 0 must overwrite, whatever C held
    for (std::int64_t i = 0; i < t.m; ++i) c[static_cast<std::size_t>(i * in.ldc)] = std::nanf("");
  ops::gemm<float>(t.trans_a, t.trans_b, t.m, t.n, t.k, t.alpha, in.a.data(), in.lda, in.b.data(), in.ldb, t.beta,
                   c.data(), in.ldc);
  return c;
}

std::vector<Case> cases() {
  std::vector<Case> all;
  const std::int64_t ms[] = {1, 5, 6, 7, 8, 9, 64, 520}, ns[] = {1, 7, 8, 9, 15, 16, 17, 33, 48, 49, 97, 300};
  const std::int64_t ks[] = {1, 5, 16, 17, 256, 300};
  const float betas[] = {0.f, 1.f, -0.5f};
  std::uint64_t i = 0;
  for (auto m : ms)
    for (auto n : ns)
      for (auto k : ks) {
        if (m * n * k > 4'000'000) continue;
        ++i;
        all.push_back({m, n, k, (i & 1) != 0, (i & 2) != 0, i % 5 == 0 ? 0.75f : 1.f, betas[i % 3]});
      }
  return all;
}
}  // namespace

TEST_CASE("gemm equals the float64 product for every transpose, stride, edge and beta") {
  const int before = num_threads();
  std::uint64_t seed = 0;
  for (const Case& t : cases()) {
    const Operands in = make(t, ++seed);
    set_num_threads(1);
    const std::vector<float> one = run(t, in);
    check(t, in, one);
    set_num_threads(2);
    const std::vector<float> two = run(t, in);
    CHECK_MESSAGE(two == one, "2 threads differ: m ", t.m, " n ", t.n, " k ", t.k);
  }
  set_num_threads(before);
}

TEST_CASE("gemm inside a parallel region (a product per thread) equals the serial one") {
  const Case t{72, 130, 300, false, true, 1.f, 1.f};
  std::vector<Operands> in;
  for (std::uint64_t s = 0; s < 4; ++s) in.push_back(make(t, 100 + s));
  std::vector<std::vector<float>> serial, parallel(4);
  for (const auto& o : in) serial.push_back(run(t, o));
#if defined(_OPENMP)
#pragma omp parallel for num_threads(2)
#endif
  for (int s = 0; s < 4; ++s) parallel[s] = run(t, in[s]);
  for (int s = 0; s < 4; ++s) CHECK(parallel[s] == serial[s]);
}

TEST_CASE("gemm with k = 0 scales C by beta, empty products leave C alone") {
  // C is 2 × 2 in rows of 20 (a buffer of vector width: GCC 12 warns falsely about Eigen's
  // packet loop on a 4-float array).
  std::vector<float> c(40, 9.f);
  c[0] = 1.f, c[1] = 2.f, c[20] = 3.f, c[21] = 4.f;
  ops::gemm<float>(false, false, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 0.5f, c.data(), 20);
  CHECK((c[0] == 0.5f && c[1] == 1.f && c[20] == 1.5f && c[21] == 2.f && c[2] == 9.f && c[22] == 9.f));
  ops::gemm<float>(false, false, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 0.f, c.data(), 20);
  CHECK((c[0] == 0.f && c[1] == 0.f && c[20] == 0.f && c[21] == 0.f && c[2] == 9.f));
  ops::gemm<float>(false, false, 0, 1, 3, 1.f, nullptr, 3, nullptr, 1, 0.f, c.data(), 1);
  CHECK(c[2] == 9.f);
}

TEST_CASE("PackedA products equal gemm bit for bit, for float and double") {
  const int before = num_threads();
  // The first three are packed whole (≥ 32 K floats; the first two then read panel-outer), the
  // last is packed per product.
  for (const Case& t : {Case{96, 200, 400, false, false, 1.f, 0.f}, Case{61, 100, 700, true, true, 1.f, 0.5f},
                        Case{520, 40, 300, true, false, 1.f, 1.f}, Case{9, 300, 600, true, true, 0.75f, -0.5f}}) {
    const Operands in = make(t, 7);
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      ops::PackedA<float> packed;
      packed.pack(t.trans_a, t.m, t.k, in.a.data(), in.lda);
      CHECK(packed.rows() == t.m);
      CHECK(packed.depth() == t.k);
      std::vector<float> c = in.c;
      packed.multiply(t.trans_b, t.n, t.alpha, in.b.data(), in.ldb, t.beta, c.data(), in.ldc);
      CHECK(c == run(t, in));
    }
    std::vector<double> a(in.a.begin(), in.a.end()), b(in.b.begin(), in.b.end()), c(in.c.begin(), in.c.end());
    std::vector<double> want = c;
    ops::gemm<double>(t.trans_a, t.trans_b, t.m, t.n, t.k, t.alpha, a.data(), in.lda, b.data(), in.ldb, t.beta,
                      want.data(), in.ldc);
    ops::PackedA<double> packed;
    packed.pack(t.trans_a, t.m, t.k, a.data(), in.lda);
    packed.multiply(t.trans_b, t.n, t.alpha, b.data(), in.ldb, t.beta, c.data(), in.ldc);
    CHECK(c == want);
  }
  set_num_threads(before);
}
