// galnet/ops/elementwise.hpp — ops::Elementwise<Device>: element-wise sums.
// The interface each backend specialises: Cpu in galnet/ops/cpu/elementwise.hpp, Cuda in
// galnet/ops/cuda/elementwise.cuh.
#pragma once
#include "galnet/core/device.hpp"

namespace galnet::ops {

template <class D>
struct Elementwise;

}  // namespace galnet::ops
