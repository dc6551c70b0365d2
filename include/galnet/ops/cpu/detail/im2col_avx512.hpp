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

  /// Panel rows built in registers, three aligned stores each: built by masked stores into the
  /// panel they measured 2–3× slower (split stores). Stride 0: any stride, scalar.
  template <int Stride>
  static void pack_rows(const im2col::Im2colB<Im2colIsa>& b, const im2col::Plan<Im2colIsa>& plan, std::int64_t p0,
                        std::int64_t depth, float* out) {
    const std::int64_t step = Stride == 0 ? b.stride : Stride, window = b.kh * b.kw;
    const auto origin = reinterpret_cast<std::intptr_t>(b.x);
    const Load* loads = plan.loads.data();
    std::int64_t ch = p0 / window, kk = p0 % window;
    for (std::int64_t p = 0; p < depth; ++p, out += kCols) {
      const std::int32_t* first = plan.first.data() + kVectors * kk;
      const std::intptr_t channel = origin + static_cast<std::intptr_t>(sizeof(float)) * ch * b.h * b.w;
      unrolled<kVectors>([&](auto v) GALNET_FORCE_INLINE {  // v constant: row stays in a register
        __m512 row = _mm512_setzero_ps();
        for (std::int32_t i = first[v]; i < first[v + 1]; ++i) {
          // The masked-off lanes' addresses may lie outside x: masked loads never touch them.
          const auto base =
              reinterpret_cast<const float*>(channel + static_cast<std::intptr_t>(sizeof(float)) * loads[i].offset);
          const __mmask16 lanes = loads[i].lanes;
          if constexpr (Stride == 1) {
            row = _mm512_mask_loadu_ps(row, lanes, base);
          } else if constexpr (Stride == 2) {  // lanes u read inputs 2u of 32: two loads, the even ones
            const std::uint32_t spread = loads[i].span;
            const __m512 lo = _mm512_maskz_loadu_ps(static_cast<__mmask16>(spread), base);
            const __m512 hi = _mm512_maskz_loadu_ps(static_cast<__mmask16>(spread >> 16), base + 16);
            row = _mm512_mask_mov_ps(row, lanes, _mm512_permutex2var_ps(lo, even_lanes(), hi));
          } else {
            alignas(64) float lane[16];
            _mm512_store_ps(lane, row);
            for (int u = 0; u < 16; ++u)
              if (lanes >> u & 1) lane[u] = base[u * step];
            row = _mm512_load_ps(lane);
          }
        }
        _mm512_store_ps(out + 16 * v, row);
      });
      if (++kk == window) kk = 0, ++ch;
    }
  }
  static __m512i even_lanes() { return _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0); }
};

/// op(B) = im2col(x) for the AVX-512 kernel (im2col_plan.hpp).
using Im2colB = im2col::Im2colB<Im2colIsa>;

}  // namespace galnet::ops::detail::avx512
#endif
