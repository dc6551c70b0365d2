// galnet/ops/cpu/gemm.hpp — C = alpha·op(A)·op(B) + beta·C on row-major matrices, via Eigen.
//
// op(A) is [M, K] (A stored [K, M] when trans_a), op(B) is [K, N] (B stored [N, K] when
// trans_b), C is [M, N]; contiguous, or with explicit row strides (lda, ldb, ldc). beta == 0
// overwrites C (even if it held NaN). Eigen threads the product with OpenMP unless called
// from inside a parallel region.
// Layers reach it as ops::Gemm<Device>::run (Cuda: cuBLAS, galnet/ops/cuda/gemm.hpp).
#pragma once
#include <Eigen/Core>
#include <cstdint>

#include "galnet/core/device.hpp"

namespace galnet::ops {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using StridedMap = Eigen::Map<RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using ConstStridedMap = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

/// As gemm below, on sub-matrices: row i of the stored A starts at a + i·lda (likewise B, C).
template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
          std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  StridedMap<T> C(c, m, n, Eigen::OuterStride<>(ldc));
  if (k == 0) {
    if (beta == T(0)) C.setZero();
    else C *= beta;
    return;
  }
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

template <class D>
struct Gemm;

template <>
struct Gemm<Cpu> {
  template <class T>
  static void run(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
                  const T* b, T beta, T* c) {
    gemm<T>(trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
  }
};

}  // namespace galnet::ops
