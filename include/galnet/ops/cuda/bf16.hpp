// galnet/ops/cuda/bf16.hpp — the bfloat16 operand copies of the bf16 fast mode
// (cuda::MathMode::bf16), declared for the plain-header users (conv2d.hpp, gemm.hpp); the
// kernels are in galnet/ops/cuda/bf16.cuh, which galnet/cuda.cuh includes.
//
// Contract of Bf16Operands<float> (all calls on galnet's stream, asynchronous):
//   to_nhwc(n, c, hw, src, dst)   dst[(i·hw + p)·c + ch] = bf16(src[(i·c + ch)·hw + p]):
//                                 an NCHW float tensor as a channels-last bfloat16 copy,
//                                 rounded to nearest even (cuDNN's tensor-core layout).
//   from_nhwc(n, c, hw, src, dst, accumulate)
//                                 the inverse: dst = float(src) in NCHW, or dst += … when
//                                 `accumulate` (weight gradients add into float32 ones).
// With n = 1, c = 1 both are plain element-wise casts (GEMM operands). Storage is raw
// uint16_t (bf16_bits) so that these declarations need no CUDA header.
#pragma once
#include <cstdint>

namespace galnet::ops {

using bf16_bits = std::uint16_t;

template <class T>
struct Bf16Operands;  // defined for float in galnet/ops/cuda/bf16.cuh

}  // namespace galnet::ops
