// galnet/data/asinh_stretch.hpp — the colour-preserving asinh stretch of Lupton et al. (2004,
// PASP 116, 133): band fluxes to colour-image values in [0, 1], as SDSS colour cutouts are made
// from g, r, i. The FITS cutout reader (data/fits.hpp) and the mock survey's renderer both use it.
//
// Per pixel, with x_c = scale[c] * (value_c - minimum[c]) and I = mean_c x_c:
//   out_c = max(0, x_c * asinh(Q * I / stretch) * (0.1 / asinh(0.1 * Q)) / I)  (0 where I <= 0),
// then, where the largest channel exceeds 1, every channel is divided by it (hue kept). The
// parameters follow astropy's make_lupton_rgb (minimum, stretch = 5, Q = 8); the values are
// astropy's uint8 / 255 before rounding. NaN maps to 0.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

#include "galnet/core/error.hpp"

namespace galnet::data {

struct AsinhStretch {
  double Q = 8.0;        ///< asinh softening: larger Q, more compression of bright flux (> 0)
  double stretch = 5.0;  ///< the linear range of the stretch, in the data's units (> 0)
  std::array<double, 3> minimum = {0.0, 0.0, 0.0};  ///< per channel, subtracted first (sky)
  std::array<double, 3> scale = {1.0, 1.0, 1.0};    ///< per channel multiplier (band balance)
};

/// Stretches `channels` (1 or 3) planes of `plane` values each (CHW) from `src` into `dst`;
/// with `reverse`, channel c is written to 2 - c (g, r, i in; the R, G, B of SDSS colour JPEGs out).
inline void asinh_stretch(const float* src, int channels, std::size_t plane, float* dst, const AsinhStretch& s,
                          bool reverse = false) {
  const char* who = "galnet::data::asinh_stretch: ";
  GALNET_CHECK(channels == 1 || channels == 3, who, "1 or 3 channels expected, got ", channels);
  GALNET_CHECK(std::isfinite(s.Q) && s.Q > 0 && std::isfinite(s.stretch) && s.stretch > 0, who,
               "the asinh stretch needs finite Q > 0 and stretch > 0, got Q = ", s.Q, ", stretch = ", s.stretch);
  const double soften = s.Q / s.stretch;
  const double slope = 0.1 / std::asinh(0.1 * s.Q);
  const int nc = channels;
  auto out_channel = [&](int ch) { return reverse && nc == 3 ? 2 - ch : ch; };
  for (std::size_t p = 0; p < plane; ++p) {
    double x[3] = {};
    double intensity = 0;
    for (int ch = 0; ch < nc; ++ch) {
      x[ch] = s.scale[ch] * (static_cast<double>(src[ch * plane + p]) - s.minimum[ch]);
      intensity += x[ch];
    }
    intensity /= nc;
    const double fac = intensity > 0 ? std::asinh(intensity * soften) * slope / intensity : 0.0;
    double top = 0;
    for (int ch = 0; ch < nc; ++ch) {
      x[ch] = std::max(0.0, x[ch] * fac);  // NaN compares false: max(0, NaN) is 0
      top = std::max(top, x[ch]);
    }
    const double norm = top > 1.0 ? 1.0 / top : 1.0;
    for (int ch = 0; ch < nc; ++ch) dst[out_channel(ch) * plane + p] = static_cast<float>(x[ch] * norm);
  }
}

}  // namespace galnet::data
