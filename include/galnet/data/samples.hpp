// galnet/data/samples.hpp — the papers' sample selections and derived labels over a Catalog.
//   sfnet_metallicity_rows/cut   Wu (2025): oh_p50 > 0, lgm_tot_p50 > 0, sfr_tot_p50 > −10
//   sfnet_bpt_rows/cut           Wu (2025): S/N > 3 in [N II] 6584, Hα, [O III] 5007, Hβ
//   sfnet_bpt_targets            the BPT regression targets, log10 of those four line fluxes
//   with_log_columns             adds the columns log_X = log10(X) that a target list names
#pragma once
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "galnet/data/catalog.hpp"

namespace galnet::data {

/// Wu (2025) SFNet metallicity sample: oh_p50 > 0, lgm_tot_p50 > 0, sfr_tot_p50 > -10 (NaN fails).
inline std::vector<std::size_t> sfnet_metallicity_rows(const Catalog& cat) {
  cat.require_columns({"oh_p50", "lgm_tot_p50", "sfr_tot_p50"}, "sfnet_metallicity_cut");
  const auto &oh = cat.numeric("oh_p50"), &mass = cat.numeric("lgm_tot_p50"),
             &sfr = cat.numeric("sfr_tot_p50");
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < cat.size(); ++r)
    if (oh[r] > 0 && mass[r] > 0 && sfr[r] > -10) rows.push_back(r);
  return rows;
}
inline Catalog sfnet_metallicity_cut(const Catalog& cat) { return cat.select(sfnet_metallicity_rows(cat)); }

/// Wu (2025) SFNet BPT sample: S/N = flux / flux_err > 3 in [N II] 6584, Hα, [O III] 5007 and
/// Hβ (columns <line>_flux, <line>_flux_err); a row with flux_err <= 0 or NaN fails.
inline std::vector<std::size_t> sfnet_bpt_rows(const Catalog& cat) {
  const std::array<std::string, 4> lines{"nii_6584", "h_alpha", "oiii_5007", "h_beta"};
  std::vector<std::string> needed;
  for (const auto& l : lines) needed.insert(needed.end(), {l + "_flux", l + "_flux_err"});
  cat.require_columns(needed, "sfnet_bpt_cut");
  std::vector<const std::vector<double>*> cols;
  for (const auto& c : needed) cols.push_back(&cat.numeric(c));
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < cat.size(); ++r) {
    bool keep = true;
    for (std::size_t i = 0; keep && i < cols.size(); i += 2) {
      const double flux = (*cols[i])[r], err = (*cols[i + 1])[r];
      keep = err > 0 && flux > 3 * err;
    }
    if (keep) rows.push_back(r);
  }
  return rows;
}
inline Catalog sfnet_bpt_cut(const Catalog& cat) { return cat.select(sfnet_bpt_rows(cat)); }

/// The regression targets of SFNet's BPT networks, in the paper's order (N2, Hα, O3, Hβ):
/// log10 of the line fluxes, named log_<column>, derived by with_log_columns().
inline std::vector<std::string> sfnet_bpt_targets() {
  return {"log_nii_6584_flux", "log_h_alpha_flux", "log_oiii_5007_flux", "log_h_beta_flux"};
}

/// For each name "log_X" in `names` that the catalog lacks while it has a column X, adds
/// log_X = log10(X); a non-positive or non-finite X gives NaN, which finite_rows() drops.
/// Other names are left alone (require_columns() reports any still missing).
inline Catalog with_log_columns(Catalog cat, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (cat.has_column(name) || name.rfind("log_", 0) != 0 || !cat.has_column(name.substr(4))) continue;
    const auto& x = cat.numeric(name.substr(4));
    std::vector<double> y(x.size());
    for (std::size_t r = 0; r < x.size(); ++r)
      y[r] = x[r] > 0 && std::isfinite(x[r]) ? std::log10(x[r]) : std::numeric_limits<double>::quiet_NaN();
    cat = cat.with_column(name, std::move(y));
  }
  return cat;
}

}  // namespace galnet::data
