// galnet/ops/cpu/pool2d.hpp — max and average pooling over x [N, C, H, W], regular or adaptive.
//
// Regular windows (kernel k, stride s, padding p, floor mode) follow PyTorch: max pooling pads
// with −∞; average pooling counts the padding in the divisor (count_include_pad=True).
// Adaptive windows for output size O over input size I are [⌊o·I/O⌋, ⌈(o+1)·I/O⌉), as PyTorch's
// AdaptiveAvgPool2d/AdaptiveMaxPool2d. Max pooling records the arg-max (first maximum in
// row-major window order) so backward routes each gradient to one input.
// Layers reach these through ops::Pool2d<Device> (Cuda: galnet/ops/cuda/pool2d.cuh).
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>
#include <utility>
#if defined(__AVX2__) && !defined(__CUDACC__)
#include <immintrin.h>
#endif

#include "galnet/core/device.hpp"
#include "galnet/ops/pool2d.hpp"
#include "galnet/core/parallel.hpp"

namespace galnet::ops {


/// Output extent of a regular pooling window over `in` (floor mode).
inline std::int64_t pool_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                     std::int64_t pad) {
  return (in + 2 * pad - kernel) / stride + 1;
}

namespace detail {
/// Runs body(plane) for each of the n·c planes, spread over threads when there is enough work
/// (planes · plane_work > 16384).
template <class F>
void for_each_plane(const Pool2dGeometry& g, [[maybe_unused]] std::int64_t plane_work, F&& body) {
  const std::int64_t planes = g.n * g.c;
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (planes * plane_work > 16384)
#endif
  for (std::int64_t pl = 0; pl < planes; ++pl) body(pl);
}

/// The running maximum b after visiting v: a larger value, or the first NaN, takes the place.
template <class T>
T take_max(T b, T v) {
  return (v > b || (v != v && b == b)) ? v : b;
}

/// The outputs [lo, hi) whose window column kx falls inside the input: ox·s − p + kx ∈ [0, w)
/// (none where kx − p ≥ w: a window wider than a narrow map).
inline std::pair<std::int64_t, std::int64_t> window_column_outputs(const Pool2dGeometry& g, std::int64_t kx) {
  const std::int64_t last = g.w - 1 + g.pad - kx;  // ox·s ≤ last; negative: no output
  if (last < 0) return {0, 0};
  return {std::max<std::int64_t>(0, (g.pad - kx + g.stride - 1) / g.stride), std::min(g.ow, last / g.stride + 1)};
}

#if defined(__AVX2__) && !defined(__CUDACC__)
/// p[0], p[2], …, p[14]: the inputs of eight stride-2 windows at one window column.
inline __m256 even_lanes(const float* p) {
  const __m256 e = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
}
#endif

/// h[ox] = the maximum over one input row's part of window ox (regular windows), taken in
/// window-column order by take_max.
template <class T>
void row_window_max(const Pool2dGeometry& g, const T* row, T* h) {
  std::fill_n(h, g.ow, -std::numeric_limits<T>::infinity());
  for (std::int64_t kx = 0; kx < g.kernel; ++kx) {
    const auto [lo, hi] = window_column_outputs(g, kx);
    const std::int64_t off = kx - g.pad;
    std::int64_t ox = lo;
#if defined(__AVX2__) && !defined(__CUDACC__)
    if constexpr (std::is_same_v<T, float>)
      if (g.stride == 2)  // GCC's vectorised stride-2 loads are gathers: 8 lanes from two loads instead
        for (; ox + 8 <= hi && 2 * ox + off + 16 <= g.w; ox += 8) {
          const __m256 v = even_lanes(row + 2 * ox + off), b = _mm256_loadu_ps(h + ox);
          const __m256 first_nan = _mm256_andnot_ps(_mm256_cmp_ps(b, b, _CMP_UNORD_Q), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
          const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v, b, _CMP_GT_OQ), first_nan);
          _mm256_storeu_ps(h + ox, _mm256_blendv_ps(b, v, take));
        }
#endif
    GALNET_SIMD
    for (std::int64_t i = ox; i < hi; ++i) h[i] = take_max(h[i], row[i * g.stride + off]);
  }
}

/// Max pooling without the arg-max (inference), regular windows: separable, each input row's
/// window maxima once, then each output row the maximum of its window rows' (contiguous). The
/// first maximum of a window in row-major order is the first row's holding the maximum, that
/// row's first: the same element as maxpool2d_forward's, so the same bits.
template <class T>
void maxpool2d_values(const Pool2dGeometry& g, const T* x, T* y) {
  detail::for_each_plane(g, g.oh * g.ow, [&](std::int64_t pl) {
    thread_local std::vector<T> rows;  // [h, ow]
    rows.resize(static_cast<std::size_t>(g.h * g.ow));
    for (std::int64_t iy = 0; iy < g.h; ++iy) row_window_max(g, x + (pl * g.h + iy) * g.w, rows.data() + iy * g.ow);
    for (std::int64_t oy = 0; oy < g.oh; ++oy) {
      const auto wy = g.window(oy, g.h, g.oh);
      T* out = y + (pl * g.oh + oy) * g.ow;
      std::fill_n(out, g.ow, -std::numeric_limits<T>::infinity());
      for (std::int64_t iy = wy.begin; iy < wy.end; ++iy) {
        const T* in = rows.data() + iy * g.ow;
        GALNET_SIMD
        for (std::int64_t ox = 0; ox < g.ow; ++ox) out[ox] = take_max(out[ox], in[ox]);
      }
    }
  });
}
}  // namespace detail

/// y = max over each window; argmax (if not null) the position of its first maximum in
/// row-major window order (a NaN counts as the maximum). Without argmax (inference) regular
/// windows take a separable path (detail::maxpool2d_values) with the same results.
template <class T>
void maxpool2d_forward(const Pool2dGeometry& g, const T* x, T* y, std::int32_t* argmax) {
  if (!argmax && !g.adaptive) return detail::maxpool2d_values(g, x, y);
  thread_local std::vector<std::int32_t> scratch;  // adaptive windows without argmax
  if (!argmax) {
    scratch.resize(static_cast<std::size_t>(g.n * g.c * g.oh * g.ow));
    argmax = scratch.data();
  }
  detail::for_each_plane(g, g.oh * g.ow, [&](std::int64_t pl) {
    const T* xp = x + pl * g.h * g.w;
    T* yp = y + pl * g.oh * g.ow;
    std::int32_t* ap = argmax + pl * g.oh * g.ow;
    for (std::int64_t oy = 0; oy < g.oh; ++oy) {
      const auto wy = g.window(oy, g.h, g.oh);
      T* best = yp + oy * g.ow;
      std::int32_t* arg = ap + oy * g.ow;
      for (std::int64_t ox = 0; ox < g.ow; ++ox) {
        best[ox] = -std::numeric_limits<T>::infinity();
        arg[ox] = static_cast<std::int32_t>(wy.begin * g.w + g.window(ox, g.w, g.ow).begin);
      }
      // Window positions in row-major order, each over the whole output row (a loop vectorised
      // by `omp simd`, which GCC's cost model alone leaves scalar; branch-free, since comparisons
      // of random data mispredict): a larger value, or the first NaN (which then stays: NaN
      // propagates, as in PyTorch), takes the place, so the first maximum wins.
      auto visit = [&](std::int64_t iy, std::int64_t ox_lo, std::int64_t ox_hi, auto column) {
        const T* row = xp + iy * g.w;
        GALNET_SIMD
        for (std::int64_t ox = ox_lo; ox < ox_hi; ++ox) {
          const std::int64_t ix = column(ox);
          const T v = row[ix], b = best[ox];
          const bool take = v > b || (v != v && b == b);
          best[ox] = take ? v : b;
          arg[ox] = take ? static_cast<std::int32_t>(iy * g.w + ix) : arg[ox];
        }
      };
      if (!g.adaptive) {
        for (std::int64_t iy = wy.begin; iy < wy.end; ++iy)
          for (std::int64_t kx = 0; kx < g.kernel; ++kx) {
            const auto [lo, hi] = detail::window_column_outputs(g, kx);
            const std::int64_t s = g.stride, off = kx - g.pad;
            visit(iy, lo, hi, [s, off](std::int64_t ox) { return ox * s + off; });
          }
      } else {
        for (std::int64_t ox = 0; ox < g.ow; ++ox) {
          const auto wx = g.window(ox, g.w, g.ow);
          for (std::int64_t iy = wy.begin; iy < wy.end; ++iy)
            for (std::int64_t ix = wx.begin; ix < wx.end; ++ix)
              visit(iy, ox, ox + 1, [ix](std::int64_t) { return ix; });
        }
      }
    }
  });
}

/// dx = scatter of dy to the arg-max positions (overwrites dx).
template <class T>
void maxpool2d_backward(const Pool2dGeometry& g, const T* dy, const std::int32_t* argmax, T* dx) {
  detail::for_each_plane(g, g.h * g.w, [&](std::int64_t pl) {
    T* dxp = dx + pl * g.h * g.w;
    for (std::int64_t i = 0; i < g.h * g.w; ++i) dxp[i] = T(0);
    const T* dyp = dy + pl * g.oh * g.ow;
    const std::int32_t* ap = argmax + pl * g.oh * g.ow;
    for (std::int64_t i = 0; i < g.oh * g.ow; ++i) dxp[ap[i]] += dyp[i];
  });
}

template <class T>
void avgpool2d_forward(const Pool2dGeometry& g, const T* x, T* y) {
  detail::for_each_plane(g, g.h * g.w, [&](std::int64_t pl) {
    const T* xp = x + pl * g.h * g.w;
    T* yp = y + pl * g.oh * g.ow;
    for (std::int64_t oy = 0; oy < g.oh; ++oy) {
      const auto wy = g.window(oy, g.h, g.oh);
      for (std::int64_t ox = 0; ox < g.ow; ++ox) {
        const auto wx = g.window(ox, g.w, g.ow);
        T s = 0;
        for (std::int64_t iy = wy.begin; iy < wy.end; ++iy)
          for (std::int64_t ix = wx.begin; ix < wx.end; ++ix) s += xp[iy * g.w + ix];
        yp[oy * g.ow + ox] = s / static_cast<T>(wy.extent * wx.extent);
      }
    }
  });
}

template <class T>
void avgpool2d_backward(const Pool2dGeometry& g, const T* dy, T* dx) {
  detail::for_each_plane(g, g.h * g.w, [&](std::int64_t pl) {
    T* dxp = dx + pl * g.h * g.w;
    for (std::int64_t i = 0; i < g.h * g.w; ++i) dxp[i] = T(0);
    const T* dyp = dy + pl * g.oh * g.ow;
    for (std::int64_t oy = 0; oy < g.oh; ++oy) {
      const auto wy = g.window(oy, g.h, g.oh);
      for (std::int64_t ox = 0; ox < g.ow; ++ox) {
        const auto wx = g.window(ox, g.w, g.ow);
        const T d = dyp[oy * g.ow + ox] / static_cast<T>(wy.extent * wx.extent);
        for (std::int64_t iy = wy.begin; iy < wy.end; ++iy)
          for (std::int64_t ix = wx.begin; ix < wx.end; ++ix) dxp[iy * g.w + ix] += d;
      }
    }
  });
}

template <>
struct Pool2d<Cpu> {
  template <class T>
  static void max_forward(const Pool2dGeometry& g, const T* x, T* y, std::int32_t* argmax) {
    maxpool2d_forward(g, x, y, argmax);
  }
  template <class T>
  static void max_backward(const Pool2dGeometry& g, const T* dy, const std::int32_t* argmax, T* dx) {
    maxpool2d_backward(g, dy, argmax, dx);
  }
  template <class T>
  static void avg_forward(const Pool2dGeometry& g, const T* x, T* y) { avgpool2d_forward(g, x, y); }
  template <class T>
  static void avg_backward(const Pool2dGeometry& g, const T* dy, T* dx) { avgpool2d_backward(g, dy, dx); }
};

}  // namespace galnet::ops
