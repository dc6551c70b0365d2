// galnet/core/cosmology.hpp — distances in flat ΛCDM (defaults H0 = 70 km/s/Mpc, Ωm = 0.3, no
// radiation), as the line-EW model's luminosities and the mock survey's sizes need them.
#pragma once
#include <algorithm>
#include <cmath>

namespace galnet {

/// Comoving distance in Mpc for flat ΛCDM without radiation (astropy's FlatLambdaCDM with
/// Tcmb0 = 0). D_C = (c/H0) ∫_0^z dz'/E(z'), E = √(Ωm (1+z)³ + 1 − Ωm). Computed with the
/// substitution x = (1+z')^(−1/2), D_C = (c/H0) ∫_{(1+z)^(−1/2)}^1 2 dx / √(Ωm + (1 − Ωm) x⁶),
/// whose integrand is smooth and bounded for every z ≥ 0: composite 16-point Gauss–Legendre
/// on at most 8 panels of width ≤ 1/8, accurate to rounding (≈1e-15 relative) for any z.
inline double comoving_distance_mpc(double z, double h0 = 70.0, double om0 = 0.3) {
  static constexpr double node[8] = {0.095012509837637441, 0.28160355077925892, 0.45801677765722737,
                                     0.61787624440264377,  0.755404408355003,   0.86563120238783176,
                                     0.9445750230732326,   0.98940093499164994};
  static constexpr double weight[8] = {0.18945061045506864, 0.18260341504492364, 0.16915651939500265,
                                       0.14959598881657671, 0.12462897125553407, 0.095158511682492605,
                                       0.062253523938647456, 0.027152459411754176};
  if (!(z > 0)) return 0.0;
  const double ol = 1.0 - om0;
  const double lo = 1.0 / std::sqrt(1.0 + z), width = 1.0 - lo;
  const int panels = std::max(1, static_cast<int>(std::ceil(width * 8.0 - 1e-12)));
  const double h = width / panels;
  double sum = 0;
  for (int p = 0; p < panels; ++p) {
    const double mid = lo + (p + 0.5) * h, half = 0.5 * h;
    for (int k = 0; k < 8; ++k)
      for (const double s : {-1.0, 1.0}) {
        const double x = mid + s * half * node[k], x3 = x * x * x;
        sum += half * weight[k] * 2.0 / std::sqrt(om0 + ol * x3 * x3);
      }
  }
  constexpr double c_kms = 299792.458;
  return c_kms / h0 * sum;
}

/// Luminosity distance in Mpc, flat ΛCDM (default H0 = 70 km/s/Mpc, Ωm = 0.3): (1+z) D_C.
/// luminosity_distance_mpc(0.1) = 460.2999… Mpc.
inline double luminosity_distance_mpc(double z, double h0 = 70.0, double om0 = 0.3) {
  return (1.0 + z) * comoving_distance_mpc(z, h0, om0);
}

}  // namespace galnet
