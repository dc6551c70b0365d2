// galnet/data/mock_survey.hpp — a mock galaxy survey with known answers: catalog rows and
// rendered gri cutouts in the layouts of the papers.
//
// Each galaxy's hidden physics, drawn from its own seeded generator (so galaxy i is the same
// whatever the thread count):
//   stellar mass   lgm ~ N(9.9, 0.65) clipped to [8.5, 11.6], so that oh_p50 spreads like the
//                  real SDSS sample's (σ ≈ 0.20 dex); quiescent with probability rising with mass
//   SFR            main sequence log SFR = 0.76 (lgm − 10) + 0.1 ± 0.3; quiescent 1.6 dex below
//   metallicity    Tremonti et al. (2004) mass–metallicity relation + N(0, 0.10) intrinsic
//                  scatter — the floor no image-based model can beat
//   size, shape    log R_e/kpc = 0.22 (lgm − 10) + 0.85 ± 0.12 (quiescent 0.15 dex smaller);
//                  Sérsic n ≈ 1 (star-forming) or 4 (quiescent) with scatter; axis ratio and
//                  position angle random (discs flatter)
//   colours        g − r and r − i redder with mass, quiescence and the metallicity the
//                  relation predicts (dust and age) — never with the scatter draw, which no
//                  pixel reflects
//   redshift       z ~ U(0.02, 0.15); sizes and fluxes follow the distance (H0 = 70, Ωm = 0.3)
//   lines          Hα from SFR (Kennicutt 1998), Hβ from the Balmer decrement with mass-
//                  dependent dust, [N II]/Hα and [O III]/Hβ from metallicity (Pettini & Pagel
//                  2004 N2, O3N2), an AGN-like boost for some massive quiescent galaxies;
//                  errors from a noise floor; bptclass from the Kauffmann (2003) and Kewley
//                  (2001) lines (1 star-forming, 3 composite, 4 AGN, −1 low S/N)
//   spin           λ_R ≈ 0.55 for discs falling to ≈ 0.15 for massive spheroids, ± 0.05
// The images carry the signal through brightness, size, concentration and colour, all of
// which follow mass, which sets metallicity.
// Rendering: Sérsic profiles in g, r, i, a Gaussian PSF (FWHM 1.3″) and sky noise give the band
// fluxes (render_bands, what a FITS cutout holds); the colour cutout (render) is their asinh
// stretch (data/asinh_stretch.hpp, kMockStretch), i → red, r → green, g → blue, as SDSS makes
// its colour images.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "galnet/core/cosmology.hpp"
#include "galnet/core/rng.hpp"
#include "galnet/data/asinh_stretch.hpp"

namespace galnet::data::mock {

struct Galaxy {
  std::uint64_t obj_id = 0;
  double ra = 0, dec = 0, z = 0;
  double lgm = 0, sfr = 0, oh = 0;
  bool quiescent = false;
  double r_eff_arcsec = 0, sersic_n = 1, axis_ratio = 1, position_angle = 0;
  double g_r = 0, r_i = 0, mag_r = 0;
  std::array<double, 4> flux{}, flux_err{};  ///< [N II] 6584, Hα, [O III] 5007, Hβ (1e-17 erg/s/cm²)
  int bptclass = -1;
  double lambda_re = 0;
};

inline constexpr double kIntrinsicMetallicityScatter = 0.10;  ///< dex
inline constexpr double kSpinScatter = 0.05;
/// The stretch from render_bands' fluxes to render's colours (sky noise σ = 0.01 in those units).
inline constexpr AsinhStretch kMockStretch{.Q = 4.0, .stretch = 0.4};

using galnet::luminosity_distance_mpc;

inline Galaxy draw_galaxy(std::uint64_t seed, std::uint64_t index) {
  Generator g(seed * 0x9E3779B97F4A7C15ull + index * 0xBF58476D1CE4E5B9ull + 1);
  Galaxy gal;
  gal.obj_id = 1237660000000000000ull + seed % 1000 * 100000000ull + index;
  gal.ra = 120 + 120 * g.uniform();
  gal.dec = -5 + 60 * g.uniform();
  gal.z = 0.02 + 0.13 * g.uniform();
  gal.lgm = std::clamp(9.9 + 0.65 * g.normal(), 8.5, 11.6);
  gal.quiescent = g.uniform() < 1.0 / (1.0 + std::exp(-(gal.lgm - 10.6) / 0.25));
  gal.sfr = 0.76 * (gal.lgm - 10) + 0.1 + 0.3 * g.normal() - (gal.quiescent ? 1.6 : 0.0);
  const double m = std::clamp(gal.lgm, 8.5, 11.5);
  const double oh_mzr = -1.492 + 1.847 * m - 0.08026 * m * m;  // the relation, before scatter
  gal.oh = oh_mzr + kIntrinsicMetallicityScatter * g.normal();

  const double log_re_kpc = 0.22 * (gal.lgm - 10) + 0.85 - (gal.quiescent ? 0.15 : 0.0) + 0.12 * g.normal();
  const double dl = luminosity_distance_mpc(gal.z), da = dl / ((1 + gal.z) * (1 + gal.z));
  gal.r_eff_arcsec = std::pow(10.0, log_re_kpc) / (da * 1000.0) * 206264.806;
  gal.sersic_n = std::clamp(gal.quiescent ? 4.0 + 0.8 * g.normal() : 1.0 + 0.3 * std::abs(g.normal()), 0.6, 6.0);
  gal.axis_ratio = gal.quiescent ? 0.55 + 0.4 * g.uniform() : 0.2 + 0.8 * g.uniform();
  gal.position_angle = 3.141592653589793 * g.uniform();

  gal.g_r = 0.45 + 0.12 * (gal.lgm - 10) + (gal.quiescent ? 0.3 : 0.0) + 0.6 * (oh_mzr - 8.9) + 0.04 * g.normal();
  gal.r_i = 0.22 + 0.05 * (gal.lgm - 10) + (gal.quiescent ? 0.1 : 0.0) + 0.25 * (oh_mzr - 8.9) + 0.03 * g.normal();
  // Absolute magnitude from mass (M/L ≈ 1.5 in r), then apparent.
  const double abs_r = 4.65 - 2.5 * (gal.lgm - std::log10(1.5 + (gal.quiescent ? 1.0 : 0.0)));
  gal.mag_r = abs_r + 5 * std::log10(dl * 1e6 / 10.0);

  // Emission lines (flux unit 1e-17 erg/s/cm²).
  const double four_pi_dl2 = 4 * 3.141592653589793 * std::pow(dl * 3.0857e24, 2);
  const double l_halpha = std::pow(10.0, gal.sfr) / 7.9e-42;
  const double a_halpha = std::clamp(0.6 + 0.6 * (gal.lgm - 10) + 0.2 * g.normal(), 0.0, 3.0);
  double halpha = l_halpha / four_pi_dl2 / 1e-17 * std::pow(10.0, -0.4 * a_halpha);
  double hbeta = halpha / 2.86 * std::pow(10.0, -0.4 * 0.45 * a_halpha);  // steeper attenuation at Hβ
  const double n2 = (gal.oh - 8.90) / 0.57 + 0.05 * g.normal();
  const double o3n2 = (8.73 - gal.oh) / 0.32 + 0.08 * g.normal();
  double log_o3hb = o3n2 + n2;
  double log_n2ha = n2;
  if (gal.quiescent && g.uniform() < 0.5) {  // AGN / LINER-like excitation
    log_n2ha = 0.1 + 0.15 * g.normal();
    log_o3hb = 0.3 + 0.3 * g.normal();
    halpha = std::max(halpha, 30.0 * std::pow(10.0, 0.3 * g.normal()));
    hbeta = halpha / 3.5;
  }
  gal.flux = {halpha * std::pow(10.0, log_n2ha), halpha, hbeta * std::pow(10.0, log_o3hb), hbeta};
  const double floor = 4.0;
  for (int k = 0; k < 4; ++k) {
    gal.flux_err[k] = std::sqrt(floor * floor + 0.02 * gal.flux[k] * gal.flux[k]);
    gal.flux[k] += gal.flux_err[k] * g.normal();
  }
  bool sn_ok = true;
  for (int k = 0; k < 4; ++k) sn_ok = sn_ok && gal.flux[k] / gal.flux_err[k] > 3;
  if (!sn_ok) {
    gal.bptclass = -1;
  } else {
    const double x = std::log10(gal.flux[0] / gal.flux[1]), y = std::log10(gal.flux[2] / gal.flux[3]);
    const bool below_kauffmann = x < 0.05 && y < 0.61 / (x - 0.05) + 1.3;
    const bool below_kewley = x < 0.47 && y < 0.61 / (x - 0.47) + 1.19;
    gal.bptclass = below_kauffmann ? 1 : (below_kewley ? 3 : 4);
  }
  const double disc = 1.0 / (1.0 + std::exp((gal.sersic_n - 2.5) * 1.5));
  gal.lambda_re = std::clamp(0.15 + 0.4 * disc - 0.05 * (gal.lgm - 10.5) + kSpinScatter * g.normal(), 0.01, 0.95);
  return gal;
}

/// Sérsic b_n (Ciotti & Bertin 1999 expansion).
inline double sersic_b(double n) { return 2 * n - 1.0 / 3 + 4.0 / (405 * n) + 46.0 / (25515 * n * n); }

/// The g, r, i fluxes of a cutout of `size`² pixels at `arcsec_per_pixel` (CHW, top row first).
inline std::vector<float> render_bands(const Galaxy& gal, int size, double arcsec_per_pixel, std::uint64_t noise_seed) {
  Generator g(noise_seed);
  const double re = std::max(gal.r_eff_arcsec / arcsec_per_pixel, 0.3), n = gal.sersic_n, b = sersic_b(n);
  const double c = std::cos(gal.position_angle), s = std::sin(gal.position_angle), q = gal.axis_ratio;
  const double centre = (size - 1) / 2.0;
  // Total flux per band in nanomaggies-like linear units relative to r = 17.
  const double fr = std::pow(10.0, -0.4 * (gal.mag_r - 17.0));
  // m_g = m_r + (g − r), m_i = m_r − (r − i); the i and g weights balance SDSS colour images.
  const std::array<double, 3> band_flux{1.6 * fr * std::pow(10.0, -0.4 * gal.g_r), fr, 0.8 * fr * std::pow(10.0, 0.4 * gal.r_i)};  // g r i
  const double norm = 1.0 / (2 * 3.141592653589793 * re * re * q * n * std::exp(b) * std::tgamma(2 * n) / std::pow(b, 2 * n));
  std::vector<double> profile(static_cast<std::size_t>(size) * size);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const double dx = x - centre, dy = y - centre;
      const double u = dx * c + dy * s, v = (-dx * s + dy * c) / q;
      const double r = std::sqrt(u * u + v * v + 0.25);
      profile[static_cast<std::size_t>(y) * size + x] = norm * std::exp(-b * (std::pow(r / re, 1.0 / n) - 1));
    }
  // Gaussian PSF, FWHM 1.3″, separable.
  const double sigma = 1.3 / 2.3548 / arcsec_per_pixel;
  const int half = static_cast<int>(std::ceil(3 * sigma));
  std::vector<double> k(static_cast<std::size_t>(2 * half + 1));
  double ks = 0;
  for (int i = -half; i <= half; ++i) ks += k[i + half] = std::exp(-0.5 * i * i / (sigma * sigma));
  for (auto& v : k) v /= ks;
  std::vector<double> tmp(profile.size()), blurred(profile.size());
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      double a = 0;
      for (int i = -half; i <= half; ++i) a += k[i + half] * profile[static_cast<std::size_t>(y) * size + std::clamp(x + i, 0, size - 1)];
      tmp[static_cast<std::size_t>(y) * size + x] = a;
    }
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      double a = 0;
      for (int i = -half; i <= half; ++i) a += k[i + half] * tmp[static_cast<std::size_t>(std::clamp(y + i, 0, size - 1)) * size + x];
      blurred[static_cast<std::size_t>(y) * size + x] = a;
    }
  // Bands with sky noise.
  const std::size_t plane = blurred.size();
  std::vector<float> bands(3 * plane);
  const double sky_sigma = 0.01;
  for (std::size_t p = 0; p < plane; ++p)
    for (int band = 0; band < 3; ++band)
      bands[band * plane + p] = static_cast<float>(band_flux[band] * blurred[p] * 150.0 + sky_sigma * g.normal());
  return bands;
}

/// The colour cutout (HWC uint8, R, G, B = i, r, g) of render_bands' fluxes through kMockStretch.
inline std::vector<std::uint8_t> render(const Galaxy& gal, int size, double arcsec_per_pixel, std::uint64_t noise_seed) {
  const std::vector<float> bands = render_bands(gal, size, arcsec_per_pixel, noise_seed);
  const std::size_t plane = bands.size() / 3;
  std::vector<float> rgb(bands.size());
  asinh_stretch(bands.data(), 3, plane, rgb.data(), kMockStretch, /*reverse=*/true);
  std::vector<std::uint8_t> hwc(bands.size());
  for (std::size_t p = 0; p < plane; ++p)
    for (int ch = 0; ch < 3; ++ch)
      hwc[p * 3 + ch] = static_cast<std::uint8_t>(std::clamp(std::lround(255.0 * rgb[ch * plane + p]), 0L, 255L));
  return hwc;
}

}  // namespace galnet::data::mock
