// galnet/ops/cpu/detail/conv_phases.hpp — a stride-2 convolution as a stride-1 unpadded one over
// the input's four phases (private: reached through conv2d.hpp), so that the direct path
// (conv_direct.hpp) can run a ResNet's 7×7/2 stem.
//
// With xp the input padded by p, output (oy, ox) sums w[ky, kx]·xp[2oy + ky, 2ox + kx]. Writing
// ky = 2u + a and kx = 2v + b, that is Σ_{a,b} Σ_{u,v} w[2u + a, 2v + b]·P_ab[oy + u, ox + v]
// with the phase planes P_ab[i, j] = xp[2i + a, 2j + b]: a stride-1 convolution over 4C
// channels with ⌈K/2⌉ × ⌈K/2⌉ windows, the taps past the K × K window zero. For K = 7 those are
// 15 of 64 multiplications, which cost less than the stride-2 implicit im2col's packing from
// three channels.
#pragma once
#include <algorithm>
#include <cstdint>

#include "galnet/ops/conv2d_geometry.hpp"
#include "galnet/ops/cpu/winograd.hpp"

namespace galnet::ops::detail {

/// The stride-1 convolution over g's phase planes: input [N, 4C, Ho + k − 1, Wo + k − 1],
/// k = ⌈K/2⌉, same output.
inline Conv2dGeometry phase_geometry(const Conv2dGeometry& g) {
  const std::int64_t kh = (g.kh + 1) / 2, kw = (g.kw + 1) / 2;
  return {g.n, 4 * g.c, g.ho + kh - 1, g.wo + kw - 1, g.o, kh, kw, 1, 0, g.ho, g.wo};
}

/// One sample's phase planes: planes[((a·2 + b)·C + c), i, j] = x[c, 2i + a − p, 2j + b − p]
/// (zero outside x).
template <class T>
void split_phases(const Conv2dGeometry& g, const T* x, T* planes) {
  const Conv2dGeometry t = phase_geometry(g);
  for (std::int64_t a = 0; a < 2; ++a)
    for (std::int64_t b = 0; b < 2; ++b)
      for (std::int64_t c = 0; c < g.c; ++c) {
        T* plane = planes + ((a * 2 + b) * g.c + c) * t.h * t.w;
        for (std::int64_t i = 0; i < t.h; ++i) {
          const std::int64_t y = 2 * i + a - g.pad;
          if (y < 0 || y >= g.h) std::fill_n(plane + i * t.w, t.w, T(0));
          else winograd::phase(x + (c * g.h + y) * g.w, g.w, b - g.pad, t.w, plane + i * t.w);
        }
      }
}

/// The phase convolution's weights [O, 4C, k, k]: out[o, (a·2 + b)·C + c, u, v] =
/// w[o, c, 2u + a, 2v + b], zero past the window.
template <class T>
void phase_weights(const Conv2dGeometry& g, const T* w, T* out) {
  const Conv2dGeometry t = phase_geometry(g);
  for (std::int64_t o = 0; o < g.o; ++o)
    for (std::int64_t a = 0; a < 2; ++a)
      for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t c = 0; c < g.c; ++c)
          for (std::int64_t u = 0; u < t.kh; ++u)
            for (std::int64_t v = 0; v < t.kw; ++v) {
              const std::int64_t ky = 2 * u + a, kx = 2 * v + b;
              *out++ = ky < g.kh && kx < g.kw ? w[((o * g.c + c) * g.kh + ky) * g.kw + kx] : T(0);
            }
}

}  // namespace galnet::ops::detail
