// galnet/ops/cpu/detail/im2col_avx2.hpp — implicit im2col (im2col_plan.hpp) for the AVX2 GEMM
// (gemm_avx2.hpp): panel rows of two 8-float vectors built from masked loads (private: reached
// through conv2d.hpp). vmaskmovps, like AVX-512's masked loads, never touches a masked-off
// lane's address, so loads hanging over the edges of x are safe.
#pragma once
#include "galnet/ops/cpu/detail/gemm_avx2.hpp"
#if defined(GALNET_GEMM_AVX2)
#include <immintrin.h>

#include <cstdint>

#include "galnet/ops/cpu/detail/im2col_plan.hpp"

namespace galnet::ops::detail::avx2 {

struct Im2colIsa {
  static constexpr std::int64_t kLanes = 8, kVectors = avx2::kVectors;
  struct Load {
    std::int64_t offset;
    std::int32_t a, e;  // lanes [a, e)
  };
  static Load load(std::int64_t offset, int a, int e) { return {offset, a, e}; }

  static __m256 zero() { return _mm256_setzero_ps(); }
  static void store(float* p, __m256 v) { _mm256_store_ps(p, v); }

  /// Lanes outside a load's range are zero in what it reads, so loads combine by OR.
  template <int Stride>
  GALNET_FORCE_INLINE static __m256 gather(__m256 row, const Load& load, const float* base, std::int64_t step) {
    if (Stride == 1 && load.a == 0 && load.e == 8) return _mm256_loadu_ps(base);  // the whole vector
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    // Lanes a ≤ u < e.
    const __m256i lanes = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(load.a), iota),
                                              _mm256_cmpgt_epi32(_mm256_set1_epi32(load.e), iota));
    if constexpr (Stride == 1) {
      return _mm256_or_ps(row, _mm256_maskload_ps(base, lanes));
    } else if constexpr (Stride == 2) {
      // Lane u reads input 2u of 16: the even inputs of two loads, each masked to the inputs its
      // lanes read (the odd ones between stay unread).
      const __m256i even = _mm256_setr_epi32(-1, 0, -1, 0, -1, 0, -1, 0);
      const __m256i lo_mask =
          _mm256_and_si256(_mm256_permutevar8x32_epi32(lanes, _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3)), even);
      const __m256i hi_mask =
          _mm256_and_si256(_mm256_permutevar8x32_epi32(lanes, _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7)), even);
      const __m256 lo = _mm256_maskload_ps(base, lo_mask), hi = _mm256_maskload_ps(base + 8, hi_mask);
      // [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6], then the 64-bit pairs reordered 0, 2, 1, 3.
      const __m256 pairs = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
      return _mm256_or_ps(row, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(pairs), 0xD8)));
    } else {
      alignas(32) float lane[8];
      _mm256_store_ps(lane, row);
      for (std::int32_t u = load.a; u < load.e; ++u) lane[u] = base[u * step];
      return _mm256_load_ps(lane);
    }
  }
};

/// op(B) = im2col(x) for the AVX2 kernel (im2col_plan.hpp).
using Im2colB = im2col::Im2colB<Im2colIsa>;

}  // namespace galnet::ops::detail::avx2
#endif
