// galnet/ops/cpu/winograd.hpp — 3×3, stride-1, padding-1 convolutions by Winograd F(2×2, 3×3).
//
// Lavin & Gray 2016: each 2×2 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, with d the tile's 4×4
// input patch and g a 3×3 filter; summed over input channels, the 16 element-wise products
// become 16 GEMMs, M[ξ] (O × P) = U[ξ] (O × C) · V[ξ] (C × P) over P tiles, which take
// 16/36 = 1/2.25 of direct convolution's multiplications. The transforms' coefficients are 0,
// ±1 and ±½, so rounding stays close to im2col's (tests/unit/test_winograd.cpp measures both
// against float64; docs/performance.md quotes it).
// The data gradient is the same convolution of dy with the flipped, transposed filters; the
// weight gradient is F(3×3, 2×2), dg = Gᵀ[Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B)]G, again 16 GEMMs, over
// tiles.
// Layouts as conv2d.hpp: x [N, C, H, W], w [O, C, 3, 3], y [N, O, H, W]. Tiles are taken in
// chunks of whole tile rows (about kChunkTiles tiles), each chunk by one thread with its own
// buffers; transforms run along a tile row, so that they vectorise. The weight gradient sums
// per-thread partials in thread order: results are bit-identical run to run for a given thread
// count.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "galnet/core/parallel.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/ops/cpu/gemm.hpp"

namespace galnet::ops {

/// Whether 3×3 stride-1 padding-1 convolutions take the Winograd path (default on). Off gives
/// im2col + GEMM everywhere (for A/B measurements and tests).
inline std::atomic<bool>& winograd_switch() {
  static std::atomic<bool> on{true};
  return on;
}
inline void set_winograd(bool on) { winograd_switch().store(on, std::memory_order_relaxed); }
[[nodiscard]] inline bool winograd_enabled() { return winograd_switch().load(std::memory_order_relaxed); }

/// The buffers a Winograd convolution reuses from batch to batch.
template <class T>
struct WinogradWorkspace {
  Tensor<T, Cpu> filters;              ///< U [16, O·C (+ skew)] (the data gradient's: [16, C·O])
  std::vector<Tensor<T, Cpu>> input;   ///< per thread: V [16, C·chunk (+ skew)]
  std::vector<Tensor<T, Cpu>> product; ///< per thread: M [16, O·chunk (+ skew)] (weight gradient: A dy Aᵀ)
  std::vector<Tensor<T, Cpu>> partial; ///< per thread: Σ (A dy Aᵀ)·Vᵀ [16, O·C (+ skew)]
  std::vector<Tensor<T, Cpu>> rows;    ///< per thread: row-transformed input rows (transform_input)
  PackedA<T> packed[16];               ///< U[ξ] packed once per pass for every chunk's GEMMs
};

namespace winograd {

/// Tiles per chunk (whole tile rows, at least one): V and M of a 64-channel layer then take
/// 1 MiB each, inside L2.
inline constexpr std::int64_t kChunkTiles = 256;

/// The 16 matrices of V, M and U lie one plane apart; planes of a power-of-two size would map
/// the 16 streams of a transform onto the same cache sets (measured: the input transform took
/// 34 % of a 36×36 forward pass), so each plane is padded by a cache line.
inline std::int64_t skewed(std::int64_t plane) { return plane + 16; }

struct Plan {
  std::int64_t n, c, o, h, w;  ///< batch, input channels, output channels, map size
  std::int64_t th, tw, rows;   ///< tile rows and columns per sample; tile rows of the batch
  std::int64_t chunk, chunks;  ///< tile rows per chunk, chunks
  int threads;

  Plan(std::int64_t n_, std::int64_t c_, std::int64_t o_, std::int64_t h_, std::int64_t w_,
       std::int64_t chunk_tiles = kChunkTiles)
      : n(n_), c(c_), o(o_), h(h_), w(w_), th((h_ + 1) / 2), tw((w_ + 1) / 2), rows(n_ * th) {
    const int team = num_threads();
    const std::int64_t most = std::max<std::int64_t>(1, chunk_tiles / tw);
    // As many equal chunks as keep each at most kChunkTiles, rounded up to a multiple of the
    // team so that no thread idles at the end.
    chunks = (rows + most - 1) / most;
    if (team > 1 && rows * tw >= 32 * team) chunks = std::min(rows, (chunks + team - 1) / team * team);
    chunk = (rows + chunks - 1) / chunks;
    chunks = (rows + chunk - 1) / chunk;
    threads = (team > 1 && chunks >= team) ? team : 1;
  }
  [[nodiscard]] std::int64_t chunk_tiles() const { return chunk * tw; }
};

/// U = G g Gᵀ for one 3×3 filter g (element (i, j) at g[i·si + j·sj]); writes u[ξ·plane] for
/// ξ = 4·row + column.
template <class T>
void transform_filter(const T* g, std::int64_t si, std::int64_t sj, T* u, std::int64_t plane) {
  T t[4][3];
  for (int j = 0; j < 3; ++j) {
    const T g0 = g[j * sj], g1 = g[si + j * sj], g2 = g[2 * si + j * sj];
    t[0][j] = g0;
    t[1][j] = T(0.5) * (g0 + g1 + g2);
    t[2][j] = T(0.5) * (g0 - g1 + g2);
    t[3][j] = g2;
  }
  for (int i = 0; i < 4; ++i) {
    const T g0 = t[i][0], g1 = t[i][1], g2 = t[i][2];
    u[(4 * i + 0) * plane] = g0;
    u[(4 * i + 1) * plane] = T(0.5) * (g0 + g1 + g2);
    u[(4 * i + 2) * plane] = T(0.5) * (g0 - g1 + g2);
    u[(4 * i + 3) * plane] = g2;
  }
}

/// Splits image row y of a plane into even[j] = row[2j − 1] and odd[j] = row[2j] for
/// j = 0 … tw (tw + 1 each), zeros outside the image (padding): tile j's columns are then
/// even[j], odd[j], even[j + 1], odd[j + 1], all contiguous in j. The loops carry no test, so
/// that they vectorise (with a bounds test per element this took 60 % of the input transform).
template <class T>
void split_row(const T* image, std::int64_t h, std::int64_t w, std::int64_t y, T* even, T* odd) {
  const std::int64_t tw = (w + 1) / 2;
  if (y < 0 || y >= h) {
    std::fill_n(even, tw + 1, T(0));
    std::fill_n(odd, tw + 1, T(0));
    return;
  }
  const T* row = image + y * w;
  for (std::int64_t j = 0; j < tw; ++j) odd[j] = row[2 * j];
  odd[tw] = T(0);
  even[0] = T(0);
  for (std::int64_t j = 1; j <= w / 2; ++j) even[j] = row[2 * j - 1];
  if (w % 2) even[tw] = T(0);
}

/// The row half of Bᵀ d B for image row y and every tile of a tile row: rt[b·tw + j] = (d B)_b
/// of tile j's four pixels in that row. Each input row serves two tile rows; computed once.
template <class T>
void transform_row(const Plan& p, const T* image, std::int64_t y, T* even, T* odd, T* rt) {
  split_row(image, p.h, p.w, y, even, odd);
  const std::int64_t tw = p.tw;
  GALNET_SIMD
  for (std::int64_t i = 0; i < tw; ++i) {
    const T d0 = even[i], d1 = odd[i], d2 = even[i + 1], d3 = odd[i + 1];
    rt[i] = d0 - d2;
    rt[tw + i] = d1 + d2;
    rt[2 * tw + i] = d2 - d1;
    rt[3 * tw + i] = d1 - d3;
  }
}

/// Scratch transform_input needs per thread (transform_output and transform_gradient need less).
inline std::int64_t scratch_size(const Plan& p) { return 16 * p.tw + 2 * (p.tw + 1); }

/// V[ξ, ch, i] = (Bᵀ d B)_ξ for the tiles i of tile rows [first, first + count), all channels.
template <class T>
void transform_input(const Plan& p, const T* x, std::int64_t first, std::int64_t count, T* v, T* scratch) {
  const std::int64_t tiles = count * p.tw, plane = skewed(p.c * tiles), tw = p.tw;
  T* even = scratch + 16 * tw;
  T* odd = even + tw + 1;
  for (std::int64_t ch = 0; ch < p.c; ++ch) {
    T* rows[4] = {scratch, scratch + 4 * tw, scratch + 8 * tw, scratch + 12 * tw};  // patch rows 0–3
    for (std::int64_t r = 0; r < count; ++r) {
      const std::int64_t row = first + r, s = row / p.th, ty = row % p.th, y0 = 2 * ty - 1;
      const T* image = x + (s * p.c + ch) * p.h * p.w;
      if (r > 0 && ty > 0) {  // the previous tile row's patch rows 2, 3 are this one's 0, 1
        std::swap(rows[0], rows[2]);
        std::swap(rows[1], rows[3]);
        for (int a = 2; a < 4; ++a) transform_row(p, image, y0 + a, even, odd, rows[a]);
      } else {
        for (int a = 0; a < 4; ++a) transform_row(p, image, y0 + a, even, odd, rows[a]);
      }
      T* out = v + ch * tiles + r * tw;
      for (int b = 0; b < 4; ++b) {
        const T* t0 = rows[0] + b * tw;
        const T* t1 = rows[1] + b * tw;
        const T* t2 = rows[2] + b * tw;
        const T* t3 = rows[3] + b * tw;
        T* o0 = out + b * plane;
        T* o1 = out + (4 + b) * plane;
        T* o2 = out + (8 + b) * plane;
        T* o3 = out + (12 + b) * plane;
        GALNET_SIMD
        for (std::int64_t i = 0; i < tw; ++i) {
          o0[i] = t0[i] - t2[i];
          o1[i] = t1[i] + t2[i];
          o2[i] = t2[i] - t1[i];
          o3[i] = t1[i] - t3[i];
        }
      }
    }
  }
}

/// y tiles = Aᵀ m A (+ bias) from M[ξ, och, i], dropping outputs past the map's edge. The tile
/// outputs are computed into four rows first and interleaved into y afterwards: computed and
/// stored in one loop, the stride-2 stores kept the compiler from vectorising (16 % of a
/// 36×36 forward pass).
template <class T>
void transform_output(const Plan& p, const T* m, const T* bias, std::int64_t first, std::int64_t count, T* y,
                      T* scratch) {
  const std::int64_t tiles = count * p.tw, plane = skewed(p.o * tiles), tw = p.tw, pairs = p.w / 2;
  T* q0 = scratch;  // tile outputs (0, 0), (0, 1), (1, 0), (1, 1) along the tile row
  T* q1 = q0 + tw;
  T* q2 = q1 + tw;
  T* q3 = q2 + tw;
  T* discard = q3 + tw;  // the bottom output row past the map's last row
  for (std::int64_t och = 0; och < p.o; ++och) {
    const T bo = bias ? bias[och] : T(0);
    for (std::int64_t r = 0; r < count; ++r) {
      const T* in = m + och * tiles + r * tw;
      GALNET_SIMD
      for (std::int64_t i = 0; i < tw; ++i) {
        T s0[4], s1[4];
        for (int a = 0; a < 4; ++a) {
          const T m0 = in[(4 * a) * plane + i], m1 = in[(4 * a + 1) * plane + i];
          const T m2 = in[(4 * a + 2) * plane + i], m3 = in[(4 * a + 3) * plane + i];
          s0[a] = m0 + m1 + m2;
          s1[a] = m1 - m2 - m3;
        }
        q0[i] = s0[0] + s0[1] + s0[2] + bo;
        q1[i] = s1[0] + s1[1] + s1[2] + bo;
        q2[i] = s0[1] - s0[2] - s0[3] + bo;
        q3[i] = s1[1] - s1[2] - s1[3] + bo;
      }
      const std::int64_t row = first + r, smp = row / p.th, y0 = 2 * (row % p.th);
      T* top = y + ((smp * p.o + och) * p.h + y0) * p.w;
      T* bottom = y0 + 1 < p.h ? top + p.w : discard;
      GALNET_SIMD
      for (std::int64_t i = 0; i < pairs; ++i) {
        top[2 * i] = q0[i];
        top[2 * i + 1] = q1[i];
        bottom[2 * i] = q2[i];
        bottom[2 * i + 1] = q3[i];
      }
      if (pairs < tw) {  // odd width: the last tile's left column only
        top[2 * pairs] = q0[pairs];
        bottom[2 * pairs] = q2[pairs];
      }
    }
  }
}

/// Z[ξ, och, i] = (A dy Aᵀ)_ξ for the output tiles i of tile rows [first, first + count)
/// (zeros past the map's edge).
template <class T>
void transform_gradient(const Plan& p, const T* dy, std::int64_t first, std::int64_t count, T* z, T* scratch) {
  const std::int64_t tiles = count * p.tw, plane = skewed(p.o * tiles), tw = p.tw;
  T* e = scratch;  // e[a·tw + j] = dy(y0 + a, 2j), od: (y0 + a, 2j + 1)
  T* od = scratch + 2 * tw;
  for (std::int64_t och = 0; och < p.o; ++och)
    for (std::int64_t r = 0; r < count; ++r) {
      const std::int64_t row = first + r, smp = row / p.th, y0 = 2 * (row % p.th);
      const T* image = dy + (smp * p.o + och) * p.h * p.w;
      for (int a = 0; a < 2; ++a) {  // columns 2j and 2j + 1 of rows y0, y0 + 1, zeros outside
        T* even = e + a * tw;
        T* odd = od + a * tw;
        if (y0 + a >= p.h) {
          std::fill_n(even, tw, T(0));
          std::fill_n(odd, tw, T(0));
          continue;
        }
        const T* line = image + (y0 + a) * p.w;
        for (std::int64_t j = 0; j < tw; ++j) even[j] = line[2 * j];
        for (std::int64_t j = 0; j < p.w / 2; ++j) odd[j] = line[2 * j + 1];
        if (p.w % 2) odd[tw - 1] = T(0);
      }
      T* out = z + och * tiles + r * tw;
GALNET_SIMD
      for (std::int64_t i = 0; i < tw; ++i) {
        T q[2][4];
        for (int a = 0; a < 2; ++a) {
          const T g0 = e[a * tw + i], g1 = od[a * tw + i];
          q[a][0] = g0;
          q[a][1] = g0 + g1;
          q[a][2] = g0 - g1;
          q[a][3] = -g1;
        }
        for (int b = 0; b < 4; ++b) {
          out[(0 * 4 + b) * plane + i] = q[0][b];
          out[(1 * 4 + b) * plane + i] = q[0][b] + q[1][b];
          out[(2 * 4 + b) * plane + i] = q[0][b] - q[1][b];
          out[(3 * 4 + b) * plane + i] = -q[1][b];
        }
      }
    }
}

/// dg += Gᵀ m G for one filter, m[ξ·plane] (ξ = 4·row + column) → g (3×3 row-major).
template <class T>
void transform_filter_gradient(const T* m, std::int64_t plane, T* g) {
  T r[3][4];
  for (int b = 0; b < 4; ++b) {
    const T m0 = m[b * plane], m1 = m[(4 + b) * plane], m2 = m[(8 + b) * plane], m3 = m[(12 + b) * plane];
    r[0][b] = m0 + T(0.5) * (m1 + m2);
    r[1][b] = T(0.5) * (m1 - m2);
    r[2][b] = T(0.5) * (m1 + m2) + m3;
  }
  for (int a = 0; a < 3; ++a) {
    const T m0 = r[a][0], m1 = r[a][1], m2 = r[a][2], m3 = r[a][3];
    g[3 * a + 0] += m0 + T(0.5) * (m1 + m2);
    g[3 * a + 1] += T(0.5) * (m1 - m2);
    g[3 * a + 2] += T(0.5) * (m1 + m2) + m3;
  }
}

/// Runs body(i) for i in [0, count) over the team when there are at least min_count (filter
/// transforms: 4096 filters; packing the 16 planes of U: any).
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

/// y = conv(x, ·) + bias with the transformed filters u [16, skewed(p.o · p.c)] in place.
template <class T>
void convolve(const Plan& p, const T* x, const T* u, const T* bias, T* y, WinogradWorkspace<T>& ws) {
  const std::int64_t most = p.chunk_tiles(), filters = skewed(p.o * p.c);
  reserve(ws.input, p.threads, Shape{16, skewed(p.c * most)});
  reserve(ws.product, p.threads, Shape{16, skewed(p.o * most)});
  reserve(ws.rows, p.threads, Shape{scratch_size(p)});
  for_each_filter(16, [&](std::int64_t xi) { ws.packed[xi].pack(false, p.o, p.c, u + xi * filters); }, 1);
  for_each_chunk(p, [&](std::int64_t first, std::int64_t count, int t) {
    const std::int64_t tiles = count * p.tw;
    T* v = ws.input[t].data();
    T* m = ws.product[t].data();
    transform_input(p, x, first, count, v, ws.rows[t].data());
    for (int xi = 0; xi < 16; ++xi)
      ws.packed[xi].multiply(false, tiles, T(1), v + xi * skewed(p.c * tiles), tiles, T(0),
                             m + xi * skewed(p.o * tiles), tiles);
    transform_output(p, m, bias, first, count, y, ws.rows[t].data());
  });
}

}  // namespace winograd

/// y = conv(x, w) + b (b may be null) for a 3×3, stride-1, padding-1 convolution.
template <class T>
void winograd_forward(std::int64_t n, std::int64_t c, std::int64_t o, std::int64_t h, std::int64_t w, const T* x,
                      const T* wt, const T* b, T* y, WinogradWorkspace<T>& ws) {
  const winograd::Plan p(n, c, o, h, w);
  const std::int64_t plane = winograd::skewed(o * c);
  ws.filters.resize(Shape{16, plane});
  T* u = ws.filters.data();
  winograd::for_each_filter(o * c, [&](std::int64_t oc) { winograd::transform_filter(wt + oc * 9, 3, 1, u + oc, plane); });
  winograd::convolve(p, x, u, b, y, ws);
}

/// dx = conv_transpose(dy, w) (overwrites dx): the convolution of dy with each filter flipped
/// and the channel roles swapped.
template <class T>
void winograd_backward_data(std::int64_t n, std::int64_t c, std::int64_t o, std::int64_t h, std::int64_t w,
                            const T* dy, const T* wt, T* dx, WinogradWorkspace<T>& ws) {
  const winograd::Plan p(n, o, c, h, w);
  const std::int64_t plane = winograd::skewed(c * o);
  ws.filters.resize(Shape{16, plane});
  T* u = ws.filters.data();
  // Filter (oc, ic) flipped, at U[ξ, ic, oc]: element (i, j) read at (2 − i, 2 − j).
  winograd::for_each_filter(o * c, [&](std::int64_t k) {
    const std::int64_t ic = k / o, oc = k % o;
    winograd::transform_filter(wt + (oc * c + ic) * 9 + 8, -3, -1, u + k, plane);
  });
  winograd::convolve(p, dy, u, static_cast<const T*>(nullptr), dx, ws);
}

/// dw += Σ_n (weight gradient) and db += Σ dy (db may be null).
template <class T>
void winograd_backward_weight(std::int64_t n, std::int64_t c, std::int64_t o, std::int64_t h, std::int64_t w,
                              const T* x, const T* dy, T* dw, T* db, WinogradWorkspace<T>& ws) {
  // Each chunk adds into all 16·O·C partial sums; chunks of at least 2·O·C/(O + C) tiles keep
  // that traffic below the transforms' (ResNet-18's 512-channel layer: 1.06 → 1.3× im2col).
  const winograd::Plan p(n, c, o, h, w, std::max(winograd::kChunkTiles, 2 * o * c / (o + c)));
  const std::int64_t most = p.chunk_tiles(), filters = winograd::skewed(o * c);
  winograd::reserve(ws.input, p.threads, Shape{16, winograd::skewed(c * most)});
  winograd::reserve(ws.product, p.threads, Shape{16, winograd::skewed(o * most)});
  winograd::reserve(ws.partial, p.threads, Shape{16, filters});
  winograd::reserve(ws.rows, p.threads, Shape{winograd::scratch_size(p)});
  for (int t = 0; t < p.threads; ++t) ws.partial[t].zero();
  winograd::for_each_chunk(p, [&](std::int64_t first, std::int64_t count, int t) {
    const std::int64_t tiles = count * p.tw;
    T* v = ws.input[t].data();
    T* z = ws.product[t].data();
    T* part = ws.partial[t].data();
    winograd::transform_input(p, x, first, count, v, ws.rows[t].data());
    winograd::transform_gradient(p, dy, first, count, z, ws.rows[t].data());
    for (int xi = 0; xi < 16; ++xi)
      gemm<T>(false, true, o, c, tiles, T(1), z + xi * winograd::skewed(o * tiles),
              v + xi * winograd::skewed(c * tiles), T(1), part + xi * filters);
  });
  for (int t = 1; t < p.threads; ++t) {
    const T* part = ws.partial[t].data();
    T* sum = ws.partial[0].data();
    for (std::int64_t i = 0; i < 16 * filters; ++i) sum[i] += part[i];
  }
  const T* sum = ws.partial[0].data();
  winograd::for_each_filter(o * c, [&](std::int64_t oc) { winograd::transform_filter_gradient(sum + oc, filters, dw + oc * 9); });
  if (db)
    for (std::int64_t s = 0; s < n; ++s)
      for (std::int64_t och = 0; och < o; ++och) {
        const T* row = dy + (s * o + och) * h * w;
        T total = 0;
        for (std::int64_t i = 0; i < h * w; ++i) total += row[i];
        db[och] += total;
      }
}

}  // namespace galnet::ops
