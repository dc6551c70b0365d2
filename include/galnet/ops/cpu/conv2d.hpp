// galnet/ops/cpu/conv2d.hpp — 2-D convolution (cross-correlation, as PyTorch) through im2col + GEMM.
//
// x [N, C, H, W], w [O, C, KH, KW], y [N, O, Ho, Wo], Ho = (H + 2p - KH)/s + 1 (floor).
// Work splits over samples when the batch has at least as many samples as threads (each thread
// with its own column buffer), otherwise over the GEMM inside Eigen. Reductions over samples
// (weight gradient) use a fixed per-thread partition summed in thread order: results are
// bit-identical run to run for a given thread count.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "galnet/core/parallel.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/ops/cpu/gemm.hpp"

namespace galnet::ops {

struct Conv2dGeometry {
  std::int64_t n, c, h, w;  ///< input
  std::int64_t o, kh, kw;   ///< filters
  std::int64_t stride, pad;
  std::int64_t ho, wo;      ///< output

  [[nodiscard]] std::int64_t col_rows() const { return c * kh * kw; }
  [[nodiscard]] std::int64_t col_cols() const { return ho * wo; }
  /// A 1×1, stride-1, unpadded convolution reads its input as the column matrix directly.
  [[nodiscard]] bool pointwise() const { return kh == 1 && kw == 1 && stride == 1 && pad == 0; }
};

/// Unfolds one sample x_n [C, H, W] into col [C·KH·KW, Ho·Wo] (zeros where padding).
template <class T>
void im2col(const Conv2dGeometry& g, const T* x, T* col) {
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t ki = 0; ki < g.kh; ++ki)
      for (std::int64_t kj = 0; kj < g.kw; ++kj) {
        T* row = col + ((c * g.kh + ki) * g.kw + kj) * g.ho * g.wo;
        for (std::int64_t oy = 0; oy < g.ho; ++oy) {
          const std::int64_t iy = oy * g.stride - g.pad + ki;
          T* out = row + oy * g.wo;
          if (iy < 0 || iy >= g.h) {
            std::fill_n(out, g.wo, T(0));
            continue;
          }
          const T* in = x + (c * g.h + iy) * g.w;
          if (g.stride == 1) {
            // Contiguous run: zeros, a copy, zeros.
            const std::int64_t lo = std::clamp<std::int64_t>(g.pad - kj, 0, g.wo);
            const std::int64_t hi = std::clamp<std::int64_t>(g.w + g.pad - kj, lo, g.wo);
            std::fill_n(out, lo, T(0));
            std::copy(in + lo - g.pad + kj, in + hi - g.pad + kj, out + lo);
            std::fill(out + hi, out + g.wo, T(0));
          } else {
            for (std::int64_t ox = 0; ox < g.wo; ++ox) {
              const std::int64_t ix = ox * g.stride - g.pad + kj;
              out[ox] = (ix >= 0 && ix < g.w) ? in[ix] : T(0);
            }
          }
        }
      }
}

/// Folds col [C·KH·KW, Ho·Wo] back, adding into dx_n [C, H, W] (which the caller zeroes).
template <class T>
void col2im(const Conv2dGeometry& g, const T* col, T* dx) {
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t ki = 0; ki < g.kh; ++ki)
      for (std::int64_t kj = 0; kj < g.kw; ++kj) {
        const T* row = col + ((c * g.kh + ki) * g.kw + kj) * g.ho * g.wo;
        for (std::int64_t oy = 0; oy < g.ho; ++oy) {
          const std::int64_t iy = oy * g.stride - g.pad + ki;
          if (iy < 0 || iy >= g.h) continue;
          T* out = dx + (c * g.h + iy) * g.w;
          const T* in = row + oy * g.wo;
          for (std::int64_t ox = 0; ox < g.wo; ++ox) {
            const std::int64_t ix = ox * g.stride - g.pad + kj;
            if (ix >= 0 && ix < g.w) out[ix] += in[ox];
          }
        }
      }
}

/// Per-thread scratch a convolution reuses from batch to batch.
template <class T>
struct Conv2dWorkspace {
  std::vector<Tensor<T, Cpu>> col;      ///< one column buffer per thread
  std::vector<Tensor<T, Cpu>> partial;  ///< per-thread weight-gradient partial sums

  void reserve(const Conv2dGeometry& g, int threads, bool partials) {
    if (static_cast<int>(col.size()) < threads) col.resize(threads);
    for (int t = 0; t < threads; ++t) col[t].resize(Shape{g.col_rows(), g.col_cols()});
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
}  // namespace detail

/// y = conv(x, w) + b (b may be null).
template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* w, const T* b, T* y,
                    Conv2dWorkspace<T>& ws) {
  ws.reserve(g, detail::sample_threads(g.n), false);
  const std::int64_t cols = g.col_cols();
  detail::for_each_sample(g.n, [&](std::int64_t n, int t) {
    const T* xn = x + n * g.c * g.h * g.w;
    T* yn = y + n * g.o * cols;
    const T* col = xn;
    if (!g.pointwise()) {
      im2col(g, xn, ws.col[t].data());
      col = ws.col[t].data();
    }
    gemm<T>(false, false, g.o, cols, g.col_rows(), T(1), w, col, T(0), yn);
    if (b)
      for (std::int64_t o = 0; o < g.o; ++o) {
        T* row = yn + o * cols;
        const T bo = b[o];
        for (std::int64_t i = 0; i < cols; ++i) row[i] += bo;
      }
  });
}

/// dx = conv_transpose(dy, w) (overwrites dx).
template <class T>
void conv2d_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx,
                          Conv2dWorkspace<T>& ws) {
  ws.reserve(g, detail::sample_threads(g.n), false);
  const std::int64_t cols = g.col_cols();
  detail::for_each_sample(g.n, [&](std::int64_t n, int t) {
    T* dxn = dx + n * g.c * g.h * g.w;
    const T* dyn = dy + n * g.o * cols;
    if (g.pointwise()) {
      gemm<T>(true, false, g.col_rows(), cols, g.o, T(1), w, dyn, T(0), dxn);
      return;
    }
    T* col = ws.col[t].data();
    gemm<T>(true, false, g.col_rows(), cols, g.o, T(1), w, dyn, T(0), col);
    std::fill_n(dxn, g.c * g.h * g.w, T(0));
    col2im(g, col, dxn);
  });
}

/// dw += Σ_n dy_n · col_nᵀ and db += Σ dy (db may be null).
template <class T>
void conv2d_backward_weight(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* db,
                            Conv2dWorkspace<T>& ws) {
  const int threads = detail::sample_threads(g.n);
  ws.reserve(g, threads, threads > 1);
  const std::int64_t cols = g.col_cols(), rows = g.col_rows();
  auto accumulate = [&](std::int64_t n, T* dw_out, T* db_out) {
    const T* xn = x + n * g.c * g.h * g.w;
    const T* dyn = dy + n * g.o * cols;
    const T* col = xn;
    if (!g.pointwise()) {
      T* buf = ws.col[thread_index()].data();
      im2col(g, xn, buf);
      col = buf;
    }
    gemm<T>(false, true, g.o, rows, cols, T(1), dyn, col, T(1), dw_out);
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

/// A convolution's per-device engine: the layer holds one, and it keeps whatever the device
/// reuses between batches (CPU: im2col buffers; CUDA: cuDNN descriptors, algorithms,
/// workspace — galnet/ops/cuda/conv2d.hpp). Same contract as the functions above.
template <class T, class D>
class Conv2dOp;

template <class T>
class Conv2dOp<T, Cpu> {
public:
  void forward(const Conv2dGeometry& g, const T* x, const T* w, const T* b, T* y) { conv2d_forward(g, x, w, b, y, ws_); }
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
