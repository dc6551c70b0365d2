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

  /// Panel rows built in registers (lanes outside a load's range are zero, so loads combine by
  /// OR), one aligned store per vector. Stride 0: any stride, scalar.
  template <int Stride>
  static void pack_rows(const im2col::Im2colB<Im2colIsa>& b, const im2col::Plan<Im2colIsa>& plan, std::int64_t p0,
                        std::int64_t depth, float* out) {
    const std::int64_t step = Stride == 0 ? b.stride : Stride, window = b.kh * b.kw;
    const auto origin = reinterpret_cast<std::intptr_t>(b.x);
    const Load* loads = plan.loads.data();
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    std::int64_t ch = p0 / window, kk = p0 % window;
    for (std::int64_t p = 0; p < depth; ++p, out += kCols) {
      const std::int32_t* first = plan.first.data() + kVectors * kk;
      const std::intptr_t channel = origin + static_cast<std::intptr_t>(sizeof(float)) * ch * b.h * b.w;
      unrolled<kVectors>([&](auto v) GALNET_FORCE_INLINE {  // v constant: row stays in a register
        __m256 row = _mm256_setzero_ps();
        for (std::int32_t i = first[v]; i < first[v + 1]; ++i) {
          const auto base =
              reinterpret_cast<const float*>(channel + static_cast<std::intptr_t>(sizeof(float)) * loads[i].offset);
          if (Stride == 1 && loads[i].a == 0 && loads[i].e == 8) {  // the whole vector: one plain load
            row = _mm256_loadu_ps(base);
            continue;
          }
          // Lanes a ≤ u < e.
          const __m256i lanes = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(loads[i].a), iota),
                                                    _mm256_cmpgt_epi32(_mm256_set1_epi32(loads[i].e), iota));
          if constexpr (Stride == 1) {
            row = _mm256_or_ps(row, _mm256_maskload_ps(base, lanes));
          } else if constexpr (Stride == 2) {
            // Lane u reads input 2u of 16: the even inputs of two loads, each masked to the
            // inputs its lanes read (the odd ones between stay unread).
            const __m256i even = _mm256_setr_epi32(-1, 0, -1, 0, -1, 0, -1, 0);
            const __m256i lo_mask =
                _mm256_and_si256(_mm256_permutevar8x32_epi32(lanes, _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3)), even);
            const __m256i hi_mask =
                _mm256_and_si256(_mm256_permutevar8x32_epi32(lanes, _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7)), even);
            const __m256 lo = _mm256_maskload_ps(base, lo_mask), hi = _mm256_maskload_ps(base + 8, hi_mask);
            // [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6], then the 64-bit pairs reordered 0, 2, 1, 3.
            const __m256 pairs = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
            row = _mm256_or_ps(row, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(pairs), 0xD8)));
          } else {
            alignas(32) float lane[8];
            _mm256_store_ps(lane, row);
            for (std::int32_t u = loads[i].a; u < loads[i].e; ++u) lane[u] = base[u * step];
            row = _mm256_load_ps(lane);
          }
        }
        _mm256_store_ps(out + 8 * v, row);
      });
      if (++kk == window) kk = 0, ++ch;
    }
  }
};

/// op(B) = im2col(x) for the AVX2 kernel (im2col_plan.hpp).
using Im2colB = im2col::Im2colB<Im2colIsa>;

}  // namespace galnet::ops::detail::avx2
#endif
