// galnet/ops/cpu/detail/gemm_avx512.hpp — the AVX-512 kernel of galnet's own float GEMM
// (private: reached through ops::gemm<float>, galnet/ops/cpu/gemm.hpp; the packed driver is
// gemm_packed.hpp).
//
// Why: Eigen's float GEMM stays well below the FMA peak, and its 48×4 register tile meets the
// 64–512-row matrices of convolution badly. Here an 8 × 48 micro-kernel keeps its 24
// accumulators in zmm registers, broadcasting A against three vectors of B, with B's panel held
// in L1 and A streaming (the other way round, 192 bytes of B a k from L2 bound the kernel).
// Edges: A and B panels are zero-padded, C is written through masks, so no tile reads or writes
// past the matrix.
#pragma once
#if defined(__AVX512F__) && !defined(GALNET_GEMM_EIGEN)
#define GALNET_GEMM_AVX512 1
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "galnet/core/unrolled.hpp"
#include "galnet/ops/cpu/detail/gemm_packed.hpp"

namespace galnet::ops::detail::avx512 {

constexpr std::int64_t kRows = 8;          // rows of C per micro-tile (A, broadcast)
constexpr std::int64_t kVectors = 3;       // 16-float vectors per micro-tile row (B)
constexpr std::int64_t kCols = 16 * kVectors;
constexpr std::int64_t kDepth = 256;       // k per packed slice: a B panel is 48 KB (L1)
constexpr std::int64_t kBlockRows = 512;   // rows per packed A block: 512 KB (L2)
constexpr std::int64_t kPanelOuterFloats = 256 * 1024;  // 1 MiB: half of a 2 MB L2 (gemm_packed.hpp)

constexpr int kEven = 0x88, kOdd = 0xDD;  // 128-bit lanes 0, 2 (1, 3) of x, then of y
template <int Lanes>
inline __m512 lanes(__m512 x, __m512 y) {
  return _mm512_maskz_shuffle_f32x4(0xFFFF, x, y, Lanes);
}

/// The first two stages of a transpose of N (8 or 16) rows of 16 floats: loads rows src + j·ld
/// (j < rows; the rest zero; q < depth), then r[4g + c], lane L = column 4L + c of rows
/// 4g..4g+3. (The all-true masked forms compile to the same instructions; the plain ones trip
/// GCC's -Wuninitialized through _mm512_undefined_ps.)
template <int N>
inline void transpose_blocks(const float* src, std::int64_t ld, std::int64_t rows, std::int64_t depth, __m512* r) {
  const __mmask16 in = static_cast<__mmask16>(depth >= 16 ? 0xFFFFu : (1u << depth) - 1u);
  __m512 t[N];
  for (int j = 0; j < N; ++j) r[j] = j < rows ? _mm512_maskz_loadu_ps(in, src + j * ld) : _mm512_setzero_ps();
  for (int j = 0; j < N; j += 2) {
    t[j] = _mm512_maskz_unpacklo_ps(0xFFFF, r[j], r[j + 1]);
    t[j + 1] = _mm512_maskz_unpackhi_ps(0xFFFF, r[j], r[j + 1]);
  }
  for (int g = 0; g < N / 4; ++g) {
    r[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    r[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    r[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    r[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
}

/// out[q·kCols + r] = src[r·ld + q] for r < rows, q < depth (both clipped to 16); rows past
/// `rows` give zeros. Three shuffle stages: pairs, 4 × 4 blocks in 128-bit lanes, the lanes.
inline void transpose_16x16(const float* src, std::int64_t ld, std::int64_t rows, std::int64_t depth, float* out) {
  __m512 r[16], t[16];
  transpose_blocks<16>(src, ld, rows, depth, r);
  const std::int64_t columns = std::min<std::int64_t>(depth, 16);
  for (int c = 0; c < 4; ++c) {
    const __m512 a0 = lanes<kEven>(r[c], r[4 + c]), a1 = lanes<kOdd>(r[c], r[4 + c]);
    const __m512 b0 = lanes<kEven>(r[8 + c], r[12 + c]), b1 = lanes<kOdd>(r[8 + c], r[12 + c]);
    t[c] = lanes<kEven>(a0, b0);
    t[8 + c] = lanes<kOdd>(a0, b0);
    t[4 + c] = lanes<kEven>(a1, b1);
    t[12 + c] = lanes<kOdd>(a1, b1);
  }
  for (int q = 0; q < columns; ++q) _mm512_store_ps(out + q * kCols, t[q]);
}

/// out[q·kRows + r] = src[r·ld + q] for r < rows (≤ 8), q < depth (clipped to 16); rows past
/// `rows` give zeros. As transpose_16x16 for 8 rows; each output vector holds two columns.
inline void transpose_8x16(const float* src, std::int64_t ld, std::int64_t rows, std::int64_t depth, float* out) {
  __m512 r[8], t[8];
  transpose_blocks<8>(src, ld, rows, depth, r);
  // t[c] = lanes 0, 1 of r[c] then of r[4 + c]; t[4 + c] = lanes 2, 3. Column 4L + c (all 8
  // rows) is then lanes (L mod 2, L mod 2 + 2) of t[c] (L < 2) or of t[4 + c] (L ≥ 2).
  for (int c = 0; c < 4; ++c) {
    t[c] = lanes<0x44>(r[c], r[4 + c]);
    t[4 + c] = lanes<0xEE>(r[c], r[4 + c]);
  }
  for (int q = 0; q < 8; ++q) {  // columns 2q and 2q + 1
    const int col = 2 * q, lane = col / 4, c = col % 4;
    const __m512* half = lane < 2 ? t : t + 4;
    const __m512 v = lane % 2 == 0 ? lanes<kEven>(half[c], half[c + 1]) : lanes<kOdd>(half[c], half[c + 1]);
    if (col + 1 < depth) _mm512_storeu_ps(out + col * kRows, v);  // panels start unaligned (odd depth)
    else if (col < depth) _mm512_mask_storeu_ps(out + col * kRows, 0x00FF, v);
  }
}

/// op(A)[rows, depth] of one slice → panels of kRows rows, each depth × kRows (row r of the
/// panel at [p·kRows + r]); rows past `rows` are zero.
inline void pack_a(bool trans, const float* a, std::int64_t lda, std::int64_t rows, std::int64_t depth, float* out) {
  for (std::int64_t i0 = 0; i0 < rows; i0 += kRows, out += kRows * depth) {
    const std::int64_t valid = std::min(kRows, rows - i0);
    if (trans) {  // stored [K, M]: kRows consecutive floats per p
      const __mmask16 in = static_cast<__mmask16>((1u << valid) - 1u);
      for (std::int64_t p = 0; p < depth; ++p)
        _mm512_mask_storeu_ps(out + p * kRows, 0x00FF, _mm512_maskz_loadu_ps(in, a + p * lda + i0));
    } else {  // stored [M, K]: 8 × 16 transposes
      for (std::int64_t p = 0; p < depth; p += 16)
        transpose_8x16(a + i0 * lda + p, lda, valid, depth - p, out + p * kRows);
    }
  }
}

/// op(B)[depth, cols] of one block → panels of kCols columns, each depth × kCols; columns past
/// `cols` are zero.
inline void pack_b(bool trans, const float* b, std::int64_t ldb, std::int64_t depth, std::int64_t cols, float* out) {
  for (std::int64_t j0 = 0; j0 < cols; j0 += kCols, out += kCols * depth) {
    const std::int64_t valid = std::min(kCols, cols - j0);
    if (trans) {  // stored [N, K]: a column of op(B) is a contiguous row; 16 × 16 transposes
      for (std::int64_t v = 0; v < kVectors; ++v)
        for (std::int64_t p = 0; p < depth; p += 16)
          transpose_16x16(b + (j0 + 16 * v) * ldb + p, ldb, valid - 16 * v, depth - p, out + p * kCols + 16 * v);
    } else {
      const __mmask16 tail = static_cast<__mmask16>((1u << (valid % 16)) - 1u);
      for (std::int64_t p = 0; p < depth; ++p) {
        const float* src = b + p * ldb + j0;
        float* dst = out + p * kCols;
        for (std::int64_t v = 0; v < kVectors; ++v) {
          const std::int64_t left = valid - 16 * v;
          const __mmask16 m = left >= 16 ? __mmask16(0xFFFF) : left > 0 ? tail : __mmask16(0);
          _mm512_store_ps(dst + 16 * v, _mm512_maskz_loadu_ps(m, src + 16 * v));
        }
      }
    }
  }
}


/// C[rows ≤ 8, cols ≤ 16·V] = alpha·(A panel · B panel) + beta·C; beta == 0 never reads C.
template <int V>
inline void micro_kernel(std::int64_t depth, const float* a, const float* b, float* c, std::int64_t ldc,
                         std::int64_t rows, std::int64_t cols, float alpha, float beta) {
  __m512 acc[kRows * V];
  unrolled<kRows * V>([&](auto i) GALNET_FORCE_INLINE { acc[i] = _mm512_setzero_ps(); });
  for (std::int64_t p = 0; p < depth; ++p, a += kRows, b += kCols) {
    __m512 bv[V];
    unrolled<V>([&](auto v) GALNET_FORCE_INLINE { bv[v] = _mm512_load_ps(b + 16 * v); });
    unrolled<kRows>([&](auto r) GALNET_FORCE_INLINE {
      const __m512 ar = _mm512_set1_ps(a[r]);
      unrolled<V>([&](auto v) GALNET_FORCE_INLINE { acc[r * V + v] = _mm512_fmadd_ps(ar, bv[v], acc[r * V + v]); });
    });
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const std::int64_t last = cols - 16 * (V - 1);  // 1..16 columns in the last vector
  const __mmask16 tail = static_cast<__mmask16>(last >= 16 ? 0xFFFFu : (1u << last) - 1u);
  unrolled<kRows>([&](auto r) GALNET_FORCE_INLINE {
    if (r >= rows) return;
    float* cr = c + r * ldc;
    unrolled<V>([&](auto v) GALNET_FORCE_INLINE {
      const __mmask16 m = v == V - 1 ? tail : __mmask16(0xFFFF);
      __m512 out = _mm512_mul_ps(va, acc[r * V + v]);
      if (beta != 0.f) out = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, cr + 16 * v), out);
      _mm512_mask_storeu_ps(cr + 16 * v, m, out);
    });
  });
}

/// The kernel of the packed driver (gemm_packed.hpp) on AVX-512: 8 × 48 micro-tiles.
struct Kernel {
  static constexpr std::int64_t kRows = avx512::kRows, kCols = avx512::kCols, kDepth = avx512::kDepth,
                                kBlockRows = avx512::kBlockRows, kPanelOuterFloats = avx512::kPanelOuterFloats;
  static constexpr auto pack_a = &avx512::pack_a;
  static constexpr auto pack_b = &avx512::pack_b;
  static void micro_tile(std::int64_t depth, const float* a, const float* b, float* c, std::int64_t ldc,
                         std::int64_t rows, std::int64_t cols, float alpha, float beta) {
    if (cols > 32) micro_kernel<3>(depth, a, b, c, ldc, rows, cols, alpha, beta);
    else if (cols > 16) micro_kernel<2>(depth, a, b, c, ldc, rows, cols, alpha, beta);
    else micro_kernel<1>(depth, a, b, c, ldc, rows, cols, alpha, beta);
  }
};

}  // namespace galnet::ops::detail::avx512
#endif
