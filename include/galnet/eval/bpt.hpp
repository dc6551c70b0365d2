// galnet/eval/bpt.hpp — the BPT diagram (Baldwin, Phillips & Terlevich 1981) from four log10
// line fluxes, as SFNet's BPT networks predict them (Wu 2025).
//
// Contract
//   - Ratios: x = log10([NII] 6584 / Hα), y = log10([OIII] 5007 / Hβ), from log fluxes in the
//     order of data::sfnet_bpt_targets() (N2, Hα, O3, Hβ): x = N2 − Hα, y = O3 − Hβ.
//   - The demarcations: Kauffmann et al. (2003) y = 0.61 / (x − 0.05) + 1.3 for x < 0.05 and
//     Kewley et al. (2001) y = 0.61 / (x − 0.47) + 1.19 for x < 0.47.
//   - bpt_class: star-forming below Kauffmann's curve; composite between the two curves;
//     AGN above Kewley's curve or right of its asymptote; unknown where x or y is not finite.
//   - bpt_csv(ids, truth, pred): objID, n2ha_true, o3hb_true, class_true, n2ha_pred,
//     o3hb_pred, class_pred; truth and pred are n × 4 log fluxes (truth may be all NaN:
//     unlabelled rows), numbers in shortest round-trip form, NaN as an empty field.
#pragma once
#include <array>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/data/csv.hpp"
#include "galnet/eval/metrics.hpp"

namespace galnet::eval {

/// Kauffmann et al. (2003)'s star-forming boundary, for x < 0.05.
inline double kauffmann03(double x) { return 0.61 / (x - 0.05) + 1.3; }
/// Kewley et al. (2001)'s maximum starburst line, for x < 0.47.
inline double kewley01(double x) { return 0.61 / (x - 0.47) + 1.19; }

enum class BptClass { star_forming, composite, agn, unknown };

inline BptClass bpt_class(double x, double y) {
  if (!std::isfinite(x) || !std::isfinite(y)) return BptClass::unknown;
  if (x < 0.05 && y < kauffmann03(x)) return BptClass::star_forming;
  if (x < 0.47 && y < kewley01(x)) return BptClass::composite;
  return BptClass::agn;
}

inline const char* bpt_class_name(BptClass c) {
  switch (c) {
    case BptClass::star_forming: return "star-forming";
    case BptClass::composite: return "composite";
    case BptClass::agn: return "AGN";
    case BptClass::unknown: return "";
  }
  return "";
}

/// The two ratios of n rows of four log fluxes (N2, Hα, O3, Hβ): x[i], y[i].
struct BptRatios {
  std::vector<double> x, y;
};
inline BptRatios bpt_ratios(std::span<const double> log_fluxes) {
  GALNET_CHECK(log_fluxes.size() % 4 == 0, "galnet::eval::bpt_ratios: ", log_fluxes.size(),
               " values, not n x 4 log fluxes (N2, H-alpha, O3, H-beta)");
  BptRatios r;
  for (std::size_t i = 0; i < log_fluxes.size() / 4; ++i) {
    r.x.push_back(log_fluxes[4 * i] - log_fluxes[4 * i + 1]);
    r.y.push_back(log_fluxes[4 * i + 2] - log_fluxes[4 * i + 3]);
  }
  return r;
}

/// bpt.csv (see the contract).
inline std::string bpt_csv(std::span<const std::string> ids, std::span<const double> truth, std::span<const double> pred) {
  GALNET_CHECK(truth.size() == 4 * ids.size() && pred.size() == 4 * ids.size(), "galnet::eval::bpt_csv: ", ids.size(),
               " ids need ", 4 * ids.size(), " log fluxes each for truth and prediction, got ", truth.size(), " and ",
               pred.size());
  const auto t = bpt_ratios(truth), p = bpt_ratios(pred);
  auto value = [](double v) { return std::isfinite(v) ? detail::metrics::shortest(v) : std::string(); };
  std::string out = "objID,n2ha_true,o3hb_true,class_true,n2ha_pred,o3hb_pred,class_pred\n";
  for (std::size_t i = 0; i < ids.size(); ++i)
    out += data::csv_field(ids[i]) + "," + value(t.x[i]) + "," + value(t.y[i]) + "," +
           bpt_class_name(bpt_class(t.x[i], t.y[i])) + "," + value(p.x[i]) + "," + value(p.y[i]) + "," +
           bpt_class_name(bpt_class(p.x[i], p.y[i])) + "\n";
  return out;
}

/// The share of rows with a known true class whose predicted class is the same (NaN if none).
inline double bpt_agreement(std::span<const double> truth, std::span<const double> pred) {
  const auto t = bpt_ratios(truth), p = bpt_ratios(pred);
  std::size_t n = 0, same = 0;
  for (std::size_t i = 0; i < t.x.size(); ++i) {
    const BptClass c = bpt_class(t.x[i], t.y[i]);
    if (c == BptClass::unknown) continue;
    ++n;
    same += c == bpt_class(p.x[i], p.y[i]) ? 1 : 0;
  }
  return n > 0 ? static_cast<double>(same) / static_cast<double>(n) : NAN;
}

}  // namespace galnet::eval
