// galnet/ops/conv2d.hpp — ops::Conv2dOp<T, Device>: a convolution's per-device engine. The layer
// holds one, and it keeps whatever the device reuses between batches (CPU: im2col and Winograd
// buffers, galnet/ops/cpu/conv2d.hpp; CUDA: cuDNN descriptors, algorithms, workspace,
// galnet/ops/cuda/conv2d.hpp): forward, backward_data, backward_weight over a Conv2dGeometry.
#pragma once
#include "galnet/core/device.hpp"
#include "galnet/ops/conv2d_geometry.hpp"

namespace galnet::ops {

template <class T, class D>
class Conv2dOp;

}  // namespace galnet::ops
