// galnet/ops/cpu/conv2d.hpp — 2-D convolution (cross-correlation, as PyTorch) through im2col + GEMM.
//
// x [N, C, H, W], w [O, C, KH, KW], y [N, O, Ho, Wo], Ho = (H + 2p - KH)/s + 1 (floor).
// Work splits over samples when the batch has at least as many samples as threads (each thread
// with its own column buffer), otherwise over the GEMM inside Eigen. Reductions over samples
// (weight gradient) use a fixed per-thread partition summed in thread order: results are
// bit-identical run to run for a given thread count.
// Small feature maps (the last ResNet stage: 5×5 at 144 px) give per-sample GEMMs of a few
// dozen columns, which run at a fraction of the GEMM's speed; there the forward and data-gradient
// passes group samples side by side in one column matrix (at least kGroupColumns columns, at
// most a thread's share of the batch) and copy the result into place.
// Large maps build and use their column matrix in bands of output rows that fit in L2. With
// galnet's own float GEMM (AVX-512 or AVX2) the forward pass builds none: the GEMM packs its
// panels straight from x (implicit im2col, detail/im2col_plan.hpp) where that is faster,
// and on AVX2 a stride-1 unpadded convolution needs no panels at all: the micro-kernel reads
// its B rows in place (detail/conv_direct.hpp). -DGALNET_EXPLICIT_IM2COL turns both off
// everywhere (for A/B measurements).
// 3×3 stride-1 convolutions (most of a ResNet's work) take Winograd F(2×2, 3×3) instead, in all
// three passes (winograd.hpp; ops::set_winograd(false) turns it off); 5×5 ones (most of
// SpinCNN's) F(2, 5) along the rows in the forward and data-gradient passes (winograd_rows.hpp),
// or F(2×2, 5×5) in both after the opt-in ops::set_winograd_5x5(true).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "galnet/core/parallel.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/ops/conv2d.hpp"
#include "galnet/ops/cpu/detail/conv_phases.hpp"
#include "galnet/ops/cpu/detail/im2col_avx2.hpp"
#include "galnet/ops/cpu/detail/im2col_avx512.hpp"
#include "galnet/ops/cpu/epilogue.hpp"
#include "galnet/ops/cpu/gemm.hpp"
#include "galnet/ops/cpu/im2col.hpp"
#include "galnet/ops/cpu/winograd.hpp"
#include "galnet/ops/cpu/winograd_rows.hpp"

namespace galnet::ops {

/// Per-thread scratch a convolution reuses from batch to batch.
template <class T>
struct Conv2dWorkspace {
  std::vector<Tensor<T, Cpu>> col;      ///< one column buffer per thread (a group's columns)
  std::vector<Tensor<T, Cpu>> stage;    ///< grouped passes: a group's output (or output gradient)
  std::vector<Tensor<T, Cpu>> partial;  ///< per-thread weight-gradient partial sums
  WinogradWorkspace<T> winograd;        ///< the Winograd path's buffers
  RowWinogradWorkspace<T> row_winograd; ///< F(2, 5) along rows (winograd_rows.hpp)
  PackedA<T> weights;                   ///< w (forward) or wᵀ (data gradient), packed once per pass
  Tensor<T, Cpu> flipped;               ///< the direct data gradient's w, flipped and transposed
  Tensor<T, Cpu> phases;                ///< a stride-2 forward's input phases (conv_phases.hpp)
  Tensor<T, Cpu> phase_weights;         ///< and its weights over them

  /// Column buffers of `columns` columns (default: a group's; negative: none).
  void reserve(const Conv2dGeometry& g, int threads, bool partials, std::int64_t group = 1, std::int64_t columns = 0) {
    if (columns == 0) columns = group * g.col_cols();
    if (columns > 0) {
      if (static_cast<int>(col.size()) < threads) col.resize(threads);
      for (int t = 0; t < threads; ++t) col[t].resize(Shape{g.col_rows(), columns});
    }
    if (group > 1) {
      if (static_cast<int>(stage.size()) < threads) stage.resize(threads);
      for (int t = 0; t < threads; ++t) stage[t].resize(Shape{g.o, group * g.col_cols()});
    }
    if (partials) {
      if (static_cast<int>(partial.size()) < threads) partial.resize(threads);
      for (int t = 0; t < threads; ++t) partial[t].resize(Shape{g.o, g.col_rows() + 1});
    }
  }
};

namespace detail {
/// Runs body(n, thread) for every sample: spread over threads when the batch allows, else
/// serially (Eigen then threads each GEMM). Returns the number of threads used.
template <class F>
int for_each_sample(std::int64_t n, F&& body) {
  const int threads = num_threads();
  if (threads > 1 && n >= threads) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
    for (std::int64_t i = 0; i < n; ++i) body(i, thread_index());
    return threads;
  }
  for (std::int64_t i = 0; i < n; ++i) body(i, 0);
  return 1;
}
inline int sample_threads(std::int64_t n) {
  const int threads = num_threads();
  return (threads > 1 && n >= threads) ? threads : 1;
}

/// Grouping: a GEMM of 25 columns (ResNet-18's 5×5 outputs at 144 px) runs far below the GEMM's
/// speed and grouping widens it; at 81 columns (9×9 outputs) the gain no longer pays for the
/// copies. So only maps below kSmallColumns outputs are grouped, up to kGroupColumns columns
/// per GEMM.
inline constexpr std::int64_t kSmallColumns = 64, kGroupColumns = 1024;
/// Samples per GEMM for geometry g: 1 for feature maps of kSmallColumns outputs or more (and
/// 1×1 stride-1 convolutions, which need no column matrix), else enough to reach
/// kGroupColumns, at most a thread's share of the batch.
inline std::int64_t group_size(const Conv2dGeometry& g) {
  const std::int64_t cols = g.col_cols();
  if (g.pointwise() || cols >= kSmallColumns) return 1;
  const int threads = sample_threads(g.n);
  const std::int64_t share = (g.n + threads - 1) / threads;
  return std::clamp<std::int64_t>((kGroupColumns + cols - 1) / cols, 1, share);
}
/// A sample's column matrix above kBandBytes (SpinCNN's 5×5 layer: 32 MB) is built and used in
/// bands of output rows, so that it stays in L2 between im2col and the GEMM.
inline constexpr std::int64_t kBandBytes = std::int64_t(1) << 20;
/// Output rows per band for geometry g (all rows when the whole matrix fits).
template <class T>
std::int64_t band_rows(const Conv2dGeometry& g) {
  const auto row_bytes = static_cast<std::int64_t>(g.col_rows() * g.wo * sizeof(T));
  return std::clamp<std::int64_t>(kBandBytes / std::max<std::int64_t>(row_bytes, 1), 1, g.ho);
}
/// Runs body(oy0, oy1) over the bands of output rows.
template <class F>
void for_each_band(const Conv2dGeometry& g, std::int64_t band, F&& body) {
  for (std::int64_t oy0 = 0; oy0 < g.ho; oy0 += band) body(oy0, std::min(g.ho, oy0 + band));
}

/// Runs body(first, count, thread) over groups of `group` consecutive samples.
template <class F>
void for_each_group(std::int64_t n, std::int64_t group, F&& body) {
  const std::int64_t groups = (n + group - 1) / group;
  for_each_sample(groups, [&](std::int64_t i, int t) { body(i * group, std::min(group, n - i * group), t); });
}

#if defined(GALNET_GEMM_AVX512) && !defined(GALNET_EXPLICIT_IM2COL)
using Im2colB = avx512::Im2colB;
#define GALNET_IMPLICIT_IM2COL 1
#elif defined(GALNET_GEMM_AVX2) && !defined(GALNET_EXPLICIT_IM2COL)
using Im2colB = avx2::Im2colB;
#define GALNET_IMPLICIT_IM2COL 1
#endif
/// Whether the forward pass packs its GEMM panels straight from x: float with the own GEMM,
/// strides 1 and 2 (those Im2colB vectorises), where that beats explicit im2col:
///  - AVX-512: stride 2, and windows above 2×2 at stride 1 (a 2×2 window's im2col is four long
///    row copies per channel, cheaper than the implicit packing's per-row loads).
///  - AVX2: stride 2 with windows above 1×1. Stride 1 gains nothing there, 1×1 windows lose, and
///    an input layer's few channels leave a load plan per panel serving only those.
template <class T>
bool implicit_im2col([[maybe_unused]] const Conv2dGeometry& g) {
#if defined(GALNET_IMPLICIT_IM2COL)
  if constexpr (std::is_same_v<T, float>) {
#if defined(GALNET_GEMM_AVX512)
    return !g.pointwise() && (g.stride == 2 || (g.stride == 1 && g.kh * g.kw > 4));
#else
    return g.stride == 2 && g.kh * g.kw > 1;
#endif
  }
#endif
  return false;
}
/// Whether the forward pass reads x in place with no column matrix or B panels
/// (detail/conv_direct.hpp): float, a kernel that can (AVX2), stride 1 without padding, and
/// windows above 2×2 or rows of whole runs: otherwise a row's short last run wastes lanes, and a
/// 2×2 im2col is a few long copies, cheaper than that waste.
template <class T>
bool direct_conv([[maybe_unused]] const Conv2dGeometry& g) {
#if defined(GALNET_CONV_DIRECT) && !defined(GALNET_EXPLICIT_IM2COL)
  if constexpr (std::is_same_v<T, float>)
    return g.stride == 1 && g.pad == 0 && !g.pointwise() && (g.kh * g.kw > 4 || g.wo % GemmKernel::kLanes == 0) &&
           packed::DirectConv{.c = g.c, .h = g.h, .w = g.w, .kh = g.kh, .kw = g.kw}.fits();
#endif
  return false;
}
/// Output rows per unit of work of the direct path: y's share of them stays in L2 (256 KB)
/// between A's slices.
inline std::int64_t direct_band_rows(const Conv2dGeometry& g) {
  return std::clamp<std::int64_t>((std::int64_t(256) << 10) / (g.o * g.wo * 4), 1, g.ho);
}
/// Whether a stride-2 forward pass runs as the direct convolution over its input's phases
/// (detail/conv_phases.hpp): square windows of 7 and above, where the phases' zero taps cost
/// at most 15 of 64 multiplications, less than the implicit im2col loses to a load plan per
/// panel over an input layer's few channels.
template <class T>
bool phase_conv([[maybe_unused]] const Conv2dGeometry& g) {
  return g.stride == 2 && g.kh == g.kw && g.kh >= 7 && g.pad < g.kh && g.ho == (g.h + 2 * g.pad - g.kh) / 2 + 1 &&
         g.wo == (g.w + 2 * g.pad - g.kw) / 2 + 1 && direct_conv<T>(phase_geometry(g));
}

/// y = ep(the direct convolution of x) for a geometry with direct_conv, its weights packed in
/// ws.weights. Units of work are bands of a sample's output rows: a batch of one uses every
/// thread too.
template <class T>
void direct_forward(const Conv2dGeometry& g, const T* x, const Epilogue<T>& ep, T* y, Conv2dWorkspace<T>& ws) {
  if constexpr (std::is_same_v<T, float> && kConvDirect) {
    const std::int64_t band = direct_band_rows(g), bands = (g.ho + band - 1) / band, cols = g.col_cols();
    for_each_sample(g.n * bands, [&](std::int64_t i, int) {
      const std::int64_t n = i / bands, oy0 = i % bands * band, oy1 = std::min(g.ho, oy0 + band);
      const packed::DirectConv xn{.x = x + n * g.c * g.h * g.w, .c = g.c, .h = g.h, .w = g.w, .kh = g.kh, .kw = g.kw};
      ws.weights.convolve_direct(xn, oy0, oy1, y + n * g.o * cols, cols);
      for (std::int64_t o = 0; o < g.o; ++o) ep.apply(y, (n * g.o + o) * cols + oy0 * g.wo, o, (oy1 - oy0) * g.wo);
    });
  }
}

/// c [O, columns] = w · columns [col0, col0 + columns) of im2col(x), the samples from x on side
/// by side (where implicit_im2col).
template <class T>
void multiply_im2col([[maybe_unused]] const PackedA<T>& w, [[maybe_unused]] const Conv2dGeometry& g,
                     [[maybe_unused]] const T* x, [[maybe_unused]] std::int64_t col0,
                     [[maybe_unused]] std::int64_t columns, [[maybe_unused]] T* c, [[maybe_unused]] std::int64_t ldc) {
#if defined(GALNET_IMPLICIT_IM2COL)
  if constexpr (std::is_same_v<T, float>) {
    const Im2colB b{.x = x, .c = g.c, .h = g.h, .w = g.w, .kh = g.kh, .kw = g.kw, .stride = g.stride,
                    .pad = g.pad, .ho = g.ho, .wo = g.wo, .col0 = col0};
    w.multiply_from(b, columns, 1.f, 0.f, c, ldc);
  }
#endif
}

/// y[first + s] = ep(the group's output out [O, count·cols], sample s at column s·cols).
template <class T>
void scatter_group(const Conv2dGeometry& g, const T* out, std::int64_t first, std::int64_t count,
                   const Epilogue<T>& ep, T* y) {
  const std::int64_t cols = g.col_cols(), width = count * cols;
  for (std::int64_t s = 0; s < count; ++s)
    for (std::int64_t o = 0; o < g.o; ++o) {
      const std::int64_t at = ((first + s) * g.o + o) * cols;
      std::copy_n(out + o * width + s * cols, cols, y + at);
      ep.apply(y, at, o, cols);
    }
}
}  // namespace detail

/// y = ep(conv(x, w)): a bias, or at inference the batch norm, residual add and ReLU that follow
/// (epilogue.hpp), applied while each part of y is in cache.
template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* w, const Epilogue<T>& ep, T* y,
                    Conv2dWorkspace<T>& ws) {
  if (g.winograd()) return winograd_forward(g, x, w, ep, y, ws.winograd);
  if (g.winograd_rows()) return winograd_rows_forward(g, x, w, ep, y, ws.row_winograd);
  if (detail::phase_conv<T>(g)) {
    const Conv2dGeometry t = detail::phase_geometry(g);
    ws.phases.resize(Shape{t.n, t.c, t.h, t.w});
    ws.phase_weights.resize(Shape{t.o, t.col_rows()});
    detail::phase_weights(g, w, ws.phase_weights.data());
    ws.weights.pack(false, t.o, t.col_rows(), ws.phase_weights.data(), t.col_rows(), 0);  // every unit reads it
    detail::for_each_sample(g.n, [&](std::int64_t n, int) {
      detail::split_phases(g, x + n * g.c * g.h * g.w, ws.phases.data() + n * t.c * t.h * t.w);
    });
    return detail::direct_forward(t, ws.phases.data(), ep, y, ws);
  }
  const std::int64_t cols = g.col_cols(), sample = g.c * g.h * g.w;
  const bool implicit = detail::implicit_im2col<T>(g);
  ws.weights.pack(false, g.o, g.col_rows(), w);
  if (const std::int64_t group = detail::group_size(g); group > 1) {
    ws.reserve(g, detail::sample_threads(g.n), false, group, implicit ? -1 : 0);
    detail::for_each_group(g.n, group, [&](std::int64_t first, std::int64_t count, int t) {
      const std::int64_t width = count * cols;
      T* out = ws.stage[t].data();
      if (implicit) {
        detail::multiply_im2col(ws.weights, g, x + first * sample, 0, width, out, width);
      } else {
        T* col = ws.col[t].data();
        for (std::int64_t s = 0; s < count; ++s) im2col(g, x + (first + s) * sample, col + s * cols, width);
        ws.weights.multiply(false, width, T(1), col, width, T(0), out, width);
      }
      detail::scatter_group(g, out, first, count, ep, y);
    });
    return;
  }
  if (detail::direct_conv<T>(g)) return detail::direct_forward(g, x, ep, y, ws);
  const std::int64_t band = detail::band_rows<T>(g);
  ws.reserve(g, detail::sample_threads(g.n), false, 1, implicit ? -1 : band * g.wo);
  detail::for_each_sample(g.n, [&](std::int64_t n, int t) {
    const T* xn = x + n * sample;
    T* yn = y + n * g.o * cols;
    auto finish = [&](std::int64_t first, std::int64_t count) {  // columns [first, first + count) of yn
      for (std::int64_t o = 0; o < g.o; ++o) ep.apply(y, (n * g.o + o) * cols + first, o, count);
    };
    if (g.pointwise()) {
      ws.weights.multiply(false, cols, T(1), xn, cols, T(0), yn, cols);
      finish(0, cols);
      return;
    }
    // The implicit path keeps the bands too: they bound the columns of one product, so y's
    // slice stays in cache where the GEMM reads A slice-outer (weights above 1 MiB), and for
    // the epilogue.
    detail::for_each_band(g, band, [&](std::int64_t oy0, std::int64_t oy1) {
      const std::int64_t width = (oy1 - oy0) * g.wo;
      if (implicit) {
        detail::multiply_im2col(ws.weights, g, xn, oy0 * g.wo, width, yn + oy0 * g.wo, cols);
      } else {
        T* col = ws.col[t].data();
        im2col(g, xn, col, 0, oy0, oy1);
        ws.weights.multiply(false, width, T(1), col, width, T(0), yn + oy0 * g.wo, cols);
      }
      finish(oy0 * g.wo, width);
    });
  });
}

/// y = conv(x, w) + b (b may be null).
template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* w, const T* b, T* y, Conv2dWorkspace<T>& ws) {
  conv2d_forward(g, x, w, Epilogue<T>{.shift = b}, y, ws);
}

namespace detail {
/// The data gradient of a stride-1 convolution as one: dx = conv(dy zero-padded by kh − 1 − p
/// and kw − 1 − p, w flipped in both axes and transposed to [C, O, KH, KW]), stride 1 without
/// padding. Its geometry (the padded dy as the input).
inline Conv2dGeometry data_gradient_geometry(const Conv2dGeometry& g) {
  return {g.n, g.o, g.ho + 2 * (g.kh - 1 - g.pad), g.wo + 2 * (g.kw - 1 - g.pad), g.c, g.kh, g.kw, 1, 0, g.h, g.w};
}
/// Whether the data gradient takes the direct path (as that convolution; no col2im): with at
/// least 32 input channels. Into a few (SpinCNN's 6×6 input layer: 3) a micro-tile's 6 rows are
/// half empty, where GEMM + col2im fills its rows with the 108 of C·KH·KW.
template <class T>
bool direct_conv_data(const Conv2dGeometry& g) {
  return g.stride == 1 && g.c >= 32 && g.pad < g.kh && g.pad < g.kw && g.ho == g.h + 2 * g.pad - g.kh + 1 &&
         g.wo == g.w + 2 * g.pad - g.kw + 1 && direct_conv<T>(data_gradient_geometry(g));
}
/// dx by that convolution, read in place (conv_direct.hpp): each thread pads its samples' dy.
template <class T>
void direct_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx, Conv2dWorkspace<T>& ws) {
  const Conv2dGeometry t = data_gradient_geometry(g);
  const std::int64_t ph = g.kh - 1 - g.pad, pw = g.kw - 1 - g.pad, window = g.kh * g.kw;
  ws.flipped.resize(Shape{g.c, g.o * window});
  for (std::int64_t o = 0; o < g.o; ++o)
    for (std::int64_t c = 0; c < g.c; ++c)
      for (std::int64_t i = 0; i < window; ++i)
        ws.flipped[(c * g.o + o) * window + i] = w[(o * g.c + c) * window + window - 1 - i];
  ws.weights.pack(false, g.c, g.o * window, ws.flipped.data());
  const int threads = sample_threads(g.n);
  if (static_cast<int>(ws.col.size()) < threads) ws.col.resize(threads);
  for (int i = 0; i < threads; ++i) ws.col[i].resize(Shape{t.c, t.h * t.w});
  const std::int64_t band = direct_band_rows(t);
  for_each_sample(g.n, [&](std::int64_t n, int thread) {
    T* padded = ws.col[thread].data();
    for (std::int64_t o = 0; o < g.o; ++o) {
      T* plane = padded + o * t.h * t.w;
      const T* src = dy + (n * g.o + o) * g.ho * g.wo;
      std::fill_n(plane, ph * t.w, T(0));
      for (std::int64_t y = 0; y < g.ho; ++y) {
        T* row = plane + (ph + y) * t.w;
        std::fill_n(row, pw, T(0));
        std::copy_n(src + y * g.wo, g.wo, row + pw);
        std::fill_n(row + pw + g.wo, pw, T(0));
      }
      std::fill_n(plane + (ph + g.ho) * t.w, ph * t.w, T(0));
    }
    const packed::DirectConv in{.x = padded, .c = t.c, .h = t.h, .w = t.w, .kh = t.kh, .kw = t.kw};
    for (std::int64_t oy0 = 0; oy0 < t.ho; oy0 += band)
      ws.weights.convolve_direct(in, oy0, std::min(t.ho, oy0 + band), dx + n * g.c * g.h * g.w, g.h * g.w);
  });
}
}  // namespace detail

/// dx = conv_transpose(dy, w) (overwrites dx).
template <class T>
void conv2d_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx,
                          Conv2dWorkspace<T>& ws) {
  if (g.winograd()) return winograd_backward_data(g, dy, w, dx, ws.winograd);
  if (g.winograd_rows()) return winograd_rows_backward_data(g, dy, w, dx, ws.row_winograd);
  if constexpr (std::is_same_v<T, float> && detail::kConvDirect)
    if (detail::direct_conv_data<T>(g)) return detail::direct_backward_data(g, dy, w, dx, ws);
  const std::int64_t cols = g.col_cols();
  ws.weights.pack(true, g.col_rows(), g.o, w);
  if (const std::int64_t group = detail::group_size(g); group > 1) {
    ws.reserve(g, detail::sample_threads(g.n), false, group);
    detail::for_each_group(g.n, group, [&](std::int64_t first, std::int64_t count, int t) {
      const std::int64_t width = count * cols;
      T* col = ws.col[t].data();
      T* grads = ws.stage[t].data();
      for (std::int64_t s = 0; s < count; ++s)
        for (std::int64_t o = 0; o < g.o; ++o)
          std::copy_n(dy + ((first + s) * g.o + o) * cols, cols, grads + o * width + s * cols);
      ws.weights.multiply(false, width, T(1), grads, width, T(0), col, width);
      for (std::int64_t s = 0; s < count; ++s) {
        T* dxn = dx + (first + s) * g.c * g.h * g.w;
        std::fill_n(dxn, g.c * g.h * g.w, T(0));
        col2im(g, col + s * cols, dxn, width);
      }
    });
    return;
  }
  const std::int64_t band = detail::band_rows<T>(g);
  ws.reserve(g, detail::sample_threads(g.n), false, 1, band * g.wo);
  detail::for_each_sample(g.n, [&](std::int64_t n, int t) {
    T* dxn = dx + n * g.c * g.h * g.w;
    const T* dyn = dy + n * g.o * cols;
    if (g.pointwise()) {
      ws.weights.multiply(false, cols, T(1), dyn, cols, T(0), dxn, cols);
      return;
    }
    T* col = ws.col[t].data();
    std::fill_n(dxn, g.c * g.h * g.w, T(0));
    detail::for_each_band(g, band, [&](std::int64_t oy0, std::int64_t oy1) {
      const std::int64_t width = (oy1 - oy0) * g.wo;
      ws.weights.multiply(false, width, T(1), dyn + oy0 * g.wo, cols, T(0), col, width);
      col2im(g, col, dxn, 0, oy0, oy1);
    });
  });
}

/// dw += Σ_n dy_n · col_nᵀ and db += Σ dy (db may be null).
template <class T>
void conv2d_backward_weight(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* db,
                            Conv2dWorkspace<T>& ws) {
  if (g.winograd_weight_gradient()) return winograd_backward_weight(g, x, dy, dw, db, ws.winograd);
  const int threads = detail::sample_threads(g.n);
  const std::int64_t band = detail::band_rows<T>(g);
  ws.reserve(g, threads, threads > 1, 1, band * g.wo);
  const std::int64_t cols = g.col_cols(), rows = g.col_rows();
  auto accumulate = [&](std::int64_t n, T* dw_out, T* db_out) {
    const T* xn = x + n * g.c * g.h * g.w;
    const T* dyn = dy + n * g.o * cols;
    if (g.pointwise()) {
      gemm<T>(false, true, g.o, rows, cols, T(1), dyn, xn, T(1), dw_out);
    } else {
      T* buf = ws.col[thread_index()].data();
      detail::for_each_band(g, band, [&](std::int64_t oy0, std::int64_t oy1) {
        const std::int64_t width = (oy1 - oy0) * g.wo;
        im2col(g, xn, buf, 0, oy0, oy1);
        gemm<T>(false, true, g.o, rows, width, T(1), dyn + oy0 * g.wo, cols, buf, width, T(1), dw_out, rows);
      });
    }
    if (db_out)
      for (std::int64_t o = 0; o < g.o; ++o) {
        const T* row = dyn + o * cols;
        T s = 0;
        for (std::int64_t i = 0; i < cols; ++i) s += row[i];
        db_out[o] += s;
      }
  };
  if (threads == 1) {
    for (std::int64_t n = 0; n < g.n; ++n) accumulate(n, dw, db);
    return;
  }
  // Each thread sums its own samples (the partial holds dw then db), then partials are added
  // to the result in thread order.
  for (int t = 0; t < threads; ++t) ws.partial[t].zero();
#if defined(_OPENMP)
#pragma omp parallel num_threads(threads)
#endif
  {
    const int t = thread_index();
    T* part = ws.partial[t].data();
    const std::int64_t begin = g.n * t / threads, end = g.n * (t + 1) / threads;
    for (std::int64_t n = begin; n < end; ++n) accumulate(n, part, db ? part + g.o * rows : nullptr);
  }
  for (int t = 0; t < threads; ++t) {
    const T* part = ws.partial[t].data();
    for (std::int64_t i = 0; i < g.o * rows; ++i) dw[i] += part[i];
    if (db)
      for (std::int64_t o = 0; o < g.o; ++o) db[o] += part[g.o * rows + o];
  }
}

template <class T>
class Conv2dOp<T, Cpu> {
public:
  void forward(const Conv2dGeometry& g, const T* x, const T* w, const T* b, T* y) { conv2d_forward(g, x, w, b, y, ws_); }
  void forward(const Conv2dGeometry& g, const T* x, const T* w, const Epilogue<T>& ep, T* y) {
    conv2d_forward(g, x, w, ep, y, ws_);
  }
  void backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx) {
    conv2d_backward_data(g, dy, w, dx, ws_);
  }
  void backward_weight(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* db) {
    conv2d_backward_weight(g, x, dy, dw, db, ws_);
  }

private:
  Conv2dWorkspace<T> ws_;
};

}  // namespace galnet::ops
