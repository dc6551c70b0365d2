// galnet/ops/activation.hpp — ops::Activation<Device>: ReLU and SELU and their gradients,
// element-wise.
// The interface each backend specialises: Cpu in galnet/ops/cpu/activation.hpp, Cuda in
// galnet/ops/cuda/activation.cuh.
#pragma once
#include "galnet/core/device.hpp"
#include "galnet/ops/selu.hpp"

namespace galnet::ops {

template <class D>
struct Activation;

}  // namespace galnet::ops
