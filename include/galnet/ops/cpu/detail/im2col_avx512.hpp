// galnet/ops/cpu/detail/im2col_avx512.hpp — a convolution's column matrix as a B source of the
// AVX-512 GEMM (gemm_avx512.hpp): implicit im2col (private: reached through conv2d.hpp).
//
// Why: im2col writes a column matrix C·KH·KW times the size of the output map, which the GEMM
// then reads back to pack its B panels (SpinCNN's 5×5 layer: 11 % of inference in im2col, 7 %
// in packing). Here each 48-column panel is packed straight from x. A panel's columns are
// output positions; they fall into runs of one output row of one sample, and for every row p =
// (c, ki, kj) of the column matrix each run is one strided read of an input row, clipped to
// the image (zeros where the window hangs over the padding). The panels hold exactly what
// pack_b makes of im2col's matrix, so the products are bit-identical to the explicit path's.
#pragma once
#include "galnet/ops/cpu/detail/gemm_avx512.hpp"
#if defined(GALNET_GEMM_AVX512)
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace galnet::ops::detail::avx512 {

/// op(B) = the column matrix [C·KH·KW, count·Ho·Wo] that im2col (conv2d.hpp) builds for x
/// [count, C, H, W], the samples' columns side by side. Any stride (1 and 2 vectorised).
struct Im2colB {
  const float* x = nullptr;
  std::int64_t c = 0, h = 0, w = 0;        ///< input
  std::int64_t kh = 0, kw = 0, stride = 1, pad = 0;
  std::int64_t ho = 0, wo = 0;             ///< output map
  std::int64_t col0 = 0;                   ///< first column of this operand

  [[nodiscard]] Im2colB from_col(std::int64_t lo) const {
    Im2colB s = *this;
    s.col0 += lo;
    return s;
  }

  struct Panel;
  /// Columns [j, j + width) (width ≤ kCols): their load plan, built here (one per thread: the
  /// next panel() replaces it); pack(p0, depth, out) then packs rows [p0, p0 + depth) as pack_b.
  [[nodiscard]] Panel panel(std::int64_t j, std::int64_t width) const;

 private:
  /// One masked load of a panel row: vector `lanes` of it from x + (channel offset) + offset,
  /// lane u reading offset + u·stride.
  struct Load {
    std::int64_t offset;
    __mmask16 lanes;     // lanes [a, b)
    std::uint32_t span;  // stride 2: the inputs 2a … 2b − 2 those lanes read, of 32 from offset
  };
  /// Which loads build a panel row, for each window position (ki, kj): the same for every
  /// channel, so built once per panel. loads[first[3·(ki·kw + kj) + v] …] fill vector v.
  struct Plan {
    std::vector<Load> loads;
    std::vector<std::int32_t> first;

    template <int Stride>
    void build(const Im2colB& b, std::int64_t j, std::int64_t width) {
      struct Run {
        std::int64_t t0, len;   // panel columns [t0, t0 + len): one output row of one sample
        std::int64_t sample;    // x offset of that sample
        std::int64_t iy0, ix0;  // input position of its first column's window, before (ki, kj)
      };
      Run runs[kCols];
      std::int64_t count = 0;
      const std::int64_t map = b.ho * b.wo, step = Stride == 0 ? b.stride : Stride;  // constant: no division
      for (std::int64_t t = 0, q = b.col0 + j; t < width; ++count) {
        const std::int64_t s = q / map, oy = q % map / b.wo, ox = q % b.wo, len = std::min(b.wo - ox, width - t);
        runs[count] = {t, len, s * b.c * b.h * b.w, oy * step - b.pad, ox * step - b.pad};
        t += len;
        q += len;
      }
      loads.clear();
      first.clear();
      for (std::int64_t ki = 0; ki < b.kh; ++ki)
        for (std::int64_t kj = 0; kj < b.kw; ++kj)
          for (std::int64_t v = 0; v < kVectors; ++v) {
            first.push_back(static_cast<std::int32_t>(loads.size()));
            for (std::int64_t r = 0; r < count; ++r) {
              const Run& run = runs[r];
              const std::int64_t iy = run.iy0 + ki, ix = run.ix0 + kj;
              if (iy < 0 || iy >= b.h) continue;
              // Columns k of the run with 0 ≤ ix + k·step < w, as panel columns [lo, hi),
              // clipped to vector v.
              const std::int64_t lo = std::max(16 * v, run.t0 + (ix < 0 ? (-ix + step - 1) / step : 0));
              const std::int64_t hi = std::min(16 * v + 16, run.t0 + std::min(run.len, (b.w - ix + step - 1) / step));
              if (lo >= hi) continue;
              const auto a = static_cast<unsigned>(lo - 16 * v), e = static_cast<unsigned>(hi - 16 * v);
              const auto lanes = static_cast<__mmask16>(((1u << e) - 1u) & ~((1u << a) - 1u));
              const std::uint32_t span = ((2u << (2 * e - 2)) - 1u) & ~((1u << (2 * a)) - 1u);
              // Panel column t reads row iy at ix + (t − t0)·step; lane 0 of vector v is t = 16v.
              loads.push_back({run.sample + iy * b.w + ix + (16 * v - run.t0) * step, lanes, span});
            }
          }
      first.push_back(static_cast<std::int32_t>(loads.size()));
    }
  };

  /// Panel rows built in registers, three aligned stores each: built by masked stores into the
  /// panel they measured 2–3× slower (split stores). Stride 0: any stride, scalar.
  template <int Stride>
  void pack_rows(const Plan& plan, std::int64_t p0, std::int64_t depth, float* out) const {
    const std::int64_t step = Stride == 0 ? stride : Stride, window = kh * kw;
    const auto origin = reinterpret_cast<std::intptr_t>(x);
    const Load* loads = plan.loads.data();
    std::int64_t ch = p0 / window, kk = p0 % window;
    for (std::int64_t p = 0; p < depth; ++p, out += kCols) {
      const std::int32_t* first = plan.first.data() + kVectors * kk;
      const std::intptr_t channel = origin + static_cast<std::intptr_t>(sizeof(float)) * ch * h * w;
      unrolled<kVectors>([&](auto v) GALNET_FORCE_INLINE {  // v constant: row stays in a register
        __m512 row = _mm512_setzero_ps();
        for (std::int32_t i = first[v]; i < first[v + 1]; ++i) {
          // The masked-off lanes' addresses may lie outside x: masked loads never touch them.
          const auto base = reinterpret_cast<const float*>(channel + static_cast<std::intptr_t>(sizeof(float)) * loads[i].offset);
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

 public:
  struct Panel {
    const Im2colB& b;
    const Plan& plan;
    void pack(std::int64_t p0, std::int64_t depth, float* out) const {
      if (b.stride == 1) b.pack_rows<1>(plan, p0, depth, out);
      else if (b.stride == 2) b.pack_rows<2>(plan, p0, depth, out);
      else b.pack_rows<0>(plan, p0, depth, out);
    }
  };
};

inline Im2colB::Panel Im2colB::panel(std::int64_t j, std::int64_t width) const {
  thread_local Plan plan;
  if (stride == 1) plan.build<1>(*this, j, width);
  else if (stride == 2) plan.build<2>(*this, j, width);
  else plan.build<0>(*this, j, width);
  return {*this, plan};
}

}  // namespace galnet::ops::detail::avx512
#endif
