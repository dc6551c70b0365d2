// galnet/ops/cpu/detail/gemm_avx2.hpp — the AVX2 + FMA kernel of galnet's own float GEMM, for
// x86 CPUs without AVX-512 (private: reached through ops::gemm<float>, galnet/ops/cpu/gemm.hpp;
// the packed driver is gemm_packed.hpp; AVX-512 CPUs take gemm_avx512.hpp instead).
//
// Why: on AVX2 machines Eigen's float GEMM meets the
// convolutions' 64–512-row matrices with a 24 × 4 register tile that reloads C often; here a
// 6 × 16 micro-tile (BLIS's shape for 16 ymm registers) keeps 12 accumulators in registers,
// broadcasting A against two vectors of B: per k, 2 loads and 6 broadcasts feed 12 FMAs.
// Edges: A and B panels are zero-padded, C is read and written through masks, so no tile
// reads or writes past the matrix.
#pragma once
#if defined(__AVX2__) && defined(__FMA__) && !defined(__AVX512F__) && !defined(GALNET_GEMM_EIGEN)
#define GALNET_GEMM_AVX2 1
#define GALNET_CONV_DIRECT 1  // Kernel::micro_tile_at: B rows read in place (conv_direct.hpp)
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "galnet/core/unrolled.hpp"
#include "galnet/ops/cpu/detail/conv_direct.hpp"
#include "galnet/ops/cpu/detail/gemm_packed.hpp"

namespace galnet::ops::detail::avx2 {

using packed::InputRun;

constexpr std::int64_t kRows = 6;         // rows of C per micro-tile (A, broadcast)
constexpr std::int64_t kVectors = 2;      // 8-float vectors per micro-tile row (B)
constexpr std::int64_t kCols = 8 * kVectors;
constexpr std::int64_t kDepth = 256;      // k per packed slice: a B panel is 16 KB (L1)
constexpr std::int64_t kBlockRows = 384;  // rows per packed A block (a multiple of kRows): 384 KB (L2)
constexpr int kUnroll = 4;                // k steps per trip of the micro-kernel's loop
constexpr std::int64_t kPanelOuterFloats = 64 * 1024;  // 256 KB: half of a 512 KB L2 (gemm_packed.hpp)

/// Lanes [0, count) set (count clipped to 0..8), for maskload/maskstore.
inline __m256i lane_mask(std::int64_t count) {
  const int n = static_cast<int>(std::clamp<std::int64_t>(count, 0, 8));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// out[q·ldo + r] = src[r·ld + q] for r < rows, q < depth (both clipped to 8); rows past `rows`
/// are zero, columns q ≥ depth are not written. Three stages: pairs, 4 × 4 blocks, 128-bit lanes.
inline void transpose_8x8(const float* src, std::int64_t ld, std::int64_t rows, std::int64_t depth, float* out,
                          std::int64_t ldo) {
  const __m256i in = lane_mask(depth);
  __m256 r[8], t[8];
  for (int j = 0; j < 8; ++j) r[j] = j < rows ? _mm256_maskload_ps(src + j * ld, in) : _mm256_setzero_ps();
  for (int j = 0; j < 8; j += 2) {
    t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]);
    t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
  }
  for (int g = 0; g < 2; ++g) {
    r[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    r[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    r[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    r[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  // r[c] (c < 4): column c of rows 0..3 in lane 0, column 4 + c in lane 1; r[4 + c]: rows 4..7.
  const std::int64_t columns = std::min<std::int64_t>(depth, 8);
  for (int c = 0; c < 4; ++c) {
    if (c < columns) _mm256_storeu_ps(out + c * ldo, _mm256_permute2f128_ps(r[c], r[4 + c], 0x20));
    if (c + 4 < columns) _mm256_storeu_ps(out + (c + 4) * ldo, _mm256_permute2f128_ps(r[c], r[4 + c], 0x31));
  }
}

/// op(A)[rows, depth] of one slice → panels of kRows rows, each depth × kRows (row r of the
/// panel at [p·kRows + r]); rows past `rows` are zero. Packed once for a layer's weights
/// (PackedA), but per call for the weight gradient's dy: whole panels take a branch-free loop.
inline void pack_a(bool trans, const float* a, std::int64_t lda, std::int64_t rows, std::int64_t depth, float* out) {
  for (std::int64_t i0 = 0; i0 < rows; i0 += kRows, out += kRows * depth) {
    const std::int64_t valid = std::min(kRows, rows - i0);
    if (valid == kRows) {
      if (trans) {
        for (std::int64_t p = 0; p < depth; ++p)
          unrolled<kRows>([&](auto r) GALNET_FORCE_INLINE { out[p * kRows + r] = a[p * lda + i0 + r]; });
      } else {
        const float* row = a + i0 * lda;
        for (std::int64_t p = 0; p < depth; ++p)
          unrolled<kRows>([&](auto r) GALNET_FORCE_INLINE { out[p * kRows + r] = row[r * lda + p]; });
      }
      continue;
    }
    for (std::int64_t p = 0; p < depth; ++p)
      for (std::int64_t r = 0; r < kRows; ++r)
        out[p * kRows + r] = r >= valid ? 0.f : trans ? a[p * lda + i0 + r] : a[(i0 + r) * lda + p];
  }
}

/// op(B)[depth, cols] of one block → a panel of kCols columns, depth × kCols; columns past
/// `cols` are zero.
inline void pack_b(bool trans, const float* b, std::int64_t ldb, std::int64_t depth, std::int64_t cols, float* out) {
  const std::int64_t valid = std::min(kCols, cols);
  if (trans) {  // stored [N, K]: a column of op(B) is a contiguous row; 8 × 8 transposes
    for (std::int64_t v = 0; v < kVectors; ++v)
      for (std::int64_t p = 0; p < depth; p += 8)
        transpose_8x8(b + 8 * v * ldb + p, ldb, valid - 8 * v, depth - p, out + p * kCols + 8 * v, kCols);
    return;
  }
  if (valid == kCols) {
    for (std::int64_t p = 0; p < depth; ++p)
      unrolled<kVectors>([&](auto v) GALNET_FORCE_INLINE {
        _mm256_store_ps(out + p * kCols + 8 * v, _mm256_loadu_ps(b + p * ldb + 8 * v));
      });
    return;
  }
  __m256i m[kVectors];
  for (std::int64_t v = 0; v < kVectors; ++v) m[v] = lane_mask(valid - 8 * v);
  for (std::int64_t p = 0; p < depth; ++p)
    for (std::int64_t v = 0; v < kVectors; ++v)
      _mm256_store_ps(out + p * kCols + 8 * v, _mm256_maskload_ps(b + p * ldb + 8 * v, m[v]));
}

/// acc[6 × V] += (one k of the A panel, at a) ⊗ (that k's row of B, in bv).
template <int V>
GALNET_FORCE_INLINE inline void rank1_update(const float* a, const __m256 (&bv)[V], __m256 (&acc)[kRows * V]) {
  unrolled<kRows>([&](auto r) GALNET_FORCE_INLINE {
    const __m256 ar = _mm256_broadcast_ss(a + r);
    unrolled<V>([&](auto v) GALNET_FORCE_INLINE { acc[r * V + v] = _mm256_fmadd_ps(ar, bv[v], acc[r * V + v]); });
  });
}

// One k of the 6 × 16 tile in assembly: B's two vectors loaded from B0 and B1, then per row R
// a broadcast of A's value (k = K: byte offset 24·K + 4·R) and two FMAs.
#define GALNET_AVX2_ROW(R)                                  \
  "vbroadcastss 24*%c[k]+4*" #R "(%[a]), %[t]\n\t"         \
  "vfmadd231ps %[b0], %[t], %[c" #R "0]\n\t"               \
  "vfmadd231ps %[b1], %[t], %[c" #R "1]\n\t"
#define GALNET_AVX2_RANK1(B0, B1)                                                                        \
  asm("vmovups " B0 ", %[b0]\n\t"                                                                        \
      "vmovups " B1 ", %[b1]\n\t"                                                                        \
      GALNET_AVX2_ROW(0) GALNET_AVX2_ROW(1) GALNET_AVX2_ROW(2) GALNET_AVX2_ROW(3) GALNET_AVX2_ROW(4)     \
      GALNET_AVX2_ROW(5)                                                                                 \
      : [c00] "+x"(acc[0]), [c01] "+x"(acc[1]), [c10] "+x"(acc[2]), [c11] "+x"(acc[3]), [c20] "+x"(acc[4]), \
        [c21] "+x"(acc[5]), [c30] "+x"(acc[6]), [c31] "+x"(acc[7]), [c40] "+x"(acc[8]), [c41] "+x"(acc[9]), \
        [c50] "+x"(acc[10]), [c51] "+x"(acc[11]), [b0] "=&x"(b0), [b1] "=&x"(b1), [t] "=&x"(t)           \
      : [a] "r"(a), [b] "r"(b), [k] "i"(K) /* 30 operands: GCC's limit */                                \
      : "memory")

/// rank1_update<2> for k = a + 6·K and B's row at b + 16·K (a packed panel), in assembly. Why:
/// the loop needs four k a trip to leave the FMA units room beside its own instructions, and GCC,
/// unrolling the intrinsics that far, folds B into every FMA as a memory operand (12 loads a k
/// instead of 2, more than two a cycle) and hoists broadcasts until accumulators spill. Here the
/// order and the registers are fixed; the sums are the same FMAs in the same order, so the bits
/// equal rank1_update's.
template <int K>
GALNET_FORCE_INLINE inline void rank1_update_6x16(const float* a, const float* b, __m256 (&acc)[12]) {
  __m256 b0, b1, t;
  GALNET_AVX2_RANK1("64*%c[k](%[b])", "64*%c[k]+32(%[b])");
}
// The same for two runs of a convolution's input (conv_direct.hpp): B's first vector at b, its
// second at b + d bytes. The k of A is a literal (KS), which frees the operand d takes.
#define GALNET_AVX2_ROW_AT(KS, R)                          \
  "vbroadcastss 24*" KS "+4*" #R "(%[a]), %[t]\n\t"        \
  "vfmadd231ps %[b0], %[t], %[c" #R "0]\n\t"               \
  "vfmadd231ps %[b1], %[t], %[c" #R "1]\n\t"
#define GALNET_AVX2_RANK1_AT(KS)                                                                            \
  asm("vmovups (%[b]), %[b0]\n\t"                                                                           \
      "vmovups (%[b],%[d]), %[b1]\n\t"                                                                      \
      GALNET_AVX2_ROW_AT(KS, 0) GALNET_AVX2_ROW_AT(KS, 1) GALNET_AVX2_ROW_AT(KS, 2) GALNET_AVX2_ROW_AT(KS, 3) \
      GALNET_AVX2_ROW_AT(KS, 4) GALNET_AVX2_ROW_AT(KS, 5)                                                   \
      : [c00] "+x"(acc[0]), [c01] "+x"(acc[1]), [c10] "+x"(acc[2]), [c11] "+x"(acc[3]), [c20] "+x"(acc[4]), \
        [c21] "+x"(acc[5]), [c30] "+x"(acc[6]), [c31] "+x"(acc[7]), [c40] "+x"(acc[8]), [c41] "+x"(acc[9]), \
        [c50] "+x"(acc[10]), [c51] "+x"(acc[11]), [b0] "=&x"(b0), [b1] "=&x"(b1), [t] "=&x"(t)           \
      : [a] "r"(a), [b] "r"(b), [d] "r"(d)                                                                  \
      : "memory")
template <int K>
GALNET_FORCE_INLINE inline void rank1_update_6x16_at(const float* a, const float* b, std::int64_t d,
                                                     __m256 (&acc)[12]) {
  static_assert(K >= 0 && K < kUnroll);
  __m256 b0, b1, t;
  if constexpr (K == 0) GALNET_AVX2_RANK1_AT("0");
  else if constexpr (K == 1) GALNET_AVX2_RANK1_AT("1");
  else if constexpr (K == 2) GALNET_AVX2_RANK1_AT("2");
  else GALNET_AVX2_RANK1_AT("3");
}
#undef GALNET_AVX2_RANK1_AT
#undef GALNET_AVX2_ROW_AT
/// rank1_update<1> for k = a + 6·K with B's row (8 floats) at b, in assembly (as above).
template <int K>
GALNET_FORCE_INLINE inline void rank1_update_6x8_at(const float* a, const float* b, __m256 (&acc)[6]) {
  __m256 b0, t;
#define GALNET_AVX2_ROW8(R)                                \
  "vbroadcastss 24*%c[k]+4*" #R "(%[a]), %[t]\n\t"         \
  "vfmadd231ps %[b0], %[t], %[c" #R "]\n\t"
  asm("vmovups (%[b]), %[b0]\n\t"
      GALNET_AVX2_ROW8(0) GALNET_AVX2_ROW8(1) GALNET_AVX2_ROW8(2) GALNET_AVX2_ROW8(3) GALNET_AVX2_ROW8(4)
      GALNET_AVX2_ROW8(5)
      : [c0] "+x"(acc[0]), [c1] "+x"(acc[1]), [c2] "+x"(acc[2]), [c3] "+x"(acc[3]), [c4] "+x"(acc[4]),
        [c5] "+x"(acc[5]), [b0] "=&x"(b0), [t] "=&x"(t)
      : [a] "r"(a), [b] "r"(b), [k] "i"(K)
      : "memory");
#undef GALNET_AVX2_ROW8
}
#undef GALNET_AVX2_RANK1
#undef GALNET_AVX2_ROW

/// Vector v of each of the tile's rows r < rows: count[v] lanes of alpha·acc + beta·C at
/// c[v] + r·ldc; beta == 0 never reads C.
template <int V>
GALNET_FORCE_INLINE inline void store_tile(const __m256 (&acc)[kRows * V], float* const (&c)[V], std::int64_t ldc,
                                           std::int64_t rows, const std::int64_t (&count)[V], float alpha,
                                           float beta) {
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  __m256i mask[V];
  bool full = true;
  unrolled<V>([&](auto v) GALNET_FORCE_INLINE {
    mask[v] = lane_mask(count[v]);
    full = full && count[v] == 8;
  });
  unrolled<kRows>([&](auto r) GALNET_FORCE_INLINE {
    if (r >= rows) return;
    unrolled<V>([&](auto v) GALNET_FORCE_INLINE {
      float* cr = c[v] + r * ldc;
      __m256 out = _mm256_mul_ps(va, acc[r * V + v]);
      if (full) {
        if (beta != 0.f) out = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), out);
        _mm256_storeu_ps(cr, out);
      } else {
        if (beta != 0.f) out = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr, mask[v]), out);
        _mm256_maskstore_ps(cr, mask[v], out);
      }
    });
  });
}

/// C[rows ≤ 6, cols ≤ 8·V] = alpha·(A panel · B panel) + beta·C; beta == 0 never reads C.
template <int V>
inline void micro_kernel(std::int64_t depth, const float* a, const float* b, float* c, std::int64_t ldc,
                         std::int64_t rows, std::int64_t cols, float alpha, float beta) {
  __m256 acc[kRows * V];
  unrolled<kRows * V>([&](auto i) GALNET_FORCE_INLINE { acc[i] = _mm256_setzero_ps(); });
  std::int64_t p = 0;
  if constexpr (V == 2)
    for (; p + kUnroll <= depth; p += kUnroll, a += kUnroll * kRows, b += kUnroll * kCols)
      unrolled<kUnroll>([&](auto u) GALNET_FORCE_INLINE { rank1_update_6x16<u>(a, b, acc); });
  for (; p < depth; ++p, a += kRows, b += kCols) {
    __m256 bv[V];
    unrolled<V>([&](auto v) GALNET_FORCE_INLINE { bv[v] = _mm256_load_ps(b + 8 * v); });
    rank1_update<V>(a, bv, acc);
  }
  float* cv[V];
  std::int64_t count[V];
  unrolled<V>([&](auto v) GALNET_FORCE_INLINE {
    cv[v] = c + 8 * v;
    count[v] = std::clamp<std::int64_t>(cols - 8 * v, 0, 8);
  });
  store_tile<V>(acc, cv, ldc, rows, count, alpha, beta);
}

/// As micro_kernel, B's row p read in place from V runs of a convolution's input
/// (conv_direct.hpp): vector v from runs[v].x + offset[p], unaligned, its runs[v].count lanes
/// stored at c + runs[v].at. Where every run is readable, the assembly path (lanes past a
/// run's count computed, not stored); else masked loads.
template <int V>
inline void micro_kernel_at(std::int64_t depth, const float* a, const InputRun* runs, const std::int32_t* offset,
                            float* c, std::int64_t ldc, std::int64_t rows, float alpha, float beta) {
  __m256 acc[kRows * V];
  unrolled<kRows * V>([&](auto i) GALNET_FORCE_INLINE { acc[i] = _mm256_setzero_ps(); });
  const float* base[V];
  float* cv[V];
  std::int64_t count[V];
  bool readable = true;
  unrolled<V>([&](auto v) GALNET_FORCE_INLINE {
    base[v] = runs[v].x, cv[v] = c + runs[v].at, count[v] = runs[v].count;
    readable = readable && runs[v].readable;
  });
  std::int64_t p = 0;
  if (readable) {
    const std::int64_t d = (base[V - 1] - base[0]) * std::int64_t(sizeof(float));
    for (; p + kUnroll <= depth; p += kUnroll, a += kUnroll * kRows)
      unrolled<kUnroll>([&](auto u) GALNET_FORCE_INLINE {
        if constexpr (V == 2) rank1_update_6x16_at<u>(a, base[0] + offset[p + u], d, acc);
        else rank1_update_6x8_at<u>(a, base[0] + offset[p + u], acc);
      });
  }
  __m256i mask[V];
  unrolled<V>([&](auto v) GALNET_FORCE_INLINE { mask[v] = lane_mask(count[v]); });
  for (; p < depth; ++p, a += kRows) {
    __m256 bv[V];
    unrolled<V>([&](auto v) GALNET_FORCE_INLINE { bv[v] = _mm256_maskload_ps(base[v] + offset[p], mask[v]); });
    rank1_update<V>(a, bv, acc);
  }
  store_tile<V>(acc, cv, ldc, rows, count, alpha, beta);
}

/// The kernel of the packed driver (gemm_packed.hpp) on AVX2: 6 × 16 micro-tiles.
struct Kernel {
  static constexpr std::int64_t kRows = avx2::kRows, kCols = avx2::kCols, kDepth = avx2::kDepth,
                                kBlockRows = avx2::kBlockRows, kPanelOuterFloats = avx2::kPanelOuterFloats;
  static constexpr auto pack_a = &avx2::pack_a;
  static constexpr auto pack_b = &avx2::pack_b;
  static void micro_tile(std::int64_t depth, const float* a, const float* b, float* c, std::int64_t ldc,
                         std::int64_t rows, std::int64_t cols, float alpha, float beta) {
    if (cols > 8) micro_kernel<2>(depth, a, b, c, ldc, rows, cols, alpha, beta);
    else micro_kernel<1>(depth, a, b, c, ldc, rows, cols, alpha, beta);
  }
  /// As micro_tile, B read in place from `count` (1 or 2) input runs of kLanes (conv_direct.hpp).
  static constexpr std::int64_t kLanes = 8, kRunsPerTile = kVectors;
  static void micro_tile_at(std::int64_t depth, const float* a, const InputRun* runs, std::int64_t count,
                            const std::int32_t* offset, float* c, std::int64_t ldc, std::int64_t rows, float alpha,
                            float beta) {
    if (count == 2) micro_kernel_at<2>(depth, a, runs, offset, c, ldc, rows, alpha, beta);
    else micro_kernel_at<1>(depth, a, runs, offset, c, ldc, rows, alpha, beta);
  }
};

}  // namespace galnet::ops::detail::avx2
#endif
