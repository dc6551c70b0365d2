// galnet/ops/cpu/selu_mlp.hpp — fused float32 inference of a small dense SELU network
// (Khederlarian et al.'s line-EW MLPs: In → 64 → 128 → 64 → 1), AVX-512.
//
//   ops::SeluMlp mlp{layers, mean, scale};          // views of the layers' own weights
//   mlp.forward(rows, x, ldx, y, ldy);              // y[r·ldy] = net(x[r·ldx …])
//
// Contract
//   - layers[k] views PyTorch's layout, w[o·in + i] and b[o]; no copy is made, so weights the
//     caller changes are used at the next call. SELU follows every layer but the last, whose
//     width must be 1. Widths at most kMaxWidth. The input is standardised first,
//     (x − mean[i]) / scale[i], where mean and scale are given.
//   - Allocation-free: scratch lives on the calling thread's stack (2 × kMaxWidth × kTile
//     floats). Thread-safe (const); forward() splits tiles over the OpenMP team when there are
//     enough rows (parallel = true) and never nests inside an existing team.
//   - Two paths, chosen per row: tiles of kTile rows with the rows in the vector lanes
//     (weights broadcast, 16 accumulators of 16 rows each), and, for the last rows of a call
//     (fewer than 16), one row at a time with 16 outputs per step (weight rows as vectors,
//     a transposing reduction). Both sum each dot product in float32 with FMA; they may differ
//     from each other and from the layered path by a few ulp (SELU's exponential is galnet's
//     own polynomial: within 2 ulp of expm1 for float). The parity tests bound the difference.
//   - kSeluMlpFused (and the macro GALNET_SELU_MLP_FUSED): whether this build has the fused
//     path (__AVX512F__, not nvcc); elsewhere SeluMlp does not exist and callers use the
//     layered layers.
#pragma once
#include <algorithm>
#include <cstdint>
#include <span>

#include "galnet/core/error.hpp"
#if defined(_OPENMP)
#include <omp.h>
#endif
// Not under nvcc: a .cu file's host code runs the layered path (nvcc's front end knows neither
// GCC's unroll pragmas nor, per docs/cuda.md, vectorises CPU code well).
#if defined(__AVX512F__) && !defined(__CUDACC__)
#define GALNET_SELU_MLP_FUSED 1  // for code that names SeluMlp (it exists only with AVX-512)
#include <immintrin.h>
#endif

namespace galnet::ops {

struct DenseRef {
  const float* w;  ///< [out, in] row-major (PyTorch's Linear.weight)
  const float* b;  ///< [out]
  int in, out;
};

#if defined(GALNET_SELU_MLP_FUSED)
inline constexpr bool kSeluMlpFused = true;

namespace selu_mlp_detail {
/// SELU(x) = λx (x > 0), λα·expm1(x) (x ≤ 0). expm1 by x = n ln2 + r, |r| ≤ ln2/2:
/// expm1(x) = 2ⁿ·expm1(r) + (2ⁿ − 1), expm1(r) by its degree-7 Taylor polynomial (truncation
/// below 2e-8 relative). x is clamped at −20, where expm1 is −1 in float32. NaN stays NaN.
inline __m512 selu(__m512 x) {
  const __m512 lambda = _mm512_set1_ps(1.0507009873554804934f);
  const __m512 lambda_alpha = _mm512_set1_ps(1.0507009873554804934f * 1.6732632423543772848f);
  const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LE_OQ);
  const __m512 pos = _mm512_mul_ps(x, lambda);
  if (neg == 0) return pos;
  const __m512 xc = _mm512_max_ps(x, _mm512_set1_ps(-20.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.4426950408889634f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), xc);  // Cody–Waite: ln2 = hi + lo
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
  __m512 q = _mm512_set1_ps(1.0f / 5040);
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 720));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 120));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 24));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 6));
  q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(0.5f));
  const __m512 em1_r = _mm512_fmadd_ps(_mm512_mul_ps(r, r), q, r);
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 two_n = _mm512_scalef_ps(one, n);
  const __m512 em1 = _mm512_fmadd_ps(em1_r, two_n, _mm512_sub_ps(two_n, one));
  return _mm512_mask_blend_ps(neg, pos, _mm512_mul_ps(lambda_alpha, em1));
}

/// r[j] = Σ lanes of v[j], j = 0…15: a transposing reduction tree (45 instructions).
inline __m512 sum16(const __m512* v) {
  __m512 t[8], u[4], w[2];
  for (int k = 0; k < 8; ++k)
    t[k] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * k], v[2 * k + 1]), _mm512_unpackhi_ps(v[2 * k], v[2 * k + 1]));
  for (int k = 0; k < 4; ++k)
    u[k] = _mm512_add_ps(_mm512_shuffle_ps(t[2 * k], t[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(t[2 * k], t[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  for (int k = 0; k < 2; ++k)
    w[k] = _mm512_add_ps(_mm512_shuffle_f32x4(u[2 * k], u[2 * k + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(u[2 * k], u[2 * k + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

inline __mmask16 tail_mask(int count) { return static_cast<__mmask16>((1u << count) - 1u); }
}  // namespace selu_mlp_detail

class SeluMlp {
public:
  static constexpr int kTile = 32;       ///< rows per tile (two vectors of 16 lanes)
  static constexpr int kMaxWidth = 256;  ///< widest layer (inputs included)

  SeluMlp(std::span<const DenseRef> layers, const float* mean, const float* scale)
      : layers_(layers), mean_(mean), scale_(scale) {
    GALNET_CHECK(!layers.empty() && layers.back().out == 1, "ops::SeluMlp: the last layer must have one output");
    for (std::size_t k = 0; k < layers.size(); ++k) {
      GALNET_CHECK(layers[k].in >= 1 && layers[k].in <= kMaxWidth && layers[k].out >= 1 &&
                       layers[k].out <= kMaxWidth,
                   "ops::SeluMlp: layer ", k, " is ", layers[k].in, " → ", layers[k].out, " (widths 1…", kMaxWidth,
                   ")");
      GALNET_CHECK(k == 0 || layers[k].in == layers[k - 1].out, "ops::SeluMlp: layer ", k, " takes ",
                   layers[k].in, " inputs, the previous one gives ", layers[k - 1].out);
    }
  }

  /// y[r·ldy] for rows r < rows of x (row r at x + r·ldx, the first layer's `in` values).
  void forward(std::int64_t rows, const float* x, std::int64_t ldx, float* y, std::int64_t ldy,
               bool parallel = true) const {
    const std::int64_t tiles = rows / kTile;
    const std::int64_t tail_start = tiles * kTile;
    const std::int64_t tail = rows - tail_start;
    // A tail of 16 or more rows runs as one more (padded) tile; fewer, one row at a time.
    const std::int64_t padded_tiles = tiles + (tail >= 16 ? 1 : 0);
    auto run_tile = [&](std::int64_t t) {
      const int nr = static_cast<int>(std::min<std::int64_t>(kTile, rows - t * kTile));
      tile(nr, x + t * kTile * ldx, ldx, y + t * kTile * ldy, ldy);
    };
#if defined(_OPENMP)
    // Not even an if(false) region for small calls: entering OpenMP costs about a microsecond.
    if (parallel && padded_tiles >= 4 && omp_get_max_threads() > 1 && !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
      for (std::int64_t t = 0; t < padded_tiles; ++t) run_tile(t);
    } else
#endif
    {
      for (std::int64_t t = 0; t < padded_tiles; ++t) run_tile(t);
    }
    (void)parallel;
    for (std::int64_t r = padded_tiles * kTile; r < rows; ++r) row(x + r * ldx, y + r * ldy);
  }

private:
  /// Up to kTile rows, rows in lanes: a[i][r] is feature i of row r.
  void tile(int nr, const float* x, std::int64_t ldx, float* y, std::int64_t ldy) const {
    using namespace selu_mlp_detail;
    alignas(64) float buf[2][kMaxWidth * kTile];
    float* a = buf[0];
    const int in0 = layers_.front().in;
    for (int i = 0; i < in0; ++i) {
      const float m = mean_ ? mean_[i] : 0.0f, s = scale_ ? scale_[i] : 1.0f;
      for (int r = 0; r < kTile; ++r) a[i * kTile + r] = r < nr ? (x[r * ldx + i] - m) / s : 0.0f;
    }
    for (std::size_t k = 0; k < layers_.size(); ++k) {
      const DenseRef& L = layers_[k];
      const bool hidden = k + 1 < layers_.size();
      float* out = buf[(k + 1) % 2];
      int o = 0;
      for (; o + 8 <= L.out; o += 8) tile_block<8>(L, o, a, out, hidden);
      for (; o < L.out; ++o) tile_block<1>(L, o, a, out, hidden);
      a = out;
    }
    for (int r = 0; r < nr; ++r) y[r * ldy] = a[r];
  }
  /// Outputs o … o+OB−1 of layer L for a tile: acc[j][h] holds 16 rows of output o+j.
  template <int OB>
  static void tile_block(const DenseRef& L, int o, const float* a, float* out, bool hidden) {
    using namespace selu_mlp_detail;
    __m512 acc[OB][2];
    for (int j = 0; j < OB; ++j) acc[j][0] = acc[j][1] = _mm512_set1_ps(L.b[o + j]);
    const float* w = L.w + static_cast<std::int64_t>(o) * L.in;
    for (int i = 0; i < L.in; ++i) {
      const __m512 a0 = _mm512_load_ps(a + i * kTile), a1 = _mm512_load_ps(a + i * kTile + 16);
#pragma GCC unroll 8
      for (int j = 0; j < OB; ++j) {
        const __m512 wj = _mm512_set1_ps(w[j * L.in + i]);
        acc[j][0] = _mm512_fmadd_ps(wj, a0, acc[j][0]);
        acc[j][1] = _mm512_fmadd_ps(wj, a1, acc[j][1]);
      }
    }
    for (int j = 0; j < OB; ++j) {
      _mm512_store_ps(out + (o + j) * kTile, hidden ? selu(acc[j][0]) : acc[j][0]);
      _mm512_store_ps(out + (o + j) * kTile + 16, hidden ? selu(acc[j][1]) : acc[j][1]);
    }
  }

  /// One row: activations as vectors (zero past the width), 16 outputs per step.
  void row(const float* x, float* y) const {
    using namespace selu_mlp_detail;
    alignas(64) float buf[2][kMaxWidth];
    float* v = buf[0];
    const int in0 = layers_.front().in;
    for (int i = 0; i < in0; ++i) v[i] = (x[i] - (mean_ ? mean_[i] : 0.0f)) / (scale_ ? scale_[i] : 1.0f);
    std::fill(v + in0, v + (in0 + 15) / 16 * 16, 0.0f);
    for (std::size_t k = 0; k < layers_.size(); ++k) {
      const DenseRef& L = layers_[k];
      const bool hidden = k + 1 < layers_.size();
      float* out = buf[(k + 1) % 2];
      const int chunks = (L.in + 15) / 16, last = L.in - (chunks - 1) * 16;
      const __mmask16 last_mask = tail_mask(last);
      int o = 0;
      for (; o + 16 <= L.out; o += 16) {
        __m512 acc[16];
        // Chunk by chunk, 16 independent accumulators (one per output): throughput, not latency.
        for (auto& a : acc) a = _mm512_setzero_ps();
        const float* w = L.w + static_cast<std::int64_t>(o) * L.in;
        for (int c = 0; c < chunks; ++c) {
          const __m512 xv = _mm512_load_ps(v + c * 16);
          if (c + 1 < chunks || last == 16) {
#pragma GCC unroll 16
            for (int j = 0; j < 16; ++j) acc[j] = _mm512_fmadd_ps(_mm512_loadu_ps(w + j * L.in + c * 16), xv, acc[j]);
          } else {
#pragma GCC unroll 16
            for (int j = 0; j < 16; ++j)
              acc[j] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(last_mask, w + j * L.in + c * 16), xv, acc[j]);
          }
        }
        const __m512 s = _mm512_add_ps(sum16(acc), _mm512_loadu_ps(L.b + o));
        _mm512_store_ps(out + o, hidden ? selu(s) : s);
      }
      for (; o < L.out; ++o) {
        __m512 acc = _mm512_setzero_ps();
        for (int c = 0; c < chunks; ++c) {
          const __mmask16 m = c + 1 < chunks ? __mmask16(0xffff) : last_mask;
          acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, L.w + static_cast<std::int64_t>(o) * L.in + c * 16),
                                _mm512_load_ps(v + c * 16), acc);
        }
        out[o] = _mm512_reduce_add_ps(acc) + L.b[o];
        if (hidden) {
          out[o] = _mm512_cvtss_f32(selu(_mm512_set1_ps(out[o])));
        }
      }
      std::fill(out + L.out, out + (L.out + 15) / 16 * 16, 0.0f);
      v = out;
    }
    *y = v[0];
  }

  std::span<const DenseRef> layers_;
  const float* mean_;
  const float* scale_;
};
#else
inline constexpr bool kSeluMlpFused = false;
#endif

}  // namespace galnet::ops
