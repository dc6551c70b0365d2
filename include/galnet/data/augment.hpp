// galnet/data/augment.hpp — geometric augmentation of float CHW images, the three papers' presets,
// test-time augmentation, and (via normalize.hpp) per-channel normalisation.
//
// Contract
//   - All transforms read a c x h x w float CHW image `src` and write `dst` of the same size;
//     src and dst must not overlap. Pixel (x, y) is column x, row y, row 0 at the top.
//   - dihedral(k), k = 4 * f + r in 0..7: flip left-right if f, then rotate r quarter turns
//     counter-clockwise (np.rot90 / torch.rot90(dims=(-2, -1)) with r). k = 4 is flip_horizontal,
//     k = 6 is flip_vertical, k = 2 is a half turn. Odd r needs a square image. Exact (a copy).
//     dihedral_compose(a, b) is the k of "b, then a"; dihedral_inverse(k) undoes k.
//   - affine(angle_deg, zoom, shift_x_frac, shift_y_frac) rotates the content counter-clockwise
//     by angle_deg about the image centre ((w-1)/2, (h-1)/2), magnifies it by zoom (> 1 zooms in;
//     0.001..1000), then moves it right by shift_x_frac * w and down by shift_y_frac * h pixels
//     (|shift| <= 1000). Output pixel p samples the input bilinearly at
//     centre + R(-angle) (p - centre - shift) / zoom.
//     Samples outside the input follow Keras ImageDataGenerator's fill_mode, i.e.
//     scipy.ndimage with order=1: nearest (aaaa|abcd|dddd), reflect (dcba|abcd|dcba, the edge
//     pixel repeated) and constant (a sample position outside [0, n-1] on either axis gives
//     fill_value; no interpolation towards it). Checked against scipy.ndimage.affine_transform.
//     Keras's own zoom_range factor shrinks for values > 1 (it is 1 / magnification) and its
//     shift signs differ; galnet's ranges are symmetric, so only the zoom distribution differs
//     slightly (uniform in magnification here, uniform in 1 / magnification in Keras).
//   - augment(options, generator, ...) draws, in this order and only for enabled options: the
//     dihedral k (uniform over 8 views; over the 4 shape-preserving ones {0, 2, 4, 6} for a
//     non-square image), the horizontal flip, the vertical flip (each with probability 1/2), the
//     angle uniform in [-rotate_deg, rotate_deg], the zoom uniform in [zoom_min, zoom_max], and
//     shift_x then shift_y uniform in [-shift_frac, shift_frac]. The same options, seed and size
//     give the same output. All discrete and continuous parts are applied in one resampling
//     pass; without a continuous part the result is an exact dihedral copy.
//   - Bad arguments throw galnet::Error naming the function and the value.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/rng.hpp"
#include "galnet/data/normalize.hpp"

namespace galnet::data {

enum class Fill { nearest, reflect, constant };

namespace detail::augment_impl {

/// Output-to-input pixel map: x_in = a x + b y + c, y_in = d x + e y + f.
struct Affine2 {
  double a = 1, b = 0, c = 0, d = 0, e = 1, f = 0;
};
/// outer(inner(p)).
inline Affine2 compose(const Affine2& o, const Affine2& i) {
  return {o.a * i.a + o.b * i.d, o.a * i.b + o.b * i.e, o.a * i.c + o.b * i.f + o.c,
          o.d * i.a + o.e * i.d, o.d * i.b + o.e * i.e, o.d * i.c + o.e * i.f + o.f};
}

inline void check_image(const char* fn, int c, int h, int w) {
  GALNET_CHECK(c > 0 && h > 0 && w > 0, "galnet::data::", fn, ": invalid image size ", c, "x", h, "x", w);
}

/// Where dihedral view k reads output pixel (x, y) from.
inline Affine2 dihedral_map(int k, int h, int w) {
  GALNET_CHECK(k >= 0 && k < 8, "galnet::data::dihedral: k must be in 0..7, got ", k);
  GALNET_CHECK(k % 2 == 0 || h == w, "galnet::data::dihedral: k = ", k,
               " (a quarter turn) needs a square image, got ", h, "x", w);
  const double W = w - 1, H = h - 1;
  Affine2 m;
  switch (k & 3) {
    case 0: m = {1, 0, 0, 0, 1, 0}; break;
    case 1: m = {0, -1, W, 1, 0, 0}; break;
    case 2: m = {-1, 0, W, 0, -1, H}; break;
    default: m = {0, 1, 0, -1, 0, H}; break;
  }
  if (k & 4) m = {-m.a, -m.b, W - m.c, m.d, m.e, m.f};
  return m;
}

/// cos and sin of `deg` degrees, exact at multiples of 90.
inline void cos_sin_deg(double deg, double& c, double& s) {
  const double r = std::fmod(deg, 360.0);
  const double q = (r < 0 ? r + 360.0 : r) / 90.0;  // quarter turns in [0, 4]
  if (q == std::floor(q)) {
    static constexpr double cq[4] = {1, 0, -1, 0}, sq[4] = {0, 1, 0, -1};
    c = cq[static_cast<int>(q) & 3];
    s = sq[static_cast<int>(q) & 3];
    return;
  }
  const double t = deg * 0.017453292519943295;
  c = std::cos(t);
  s = std::sin(t);
}

inline Affine2 affine_map(int h, int w, double angle_deg, double zoom, double shift_x, double shift_y) {
  GALNET_CHECK(std::isfinite(angle_deg) && std::abs(shift_x) <= 1e3 && std::abs(shift_y) <= 1e3,
               "galnet::data::affine: the angle must be finite and the shifts within +-1000, got ", angle_deg,
               ", ", shift_x, ", ", shift_y);
  GALNET_CHECK(zoom >= 1e-3 && zoom <= 1e3, "galnet::data::affine: zoom must be in [0.001, 1000], got ",
               zoom);
  double cs = 1, sn = 0;
  cos_sin_deg(angle_deg, cs, sn);
  const double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0, ox = cx + shift_x * w, oy = cy + shift_y * h;
  Affine2 m;
  m.a = cs / zoom;
  m.b = -sn / zoom;
  m.d = sn / zoom;
  m.e = cs / zoom;
  m.c = cx - m.a * ox - m.b * oy;
  m.f = cy - m.d * ox - m.e * oy;
  return m;
}

/// Bilinear taps of sample position s on an axis of n pixels under `fill`.
struct AxisTaps {
  int i0 = 0, i1 = 0;
  double w1 = 0;
  bool outside = false;
};
inline AxisTaps axis_taps(double s, int n, Fill fill) {
  AxisTaps t;
  const double last = n - 1;
  if (fill == Fill::reflect) {
    const double period = 2.0 * n;  // half-sample symmetric: period 2n
    s = std::clamp(s - period * std::floor(s / period), 0.0, period);
    const double x0 = std::min(std::floor(s), period - 1);
    t.w1 = s - x0;
    auto map = [n](int i) {
      i %= 2 * n;
      return i >= n ? 2 * n - 1 - i : i;
    };
    t.i0 = map(static_cast<int>(x0));
    t.i1 = map(static_cast<int>(x0) + 1);
    return t;
  }
  if (std::isnan(s)) s = 0;  // unreachable with validated arguments; keeps the cast defined
  if (fill == Fill::constant) t.outside = s < -1e-9 || s > last + 1e-9;
  s = std::clamp(s, 0.0, last);  // nearest: clamping the position = replicating the edge
  const double x0 = std::floor(s);
  t.w1 = s - x0;
  t.i0 = static_cast<int>(x0);
  t.i1 = std::min(t.i0 + 1, n - 1);
  return t;
}

/// dst(p) = bilinear sample of src at m(p), with `fill` outside.
inline void resample(const float* src, float* dst, int c, int h, int w, const Affine2& m, Fill fill,
                     float fill_value) {
  const std::size_t plane = static_cast<std::size_t>(h) * w;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const AxisTaps tx = axis_taps(m.a * x + m.b * y + m.c, w, fill);
      const AxisTaps ty = axis_taps(m.d * x + m.e * y + m.f, h, fill);
      const std::size_t o = static_cast<std::size_t>(y) * w + x;
      if (tx.outside || ty.outside) {
        for (int ch = 0; ch < c; ++ch) dst[ch * plane + o] = fill_value;
        continue;
      }
      const std::size_t p00 = static_cast<std::size_t>(ty.i0) * w + tx.i0,
                        p01 = static_cast<std::size_t>(ty.i0) * w + tx.i1;
      const std::size_t p10 = static_cast<std::size_t>(ty.i1) * w + tx.i0,
                        p11 = static_cast<std::size_t>(ty.i1) * w + tx.i1;
      for (int ch = 0; ch < c; ++ch) {
        const float* s = src + ch * plane;
        const double top = s[p00] + tx.w1 * (s[p01] - s[p00]);
        const double bottom = s[p10] + tx.w1 * (s[p11] - s[p10]);
        dst[ch * plane + o] = static_cast<float>(top + ty.w1 * (bottom - top));
      }
    }
}

}  // namespace detail::augment_impl

// ---- the dihedral group and flips (exact copies) ----

inline constexpr int kDihedralViews = 8;

/// k of the view "apply b, then a".
inline int dihedral_compose(int a, int b) {
  const int ra = a & 3, rb = b & 3, fa = a >> 2, fb = b >> 2;
  return 4 * (fa ^ fb) + ((ra + (fa ? 4 - rb : rb)) & 3);
}
/// The k that undoes view k: dihedral_compose(dihedral_inverse(k), k) == 0.
inline int dihedral_inverse(int k) { return k < 4 ? (4 - k) & 3 : k; }

inline void dihedral(const float* src, float* dst, int c, int h, int w, int k) {
  detail::augment_impl::check_image("dihedral", c, h, w);
  const detail::augment_impl::Affine2 m = detail::augment_impl::dihedral_map(k, h, w);
  const auto a = static_cast<int>(m.a), b = static_cast<int>(m.b), cc = static_cast<int>(m.c);
  const auto d = static_cast<int>(m.d), e = static_cast<int>(m.e), f = static_cast<int>(m.f);
  const std::size_t plane = static_cast<std::size_t>(h) * w;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const std::size_t from = static_cast<std::size_t>(d * x + e * y + f) * w + (a * x + b * y + cc);
      const std::size_t to = static_cast<std::size_t>(y) * w + x;
      for (int ch = 0; ch < c; ++ch) dst[ch * plane + to] = src[ch * plane + from];
    }
}
inline void flip_horizontal(const float* src, float* dst, int c, int h, int w) {
  dihedral(src, dst, c, h, w, 4);
}
inline void flip_vertical(const float* src, float* dst, int c, int h, int w) {
  dihedral(src, dst, c, h, w, 6);
}

// ---- general affine transform (bilinear) ----

inline void affine(const float* src, float* dst, int c, int h, int w, double angle_deg, double zoom,
                   double shift_x_frac, double shift_y_frac, Fill fill, float fill_value = 0) {
  detail::augment_impl::check_image("affine", c, h, w);
  detail::augment_impl::resample(
      src, dst, c, h, w, detail::augment_impl::affine_map(h, w, angle_deg, zoom, shift_x_frac, shift_y_frac),
      fill, fill_value);
}

// ---- random augmentation ----

struct AugmentOptions {
  bool dihedral = false;              // one of the 8 dihedral views (4 for non-square images)
  bool hflip = false;                 // left-right flip with probability 1/2
  bool vflip = false;                 // top-bottom flip with probability 1/2
  double rotate_deg = 0;              // angle uniform in [-rotate_deg, rotate_deg]
  double zoom_min = 1, zoom_max = 1;  // magnification uniform in [zoom_min, zoom_max]
  double shift_frac = 0;              // shifts uniform in [-shift_frac, shift_frac] of the width / height
  Fill fill = Fill::nearest;
  float fill_value = 0;  // for Fill::constant
};

/// One draw of augment()'s random choices.
struct AugmentDraw {
  int dihedral_k = 0;
  bool hflip = false, vflip = false;
  double angle_deg = 0, zoom = 1, shift_x = 0, shift_y = 0;
};

inline AugmentDraw draw_augment(const AugmentOptions& o, Generator& g, int h, int w) {
  GALNET_CHECK(o.rotate_deg >= 0 && o.shift_frac >= 0 && o.zoom_min > 0 && o.zoom_max >= o.zoom_min &&
                   std::isfinite(o.rotate_deg) && std::isfinite(o.shift_frac) && std::isfinite(o.zoom_max),
               "galnet::data::augment: invalid options: rotate_deg ", o.rotate_deg, ", zoom [", o.zoom_min,
               ", ", o.zoom_max, "], shift_frac ", o.shift_frac,
               " (need rotate_deg >= 0, 0 < zoom_min <= zoom_max, shift_frac >= 0)");
  AugmentDraw d;
  if (o.dihedral) d.dihedral_k = h == w ? static_cast<int>(g.below(8)) : 2 * static_cast<int>(g.below(4));
  if (o.hflip) d.hflip = g.uniform() < 0.5;
  if (o.vflip) d.vflip = g.uniform() < 0.5;
  if (o.rotate_deg > 0) d.angle_deg = (2 * g.uniform() - 1) * o.rotate_deg;
  d.zoom = o.zoom_max > o.zoom_min ? o.zoom_min + g.uniform() * (o.zoom_max - o.zoom_min) : o.zoom_min;
  if (o.shift_frac > 0) {
    d.shift_x = (2 * g.uniform() - 1) * o.shift_frac;
    d.shift_y = (2 * g.uniform() - 1) * o.shift_frac;
  }
  return d;
}

/// Applies a drawn augmentation: the dihedral view, then the flips, then the affine part.
inline void apply_augment(const AugmentDraw& d, Fill fill, float fill_value, const float* src, float* dst,
                          int c, int h, int w) {
  detail::augment_impl::check_image("augment", c, h, w);
  const int k = dihedral_compose(d.vflip ? 6 : 0, dihedral_compose(d.hflip ? 4 : 0, d.dihedral_k));
  if (d.angle_deg == 0 && d.zoom == 1 && d.shift_x == 0 && d.shift_y == 0) {
    dihedral(src, dst, c, h, w, k);
    return;
  }
  const detail::augment_impl::Affine2 m = detail::augment_impl::compose(
      detail::augment_impl::dihedral_map(k, h, w),
      detail::augment_impl::affine_map(h, w, d.angle_deg, d.zoom, d.shift_x, d.shift_y));
  detail::augment_impl::resample(src, dst, c, h, w, m, fill, fill_value);
}

inline void augment(const AugmentOptions& o, Generator& g, const float* src, float* dst, int c, int h,
                    int w) {
  detail::augment_impl::check_image("augment", c, h, w);
  apply_augment(draw_augment(o, g, h, w), o.fill, o.fill_value, src, dst, c, h, w);
}

// ---- the papers' training augmentation ----

/// Wu & Boada (2019), fastai 0.7: transforms_top_down (8 dihedral views) + max_zoom = 1.1.
/// fastai's RandomScale + RandomCrop also place the crop randomly inside the zoomed margin (up
/// to 5 % shift at zoom 1.1); galnet zooms about the centre.
inline AugmentOptions wu_boada_augment() {
  return {.dihedral = true, .zoom_min = 1.0, .zoom_max = 1.1, .fill = Fill::reflect};
}
/// Wu (2025) SFNet: random horizontal and vertical flips.
inline AugmentOptions sfnet_augment() { return {.hflip = true, .vflip = true}; }
/// sdss_CNN spin network (Keras ImageDataGenerator): rotation +-45 deg, zoom +-25 %, h/v flips,
/// shifts +-5 %, fill_mode 'nearest'.
inline AugmentOptions spin_cnn_augment() {
  return {.hflip = true,
          .vflip = true,
          .rotate_deg = 45,
          .zoom_min = 0.75,
          .zoom_max = 1.25,
          .shift_frac = 0.05,
          .fill = Fill::nearest};
}

// ---- test-time augmentation ----
// tta_dihedral_views: the 8 dihedral views of a square image, view k at dst + k * c*h*w.
// tta_fastai: fastai 0.7's learn.TTA(n_aug=4): view 0 is the image itself, views 1..n_aug are
// augment() draws. Average the model's outputs over the views with tta_average (fastai 0.7
// averages the probabilities of all n_aug + 1 views equally).

inline void tta_dihedral_views(const float* src, float* dst, int c, int h, int w) {
  const std::size_t item = static_cast<std::size_t>(c) * h * w;
  for (int k = 0; k < kDihedralViews; ++k) dihedral(src, dst + k * item, c, h, w, k);
}

inline void tta_fastai(const AugmentOptions& o, Generator& g, const float* src, float* dst, int c, int h,
                       int w, int n_aug = 4) {
  detail::augment_impl::check_image("tta_fastai", c, h, w);
  GALNET_CHECK(n_aug >= 0, "galnet::data::tta_fastai: n_aug must be >= 0, got ", n_aug);
  const std::size_t item = static_cast<std::size_t>(c) * h * w;
  std::memcpy(dst, src, item * sizeof(float));
  for (int i = 1; i <= n_aug; ++i) augment(o, g, src, dst + i * item, c, h, w);
}

/// out[j] = mean over v of outputs[v * per_view + j].
inline void tta_average(const float* outputs, int views, std::size_t per_view, float* out) {
  GALNET_CHECK(views > 0, "galnet::data::tta_average: need at least one view, got ", views);
  for (std::size_t j = 0; j < per_view; ++j) {
    double s = 0;
    for (int v = 0; v < views; ++v) s += outputs[v * per_view + j];
    out[j] = static_cast<float>(s / views);
  }
}

}  // namespace galnet::data
