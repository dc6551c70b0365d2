// galnet/ops/cpu/gemm.hpp — C = alpha·op(A)·op(B) + beta·C on row-major matrices, via Eigen.
//
// op(A) is [M, K] (A stored [K, M] when trans_a), op(B) is [K, N] (B stored [N, K] when
// trans_b), C is [M, N]; all contiguous. beta == 0 overwrites C (even if it held NaN). Eigen
// threads the product with OpenMP unless called from inside a parallel region.
// Layers reach it as ops::Gemm<Device>::run (Cuda: cuBLAS, galnet/ops/cuda/gemm.hpp).
#pragma once
#include <Eigen/Core>
#include <cstdint>

#include "galnet/core/device.hpp"

namespace galnet::ops {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatrixMap = Eigen::Map<RowMatrix<T>, Eigen::Unaligned>;
template <class T>
using ConstMatrixMap = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned>;

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
          const T* a, const T* b, T beta, T* c) {
  MatrixMap<T> C(c, m, n);
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
  ConstMatrixMap<T> A(a, trans_a ? k : m, trans_a ? m : k);
  ConstMatrixMap<T> B(b, trans_b ? n : k, trans_b ? k : n);
  if (trans_a && trans_b) run(A.transpose(), B.transpose());
  else if (trans_a) run(A.transpose(), B);
  else if (trans_b) run(A, B.transpose());
  else run(A, B);
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
