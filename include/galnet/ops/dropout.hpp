// galnet/ops/dropout.hpp — ops::DropoutOp<Device>: inverted dropout with a counter-based mask, so both
// devices drop the same elements for the same key.
// The interface each backend specialises: Cpu in galnet/ops/cpu/dropout.hpp, Cuda in
// galnet/ops/cuda/dropout.cuh.
#pragma once
#include <cstdint>

#include "galnet/core/device.hpp"
#include "galnet/core/rng.hpp"

namespace galnet::ops {

/// Whether element i survives: the top 32 bits of counter_u64(key, i) as a uniform in [0, 1),
/// compared with p in double on both devices.
GALNET_HOST_DEVICE inline bool dropout_keeps(std::uint64_t key, std::int64_t i, double p) {
  return static_cast<double>(counter_u64(key, static_cast<std::uint64_t>(i)) >> 32) * 0x1.0p-32 >= p;
}

template <class D>
struct DropoutOp;

}  // namespace galnet::ops
