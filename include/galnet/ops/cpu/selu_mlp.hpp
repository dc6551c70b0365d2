// galnet/ops/cpu/selu_mlp.hpp — fused float32 inference of a small dense SELU network
// (Khederlarian et al.'s line-EW MLPs: In → 64 → 128 → 64 → 1), AVX-512 or AVX2 + FMA.
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
//   - Two paths, chosen per row (all rows take the first with batch_invariant): tiles of kTile rows (two vectors) with the rows in the vector
//     lanes (weights broadcast; AVX-512: 8 outputs × 2 vectors of 16 rows = 16 accumulators;
//     AVX2: 6 × 2 of 8 rows), and, for the last rows of a call (fewer than kTile / 2), one row
//     at a time with a vector's width of outputs per step (weight rows as vectors, a transposing
//     reduction). Both sum each dot product in float32 with FMA; they may differ from each other,
//     between the two instruction sets and from the layered path by a few ulp (SELU's
//     exponential is galnet's own polynomial: within 2 ulp of expm1 for float). The parity tests
//     bound the difference.
//   - kSeluMlpFused (and the macro GALNET_SELU_MLP_FUSED): whether this build has the vector
//     path (AVX-512, or AVX2 with FMA; not nvcc); elsewhere SeluMlp is a portable row-at-a-time
//     loop with the same interface.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>

#include "galnet/core/error.hpp"
#include "galnet/ops/selu.hpp"
#if defined(_OPENMP)
#include <omp.h>
#endif
// Not under nvcc: a .cu file's host code runs the layered path (nvcc's front end knows neither
// GCC's unroll pragmas nor, per docs/cuda.md, vectorises CPU code well).
#if !defined(__CUDACC__) && (defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__)))
#define GALNET_SELU_MLP_FUSED 1  // for code that names SeluMlp (it exists only with AVX-512 or AVX2)
#include <immintrin.h>
#endif

namespace galnet::ops {

namespace selu_mlp_detail {
inline constexpr int kMaxWidth = 256;  ///< widest layer (inputs included)
/// Checks a network's layers: widths 1…kMaxWidth, each taking the previous one's outputs, one output last.
inline void check_layers(std::span<const DenseRef> layers) {
  GALNET_CHECK(!layers.empty() && layers.back().out == 1, "ops::SeluMlp: the last layer must have one output");
  for (std::size_t k = 0; k < layers.size(); ++k) {
    GALNET_CHECK(layers[k].in >= 1 && layers[k].in <= kMaxWidth && layers[k].out >= 1 && layers[k].out <= kMaxWidth,
                 "ops::SeluMlp: layer ", k, " is ", layers[k].in, " → ", layers[k].out, " (widths 1…", kMaxWidth, ")");
    GALNET_CHECK(k == 0 || layers[k].in == layers[k - 1].out, "ops::SeluMlp: layer ", k, " takes ", layers[k].in,
                 " inputs, the previous one gives ", layers[k - 1].out);
  }
}
}  // namespace selu_mlp_detail

#if defined(GALNET_SELU_MLP_FUSED)
inline constexpr bool kSeluMlpFused = true;

namespace selu_mlp_detail {
// SELU(x) = λx (x > 0), λα·expm1(x) (x ≤ 0). expm1 by x = n ln2 + r, |r| ≤ ln2/2:
// λα·expm1(x) = (λα·2ⁿ)·expm1(r) + (λα·2ⁿ − λα), with λα·2ⁿ exact (n added to λα's exponent) and
// expm1(r) = r + r²·q(r), q of degree 4 fitted for relative error (1.7e-8 on [−ln2/2, ln2/2]).
// r = x − n·ln2 in one FMA: float ln2's error, n·1.9e-9 (n ≥ −29), is below the result's ulp
// wherever it is not swamped by the −λα term. x is clamped at −20, where expm1 is −1 in
// float32. NaN stays NaN. Both instruction sets below do this with the same operations in the
// same order: 11 multiplies and FMAs, where a Taylor form with a two-part ln2 took 14 (SELU was
// ≈ 25 % of a line's batch time on Zen 3).
inline constexpr float kLambda = kSeluScaleF, kLambdaAlpha = kSeluScaleAlphaF;
inline constexpr float kLog2e = 1.4426950408889634f, kLn2 = 0.693147180559945309f;

/// λα·expm1(x) from the reduced argument: xc = max(x, −20), n = round(xc·log2e) and
/// la_two_n = λα·2ⁿ (fmadd, fnmadd, mul, sub and set1 of the vector type V's instruction set).
template <class I>
inline typename I::vec lambda_alpha_expm1(typename I::vec xc, typename I::vec n, typename I::vec la_two_n) {
  using V = typename I::vec;
  const V r = I::fnmadd(n, I::set1(kLn2), xc);
  V q = I::set1(1.3882522471249104e-3f);
  q = I::fmadd(q, r, I::set1(8.36651399731636e-3f));
  q = I::fmadd(q, r, I::set1(4.166720062494278e-2f));
  q = I::fmadd(q, r, I::set1(1.666654348373413e-1f));
  q = I::fmadd(q, r, I::set1(4.999999701976776e-1f));
  const V em1_r = I::fmadd(I::mul(r, r), q, r);
  return I::fmadd(em1_r, la_two_n, I::sub(la_two_n, I::set1(kLambdaAlpha)));
}

#if defined(__AVX512F__)
/// AVX-512: 16 lanes; a tile step holds 8 outputs × 2 vectors of accumulators (of 32 registers).
struct Isa {
  using vec = __m512;
  static constexpr int kLanes = 16, kOutBlock = 8;
  static vec load(const float* p) { return _mm512_load_ps(p); }
  static vec loadu(const float* p) { return _mm512_loadu_ps(p); }
  /// Lanes [0, count) from p, the rest zero (1 ≤ count ≤ kLanes).
  static vec loadu_first(const float* p, int count) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1u), p);
  }
  static void store(float* p, vec v) { _mm512_store_ps(p, v); }
  static vec set1(float x) { return _mm512_set1_ps(x); }
  static vec zero() { return _mm512_setzero_ps(); }
  static vec add(vec a, vec b) { return _mm512_add_ps(a, b); }
  static vec sub(vec a, vec b) { return _mm512_sub_ps(a, b); }
  static vec mul(vec a, vec b) { return _mm512_mul_ps(a, b); }
  static vec fmadd(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
  static vec fnmadd(vec a, vec b, vec c) { return _mm512_fnmadd_ps(a, b, c); }
  static float reduce_add(vec v) { return _mm512_reduce_add_ps(v); }
  static float first(vec v) { return _mm512_cvtss_f32(v); }

  static vec selu(vec x) {
    const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LE_OQ);
    const vec pos = mul(x, set1(kLambda));
    if (neg == 0) return pos;
    const vec xc = _mm512_max_ps(x, set1(-20.0f));
    const vec n = _mm512_roundscale_ps(mul(xc, set1(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const vec neg_part = lambda_alpha_expm1<Isa>(xc, n, _mm512_scalef_ps(set1(kLambdaAlpha), n));
    return _mm512_mask_blend_ps(neg, pos, neg_part);
  }

  /// r[j] = Σ lanes of v[j], j < 16: a transposing reduction tree (45 instructions).
  static vec sum_lanes(const vec* v) {
    vec t[8], u[4], w[2];
    for (int k = 0; k < 8; ++k)
      t[k] = add(_mm512_unpacklo_ps(v[2 * k], v[2 * k + 1]), _mm512_unpackhi_ps(v[2 * k], v[2 * k + 1]));
    for (int k = 0; k < 4; ++k)
      u[k] = add(_mm512_shuffle_ps(t[2 * k], t[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                 _mm512_shuffle_ps(t[2 * k], t[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    for (int k = 0; k < 2; ++k)
      w[k] = add(_mm512_shuffle_f32x4(u[2 * k], u[2 * k + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                 _mm512_shuffle_f32x4(u[2 * k], u[2 * k + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    return add(_mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0)),
               _mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1)));
  }
};
#else
/// AVX2 + FMA: 8 lanes; a tile step holds 6 outputs × 2 vectors of accumulators (12 of the 16
/// registers; 4 outputs, 8 accumulators, measured 1.35× slower on Zen 3).
struct Isa {
  using vec = __m256;
  static constexpr int kLanes = 8, kOutBlock = 6;
  static vec load(const float* p) { return _mm256_load_ps(p); }
  static vec loadu(const float* p) { return _mm256_loadu_ps(p); }
  /// Lanes [0, count) from p, the rest zero (1 ≤ count ≤ kLanes).
  static vec loadu_first(const float* p, int count) {
    const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_maskload_ps(p, lanes);
  }
  static void store(float* p, vec v) { _mm256_store_ps(p, v); }
  static vec set1(float x) { return _mm256_set1_ps(x); }
  static vec zero() { return _mm256_setzero_ps(); }
  static vec add(vec a, vec b) { return _mm256_add_ps(a, b); }
  static vec sub(vec a, vec b) { return _mm256_sub_ps(a, b); }
  static vec mul(vec a, vec b) { return _mm256_mul_ps(a, b); }
  static vec fmadd(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
  static vec fnmadd(vec a, vec b, vec c) { return _mm256_fnmadd_ps(a, b, c); }
  static float reduce_add(vec v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
  }
  static float first(vec v) { return _mm256_cvtss_f32(v); }

  static vec selu(vec x) {
    const vec neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LE_OQ);
    const vec pos = mul(x, set1(kLambda));
    if (_mm256_movemask_ps(neg) == 0) return pos;
    const vec xc = _mm256_max_ps(x, set1(-20.0f));
    const vec n = _mm256_round_ps(mul(xc, set1(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // λα·2ⁿ by adding n to λα's exponent (n ≥ −29 after the clamp: a normal float), as scalef gives it.
    const vec la_two_n = _mm256_castsi256_ps(
        _mm256_add_epi32(_mm256_slli_epi32(_mm256_cvtps_epi32(n), 23), _mm256_castps_si256(set1(kLambdaAlpha))));
    const vec neg_part = lambda_alpha_expm1<Isa>(xc, n, la_two_n);
    return _mm256_blendv_ps(pos, neg_part, neg);
  }

  /// r[j] = Σ lanes of v[j], j < 8: pairwise horizontal adds, then the two 128-bit halves.
  static vec sum_lanes(const vec* v) {
    const vec u0 = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
    const vec u1 = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
    return add(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
  }
};
#endif
}  // namespace selu_mlp_detail

class SeluMlp {
  using I = selu_mlp_detail::Isa;
  using vec = I::vec;

public:
  static constexpr int kLanes = I::kLanes;  ///< floats per vector
  static constexpr int kTile = 2 * kLanes;  ///< rows per tile (two vectors)
  static constexpr int kMaxWidth = selu_mlp_detail::kMaxWidth;

  SeluMlp(std::span<const DenseRef> layers, const float* mean, const float* scale)
      : layers_(layers), mean_(mean), scale_(scale) {
    selu_mlp_detail::check_layers(layers);
  }


  /// y[r·ldy] for rows r < rows of x (row r at x + r·ldx, the first layer's `in` values).
  /// batch_invariant: every row through the tile path (the tail padded), so a row's bits do
  /// not depend on how many rows share the call.
  void forward(std::int64_t rows, const float* x, std::int64_t ldx, float* y, std::int64_t ldy,
               bool parallel = true, bool batch_invariant = false) const {
    const std::int64_t tiles = rows / kTile;
    const std::int64_t tail_start = tiles * kTile;
    const std::int64_t tail = rows - tail_start;
    // A tail of half a tile or more runs as one more (padded) tile; fewer, one row at a time.
    const std::int64_t padded_tiles = tiles + (tail > 0 && (batch_invariant || tail >= kTile / 2) ? 1 : 0);
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
  static constexpr int rounded(int width) { return (width + kLanes - 1) / kLanes * kLanes; }

  /// Up to kTile rows, rows in lanes: a[i][r] is feature i of row r.
  void tile(int nr, const float* x, std::int64_t ldx, float* y, std::int64_t ldy) const {
    alignas(64) float buf[2][kMaxWidth * kTile];
    float* a = buf[0];
    const int in0 = layers_.front().in;
    for (int i = 0; i < in0; ++i) {
      const float m = mean_ ? mean_[i] : 0.0f, s = scale_ ? scale_[i] : 1.0f;
      for (int r = 0; r < kTile; ++r) a[i * kTile + r] = r < nr ? (x[r * ldx + i] - m) / s : 0.0f;
    }
    // The one-output last layer is folded into the previous layer's stores: each hidden value,
    // once through SELU, goes straight into y's two accumulators, in the same order as a
    // separate pass (so the same bits). Alone, that pass was 2 × 64 dependent FMAs a tile (≈ 1.5 %).
    const std::size_t last = layers_.size() - 1;
    Fold fold{last > 0 ? layers_[last].w : nullptr, {I::set1(layers_[last].b[0]), I::set1(layers_[last].b[0])}};
    const std::size_t passes = fold.w ? last : 1;  // a lone output layer has nothing to fold into
    for (std::size_t k = 0; k < passes; ++k) {
      const DenseRef& L = layers_[k];
      const bool hidden = k < last;
      Fold* f = k + 1 == last ? &fold : nullptr;
      float* out = buf[(k + 1) % 2];
      int o = 0;
      for (; o + I::kOutBlock <= L.out; o += I::kOutBlock) tile_block<I::kOutBlock>(L, o, a, out, hidden, f);
      tile_rest(L, o, a, out, hidden, f);
      a = out;
    }
    if (fold.w) {
      I::store(a, fold.acc[0]);
      I::store(a + kLanes, fold.acc[1]);
    }
    for (int r = 0; r < nr; ++r) y[r * ldy] = a[r];
  }
  /// The last layer's weights and its accumulators for a tile's rows, when folded.
  struct Fold {
    const float* w;
    vec acc[2];
  };
  /// The last L.out − o (< kOutBlock) outputs in one block (the same sums, in the same order).
  /// One at a time, each output was two dependent chains of FMAs, latency-bound: on AVX2 the
  /// remainders of 64 and 128 by 6 (10 outputs of a line's 257); one line at B = 4096 then ran
  /// 1.14× slower on Zen 3 (best of 8, interleaved).
  template <int R = I::kOutBlock - 1>
  static void tile_rest(const DenseRef& L, int o, const float* a, float* out, bool hidden, Fold* fold) {
    if constexpr (R > 0) {
      if (L.out - o == R) return tile_block<R>(L, o, a, out, hidden, fold);
      tile_rest<R - 1>(L, o, a, out, hidden, fold);
    }
  }
  /// Outputs o … o+OB−1 of layer L for a tile: acc[j][h] holds kLanes rows of output o+j.
  /// With a fold, the SELU'd outputs go into the last layer's sums instead of out.
  template <int OB>
  static void tile_block(const DenseRef& L, int o, const float* a, float* out, bool hidden, Fold* fold) {
    vec acc[OB][2];
    for (int j = 0; j < OB; ++j) acc[j][0] = acc[j][1] = I::set1(L.b[o + j]);
    const float* w = L.w + static_cast<std::int64_t>(o) * L.in;
    for (int i = 0; i < L.in; ++i) {
      const vec a0 = I::load(a + i * kTile), a1 = I::load(a + i * kTile + kLanes);
#pragma GCC unroll 8
      for (int j = 0; j < OB; ++j) {
        const vec wj = I::set1(w[j * L.in + i]);
        acc[j][0] = I::fmadd(wj, a0, acc[j][0]);
        acc[j][1] = I::fmadd(wj, a1, acc[j][1]);
      }
    }
    if (fold) {
      for (int j = 0; j < OB; ++j) {
        const vec wj = I::set1(fold->w[o + j]);
        fold->acc[0] = I::fmadd(wj, I::selu(acc[j][0]), fold->acc[0]);
        fold->acc[1] = I::fmadd(wj, I::selu(acc[j][1]), fold->acc[1]);
      }
      return;
    }
    for (int j = 0; j < OB; ++j) {
      I::store(out + (o + j) * kTile, hidden ? I::selu(acc[j][0]) : acc[j][0]);
      I::store(out + (o + j) * kTile + kLanes, hidden ? I::selu(acc[j][1]) : acc[j][1]);
    }
  }

  /// One row: activations as vectors (zero past the width), kLanes outputs per step.
  void row(const float* x, float* y) const {
    alignas(64) float buf[2][kMaxWidth];
    float* v = buf[0];
    const int in0 = layers_.front().in;
    for (int i = 0; i < in0; ++i) v[i] = (x[i] - (mean_ ? mean_[i] : 0.0f)) / (scale_ ? scale_[i] : 1.0f);
    std::fill(v + in0, v + rounded(in0), 0.0f);
    for (std::size_t k = 0; k < layers_.size(); ++k) {
      const DenseRef& L = layers_[k];
      const bool hidden = k + 1 < layers_.size();
      float* out = buf[(k + 1) % 2];
      const int chunks = (L.in + kLanes - 1) / kLanes, last = L.in - (chunks - 1) * kLanes;
      int o = 0;
      for (; o + kLanes <= L.out; o += kLanes) {
        vec acc[kLanes];
        // Chunk by chunk, kLanes independent accumulators (one per output): throughput, not latency.
        for (auto& a : acc) a = I::zero();
        const float* w = L.w + static_cast<std::int64_t>(o) * L.in;
        for (int c = 0; c < chunks; ++c) {
          const vec xv = I::load(v + c * kLanes);
          if (c + 1 < chunks || last == kLanes) {
#pragma GCC unroll 16
            for (int j = 0; j < kLanes; ++j) acc[j] = I::fmadd(I::loadu(w + j * L.in + c * kLanes), xv, acc[j]);
          } else {
#pragma GCC unroll 16
            for (int j = 0; j < kLanes; ++j)
              acc[j] = I::fmadd(I::loadu_first(w + j * L.in + c * kLanes, last), xv, acc[j]);
          }
        }
        const vec s = I::add(I::sum_lanes(acc), I::loadu(L.b + o));
        I::store(out + o, hidden ? I::selu(s) : s);
      }
      for (; o < L.out; ++o) {
        vec acc = I::zero();
        for (int c = 0; c < chunks; ++c)
          acc = I::fmadd(I::loadu_first(L.w + static_cast<std::int64_t>(o) * L.in + c * kLanes,
                                        c + 1 < chunks ? kLanes : last),
                         I::load(v + c * kLanes), acc);
        out[o] = I::reduce_add(acc) + L.b[o];
        if (hidden) out[o] = I::first(I::selu(I::set1(out[o])));
      }
      std::fill(out + L.out, out + rounded(L.out), 0.0f);
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

/// The portable form (no AVX2/FMA, or nvcc's host code): one row at a time, each dot product
/// summed in float in input order, SELU by std::expm1. Same interface and contract.
class SeluMlp {
public:
  static constexpr int kTile = 1;
  static constexpr int kMaxWidth = selu_mlp_detail::kMaxWidth;

  SeluMlp(std::span<const DenseRef> layers, const float* mean, const float* scale)
      : layers_(layers), mean_(mean), scale_(scale) {
    selu_mlp_detail::check_layers(layers);
  }

  void forward(std::int64_t rows, const float* x, std::int64_t ldx, float* y, std::int64_t ldy,
               bool parallel = true, bool /*batch_invariant: always*/ = false) const {
    auto one = [&](std::int64_t r) { y[r * ldy] = row(x + r * ldx); };
#if defined(_OPENMP)
    if (parallel && rows >= 64 && omp_get_max_threads() > 1 && !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
      for (std::int64_t r = 0; r < rows; ++r) one(r);
      return;
    }
#endif
    (void)parallel;
    for (std::int64_t r = 0; r < rows; ++r) one(r);
  }

private:
  float row(const float* x) const {
    float buf[2][kMaxWidth];
    float* v = buf[0];
    for (int i = 0; i < layers_.front().in; ++i) v[i] = (x[i] - (mean_ ? mean_[i] : 0.0f)) / (scale_ ? scale_[i] : 1.0f);
    for (std::size_t k = 0; k < layers_.size(); ++k) {
      const DenseRef& L = layers_[k];
      float* out = buf[(k + 1) % 2];
      for (int o = 0; o < L.out; ++o) {
        float a = L.b[o];
        for (int i = 0; i < L.in; ++i) a += L.w[static_cast<std::int64_t>(o) * L.in + i] * v[i];
        out[o] = k + 1 == layers_.size() ? a : a > 0 ? kSeluScaleF * a : kSeluScaleAlphaF * std::expm1(a);
      }
      v = out;
    }
    return v[0];
  }

  std::span<const DenseRef> layers_;
  const float* mean_;
  const float* scale_;
};
#endif

}  // namespace galnet::ops
