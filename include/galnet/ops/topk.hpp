// galnet/ops/topk.hpp — ops::TopKOp<Device>: keep the k largest entries of each row, zero the rest;
// larger values first, equal values by lower index, NaN largest (topk_before), on every device.
// The interface each backend specialises: Cpu in galnet/ops/cpu/topk.hpp, Cuda in
// galnet/ops/cuda/topk.cuh.
#pragma once
#include <cstdint>

#include "galnet/core/device.hpp"

namespace galnet::ops {

/// Whether x[a] ranks before x[b] in a row: larger first, then the lower index; NaN largest.
template <class T>
GALNET_HOST_DEVICE inline bool topk_before(T va, std::int64_t a, T vb, std::int64_t b) {
  const bool na = va != va, nb = vb != vb;
  if (na != nb) return na;
  if (!na && va != vb) return va > vb;
  return a < b;
}

template <class D>
struct TopKOp;

}  // namespace galnet::ops
