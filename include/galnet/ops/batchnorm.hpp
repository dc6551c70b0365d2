// galnet/ops/batchnorm.hpp — ops::BatchNorm<Device>: batch norm over (n, s) per channel c, in
// training (batch statistics, optionally over every rank of a dist::Communicator) and eval mode.
// The interface each backend specialises: Cpu in galnet/ops/cpu/batchnorm.hpp, Cuda in
// galnet/ops/cuda/batchnorm.cuh.
#pragma once
#include <cstdint>

#include "galnet/core/device.hpp"
#include "galnet/dist/communicator.hpp"

namespace galnet::ops {

/// x and y laid out [n, c, s] (s = H·W).
struct BatchNormGeometry {
  std::int64_t n, c, s;
  [[nodiscard]] std::int64_t count() const { return n * s; }
};

template <class D>
struct BatchNorm;

}  // namespace galnet::ops
