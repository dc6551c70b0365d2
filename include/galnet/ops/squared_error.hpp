// galnet/ops/squared_error.hpp — ops::SquaredError<Device>: the (weighted) squared-error loss and
// its gradient.
// The interface each backend specialises: Cpu in galnet/ops/cpu/squared_error.hpp, Cuda in
// galnet/ops/cuda/squared_error.cuh.
#pragma once
#include "galnet/core/device.hpp"

namespace galnet::ops {

template <class D>
struct SquaredError;

}  // namespace galnet::ops
