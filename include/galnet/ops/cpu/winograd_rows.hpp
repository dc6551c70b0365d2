// galnet/ops/cpu/winograd_rows.hpp — a 5×5 stride-1 convolution by Winograd F(2, 5) along the
// rows, its columns convolved directly: 1.67× fewer multiplications than direct convolution, at
// a float error within the layer parity tolerance where the build has FMA (F(2×2, 5×5) takes
// 2.78× fewer, at a larger error: opt-in). The forward and data-gradient passes (the latter the
// same convolution of dy, padded by K − 1 − p, with the filters flipped and transposed).
//
// For kernel row ki the row correlation is one-dimensional, so with F(2, K)'s matrices
// (winograd_transforms.hpp; α = K + 1 points, 0 and ∞ among them) the outputs 2t and 2t + 1 of
// row oy are
//     y[o, oy, 2t + m] = Σ_ξ Aᵀ[m, ξ] · M[ξ][o, oy, t],
//     M[ξ][o, oy, t]   = Σ_{c, ki} U[ξ][o, c, ki] · V[ξ][c, oy + ki, t],
//     U[ξ][o, c, ki]   = Σ_kj G[ξ, kj] · w[o, c, ki, kj],   V[ξ][c, r, t] = Σ_j Bᵀ[ξ, j] · x[c, r, 2t + j].
// Each M[ξ] is a K × 1 convolution (stride 1, no padding) of the row-transformed input V[ξ]
// [C, rows, T] with the filters U[ξ] [O, C·K]: α products of K·C depth where direct convolution
// does K² · C for two outputs. On AVX2 they run in place (conv_direct.hpp, runs across rows, no
// packing); elsewhere through a K-row column matrix and the GEMM.
// Padding is read as zeros by the row transform (no padded copy). Work is split in units of
// one sample's band of output rows (its V, M and outputs stay in L2);
// point 0 feeds only output 2t and ∞ only 2t + 1, so their products are written straight into
// the even and odd outputs and the other α − 2 added to them. The arithmetic is fixed per unit
// and units run one per thread: results are bit-identical run to run, and on AVX2 (the direct
// products) for any thread count; elsewhere a lone unit's GEMM may split over the threads.
// tests/unit/test_winograd_rows.cpp checks it against im2col in double and measures its float
// error against float64.
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/parallel.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/ops/conv2d_geometry.hpp"
#include "galnet/ops/cpu/epilogue.hpp"
#include "galnet/ops/cpu/gemm.hpp"
#include "galnet/ops/cpu/winograd.hpp"

namespace galnet::ops {

/// The buffers the row Winograd path reuses from batch to batch.
template <class T>
struct RowWinogradWorkspace {
  std::vector<T> filters;               ///< U [α, O·C·K]
  std::vector<T> flipped;               ///< the data gradient's filters [C, O, K, K], flipped
  PackedA<T> packed[8];                 ///< U[ξ], packed once per pass
  std::vector<Tensor<T, Cpu>> scratch;  ///< per thread: phases, V, M, even and odd outputs (columns)
};

namespace winograd_rows {

/// Whether M[ξ] is computed in place by the direct kernel (AVX2; float), else by a column matrix.
template <class T>
#if defined(GALNET_EXPLICIT_IM2COL)
inline constexpr bool kDirect = false;
#else
inline constexpr bool kDirect = std::is_same_v<T, float> && detail::kConvDirect;
#endif

/// The sizes of one pass: units of `band` output rows of a sample.
struct Plan {
  std::int64_t n, c, o, h, w, pad, ho, wo;
  std::int64_t k, tw;         ///< filter size; output pairs per row (⌈wo / 2⌉)
  std::int64_t band, bands;   ///< output rows per unit, units per sample
  [[nodiscard]] std::int64_t rows() const { return band + k - 1; }      ///< input rows per unit
  [[nodiscard]] std::int64_t span() const { return tw + k / 2; }        ///< an input row's phase
  [[nodiscard]] std::int64_t phases() const { return 2 * c * rows() * span(); }
  [[nodiscard]] std::int64_t transformed() const { return c * rows() * tw; }
  [[nodiscard]] std::int64_t outputs() const { return o * band * tw; }
  template <class T>
  [[nodiscard]] std::int64_t scratch() const {
    return phases() + transformed() + 3 * outputs() + (kDirect<T> ? 0 : c * k * band * tw);
  }
};

/// A unit's V, M and outputs within ≈ 256 KB (half of an AVX2 core's L2): SpinCNN's layer
/// (64 → 96 channels, 36 pairs a row) gets bands of 4 rows.
inline Plan plan(const Conv2dGeometry& g) {
  Plan p{g.n, g.c, g.o, g.h, g.w, g.pad, g.ho, g.wo, g.kh, (g.wo + 1) / 2, 1, 1};
  const std::int64_t row_bytes = (g.c + 3 * g.o) * p.tw * 4;
  p.band = std::clamp<std::int64_t>((std::int64_t(256) << 10) / row_bytes, 1, g.ho);
  // Whole micro-tiles of 16 columns where the band allows (36 pairs a row: bands of 4; the
  // data gradient's 38: 8, up from 5).
  const std::int64_t whole = 16 / std::gcd<std::int64_t>(p.tw, 16);
  if (p.band >= whole) p.band -= p.band % whole;
  else if (2 * p.band >= whole) p.band = std::min(whole, g.ho);
  p.bands = (g.ho + p.band - 1) / p.band;
  return p;
}

/// U[ξ][o, c·K + ki] = Σ_kj G[ξ, kj] w[o, c, ki, kj] (in double, rounded once), packed.
template <class Tr, class T>
void transform_filters(const Plan& p, const T* w, RowWinogradWorkspace<T>& ws) {
  constexpr int K = Tr::k, A = Tr::alpha;
  const std::int64_t plane = p.o * p.c * K;
  ws.filters.resize(static_cast<std::size_t>(A * plane));
  for (std::int64_t r = 0; r < plane; ++r)  // r = (o·C + c)·K + ki
    for (int xi = 0; xi < A; ++xi) {
      double u = 0;
      for (int kj = 0; kj < K; ++kj) u += Tr::g[xi][kj] * double(w[r * K + kj]);
      ws.filters[xi * plane + r] = static_cast<T>(u);
    }
  // Packed whatever their size: each is used by every unit, so PackedA's per-product packing
  // below its own threshold (which SpinCNN's 96 × 320 fall under) would repeat the work.
  for (int xi = 0; xi < A; ++xi) ws.packed[xi].pack(false, p.o, p.c * K, ws.filters.data() + xi * plane, p.c * K, 0);
}

/// The even and odd phases of the padded input's rows [oy0, oy0 + rows) of every channel
/// (zeros in the padding): ph[((c·rows + r)·2 + parity)·span + j] = x[c, oy0 + r − pad,
/// 2j + parity − pad].
template <class T>
void split_rows(const Plan& p, const T* x, std::int64_t oy0, std::int64_t rows, T* ph) {
  const std::int64_t span = p.span();
  for (std::int64_t c = 0; c < p.c; ++c)
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t y = oy0 + r - p.pad;
      T* out = ph + (c * p.rows() + r) * 2 * span;
      if (y < 0 || y >= p.h) {
        std::fill_n(out, 2 * span, T(0));
        continue;
      }
      const T* row = x + (c * p.h + y) * p.w;
      winograd::phase(row, p.w, -p.pad, span, out);
      winograd::phase(row, p.w, 1 - p.pad, span, out + span);
    }
}

/// V[ξ] for rows [0, rows) of the unit: v[(c·rows + r)·tw + t] = Σ_j Bᵀ[ξ, j] x[c, r, 2t + j].
template <class Tr, int Xi, class T>
void transform_rows(const Plan& p, std::int64_t rows, const T* ph, T* v) {
  const std::int64_t tw = p.tw, span = p.span();
  for (std::int64_t c = 0; c < p.c; ++c)
    for (std::int64_t r = 0; r < rows; ++r) {
      const T* even = ph + (c * p.rows() + r) * 2 * span;
      const T* odd = even + span;
      T* out = v + (c * p.rows() + r) * tw;
      GALNET_SIMD
      for (std::int64_t t = 0; t < tw; ++t)
        out[t] = winograd::combine<T, Tr::alpha, winograd::Table<Tr::bt>, Xi>(
            [=](auto j) GALNET_FORCE_INLINE { return (j % 2 ? odd : even)[t + j / 2]; });
    }
}

/// m [O, band·tw] = U[ξ] · (the K × 1 column matrix of v), for output rows [0, band).
template <class T>
void column_product(const Plan& p, const PackedA<T>& u, const T* v, std::int64_t band, T* m, T* columns) {
  const std::int64_t width = band * p.tw;
  if constexpr (kDirect<T>) {
    const detail::packed::DirectConv d{.x = v, .c = p.c, .h = p.rows(), .w = p.tw, .kh = p.k, .kw = 1};
    u.convolve_direct(d, 0, band, m, width);
  } else {
    for (std::int64_t c = 0; c < p.c; ++c)
      for (std::int64_t ki = 0; ki < p.k; ++ki)
        std::copy_n(v + (c * p.rows() + ki) * p.tw, width, columns + (c * p.k + ki) * width);
    u.multiply(false, width, T(1), columns, width, T(0), m, width);
  }
}

/// out[i] += a·m[i] for i < count, a a compile-time coefficient (±1 folded).
template <double A, class T>
void add_scaled(const T* m, std::int64_t count, T* out) {
  GALNET_SIMD
  for (std::int64_t i = 0; i < count; ++i) {
    if constexpr (A == 1) out[i] += m[i];
    else if constexpr (A == -1) out[i] -= m[i];
    else if constexpr (A != 0) out[i] += T(A) * m[i];
  }
}

/// One unit: output rows [oy0, oy0 + band) of sample s.
template <class Tr, class T>
void convolve_unit(const Plan& p, const RowWinogradWorkspace<T>& ws, const T* x, std::int64_t s, std::int64_t oy0,
                   const Epilogue<T>& ep, T* y, T* scratch) {
  constexpr int A = Tr::alpha;
  static_assert(Tr::at[0][0] == 1 && Tr::at[0][A - 1] == 0 && Tr::at[1][0] == 0 && Tr::at[1][A - 1] == 1,
                "points 0 and ∞ feed one output each, with weight 1");
  const std::int64_t band = std::min(p.band, p.ho - oy0), rows = band + p.k - 1, width = band * p.tw;
  T* ph = scratch;
  T* v = ph + p.phases();
  T* m = v + p.transformed();
  T* even = m + p.outputs();
  T* odd = even + p.outputs();
  T* columns = odd + p.outputs();
  split_rows(p, x + s * p.c * p.h * p.w, oy0, rows, ph);
  auto point = [&](auto xi) {
    constexpr int Xi = decltype(xi)::value;
    transform_rows<Tr, Xi>(p, rows, ph, v);
    if constexpr (Xi == 0 || Xi == A - 1) {
      column_product(p, ws.packed[Xi], v, band, Xi == 0 ? even : odd, columns);
    } else {
      column_product(p, ws.packed[Xi], v, band, m, columns);
      for (std::int64_t o = 0; o < p.o; ++o) {
        add_scaled<Tr::at[0][Xi]>(m + o * width, width, even + o * width);
        add_scaled<Tr::at[1][Xi]>(m + o * width, width, odd + o * width);
      }
    }
  };
  point(std::integral_constant<int, 0>{});
  point(std::integral_constant<int, A - 1>{});
  unrolled<A - 2>([&](auto i) { point(std::integral_constant<int, decltype(i)::value + 1>{}); });
  const std::int64_t pairs = p.wo / 2;
  for (std::int64_t o = 0; o < p.o; ++o) {
    T* out = y + ((s * p.o + o) * p.ho + oy0) * p.wo;
    for (std::int64_t r = 0; r < band; ++r) {
      const T* e = even + o * width + r * p.tw;
      const T* d = odd + o * width + r * p.tw;
      T* row = out + r * p.wo;
      GALNET_SIMD
      for (std::int64_t i = 0; i < pairs; ++i) {
        row[2 * i] = e[i];
        row[2 * i + 1] = d[i];
      }
      if (pairs < p.tw) row[2 * pairs] = e[pairs];  // odd width: the last pair's left output
    }
    ep.apply(y, out - y, o, band * p.wo);
  }
}

/// y = ep(conv(x, ·)) with the filters transformed and packed in ws.
template <class Tr, class T>
void convolve(const Plan& p, const T* x, const Epilogue<T>& ep, T* y, RowWinogradWorkspace<T>& ws) {
  const int team = num_threads();
  const std::int64_t units = p.n * p.bands;
  const int threads = static_cast<int>(std::min<std::int64_t>(team, units));
  GALNET_CHECK(p.c * p.rows() * p.tw < (std::int64_t(1) << 31), "conv2d: a 5×5 layer of ", p.c, " × ", p.h,
               " × ", p.w, " is too large for the direct kernel's 32-bit offsets");
  if (static_cast<int>(ws.scratch.size()) < threads) ws.scratch.resize(threads);
  // Zeroed: a short last band's final run reads (never stores) lanes past its rows.
  for (int t = 0; t < threads; ++t) {
    ws.scratch[t].resize(Shape{p.template scratch<T>()});
    ws.scratch[t].zero();
  }
  auto unit = [&](std::int64_t i, int t) {
    convolve_unit<Tr>(p, ws, x, i / p.bands, i % p.bands * p.band, ep, y, ws.scratch[t].data());
  };
  if (threads > 1) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
    for (std::int64_t i = 0; i < units; ++i) unit(i, thread_index());
    return;
  }
  for (std::int64_t i = 0; i < units; ++i) unit(i, 0);
}

template <class Tr, class T>
void forward(const Conv2dGeometry& g, const T* x, const T* w, const Epilogue<T>& ep, T* y,
             RowWinogradWorkspace<T>& ws) {
  const Plan p = plan(g);
  transform_filters<Tr>(p, w, ws);
  convolve<Tr>(p, x, ep, y, ws);
}

/// dx = the convolution of dy, padded by K − 1 − p, with filter (o, c) flipped at (c, o).
template <class Tr, class T>
void backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx, RowWinogradWorkspace<T>& ws) {
  constexpr int K = Tr::k;
  const Plan p = plan({g.n, g.o, g.ho, g.wo, g.c, K, K, 1, K - 1 - g.pad, g.h, g.w});
  ws.flipped.resize(static_cast<std::size_t>(g.c * g.o * K * K));
  for (std::int64_t o = 0; o < g.o; ++o)
    for (std::int64_t c = 0; c < g.c; ++c)
      std::reverse_copy(w + (o * g.c + c) * K * K, w + (o * g.c + c + 1) * K * K,
                        ws.flipped.data() + (c * g.o + o) * K * K);
  transform_filters<Tr>(p, ws.flipped.data(), ws);
  convolve<Tr>(p, dy, Epilogue<T>{}, dx, ws);
}

}  // namespace winograd_rows

/// y = ep(conv(x, w)) for a geometry with g.winograd_rows() (a 5×5 stride-1 layer).
template <class T>
void winograd_rows_forward(const Conv2dGeometry& g, const T* x, const T* w, const Epilogue<T>& ep, T* y,
                           RowWinogradWorkspace<T>& ws) {
  winograd_rows::forward<winograd::Transform<5>>(g, x, w, ep, y, ws);
}

/// dx = conv_transpose(dy, w) (overwrites dx) for a geometry with g.winograd_rows().
template <class T>
void winograd_rows_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx,
                                 RowWinogradWorkspace<T>& ws) {
  winograd_rows::backward_data<winograd::Transform<5>>(g, dy, w, dx, ws);
}

}  // namespace galnet::ops
