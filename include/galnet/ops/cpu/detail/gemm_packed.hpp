// galnet/ops/cpu/detail/gemm_packed.hpp — the driver of galnet's own float GEMM (private: reached
// through ops::gemm<float>, galnet/ops/cpu/gemm.hpp), shared by its instruction-set kernels.
//
// The classic packed design (Goto/BLIS): op(A) is packed in slices of K::kDepth, blocks of
// K::kBlockRows, into panels of K::kRows rows (a block stays in L2), op(B) one panel of K::kCols
// columns at a time (it stays in L1 while every A panel of the block streams past). A kernel K
// (avx512::Kernel, avx2::Kernel) supplies those sizes and
//   K::pack_a(trans, a, lda, rows, depth, out)   panels of rows × depth, zero-padded rows;
//   K::pack_b(trans, b, ldb, depth, cols, out)   one panel of depth × kCols, zero-padded columns;
//   K::micro_tile(depth, a, b, c, ldc, rows, cols, alpha, beta)
//       C[rows ≤ kRows, cols ≤ kCols] = alpha·(A panel · B panel) + beta·C; beta == 0 never
//       reads C; nothing past rows × cols is read or written.
// Every element of C is accumulated over k in increasing order within a slice, slices in
// increasing order: results do not depend on the thread count.
#pragma once
#include <algorithm>
#include <cstdint>

#include "galnet/core/parallel.hpp"
#include "galnet/core/tensor.hpp"

namespace galnet::ops::detail::packed {

/// Rows of op(A) rounded up to whole panels: the row stride of a packed slice.
template <class K>
std::int64_t padded_rows(std::int64_t m) {
  return (m + K::kRows - 1) / K::kRows * K::kRows;
}

/// op(A)[m, k] packed whole, for many products (PackedA): slice p0 at out + padded_rows(m)·p0,
/// each as K::pack_a; padded_rows(m)·k floats.
template <class K>
void pack_all(bool trans, std::int64_t m, std::int64_t k, const float* a, std::int64_t lda, float* out) {
  for (std::int64_t p0 = 0; p0 < k; p0 += K::kDepth)
    K::pack_a(trans, trans ? a + p0 * lda : a + p0, lda, m, std::min(K::kDepth, k - p0),
              out + padded_rows<K>(m) * p0);
}

/// Where op(A)'s panels come from: packed per call from (trans, a, lda), or read from a
/// pack_all of stride `stride` whose row `row0` is this operand's first.
template <class K>
struct ASource {
  bool trans = false;
  const float* a = nullptr;
  std::int64_t lda = 0;
  const float* packed = nullptr;
  std::int64_t stride = 0, row0 = 0;

  /// The same operand from row lo on (lo a multiple of kRows where packed).
  [[nodiscard]] ASource from_row(std::int64_t lo) const {
    ASource s = *this;
    if (packed) s.row0 += lo;
    else s.a = trans ? a + lo : a + lo * lda;
    return s;
  }
  /// Panels of rows [i0, i0 + rows) of the slice [p0, p0 + depth): packed into `scratch` if need be.
  const float* panels(std::int64_t p0, std::int64_t depth, std::int64_t i0, std::int64_t rows, float* scratch) const {
    if (packed) return packed + stride * p0 + (row0 + i0) * depth;
    K::pack_a(trans, trans ? a + p0 * lda + i0 : a + i0 * lda + p0, lda, rows, depth, scratch);
    return scratch;
  }
};

/// op(B) read from a matrix (trans: stored [N, K]); the other B source is im2col::Im2colB
/// (im2col_plan.hpp). A B source's panel(j, width) packs columns [j, j + width) of op(B),
/// slice by slice: pack(p0, depth, out) as K::pack_b. from_col(lo) is the same operand from
/// column lo on.
template <class K>
struct MatrixB {
  bool trans = false;
  const float* b = nullptr;
  std::int64_t ldb = 0;

  struct Panel {
    const MatrixB& m;
    std::int64_t j, width;
    void pack(std::int64_t p0, std::int64_t depth, float* out) const {
      K::pack_b(m.trans, m.trans ? m.b + j * m.ldb + p0 : m.b + p0 * m.ldb + j, m.ldb, depth, width, out);
    }
  };
  [[nodiscard]] Panel panel(std::int64_t j, std::int64_t width) const { return {*this, j, width}; }
  [[nodiscard]] MatrixB from_col(std::int64_t lo) const { return {trans, trans ? b + lo * ldb : b + lo, ldb}; }
};

/// C[rows, width] = alpha·(A block's panels · one B panel) + beta·C, micro-tile by micro-tile.
template <class K>
void multiply_block(const float* a_block, std::int64_t rows, std::int64_t depth, const float* b_pack,
                    std::int64_t width, float alpha, float beta, float* c, std::int64_t ldc) {
  for (std::int64_t i = 0; i < rows; i += K::kRows)
    K::micro_tile(depth, a_block + i * depth, b_pack, c + i * ldc, ldc, std::min(K::kRows, rows - i), width, alpha,
                  beta);
}


/// One thread's C[m, n] (op(A) rows [m], op(B) columns [n]); k > 0. Per slice of depth: A in
/// blocks of kBlockRows rows (in L2), each B panel packed once per block and then held (in L1)
/// while every A panel of the block streams past it. A pre-packed op(A) small enough to stay in
/// L2 whole (a convolution's weights) is read panel-outer instead: each B panel is taken through
/// all slices in turn, so its columns of C stay in L1 and a B source prepares the panel once
/// (Im2colB: its load plan). "Small enough" is K::kPanelOuterFloats, half of L2: above it, A
/// would stream from L3 for every panel, and slice-outer is faster. Either order adds the slices
/// in increasing order: the same bits.
template <class K, class BSource>
void gemm_serial(const ASource<K>& a, const BSource& b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                 float beta, float* c, std::int64_t ldc) {
  thread_local Tensor<float, Cpu> a_scratch, b_scratch;  // 64-byte aligned; resize keeps the allocation
  if (!a.packed) a_scratch.resize(Shape{std::min(K::kBlockRows, padded_rows<K>(m)) * std::min(k, K::kDepth)});
  b_scratch.resize(Shape{K::kCols * std::min(k, K::kDepth)});
  float* a_pack = a.packed ? nullptr : a_scratch.data();
  float* b_pack = b_scratch.data();
  if (a.packed && m <= K::kBlockRows && padded_rows<K>(m) * k <= K::kPanelOuterFloats) {
    for (std::int64_t j = 0; j < n; j += K::kCols) {
      const std::int64_t width = std::min(K::kCols, n - j);
      const auto panel = b.panel(j, width);
      for (std::int64_t p0 = 0; p0 < k; p0 += K::kDepth) {
        const std::int64_t depth = std::min(K::kDepth, k - p0);
        panel.pack(p0, depth, b_pack);
        multiply_block<K>(a.panels(p0, depth, 0, m, nullptr), m, depth, b_pack, width, alpha,
                          p0 == 0 ? beta : 1.f, c + j, ldc);
      }
    }
    return;
  }
  for (std::int64_t p0 = 0; p0 < k; p0 += K::kDepth) {
    const std::int64_t depth = std::min(K::kDepth, k - p0);
    const float slice_beta = p0 == 0 ? beta : 1.f;
    for (std::int64_t i0 = 0; i0 < m; i0 += K::kBlockRows) {
      const std::int64_t rows = std::min(K::kBlockRows, m - i0);
      const float* a_block = a.panels(p0, depth, i0, rows, a_pack);
      for (std::int64_t j = 0; j < n; j += K::kCols) {
        const std::int64_t width = std::min(K::kCols, n - j);
        b.panel(j, width).pack(p0, depth, b_pack);
        multiply_block<K>(a_block, rows, depth, b_pack, width, alpha, slice_beta, c + i0 * ldc + j, ldc);
      }
    }
  }
}

/// C = alpha·op(A)·op(B) + beta·C (k > 0). Outside a parallel region, large products are split
/// across the team by columns of C (by rows where C is narrow), each thread packing its own
/// panels; inside one (a sample per thread), the calling thread does it all.
template <class K, class BSource>
void gemm(const ASource<K>& a, const BSource& b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
          float beta, float* c, std::int64_t ldc) {
  int team = 1;
#if defined(_OPENMP)
  if (!omp_in_parallel() && static_cast<double>(m) * n * k > 4e6) team = num_threads();
#endif
  const bool by_cols = n >= 2 * K::kCols * team || n >= m;
  const std::int64_t extent = by_cols ? n : m, step = by_cols ? K::kCols : K::kRows;
  const std::int64_t units = (extent + step - 1) / step;
  team = static_cast<int>(std::min<std::int64_t>(team, units));
  if (team <= 1) {
    gemm_serial(a, b, m, n, k, alpha, beta, c, ldc);
    return;
  }
#if defined(_OPENMP)
#pragma omp parallel num_threads(team)
  {
    const std::int64_t t = omp_get_thread_num();
    const std::int64_t lo = std::min(extent, units * t / team * step);
    const std::int64_t hi = std::min(extent, units * (t + 1) / team * step);
    if (hi > lo) {
      if (by_cols) gemm_serial(a, b.from_col(lo), m, hi - lo, k, alpha, beta, c + lo, ldc);
      else gemm_serial(a.from_row(lo), b, hi - lo, n, k, alpha, beta, c + lo * ldc, ldc);
    }
  }
#endif
}

}  // namespace galnet::ops::detail::packed
