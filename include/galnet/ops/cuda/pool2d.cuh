// galnet/ops/cuda/pool2d.cuh — ops::Pool2d<Cuda>: max and average pooling, regular or adaptive,
// with the windows, NaN propagation and arg-max rule of galnet/ops/cpu/pool2d.hpp (the same
// Pool2dGeometry::window). Forward: one thread per output. Backward gathers: one thread per
// input sums the outputs that reach it in the CPU's (row-major output) order — no atomics, so
// results are deterministic and equal to the CPU's in float.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "galnet/ops/pool2d.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace cuda_kernels {
/// Outputs along one axis whose window may contain input position i: [lo, hi).
__device__ inline void pool_candidates(const Pool2dGeometry& g, std::int64_t i, std::int64_t in, std::int64_t out,
                                       std::int64_t& lo, std::int64_t& hi) {
  if (g.adaptive) {  // windows overlap by at most one neighbour on each side
    lo = i * out / in - 1;
    hi = (i + 1) * out / in + 2;
  } else {
    lo = (i + g.pad - g.kernel) / g.stride;  // may be one too low; the window test below decides
    hi = (i + g.pad) / g.stride + 1;
  }
  lo = lo < 0 ? 0 : lo;
  hi = hi > out ? out : hi;
}

template <class T>
__global__ void maxpool_forward(Pool2dGeometry g, const T* __restrict__ x, T* __restrict__ y,
                                std::int32_t* __restrict__ argmax) {
  const std::int64_t total = g.n * g.c * g.oh * g.ow;
  for (std::int64_t k = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; k < total;
       k += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t ox = k % g.ow, oy = k / g.ow % g.oh, pl = k / (g.ow * g.oh);
    const T* xp = x + pl * g.h * g.w;
    const auto wy = g.window(oy, g.h, g.oh), wx = g.window(ox, g.w, g.ow);
    T best = -INFINITY;
    std::int64_t arg = wy.begin * g.w + wx.begin;
    bool nan = false;
    for (std::int64_t iy = wy.begin; iy < wy.end && !nan; ++iy)
      for (std::int64_t ix = wx.begin; ix < wx.end; ++ix) {
        const T v = xp[iy * g.w + ix];
        if (v > best || v != v) {
          best = v;
          arg = iy * g.w + ix;
          if (v != v) {
            nan = true;
            break;
          }
        }
      }
    y[k] = best;
    if (argmax) argmax[k] = static_cast<std::int32_t>(arg);  // null at inference
  }
}
template <class T>
__global__ void maxpool_backward(Pool2dGeometry g, const T* __restrict__ dy, const std::int32_t* __restrict__ argmax,
                                 T* __restrict__ dx) {
  const std::int64_t total = g.n * g.c * g.h * g.w;
  for (std::int64_t k = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; k < total;
       k += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t ix = k % g.w, iy = k / g.w % g.h, pl = k / (g.w * g.h), here = iy * g.w + ix;
    std::int64_t ylo, yhi, xlo, xhi;
    pool_candidates(g, iy, g.h, g.oh, ylo, yhi);
    pool_candidates(g, ix, g.w, g.ow, xlo, xhi);
    T s = 0;
    for (std::int64_t oy = ylo; oy < yhi; ++oy)
      for (std::int64_t ox = xlo; ox < xhi; ++ox) {
        const std::int64_t o = (pl * g.oh + oy) * g.ow + ox;
        if (argmax[o] == here) s += dy[o];
      }
    dx[k] = s;
  }
}
template <class T>
__global__ void avgpool_forward(Pool2dGeometry g, const T* __restrict__ x, T* __restrict__ y) {
  const std::int64_t total = g.n * g.c * g.oh * g.ow;
  for (std::int64_t k = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; k < total;
       k += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t ox = k % g.ow, oy = k / g.ow % g.oh, pl = k / (g.ow * g.oh);
    const T* xp = x + pl * g.h * g.w;
    const auto wy = g.window(oy, g.h, g.oh), wx = g.window(ox, g.w, g.ow);
    T s = 0;
    for (std::int64_t iy = wy.begin; iy < wy.end; ++iy)
      for (std::int64_t ix = wx.begin; ix < wx.end; ++ix) s += xp[iy * g.w + ix];
    y[k] = s / static_cast<T>(wy.extent * wx.extent);
  }
}
template <class T>
__global__ void avgpool_backward(Pool2dGeometry g, const T* __restrict__ dy, T* __restrict__ dx) {
  const std::int64_t total = g.n * g.c * g.h * g.w;
  for (std::int64_t k = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; k < total;
       k += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t ix = k % g.w, iy = k / g.w % g.h, pl = k / (g.w * g.h);
    std::int64_t ylo, yhi, xlo, xhi;
    pool_candidates(g, iy, g.h, g.oh, ylo, yhi);
    pool_candidates(g, ix, g.w, g.ow, xlo, xhi);
    T s = 0;
    for (std::int64_t oy = ylo; oy < yhi; ++oy) {
      const auto wy = g.window(oy, g.h, g.oh);
      if (iy < wy.begin || iy >= wy.end) continue;
      for (std::int64_t ox = xlo; ox < xhi; ++ox) {
        const auto wx = g.window(ox, g.w, g.ow);
        if (ix < wx.begin || ix >= wx.end) continue;
        s += dy[(pl * g.oh + oy) * g.ow + ox] / static_cast<T>(wy.extent * wx.extent);
      }
    }
    dx[k] = s;
  }
}
}  // namespace cuda_kernels

template <>
struct Pool2d<Cuda> {
  template <class T>
  static void max_forward(const Pool2dGeometry& g, const T* x, T* y, std::int32_t* argmax) {
    launch("maxpool_forward", cuda_kernels::maxpool_forward<T>, g.n * g.c * g.oh * g.ow, g, x, y, argmax);
  }
  template <class T>
  static void max_backward(const Pool2dGeometry& g, const T* dy, const std::int32_t* argmax, T* dx) {
    launch("maxpool_backward", cuda_kernels::maxpool_backward<T>, g.n * g.c * g.h * g.w, g, dy, argmax, dx);
  }
  template <class T>
  static void avg_forward(const Pool2dGeometry& g, const T* x, T* y) {
    launch("avgpool_forward", cuda_kernels::avgpool_forward<T>, g.n * g.c * g.oh * g.ow, g, x, y);
  }
  template <class T>
  static void avg_backward(const Pool2dGeometry& g, const T* dy, T* dx) {
    launch("avgpool_backward", cuda_kernels::avgpool_backward<T>, g.n * g.c * g.h * g.w, g, dy, dx);
  }

private:
  template <class Kernel, class... Args>
  static void launch(const char* name, Kernel kernel, std::int64_t threads, Args... args) {
    if (threads == 0) return;
    kernel<<<cuda::grid_for(threads), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(args...);
    cuda::check_launch(name);
  }
};

}  // namespace galnet::ops
