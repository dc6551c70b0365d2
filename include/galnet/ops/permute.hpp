// galnet/ops/permute.hpp — ops::Permute<Device>: layout changes (NCHW ↔ NHWC).
// The interface each backend specialises: Cpu in galnet/ops/cpu/permute.hpp, Cuda in
// galnet/ops/cuda/permute.cuh.
#pragma once
#include "galnet/core/device.hpp"

namespace galnet::ops {

template <class D>
struct Permute;

}  // namespace galnet::ops
