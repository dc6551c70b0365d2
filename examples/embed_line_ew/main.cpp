// embed_line_ew — emission lines for mock continua with galnet's LineEW, as a semi-analytic
// model or a stellar-population-synthesis code would add them.
//
// Each mock galaxy has a rest-frame continuum f_λ = A (λ / 5500 Å)^β, dimmed by a factor r
// below the 4000 Å break (units 1e-17 erg/s/cm²/Å). The program
//   1. averages it over the 12 rest-frame bins of 300 Å from 3400 Å (the model's inputs),
//   2. predicts the ten equivalent widths with the published weights (found without options),
//   3. turns them into line fluxes, F_line = EW × f_λ(λ_line), and adds Gaussian lines to the
//      spectrum, checking that the added flux integrates back to F_line,
//   4. prints ∂EW(Hα)/∂ln F_j, the gradient a differentiable forward model would use.
// LineEW::predict is const, allocation-free and thread-safe: call it from every worker thread;
// gradient() uses the model's layers, so each thread keeps its own LineEW for it.
#include <array>
#include <cmath>
#include <cstdio>
#include <galnet/models/line_ew_predictor.hpp>
#include <vector>

namespace {

struct Galaxy {
  const char* name;
  double amplitude, beta, break_ratio, z;
};

double continuum(const Galaxy& g, double lambda) {
  return g.amplitude * std::pow(lambda / 5500.0, g.beta) * (lambda < 4000.0 ? g.break_ratio : 1.0);
}

/// Mean of the continuum over [lo, hi) (midpoint rule on 1 Å pixels, as a spectrum would give).
double bin_mean(const Galaxy& g, double lo, double hi) {
  double s = 0;
  int n = 0;
  for (double l = lo + 0.5; l < hi; l += 1.0, ++n) s += continuum(g, l);
  return s / n;
}

// Rest-frame wavelengths (Å) of the lines, in the order of galnet::models::line_ew_lines.
constexpr std::array<double, 10> kLambda{3727.4, 4340.47, 4861.33, 4958.91, 5006.84,
                                         6548.05, 6562.80, 6583.45, 6716.44, 6730.82};

}  // namespace

int main() {
  using galnet::models::LineEW;
  const std::vector<Galaxy> galaxies{{"star-forming, blue", 8.0, -1.8, 0.85, 0.05},
                                     {"green valley", 12.0, -0.8, 0.65, 0.12},
                                     {"quiescent, red", 20.0, 0.2, 0.50, 0.20},
                                     {"faint, distant", 2.5, -1.2, 0.75, 0.30}};
  try {
    LineEW model = LineEW::published();  // <prefix>/share/galnet/line_ew, found alone
    std::printf("weights: %s (%s luminosity)\n", model.source().string().c_str(),
                model.with_luminosity() ? "with" : "without");

    const std::size_t n = galaxies.size();
    std::vector<double> fluxes(n * 12), z(n), ew(n * 10), grad(n * 10 * 12);
    for (std::size_t i = 0; i < n; ++i) {
      for (int j = 0; j < 12; ++j) fluxes[i * 12 + j] = bin_mean(galaxies[i], 3400.0 + 300 * j, 3700.0 + 300 * j);
      z[i] = galaxies[i].z;
    }
    const std::size_t invalid = model.gradient(fluxes, z, ew, grad);
    if (invalid != 0) {
      std::fprintf(stderr, "embed_line_ew: %zu invalid continua\n", invalid);
      return 1;
    }

    int failures = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const Galaxy& g = galaxies[i];
      std::printf("\n%s (z = %.2f): F_3700-4000 = %.3f, F_4000-4300 = %.3f\n", g.name, g.z, fluxes[i * 12 + 1],
                  fluxes[i * 12 + 2]);
      std::printf("  %-12s %10s %12s %16s\n", "line", "EW [A]", "f_cont", "flux [1e-17 cgs]");
      // A 1 Å-pixel spectrum from 3400 to 7000 Å with the lines added as Gaussians (σ = 2 Å).
      std::vector<double> spectrum(3600), lines_only(3600, 0.0);
      for (int p = 0; p < 3600; ++p) spectrum[p] = continuum(g, 3400.5 + p);
      double total = 0;
      for (int l = 0; l < 10; ++l) {
        const double e = ew[i * 10 + l], fc = continuum(g, kLambda[l]), flux = e * fc;
        total += flux;
        std::printf("  %-12s %10.3f %12.4f %16.4f\n", std::string(LineEW::line_name(l)).c_str(), e, fc, flux);
        constexpr double sigma = 2.0;
        for (int p = 0; p < 3600; ++p) {
          const double d = (3400.5 + p - kLambda[l]) / sigma;
          const double add = flux * std::exp(-0.5 * d * d) / (sigma * std::sqrt(2.0 * 3.141592653589793));
          spectrum[p] += add;
          lines_only[p] += add;
        }
      }
      double added = 0;
      for (const double v : lines_only) added += v;  // 1 Å pixels
      const bool ok = std::fabs(added - total) <= 1e-6 * std::fabs(total);
      failures += ok ? 0 : 1;
      std::printf("  lines added to the spectrum: %.4f of %.4f (1e-17 erg/s/cm2) %s\n", added, total,
                  ok ? "ok" : "MISMATCH");
      std::printf("  dEW(HALPHA)/dln F_j:");
      for (int j = 0; j < 12; ++j) std::printf(" %+.2f", grad[(i * 10 + 6) * 12 + j] * fluxes[i * 12 + j]);
      std::printf("\n");
    }
    return failures == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embed_line_ew: error: %s\n", e.what());
    return 1;
  }
}
