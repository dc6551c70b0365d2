// galnet/ops/cpu/gemm.hpp — C = alpha·op(A)·op(B) + beta·C on row-major matrices.
//
// op(A) is [M, K] (A stored [K, M] when trans_a), op(B) is [K, N] (B stored [N, K] when
// trans_b), C is [M, N]; contiguous, or with explicit row strides (lda, ldb, ldc). beta == 0
// overwrites C (even if it held NaN). float on AVX-512 or AVX2 + FMA (-march=native on such a
// CPU) runs galnet's own packed GEMM (ops/cpu/detail/gemm_packed.hpp with the kernel of
// gemm_avx512.hpp or of gemm_avx2.hpp; faster than Eigen's on the models' convolution GEMMs);
// other types and targets, or -DGALNET_GEMM_EIGEN, run Eigen's. Either threads the product
// with OpenMP unless called from inside a parallel region.
// Layers reach it as ops::Gemm<Device>::run (Cuda: cuBLAS, galnet/ops/cuda/gemm.hpp).
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "galnet/core/device.hpp"
#include "galnet/ops/gemm.hpp"
#include "galnet/ops/cpu/detail/conv_direct.hpp"
#include "galnet/ops/cpu/detail/gemm_avx2.hpp"
#include "galnet/ops/cpu/detail/gemm_avx512.hpp"

#if defined(GALNET_GEMM_AVX512) || defined(GALNET_GEMM_AVX2)
#define GALNET_GEMM_PACKED 1
namespace galnet::ops::detail {
#if defined(GALNET_GEMM_AVX512)
using GemmKernel = avx512::Kernel;
#else
using GemmKernel = avx2::Kernel;
#endif
}  // namespace galnet::ops::detail
#endif
namespace galnet::ops::detail {
/// Whether GemmKernel reads B rows in place (micro_tile_at: conv_direct.hpp): AVX2's so far.
#if defined(GALNET_CONV_DIRECT)
inline constexpr bool kConvDirect = true;
#else
inline constexpr bool kConvDirect = false;
#endif
}  // namespace galnet::ops::detail

namespace galnet::ops {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using StridedMap = Eigen::Map<RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using ConstStridedMap = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

namespace detail {
/// C[m, n] (row stride ldc) = beta·C, overwritten when beta == 0: a product over k = 0.
template <class T>
void scale_product(std::int64_t m, std::int64_t n, T beta, T* c, std::int64_t ldc) {
  StridedMap<T> C(c, m, n, Eigen::OuterStride<>(ldc));
  if (beta == T(0)) C.setZero();
  else C *= beta;
}
}  // namespace detail

/// As gemm below, on sub-matrices: row i of the stored A starts at a + i·lda (likewise B, C).
template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
          std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k == 0) return detail::scale_product(m, n, beta, c, ldc);
#if defined(GALNET_GEMM_PACKED)
  if constexpr (std::is_same_v<T, float>) {
    using K = detail::GemmKernel;
    detail::packed::gemm<K>({.trans = trans_a, .a = a, .lda = lda}, detail::packed::MatrixB<K>{trans_b, b, ldb}, m,
                            n, k, alpha, beta, c, ldc);
    return;
  }
#endif
  StridedMap<T> C(c, m, n, Eigen::OuterStride<>(ldc));
  auto run = [&](const auto& A, const auto& B) {
    if (beta == T(0)) {
      C.noalias() = alpha * A * B;
    } else {
      if (beta != T(1)) C *= beta;
      C.noalias() += alpha * A * B;
    }
  };
  ConstStridedMap<T> A(a, trans_a ? k : m, trans_a ? m : k, Eigen::OuterStride<>(lda));
  ConstStridedMap<T> B(b, trans_b ? n : k, trans_b ? k : n, Eigen::OuterStride<>(ldb));
  if (trans_a && trans_b) run(A.transpose(), B.transpose());
  else if (trans_a) run(A.transpose(), B);
  else if (trans_b) run(A, B.transpose());
  else run(A, B);
}

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
          const T* b, T beta, T* c) {
  gemm<T>(trans_a, trans_b, m, n, k, alpha, a, trans_a ? m : k, b, trans_b ? k : n, beta, c, n);
}

/// op(A) [m, k] made ready once for many products with different B — a layer's weights over
/// the samples of a batch, Winograd's transformed filters. On galnet's own float GEMM path its
/// panels are packed here once instead of in every product; elsewhere it keeps the pointer, so
/// `a` must stay valid until the last product.
template <class T>
class PackedA {
 public:
  static constexpr std::int64_t kPackedMin = 32 * 1024;
  /// Packs op(A) [m, k] of at least min_size floats (default kPackedMin).
  void pack(bool trans, std::int64_t m, std::int64_t k, const T* a, std::int64_t lda,
            [[maybe_unused]] std::int64_t min_size = kPackedMin) {
    trans_ = trans, m_ = m, k_ = k, a_ = a, lda_ = lda;
#if defined(GALNET_GEMM_PACKED)
    // Below kPackedMin floats (Winograd's 64 × 64 planes), packing per product is cheap and
    // leaves the panels in L1, where packed whole they would stream from L2.
    if constexpr (std::is_same_v<T, float>) {
      const std::int64_t size = detail::packed::padded_rows<detail::GemmKernel>(m) * k;
      panels_.resize(size >= min_size ? static_cast<std::size_t>(size) : 0);
      if (!panels_.empty()) detail::packed::pack_all<detail::GemmKernel>(trans, m, k, a, lda, panels_.data());
    }
#endif
  }
  void pack(bool trans, std::int64_t m, std::int64_t k, const T* a) { pack(trans, m, k, a, trans ? m : k); }
  [[nodiscard]] std::int64_t rows() const { return m_; }
  [[nodiscard]] std::int64_t depth() const { return k_; }

  /// C[rows, n] = alpha·op(A)·op(B) + beta·C, op(B) [depth, n] (stored [n, depth] when trans_b).
  void multiply(bool trans_b, std::int64_t n, T alpha, const T* b, std::int64_t ldb, T beta, T* c,
                std::int64_t ldc) const {
#if defined(GALNET_GEMM_PACKED)
    if constexpr (std::is_same_v<T, float>) {
      multiply_from(detail::packed::MatrixB<detail::GemmKernel>{trans_b, b, ldb}, n, alpha, beta, c, ldc);
      return;
    }
#endif
    gemm<T>(trans_, trans_b, m_, n, k_, alpha, a_, lda_, b, ldb, beta, c, ldc);
  }

#if defined(GALNET_GEMM_PACKED)
  /// As multiply, with op(B) [depth, n] from a B source of the packed driver (MatrixB, or
  /// Im2colB: a convolution's column matrix packed straight from its input).
  template <class BSource>
    requires std::is_same_v<T, float>
  void multiply_from(const BSource& b, std::int64_t n, float alpha, float beta, float* c, std::int64_t ldc) const {
    if (m_ <= 0 || n <= 0) return;
    if (k_ == 0) return detail::scale_product(m_, n, beta, c, ldc);
    detail::packed::gemm<detail::GemmKernel>(source(), b, m_, n, k_, alpha, beta, c, ldc);
  }

  /// y [rows, output rows [oy0, oy1)] = op(A) · im2col(x) for a stride-1 convolution without
  /// padding, read straight from x (detail/conv_direct.hpp); y's row stride ldy. Serial.
  void convolve_direct(const detail::packed::DirectConv& x, std::int64_t oy0, std::int64_t oy1, float* y,
                       std::int64_t ldy) const
    requires(std::is_same_v<T, float> && detail::kConvDirect)
  {
    detail::packed::conv_direct<detail::GemmKernel>(source(), m_, x, oy0, oy1, y, ldy);
  }
#endif

 private:
#if defined(GALNET_GEMM_PACKED)
  /// The packed driver's view of op(A): the panels packed here, or (trans_, a_, lda_).
  [[nodiscard]] detail::packed::ASource<detail::GemmKernel> source() const {
    if (panels_.empty()) return {.trans = trans_, .a = a_, .lda = lda_};
    return {.packed = panels_.data(), .stride = detail::packed::padded_rows<detail::GemmKernel>(m_)};
  }
#endif

  bool trans_ = false;
  std::int64_t m_ = 0, k_ = 0, lda_ = 0;
  const T* a_ = nullptr;
  std::vector<T> panels_;  // the own float GEMM's pack_all
};

template <>
struct Gemm<Cpu> {
  template <class T>
  static void run(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
                  const T* b, T beta, T* c) {
    gemm<T>(trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
  }
};

}  // namespace galnet::ops
