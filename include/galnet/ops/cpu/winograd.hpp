// galnet/ops/cpu/winograd.hpp — 3×3 and 5×5 stride-1 convolutions by Winograd F(2×2, 3×3) and
// F(2×2, 5×5).
//
// Lavin & Gray 2016: each 2×2 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, with d the tile's α × α
// input patch (α = K + 1) and g a K×K filter (the matrices: winograd_transforms.hpp); summed
// over input channels, the α² element-wise products become α² GEMMs, M[ξ] (O × P) =
// U[ξ] (O × C) · V[ξ] (C × P) over P tiles, which take α²/(4K²) of direct convolution's
// multiplications: 1/2.25 for 3×3, 1/2.78 for 5×5. tests/unit/test_winograd.cpp measures both
// against float64 and against im2col.
// The data gradient is the same convolution of dy with the flipped, transposed filters at
// padding K − 1 − p; the weight gradient is the transposed algorithm,
// dg = Gᵀ[Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B)]G, again α² GEMMs, over tiles.
// Layouts as conv2d.hpp: x [N, C, H, W], w [O, C, K, K], y [N, O, Ho, Wo]. Tiles are taken in
// chunks of whole tile rows (about Transform<K>::chunk_tiles tiles), each chunk by one thread
// with its own buffers; transforms run along a tile row, so that they vectorise. The weight gradient
// sums per-thread partials in thread order: results are bit-identical run to run for a given
// thread count.
#pragma once
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "galnet/core/parallel.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/ops/conv2d_geometry.hpp"
#include "galnet/ops/cpu/epilogue.hpp"
#include "galnet/ops/cpu/gemm.hpp"
#include "galnet/ops/cpu/winograd_transforms.hpp"

namespace galnet::ops {

/// The buffers a Winograd convolution reuses from batch to batch (α² ≤ 36 planes).
template <class T>
struct WinogradWorkspace {
  Tensor<T, Cpu> filters;              ///< U [α², O·C (+ skew)] (the data gradient's: [α², C·O])
  std::vector<Tensor<T, Cpu>> input;   ///< per thread: V [α², C·chunk (+ skew)]
  std::vector<Tensor<T, Cpu>> product; ///< per thread: M [α², O·chunk (+ skew)] (weight gradient: A dy Aᵀ)
  std::vector<Tensor<T, Cpu>> partial; ///< per thread: Σ (A dy Aᵀ)·Vᵀ [α², O·C (+ skew)]
  std::vector<Tensor<T, Cpu>> rows;    ///< per thread: row-transformed input rows (transform_input)
  PackedA<T> packed[36];               ///< U[ξ] packed once per pass for every chunk's GEMMs
};

namespace winograd {

/// The α² matrices of V, M and U lie one plane apart; planes of a power-of-two size would map
/// the α² streams of a transform onto the same cache sets, so each plane is padded by a cache
/// line.
inline std::int64_t skewed(std::int64_t plane) { return plane + 16; }

struct Plan {
  std::int64_t n, c, o, h, w;  ///< batch, input channels, output channels, input map
  std::int64_t pad, ho, wo;    ///< padding, output map
  std::int64_t th, tw, rows;   ///< tile rows and columns per sample; tile rows of the batch
  std::int64_t chunk, chunks;  ///< tile rows per chunk, chunks
  int threads;

  Plan(std::int64_t n_, std::int64_t c_, std::int64_t o_, std::int64_t h_, std::int64_t w_, std::int64_t k,
       std::int64_t pad_, std::int64_t chunk_tiles)
      : n(n_), c(c_), o(o_), h(h_), w(w_), pad(pad_), ho(h_ + 2 * pad_ - k + 1), wo(w_ + 2 * pad_ - k + 1),
        th((ho + 1) / 2), tw((wo + 1) / 2), rows(n_ * th) {
    const int team = num_threads();
    const std::int64_t most = std::max<std::int64_t>(1, chunk_tiles / tw);
    // As many equal chunks as keep each at most chunk_tiles, rounded up to a multiple of the
    // team so that no thread idles at the end.
    chunks = (rows + most - 1) / most;
    if (team > 1 && rows * tw >= 32 * team) chunks = std::min(rows, (chunks + team - 1) / team * team);
    chunk = (rows + chunks - 1) / chunks;
    chunks = (rows + chunk - 1) / chunk;
    threads = (team > 1 && chunks >= team) ? team : 1;
  }
  [[nodiscard]] std::int64_t chunk_tiles() const { return chunk * tw; }
};

/// U = G g Gᵀ for one K×K filter g (element (i, j) at g[i·si + j·sj]); writes u[ξ·plane] for
/// ξ = α·row + column.
template <class Tr, class T>
void transform_filter(const T* g, std::int64_t si, std::int64_t sj, T* u, std::int64_t plane) {
  constexpr int K = Tr::k, A = Tr::alpha;
  T t[A][K];  // G g
  for (int j = 0; j < K; ++j)
    unrolled<A>([&](auto a) { t[a][j] = combine<T, K, Table<Tr::g>, a>([&](int i) { return g[i * si + j * sj]; }); });
  for (int a = 0; a < A; ++a)
    unrolled<A>([&](auto b) { u[(A * a + b) * plane] = combine<T, K, Table<Tr::g>, b>([&](int j) { return t[a][j]; }); });
}

/// Scratch transform_input needs per thread (transform_output and transform_gradient need less).
template <class Tr>
std::int64_t scratch_size(const Plan& p) {
  return Tr::alpha * Tr::alpha * p.tw + 2 * (p.tw + Tr::alpha / 2 - 1);
}

/// out[j] = row[2j + offset] for j < count, zeros outside [0, w): one phase of an image row.
/// The copy carries no bounds test, so that it vectorises (a test per element keeps it scalar).
template <class T>
void phase(const T* row, std::int64_t w, std::int64_t offset, std::int64_t count, T* out) {
  const std::int64_t lo = std::min(count, offset >= 0 ? 0 : (1 - offset) / 2);
  const std::int64_t hi = std::clamp<std::int64_t>((w - offset + 1) / 2, lo, count);
  std::fill_n(out, lo, T(0));
  for (std::int64_t j = lo; j < hi; ++j) out[j] = row[2 * j + offset];
  std::fill(out + hi, out + count, T(0));
}

/// The row half of Bᵀ d B for image row y and every tile of a tile row: rt[b·tw + j] = (d B)_b
/// of tile j's α pixels in that row. Tile j's pixel c sits at column 2j + c − pad: in the row's
/// even phase (c even) or odd phase at j + c/2, so the transform reads contiguous runs.
template <class Tr, class T>
void transform_row(const Plan& p, const T* image, std::int64_t y, T* even, T* odd, T* rt) {
  constexpr int A = Tr::alpha;
  const std::int64_t tw = p.tw, count = tw + A / 2 - 1;
  if (y < 0 || y >= p.h) {
    std::fill_n(even, count, T(0));
    std::fill_n(odd, count, T(0));
  } else {
    phase(image + y * p.w, p.w, -p.pad, count, even);
    phase(image + y * p.w, p.w, 1 - p.pad, count, odd);
  }
  GALNET_SIMD
  for (std::int64_t i = 0; i < tw; ++i)
    unrolled<A>([=](auto b) GALNET_FORCE_INLINE {
      rt[b * tw + i] = combine<T, A, Table<Tr::bt>, b>([=](auto c) GALNET_FORCE_INLINE { return (c % 2 ? odd : even)[i + c / 2]; });
    });
}

/// V[ξ, ch, i] = (Bᵀ d B)_ξ for the tiles i of tile rows [first, first + count), all channels.
template <class Tr, class T>
void transform_input(const Plan& p, const T* x, std::int64_t first, std::int64_t count, T* v, T* scratch) {
  constexpr int A = Tr::alpha;
  const std::int64_t tiles = count * p.tw, plane = skewed(p.c * tiles), tw = p.tw;
  T* even = scratch + A * A * tw;
  T* odd = even + tw + A / 2 - 1;
  for (std::int64_t ch = 0; ch < p.c; ++ch) {
    T* rows[A];  // the patch rows 0 … α − 1, row-transformed
    for (int a = 0; a < A; ++a) rows[a] = scratch + a * A * tw;
    for (std::int64_t r = 0; r < count; ++r) {
      const std::int64_t row = first + r, s = row / p.th, ty = row % p.th, y0 = 2 * ty - p.pad;
      const T* image = x + (s * p.c + ch) * p.h * p.w;
      if (r > 0 && ty > 0) {  // the previous tile row's patch rows 2 … α − 1 are this one's 0 … α − 3
        std::rotate(rows, rows + 2, rows + A);
        for (int a = A - 2; a < A; ++a) transform_row<Tr>(p, image, y0 + a, even, odd, rows[a]);
      } else {
        for (int a = 0; a < A; ++a) transform_row<Tr>(p, image, y0 + a, even, odd, rows[a]);
      }
      T* out = v + ch * tiles + r * tw;
      for (int b = 0; b < A; ++b) {
        const T* from[A];
        T* into[A];
        for (int a = 0; a < A; ++a) from[a] = rows[a] + b * tw, into[a] = out + (A * a + b) * plane;
        const T* const* in = from;  // the lambdas below take pointers by value: a reference (or an
        T* const* to = into;        // array) captured in an omp-simd loop loses its vector epilogue
        GALNET_SIMD
        for (std::int64_t i = 0; i < tw; ++i)
          unrolled<A>([=](auto a) GALNET_FORCE_INLINE {
            to[a][i] = combine<T, A, Table<Tr::bt>, a>([=](auto c) GALNET_FORCE_INLINE { return in[c][i]; });
          });
      }
    }
  }
}

/// y tiles = ep(Aᵀ m A) from M[ξ, och, i], dropping outputs past the map's edge. The tile
/// outputs are computed into four rows first and interleaved into y afterwards: computed and
/// stored in one loop, the stride-2 stores would keep the compiler from vectorising. The
/// epilogue then runs on the two output rows while they are in L1.
template <class Tr, class T>
void transform_output(const Plan& p, const T* m, const Epilogue<T>& ep, std::int64_t first, std::int64_t count,
                      T* y, T* scratch) {
  constexpr int A = Tr::alpha;
  const std::int64_t tiles = count * p.tw, plane = skewed(p.o * tiles), tw = p.tw, pairs = p.wo / 2;
  T* q[2][2] = {{scratch, scratch + tw}, {scratch + 2 * tw, scratch + 3 * tw}};  // tile output (row, column)
  T* discard = scratch + 4 * tw;  // the bottom output row past the map's last row
  for (std::int64_t och = 0; och < p.o; ++och) {
    for (std::int64_t r = 0; r < count; ++r) {
      const T* in = m + och * tiles + r * tw;
      GALNET_SIMD
      for (std::int64_t i = 0; i < tw; ++i)  // Aᵀ (m A): the inner sums are common subexpressions
        unrolled<2>([=](auto row) GALNET_FORCE_INLINE {
          unrolled<2>([=](auto col) GALNET_FORCE_INLINE {
            q[row][col][i] = combine<T, A, Table<Tr::at>, row>([=](auto a) GALNET_FORCE_INLINE {
                               return combine<T, A, Table<Tr::at>, col>(
                                   [=](auto b) GALNET_FORCE_INLINE { return in[(A * a + b) * plane + i]; });
                             });
          });
        });
      const std::int64_t row = first + r, smp = row / p.th, y0 = 2 * (row % p.th);
      T* top = y + ((smp * p.o + och) * p.ho + y0) * p.wo;
      T* bottom = y0 + 1 < p.ho ? top + p.wo : discard;
      const T *q00 = q[0][0], *q01 = q[0][1], *q10 = q[1][0], *q11 = q[1][1];
      GALNET_SIMD
      for (std::int64_t i = 0; i < pairs; ++i) {
        top[2 * i] = q00[i];
        top[2 * i + 1] = q01[i];
        bottom[2 * i] = q10[i];
        bottom[2 * i + 1] = q11[i];
      }
      if (pairs < tw) {  // odd width: the last tile's left column only
        top[2 * pairs] = q00[pairs];
        bottom[2 * pairs] = q10[pairs];
      }
      const std::int64_t at = top - y;
      ep.apply(y, at, och, y0 + 1 < p.ho ? 2 * p.wo : p.wo);
    }
  }
}

/// Z[ξ, och, i] = (A dy Aᵀ)_ξ for the output tiles i of tile rows [first, first + count)
/// (zeros past the map's edge).
template <class Tr, class T>
void transform_gradient(const Plan& p, const T* dy, std::int64_t first, std::int64_t count, T* z, T* scratch) {
  constexpr int A = Tr::alpha;
  const std::int64_t tiles = count * p.tw, plane = skewed(p.o * tiles), tw = p.tw;
  T* e = scratch;  // e[a·tw + j] = dy(y0 + a, 2j), od: (y0 + a, 2j + 1)
  T* od = scratch + 2 * tw;
  for (std::int64_t och = 0; och < p.o; ++och)
    for (std::int64_t r = 0; r < count; ++r) {
      const std::int64_t row = first + r, smp = row / p.th, y0 = 2 * (row % p.th);
      const T* image = dy + (smp * p.o + och) * p.ho * p.wo;
      for (int a = 0; a < 2; ++a) {  // columns 2j and 2j + 1 of rows y0, y0 + 1, zeros outside
        if (y0 + a >= p.ho) {
          std::fill_n(e + a * tw, tw, T(0));
          std::fill_n(od + a * tw, tw, T(0));
          continue;
        }
        phase(image + (y0 + a) * p.wo, p.wo, 0, tw, e + a * tw);
        phase(image + (y0 + a) * p.wo, p.wo, 1, tw, od + a * tw);
      }
      T* out = z + och * tiles + r * tw;
      GALNET_SIMD
      for (std::int64_t i = 0; i < tw; ++i)  // A (dy Aᵀ): the inner sums are common subexpressions
        unrolled<A>([=](auto a) GALNET_FORCE_INLINE {
          unrolled<A>([=](auto b) GALNET_FORCE_INLINE {
            out[(A * a + b) * plane + i] = combine<T, 2, Table<Tr::at, true>, a>([=](auto x) GALNET_FORCE_INLINE {
              return combine<T, 2, Table<Tr::at, true>, b>([=](auto col) GALNET_FORCE_INLINE { return (col ? od : e)[x * tw + i]; });
            });
          });
        });
    }
}

/// dg += Gᵀ m G for one filter, m[ξ·plane] (ξ = α·row + column) → g (K×K row-major).
template <class Tr, class T>
void transform_filter_gradient(const T* m, std::int64_t plane, T* g) {
  constexpr int K = Tr::k, A = Tr::alpha;
  T r[K][A];  // Gᵀ m
  for (int b = 0; b < A; ++b)
    unrolled<K>([&](auto i) { r[i][b] = combine<T, A, Table<Tr::g, true>, i>([&](int a) { return m[(A * a + b) * plane]; }); });
  for (int i = 0; i < K; ++i)
    unrolled<K>([&](auto j) { g[K * i + j] += combine<T, A, Table<Tr::g, true>, j>([&](int b) { return r[i][b]; }); });
}

/// Runs body(i) for i in [0, count) over the team when there are at least min_count (filter
/// transforms: 4096 filters; packing the α² planes of U: any).
template <class F>
void for_each_filter(std::int64_t count, F&& body, std::int64_t min_count = 4096) {
  const int team = num_threads();
  if (team > 1 && count >= min_count) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) num_threads(team)
#endif
    for (std::int64_t i = 0; i < count; ++i) body(i);
    return;
  }
  for (std::int64_t i = 0; i < count; ++i) body(i);
}

/// Runs body(first row, rows, thread) over the plan's chunks.
template <class F>
void for_each_chunk(const Plan& p, F&& body) {
  if (p.threads > 1) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) num_threads(p.threads)
#endif
    for (std::int64_t k = 0; k < p.chunks; ++k)
      body(k * p.chunk, std::min(p.chunk, p.rows - k * p.chunk), thread_index());
    return;
  }
  for (std::int64_t k = 0; k < p.chunks; ++k) body(k * p.chunk, std::min(p.chunk, p.rows - k * p.chunk), 0);
}

template <class T>
void reserve(std::vector<Tensor<T, Cpu>>& buffers, int threads, const Shape& shape) {
  if (static_cast<int>(buffers.size()) < threads) buffers.resize(threads);
  for (int t = 0; t < threads; ++t) buffers[t].resize(shape);
}

/// y = ep(conv(x, ·)) with the transformed filters u [α², skewed(p.o · p.c)] in place.
template <class Tr, class T>
void convolve(const Plan& p, const T* x, const T* u, const Epilogue<T>& ep, T* y, WinogradWorkspace<T>& ws) {
  constexpr int planes = Tr::alpha * Tr::alpha;
  const std::int64_t most = p.chunk_tiles(), filters = skewed(p.o * p.c);
  reserve(ws.input, p.threads, Shape{planes, skewed(p.c * most)});
  reserve(ws.product, p.threads, Shape{planes, skewed(p.o * most)});
  reserve(ws.rows, p.threads, Shape{scratch_size<Tr>(p)});
  for_each_filter(planes, [&](std::int64_t xi) { ws.packed[xi].pack(false, p.o, p.c, u + xi * filters); }, 1);
  for_each_chunk(p, [&](std::int64_t first, std::int64_t count, int t) {
    const std::int64_t tiles = count * p.tw;
    T* v = ws.input[t].data();
    T* m = ws.product[t].data();
    transform_input<Tr>(p, x, first, count, v, ws.rows[t].data());
    for (int xi = 0; xi < planes; ++xi)
      ws.packed[xi].multiply(false, tiles, T(1), v + xi * skewed(p.c * tiles), tiles, T(0),
                             m + xi * skewed(p.o * tiles), tiles);
    transform_output<Tr>(p, m, ep, first, count, y, ws.rows[t].data());
  });
}

template <class Tr, class T>
void forward(const Conv2dGeometry& g, const T* x, const T* wt, const Epilogue<T>& ep, T* y, WinogradWorkspace<T>& ws) {
  constexpr int K = Tr::k, planes = Tr::alpha * Tr::alpha;
  const Plan p(g.n, g.c, g.o, g.h, g.w, K, g.pad, Tr::chunk_tiles);
  const std::int64_t plane = skewed(g.o * g.c);
  ws.filters.resize(Shape{planes, plane});
  T* u = ws.filters.data();
  for_each_filter(g.o * g.c, [&](std::int64_t oc) { transform_filter<Tr>(wt + oc * K * K, K, 1, u + oc, plane); });
  convolve<Tr>(p, x, u, ep, y, ws);
}

template <class Tr, class T>
void backward_data(const Conv2dGeometry& g, const T* dy, const T* wt, T* dx, WinogradWorkspace<T>& ws) {
  constexpr int K = Tr::k, planes = Tr::alpha * Tr::alpha;
  const Plan p(g.n, g.o, g.c, g.ho, g.wo, K, K - 1 - g.pad, Tr::chunk_tiles);
  const std::int64_t plane = skewed(g.c * g.o), o = g.o, c = g.c;
  ws.filters.resize(Shape{planes, plane});
  T* u = ws.filters.data();
  // Filter (oc, ic) flipped, at U[ξ, ic, oc]: element (i, j) read at (K − 1 − i, K − 1 − j).
  for_each_filter(o * c, [&](std::int64_t k) {
    const std::int64_t ic = k / o, oc = k % o;
    transform_filter<Tr>(wt + (oc * c + ic) * K * K + K * K - 1, -K, -1, u + k, plane);
  });
  convolve<Tr>(p, dy, u, Epilogue<T>{}, dx, ws);
}

template <class Tr, class T>
void backward_weight(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* db, WinogradWorkspace<T>& ws) {
  constexpr int K = Tr::k, planes = Tr::alpha * Tr::alpha;
  const std::int64_t o = g.o, c = g.c;
  // Each chunk adds into all α²·O·C partial sums; chunks of at least 2·O·C/(O + C) tiles keep
  // that traffic below the transforms' (without them it bounds ResNet-18's 512-channel layer).
  const Plan p(g.n, c, o, g.h, g.w, K, g.pad, std::max(Tr::chunk_tiles, 2 * o * c / (o + c)));
  const std::int64_t most = p.chunk_tiles(), filters = skewed(o * c);
  reserve(ws.input, p.threads, Shape{planes, skewed(c * most)});
  reserve(ws.product, p.threads, Shape{planes, skewed(o * most)});
  reserve(ws.partial, p.threads, Shape{planes, filters});
  reserve(ws.rows, p.threads, Shape{scratch_size<Tr>(p)});
  for (int t = 0; t < p.threads; ++t) ws.partial[t].zero();
  for_each_chunk(p, [&](std::int64_t first, std::int64_t count, int t) {
    const std::int64_t tiles = count * p.tw;
    T* v = ws.input[t].data();
    T* z = ws.product[t].data();
    T* part = ws.partial[t].data();
    transform_input<Tr>(p, x, first, count, v, ws.rows[t].data());
    transform_gradient<Tr>(p, dy, first, count, z, ws.rows[t].data());
    for (int xi = 0; xi < planes; ++xi)
      gemm<T>(false, true, o, c, tiles, T(1), z + xi * skewed(o * tiles), v + xi * skewed(c * tiles), T(1),
              part + xi * filters);
  });
  for (int t = 1; t < p.threads; ++t) {
    const T* part = ws.partial[t].data();
    T* sum = ws.partial[0].data();
    for (std::int64_t i = 0; i < planes * filters; ++i) sum[i] += part[i];
  }
  const T* sum = ws.partial[0].data();
  for_each_filter(o * c, [&](std::int64_t oc) { transform_filter_gradient<Tr>(sum + oc, filters, dw + oc * K * K); });
  if (db)
    for (std::int64_t s = 0; s < g.n; ++s)
      for (std::int64_t och = 0; och < o; ++och) {
        const T* row = dy + (s * o + och) * g.ho * g.wo;
        T total = 0;
        for (std::int64_t i = 0; i < g.ho * g.wo; ++i) total += row[i];
        db[och] += total;
      }
}

/// f(Transform<K>{}) for the geometry's filter size (3 or 5: Conv2dGeometry::winograd).
template <class F>
void with_transform(const Conv2dGeometry& g, F&& f) {
  if (g.kh == 5) f(Transform<5>{});
  else f(Transform<3>{});
}

}  // namespace winograd

/// y = ep(conv(x, w)) (a bias, or batch norm, residual and ReLU: epilogue.hpp) for a geometry
/// with g.winograd().
template <class T>
void winograd_forward(const Conv2dGeometry& g, const T* x, const T* w, const Epilogue<T>& ep, T* y,
                      WinogradWorkspace<T>& ws) {
  winograd::with_transform(g, [&](auto tr) { winograd::forward<decltype(tr)>(g, x, w, ep, y, ws); });
}

/// dx = conv_transpose(dy, w) (overwrites dx): the convolution of dy with each filter flipped
/// and the channel roles swapped.
template <class T>
void winograd_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx, WinogradWorkspace<T>& ws) {
  winograd::with_transform(g, [&](auto tr) { winograd::backward_data<decltype(tr)>(g, dy, w, dx, ws); });
}

/// dw += Σ_n (weight gradient) and db += Σ dy (db may be null).
template <class T>
void winograd_backward_weight(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* db,
                              WinogradWorkspace<T>& ws) {
  winograd::with_transform(g, [&](auto tr) { winograd::backward_weight<decltype(tr)>(g, x, dy, dw, db, ws); });
}

}  // namespace galnet::ops
