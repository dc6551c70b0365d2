// galnet/data/resize.hpp — resizing and centre cropping of float CHW images.
//
// Contract
//   - Images are float planes in CHW order (c planes of h rows of w values), as to_chw() makes.
//   - resize() follows torch.nn.functional.interpolate(size=(out_h, out_w), align_corners=False)
//     so PyTorch-trained models see the same pixels:
//       nearest   source index floor(i * in / out) (torch 'nearest'; exact integer arithmetic,
//                 where torch rounds in float);
//       bilinear  half-pixel centres, source x = (i + 0.5) * in / out - 0.5 clamped at 0, no
//                 antialiasing (downscaling by more than 2 aliases: use area for that);
//       bicubic   Keys cubic convolution with a = -0.75 (PyTorch; PIL uses -0.5), half-pixel
//                 centres, edge pixels replicated; may overshoot the input range;
//       area      torch 'area' = adaptive average pooling: output i averages source pixels
//                 [floor(i * in / out), ceil((i + 1) * in / out)) with equal weights. For integer
//                 ratios this is the exact box filter (cv2 INTER_AREA); for fractional ratios
//                 cv2 weights the partly covered edge pixels fractionally and torch does not.
//     Each axis is resampled separately (exact for all four modes), accumulating in double.
//   - center_crop() uses torchvision's offsets: top = round((h - out_h) / 2) with Python's
//     round (half to even), likewise left. The crop must fit inside the image.
//   - Bad sizes throw galnet::Error naming the function and the sizes; src and dst must not
//     overlap.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "galnet/core/error.hpp"

namespace galnet::data {

enum class Interp { nearest, bilinear, area, bicubic };

inline const char* interp_name(Interp m) {
  switch (m) {
    case Interp::nearest: return "nearest";
    case Interp::bilinear: return "bilinear";
    case Interp::area: return "area";
    case Interp::bicubic: return "bicubic";
  }
  return "?";
}

namespace detail::resize_impl {

/// One output index's taps: source indices [first, first + count) in `index`/`weight`.
struct Taps {
  std::vector<int> start;      // per output index: offset into index/weight
  std::vector<int> index;      // source indices
  std::vector<double> weight;  // their weights
};

/// PyTorch's cubic convolution weights for fractional offset t in [0, 1), a = -0.75.
inline void cubic_weights(double t, double w[4]) {
  constexpr double a = -0.75;
  auto near = [](double x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };       // |x| <= 1
  auto far = [](double x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };  // 1 < |x| < 2
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

/// The 1-D resampling taps from `in` samples to `out` samples under `mode`.
inline Taps make_taps(int in, int out, Interp mode) {
  Taps t;
  t.start.reserve(static_cast<std::size_t>(out) + 1);
  const double scale = static_cast<double>(in) / out;
  auto push = [&](int i, double w) {
    t.index.push_back(std::clamp(i, 0, in - 1));
    t.weight.push_back(w);
  };
  for (int o = 0; o < out; ++o) {
    t.start.push_back(static_cast<int>(t.index.size()));
    const std::int64_t oi = o;
    switch (mode) {
      case Interp::nearest: push(static_cast<int>(std::min<std::int64_t>(oi * in / out, in - 1)), 1.0); break;
      case Interp::bilinear: {
        const double src = std::max((o + 0.5) * scale - 0.5, 0.0);
        const int i0 = std::min(static_cast<int>(src), in - 1);
        const double l = src - i0;
        push(i0, 1.0 - l);
        push(i0 + 1, l);  // clamped: at the last pixel both taps are the same
        break;
      }
      case Interp::bicubic: {
        const double src = (o + 0.5) * scale - 0.5;
        const int i0 = static_cast<int>(std::floor(src));
        double w[4];
        cubic_weights(src - i0, w);
        for (int k = 0; k < 4; ++k) push(i0 - 1 + k, w[k]);
        break;
      }
      case Interp::area: {
        const auto begin = static_cast<int>(oi * in / out);
        const auto end = static_cast<int>(((oi + 1) * in + out - 1) / out);
        for (int i = begin; i < end; ++i) push(i, 1.0 / (end - begin));
        break;
      }
    }
  }
  t.start.push_back(static_cast<int>(t.index.size()));
  return t;
}

}  // namespace detail::resize_impl

/// Resizes each of the `c` planes of `src` (h x w) into `dst` (out_h x out_w) with `mode`.
inline void resize(const float* src, int c, int h, int w, float* dst, int out_h, int out_w, Interp mode) {
  GALNET_CHECK(c > 0 && h > 0 && w > 0 && out_h > 0 && out_w > 0,
               "galnet::data::resize: sizes must be positive, got c=", c, " ", h, "x", w, " -> ", out_h, "x",
               out_w);
  const detail::resize_impl::Taps tx = detail::resize_impl::make_taps(w, out_w, mode);
  const detail::resize_impl::Taps ty = detail::resize_impl::make_taps(h, out_h, mode);
  std::vector<double> rows(static_cast<std::size_t>(h) * out_w);  // plane resized along x only
  const std::size_t in_plane = static_cast<std::size_t>(h) * w;
  const std::size_t out_plane = static_cast<std::size_t>(out_h) * out_w;
  for (int ch = 0; ch < c; ++ch) {
    const float* s = src + ch * in_plane;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < out_w; ++x) {
        double acc = 0;
        for (int k = tx.start[x]; k < tx.start[x + 1]; ++k)
          acc += tx.weight[k] * s[static_cast<std::size_t>(y) * w + tx.index[k]];
        rows[static_cast<std::size_t>(y) * out_w + x] = acc;
      }
    float* d = dst + ch * out_plane;
    for (int y = 0; y < out_h; ++y)
      for (int x = 0; x < out_w; ++x) {
        double acc = 0;
        for (int k = ty.start[y]; k < ty.start[y + 1]; ++k)
          acc += ty.weight[k] * rows[static_cast<std::size_t>(ty.index[k]) * out_w + x];
        d[static_cast<std::size_t>(y) * out_w + x] = static_cast<float>(acc);
      }
  }
}

/// torchvision's centre-crop offset along one axis: round((in - out) / 2), half to even.
inline int center_crop_offset(int in, int out) {
  const int d = in - out;
  const int half = d / 2;
  return (d % 2 != 0 && half % 2 != 0) ? half + 1 : half;  // x.5 rounds to the even neighbour
}

/// Copies the centred out_h x out_w window of each of the `c` planes of `src` (h x w) to `dst`.
inline void center_crop(const float* src, int c, int h, int w, float* dst, int out_h, int out_w) {
  GALNET_CHECK(c > 0 && out_h > 0 && out_w > 0 && out_h <= h && out_w <= w,
               "galnet::data::center_crop: cannot crop ", out_h, "x", out_w, " from a ", h, "x", w,
               " image with ", c, " channels (the crop must be positive and fit inside)");
  const int top = center_crop_offset(h, out_h);
  const int left = center_crop_offset(w, out_w);
  for (int ch = 0; ch < c; ++ch)
    for (int y = 0; y < out_h; ++y) {
      const float* s = src + (static_cast<std::size_t>(ch) * h + top + y) * w + left;
      std::copy(s, s + out_w, dst + (static_cast<std::size_t>(ch) * out_h + y) * out_w);
    }
}

}  // namespace galnet::data
