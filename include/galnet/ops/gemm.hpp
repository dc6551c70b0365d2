// galnet/ops/gemm.hpp — ops::Gemm<Device>: C = alpha·op(A)·op(B) + beta·C on row-major matrices.
// The interface each backend specialises: Cpu in galnet/ops/cpu/gemm.hpp, Cuda in
// galnet/ops/cuda/gemm.hpp.
#pragma once
#include "galnet/core/device.hpp"

namespace galnet::ops {

template <class D>
struct Gemm;

}  // namespace galnet::ops
