// galnet/ops/bias.hpp — ops::Bias<Device>: a bias over the rows of an [n, c] matrix and its
// gradient.
// The interface each backend specialises: Cpu in galnet/ops/cpu/bias.hpp, Cuda in
// galnet/ops/cuda/bias.cuh.
#pragma once
#include "galnet/core/device.hpp"

namespace galnet::ops {

template <class D>
struct Bias;

}  // namespace galnet::ops
