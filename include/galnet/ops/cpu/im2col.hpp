// galnet/ops/cpu/im2col.hpp — im2col and col2im: a sample's convolution windows unfolded into a
// column matrix [C·KH·KW, Ho·Wo], and such a matrix folded back, adding (conv2d.hpp's
// explicit path and data gradient; the tests' reference for the packed paths).
#pragma once
#include <algorithm>
#include <cstdint>

#include "galnet/ops/conv2d_geometry.hpp"

namespace galnet::ops {

/// Unfolds one sample x_n [C, H, W] into col [C·KH·KW, Ho·Wo] (zeros where padding); row r
/// starts at col + r·ld (ld = Ho·Wo by default; wider when samples share one column matrix).
/// Output rows [oy0, oy1) only (a band) when given: col then holds (oy1 − oy0)·Wo columns.
template <class T>
void im2col(const Conv2dGeometry& g, const T* x, T* col, std::int64_t ld = 0, std::int64_t oy0 = 0,
            std::int64_t oy1 = -1) {
  if (oy1 < 0) oy1 = g.ho;
  if (ld == 0) ld = (oy1 - oy0) * g.wo;
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t ki = 0; ki < g.kh; ++ki)
      for (std::int64_t kj = 0; kj < g.kw; ++kj) {
        T* row = col + ((c * g.kh + ki) * g.kw + kj) * ld - oy0 * g.wo;
        for (std::int64_t oy = oy0; oy < oy1; ++oy) {
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

/// Folds col [C·KH·KW, Ho·Wo] (row stride ld, as im2col; a band of output rows [oy0, oy1)
/// when given) back, adding into dx_n [C, H, W] (which the caller zeroes).
template <class T>
void col2im(const Conv2dGeometry& g, const T* col, T* dx, std::int64_t ld = 0, std::int64_t oy0 = 0,
            std::int64_t oy1 = -1) {
  if (oy1 < 0) oy1 = g.ho;
  if (ld == 0) ld = (oy1 - oy0) * g.wo;
  for (std::int64_t c = 0; c < g.c; ++c)
    for (std::int64_t ki = 0; ki < g.kh; ++ki)
      for (std::int64_t kj = 0; kj < g.kw; ++kj) {
        const T* row = col + ((c * g.kh + ki) * g.kw + kj) * ld - oy0 * g.wo;
        for (std::int64_t oy = oy0; oy < oy1; ++oy) {
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

}  // namespace galnet::ops
