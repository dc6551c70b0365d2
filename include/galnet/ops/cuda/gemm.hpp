// galnet/ops/cuda/gemm.hpp — ops::Gemm<Cuda>: the row-major GEMM of galnet/ops/cpu/gemm.hpp
// on cuBLAS (host calls only, so a plain header). Row-major C = op(A)·op(B) is column-major
// Cᵀ = op(B)ᵀ·op(A)ᵀ: cuBLAS gets B first, with the leading dimensions of the stored matrices.
// The handle is in pedantic math mode (no TF32): the exact mode. In the bf16 mode float GEMMs
// run as cublasGemmEx on bfloat16 copies of A and B with float32 C and accumulation.
#pragma once
#include <cublas_v2.h>

#include <cstdint>
#include <type_traits>

#include "galnet/core/tensor.hpp"
#include "galnet/cuda/error.hpp"
#include "galnet/cuda/memory.hpp"
#include "galnet/cuda/runtime.hpp"
#include "galnet/ops/gemm.hpp"
#include "galnet/ops/cuda/bf16.hpp"

namespace galnet::ops {

template <>
struct Gemm<Cuda> {
  template <class T>
  static void run(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
                  const T* b, T beta, T* c) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "Gemm<Cuda>: float or double");
    if (m == 0 || n == 0) return;
    const auto op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    const int M = checked(m), N = checked(n), K = checked(k);
    const int lda = trans_a ? M : K, ldb = trans_b ? K : N;
    if constexpr (std::is_same_v<T, float>) {
      if (cuda::math_mode() == cuda::MathMode::bf16) {
        // Operand copies come from the caching allocator (stream-ordered reuse, no cudaMalloc).
        Tensor<bf16_bits, Cuda> ab(Shape{m * k}), bb(Shape{k * n});
        Bf16Operands<T>::to_nhwc(1, 1, m * k, a, ab.data());
        Bf16Operands<T>::to_nhwc(1, 1, k * n, b, bb.data());
        GALNET_CUBLAS_CHECK(cublasGemmEx(cuda::cublas(), op_b, op_a, N, M, K, &alpha, bb.data(), CUDA_R_16BF,
                                         ldb > 0 ? ldb : 1, ab.data(), CUDA_R_16BF, lda > 0 ? lda : 1, &beta, c,
                                         CUDA_R_32F, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
        return;
      }
      GALNET_CUBLAS_CHECK(cublasSgemm(cuda::cublas(), op_b, op_a, N, M, K, &alpha, b, ldb > 0 ? ldb : 1, a,
                                      lda > 0 ? lda : 1, &beta, c, N));
    } else
      GALNET_CUBLAS_CHECK(cublasDgemm(cuda::cublas(), op_b, op_a, N, M, K, &alpha, b, ldb > 0 ? ldb : 1, a,
                                      lda > 0 ? lda : 1, &beta, c, N));
  }

private:
  static int checked(std::int64_t v) {
    GALNET_CHECK(v >= 0 && v <= 0x7fffffff, "galnet::ops::Gemm<Cuda>: dimension ", v, " exceeds cuBLAS's int range");
    return static_cast<int>(v);
  }
};

}  // namespace galnet::ops
