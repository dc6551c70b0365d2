// galnet/ops/cpu/detail/conv_direct.hpp — a stride-1 convolution without padding computed by
// the packed GEMM's micro-kernel reading its B rows straight from the input (private: reached
// through conv2d.hpp; the packed driver is gemm_packed.hpp).
//
// Why: in such a convolution the column-matrix row p = (c, ki, kj) of output row oy, columns
// [ox, ox + n), is the input run x[c, oy + ki, ox + kj …] — contiguous. So a micro-tile needs
// no column matrix and no B panel: each of its vectors loads its B rows at x + oy·W + ox +
// offset[p], offset[p] = c·H·W + ki·W + kj: neither im2col's copy nor the packing of B panels
// from it is left.
// The output rows are cut into runs of K::kLanes columns (a row's last one shorter), and a
// micro-tile takes K::kRunsPerTile runs side by side, wherever they are: a row's short last run
// costs no more than a vector of a tile (SpinCNN's 71 columns: 9 runs, 4½ tiles). A K × 1
// window (winograd_rows.hpp's column convolutions) has wo == w, so its runs cross rows.
//
// The sums are those of the packed GEMM over im2col's matrix: A's slices of K::kDepth in
// increasing order, each a micro-tile's FMAs over k in increasing order, so the outputs equal
// the im2col path's bit for bit; except K × 1 windows, whose slices are summed in halves (below). A kernel K supplies, besides gemm_packed.hpp's contract,
//   K::micro_tile_at(depth, a, runs, count, offset, c, ldc, rows, alpha, beta)
//       as micro_tile, vector v of B's row p read from runs[v].x + offset[p] (v < count) and
//       its runs[v].count lanes stored at c + runs[v].at.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "galnet/core/tensor.hpp"
#include "galnet/ops/cpu/detail/gemm_packed.hpp"

namespace galnet::ops::detail::packed {

/// One sample's input x [c, h, w] under a kh × kw window, stride 1, no padding.
struct DirectConv {
  const float* x = nullptr;
  std::int64_t c = 0, h = 0, w = 0, kh = 0, kw = 0;
  [[nodiscard]] std::int64_t ho() const { return h - kh + 1; }
  [[nodiscard]] std::int64_t wo() const { return w - kw + 1; }
  /// Whether offsets into x fit the kernel's 32-bit table.
  [[nodiscard]] bool fits() const { return c * h * w < (std::int64_t(1) << 31); }
};

/// Up to a vector of one output row: input at x (+ offset[p]), output at y + at (+ the row of C).
struct InputRun {
  const float* x;
  std::int64_t at, count;
  bool readable;  ///< a whole vector may be read at x + offset[p] for every p (else: count lanes)
};

/// y[m, output rows [oy0, oy1)] = op(A) · im2col(x), op(A) [m, c·kh·kw] (a convolution's
/// weights); y's row stride is ldy, an output row's columns oy·wo on. The band's runs go past
/// every A panel of a slice (in L2) with their B rows in L1.
template <class K>
void conv_direct(const ASource<K>& a, std::int64_t m, const DirectConv& d, std::int64_t oy0, std::int64_t oy1,
                 float* y, std::int64_t ldy) {
  const std::int64_t k = d.c * d.kh * d.kw, wo = d.wo();
  thread_local std::vector<std::int32_t> offset;
  thread_local std::vector<InputRun> runs;
  thread_local Tensor<float, Cpu> a_scratch;  // 64-byte aligned; resize keeps the allocation
  offset.resize(static_cast<std::size_t>(k));
  for (std::int64_t c = 0, p = 0; c < d.c; ++c)
    for (std::int64_t ki = 0; ki < d.kh; ++ki)
      for (std::int64_t kj = 0; kj < d.kw; ++kj) offset[p++] = static_cast<std::int32_t>((c * d.h + ki) * d.w + kj);
  // A run may read a whole vector past its columns (the next input columns, which exist; the
  // lanes are never stored) unless that passes x's end: offset's largest is c·h·w − end.
  const std::int64_t end = (d.h - d.kh + 1) * d.w - d.kw + 1;
  runs.clear();
  if (d.kw == 1) {  // wo == w: output row oy + 1 continues row oy in x and in y, so runs cross rows
    for (std::int64_t f = oy0 * d.w; f < oy1 * d.w; f += K::kLanes)
      runs.push_back({.x = d.x + f, .at = f, .count = std::min(K::kLanes, oy1 * d.w - f), .readable = f + K::kLanes <= end});
  } else {
    for (std::int64_t oy = oy0; oy < oy1; ++oy)
      for (std::int64_t ox = 0; ox < wo; ox += K::kLanes)
        runs.push_back({.x = d.x + oy * d.w + ox, .at = oy * wo + ox, .count = std::min(K::kLanes, wo - ox),
                        .readable = oy * d.w + ox + K::kLanes <= end});
  }
  const auto n = static_cast<std::int64_t>(runs.size());
  // A K × 1 window reads a new input row per k (a 5 × 5 one a new row per 5): 256 k of two runs
  // would touch ≈ 29 KB, which with A leaves L1, so K × 1 windows take slices of half that.
  const std::int64_t step = d.kw == 1 ? K::kDepth / 2 : K::kDepth;
  if (!a.packed) a_scratch.resize(Shape{std::min(K::kBlockRows, padded_rows<K>(m)) * std::min(k, K::kDepth)});
  for (std::int64_t p0 = 0; p0 < k; p0 += K::kDepth) {
    const std::int64_t depth = std::min(K::kDepth, k - p0);
    const float beta = p0 == 0 ? 0.f : 1.f;
    for (std::int64_t i0 = 0; i0 < m; i0 += K::kBlockRows) {
      const std::int64_t rows = std::min(K::kBlockRows, m - i0);
      const float* a_block = a.panels(p0, depth, i0, rows, a_scratch.data());
      for (std::int64_t r = 0; r < n; r += K::kRunsPerTile)
        for (std::int64_t q0 = 0; q0 < depth; q0 += step)
          for (std::int64_t i = 0; i < rows; i += K::kRows)
            K::micro_tile_at(std::min(step, depth - q0), a_block + i * depth + q0 * K::kRows, runs.data() + r,
                             std::min(K::kRunsPerTile, n - r), offset.data() + p0 + q0, y + (i0 + i) * ldy, ldy,
                             std::min(K::kRows, rows - i), 1.f, q0 == 0 ? beta : 1.f);
    }
  }
}

}  // namespace galnet::ops::detail::packed
