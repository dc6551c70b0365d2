// galnet/ops/cpu/detail/im2col_plan.hpp — implicit im2col: a convolution's column matrix as a B
// source of the packed GEMM (gemm_packed.hpp), each panel packed straight from x (private:
// reached through conv2d.hpp). The instruction sets' halves are im2col_avx512.hpp and
// im2col_avx2.hpp; this file is what they share.
//
// Why: im2col writes a column matrix C·KH·KW times the size of the output map, which the GEMM
// then reads back to pack its B panels. A panel's columns are output positions; they fall into
// runs of one output row of one sample, and for every row p = (c, ki, kj) of the column matrix
// each run is one strided read of an input row, clipped to the image (zeros where the window
// hangs over the padding). The panels hold exactly what pack_b makes of im2col's matrix, so the
// products are bit-identical to the explicit path's.
//
// An instruction set Isa supplies kLanes (floats per vector), kVectors (vectors per panel row:
// the kernel's kCols = kLanes·kVectors), its vector type's zero() and aligned store(p, v), a Load
// record made by Isa::load(offset, a, e) — lanes [a, e) of one vector of a panel row read from
// x + (channel offset) + offset, lane u at offset + u·stride — and
// Isa::gather<Stride>(row, load, base, stride), which returns row with those lanes read from
// base (Stride 0: any stride) and the others kept.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "galnet/core/unrolled.hpp"

namespace galnet::ops::detail::im2col {

template <class Isa>
struct Im2colB;

/// Which loads build a panel row, for each window position (ki, kj): the same for every channel,
/// so built once per panel. loads[first[kVectors·(ki·kw + kj) + v] …] fill vector v.
template <class Isa>
struct Plan {
  std::vector<typename Isa::Load> loads;
  std::vector<std::int32_t> first;

  template <int Stride>
  void build(const Im2colB<Isa>& b, std::int64_t j, std::int64_t width) {
    constexpr std::int64_t kLanes = Isa::kLanes, kVectors = Isa::kVectors;
    struct Run {
      std::int64_t t0, len;   // panel columns [t0, t0 + len): one output row of one sample
      std::int64_t sample;    // x offset of that sample
      std::int64_t iy0, ix0;  // input position of its first column's window, before (ki, kj)
    };
    Run runs[kLanes * kVectors];
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
            const std::int64_t lo = std::max(kLanes * v, run.t0 + (ix < 0 ? (-ix + step - 1) / step : 0));
            const std::int64_t hi =
                std::min(kLanes * v + kLanes, run.t0 + std::min(run.len, (b.w - ix + step - 1) / step));
            if (lo >= hi) continue;
            // Panel column t reads row iy at ix + (t − t0)·step; lane 0 of vector v is t = kLanes·v.
            loads.push_back(Isa::load(run.sample + iy * b.w + ix + (kLanes * v - run.t0) * step,
                                      static_cast<int>(lo - kLanes * v), static_cast<int>(hi - kLanes * v)));
          }
        }
    first.push_back(static_cast<std::int32_t>(loads.size()));
  }
};

/// op(B) = the column matrix [C·KH·KW, count·Ho·Wo] that im2col (conv2d.hpp) builds for x
/// [count, C, H, W], the samples' columns side by side, from column col0 on. Any stride.
template <class Isa>
struct Im2colB {
  const float* x = nullptr;
  std::int64_t c = 0, h = 0, w = 0;  ///< input
  std::int64_t kh = 0, kw = 0, stride = 1, pad = 0;
  std::int64_t ho = 0, wo = 0;  ///< output map
  std::int64_t col0 = 0;        ///< first column of this operand

  [[nodiscard]] Im2colB from_col(std::int64_t lo) const {
    Im2colB s = *this;
    s.col0 += lo;
    return s;
  }

  /// Columns [j, j + width) (width ≤ kCols) with their load plan, built here (one per thread:
  /// the next panel() replaces it); pack(p0, depth, out) packs rows [p0, p0 + depth) as pack_b.
  struct Panel {
    const Im2colB& b;
    const Plan<Isa>& plan;
    void pack(std::int64_t p0, std::int64_t depth, float* out) const {
      if (b.stride == 1) b.pack_rows<1>(plan, p0, depth, out);
      else if (b.stride == 2) b.pack_rows<2>(plan, p0, depth, out);
      else b.pack_rows<0>(plan, p0, depth, out);
    }
  };
  [[nodiscard]] Panel panel(std::int64_t j, std::int64_t width) const {
    thread_local Plan<Isa> plan;
    if (stride == 1) plan.template build<1>(*this, j, width);
    else if (stride == 2) plan.template build<2>(*this, j, width);
    else plan.template build<0>(*this, j, width);
    return {*this, plan};
  }

 private:
  /// Panel rows built in registers, one aligned store per vector: masked stores straight into
  /// the panel split, which makes the packing slower.
  template <int Stride>
  void pack_rows(const Plan<Isa>& plan, std::int64_t p0, std::int64_t depth, float* out) const {
    constexpr std::int64_t kVectors = Isa::kVectors;
    const std::int64_t step = Stride == 0 ? stride : Stride, window = kh * kw;
    const auto origin = reinterpret_cast<std::intptr_t>(x);
    const auto* loads = plan.loads.data();
    std::int64_t ch = p0 / window, kk = p0 % window;
    for (std::int64_t p = 0; p < depth; ++p, out += Isa::kLanes * kVectors) {
      const std::int32_t* first = plan.first.data() + kVectors * kk;
      const std::intptr_t channel = origin + static_cast<std::intptr_t>(sizeof(float)) * ch * h * w;
      unrolled<kVectors>([&](auto v) GALNET_FORCE_INLINE {  // v constant: row stays in a register
        auto row = Isa::zero();
        for (std::int32_t i = first[v]; i < first[v + 1]; ++i) {
          // The masked-off lanes' addresses may lie outside x: masked loads never touch them.
          const auto base =
              reinterpret_cast<const float*>(channel + static_cast<std::intptr_t>(sizeof(float)) * loads[i].offset);
          row = Isa::template gather<Stride>(row, loads[i], base, step);
        }
        Isa::store(out + Isa::kLanes * v, row);
      });
      if (++kk == window) kk = 0, ++ch;
    }
  }
};

}  // namespace galnet::ops::detail::im2col
