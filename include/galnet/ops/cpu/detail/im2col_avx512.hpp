// galnet/ops/cpu/detail/im2col_avx512.hpp — implicit im2col (im2col_plan.hpp) for the AVX-512
// GEMM (gemm_avx512.hpp): panel rows of three 16-float vectors built from masked loads
// (private: reached through conv2d.hpp).
#pragma once
#include "galnet/ops/cpu/detail/gemm_avx512.hpp"
#if defined(GALNET_GEMM_AVX512)
#include <immintrin.h>

#include <cstdint>

#include "galnet/ops/cpu/detail/im2col_plan.hpp"

namespace galnet::ops::detail::avx512 {

struct Im2colIsa {
  static constexpr std::int64_t kLanes = 16, kVectors = avx512::kVectors;
  struct Load {
    std::int64_t offset;
    __mmask16 lanes;     // lanes [a, e)
    std::uint32_t span;  // stride 2: the inputs 2a … 2e − 2 those lanes read, of 32 from offset
  };
  static Load load(std::int64_t offset, int a, int e) {
    const auto ua = static_cast<unsigned>(a), ue = static_cast<unsigned>(e);
    return {offset, static_cast<__mmask16>(((1u << ue) - 1u) & ~((1u << ua) - 1u)),
            ((2u << (2 * ue - 2)) - 1u) & ~((1u << (2 * ua)) - 1u)};
  }

  static __m512 zero() { return _mm512_setzero_ps(); }
  static void store(float* p, __m512 v) { _mm512_store_ps(p, v); }

  template <int Stride>
  GALNET_FORCE_INLINE static __m512 gather(__m512 row, const Load& load, const float* base, std::int64_t step) {
    if constexpr (Stride == 1) {
      return _mm512_mask_loadu_ps(row, load.lanes, base);
    } else if constexpr (Stride == 2) {  // lanes u read inputs 2u of 32: two loads, the even ones
      const __m512 lo = _mm512_maskz_loadu_ps(static_cast<__mmask16>(load.span), base);
      const __m512 hi = _mm512_maskz_loadu_ps(static_cast<__mmask16>(load.span >> 16), base + 16);
      return _mm512_mask_mov_ps(row, load.lanes, _mm512_permutex2var_ps(lo, even_lanes(), hi));
    } else {
      alignas(64) float lane[16];
      _mm512_store_ps(lane, row);
      for (int u = 0; u < 16; ++u)
        if (load.lanes >> u & 1) lane[u] = base[u * step];
      return _mm512_load_ps(lane);
    }
  }
  static __m512i even_lanes() { return _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0); }
};

/// op(B) = im2col(x) for the AVX-512 kernel (im2col_plan.hpp).
using Im2colB = im2col::Im2colB<Im2colIsa>;

}  // namespace galnet::ops::detail::avx512
#endif
