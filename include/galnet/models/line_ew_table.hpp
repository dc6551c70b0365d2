// galnet/models/line_ew_table.hpp — LineEW on catalog tables: inputs read from a data::Catalog
// (columns flux_0 … flux_11 and z) and predictions written as CSV (id, the ten EWs in Å, flag).
//
//   const auto cat = data::Catalog::read_csv("fluxes.csv", {.id_column = "id"});
//   const auto in = models::read_line_ew_inputs(cat, "my_pipeline");
//   std::vector<double> ew(in.rows() * 10);
//   std::vector<models::LineEW::RowStatus> st(in.rows());
//   model.predict(in.fluxes, in.z, ew, st);
//   galnet::write_file_atomically("ews.csv", models::line_ew_csv(cat, in, ew, st));
//   const auto e = models::evaluate_line_ew(cat, ew, st);  // against measured EWs in columns LINE
#pragma once
#include <charconv>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "galnet/data/catalog.hpp"
#include "galnet/data/csv.hpp"
#include "galnet/eval/metrics.hpp"
#include "galnet/models/line_ew_predictor.hpp"

namespace galnet::models {

/// A table's LineEW inputs: fluxes n×12 row-major and z (n values).
struct LineEWInputs {
  std::vector<double> fluxes, z;
  [[nodiscard]] std::size_t rows() const { return z.size(); }
};

/// The input columns: flux_0 … flux_11, z.
inline std::vector<std::string> line_ew_input_columns() {
  std::vector<std::string> c;
  for (int j = 0; j < LineEW::bins; ++j) c.push_back("flux_" + std::to_string(j));
  c.push_back("z");
  return c;
}

/// Reads the inputs from `cat`; a missing column is an error naming `who`, the file and the
/// column (data::Catalog::require_columns). Values are not checked here: LineEW flags rows.
inline LineEWInputs read_line_ew_inputs(const data::Catalog& cat, std::string_view who) {
  cat.require_columns(line_ew_input_columns(), std::string(who));
  LineEWInputs in;
  const std::size_t n = cat.size();
  in.fluxes.assign(n * LineEW::bins, 0.0);
  for (int j = 0; j < LineEW::bins; ++j) {
    const auto& col = cat.numeric("flux_" + std::to_string(j));
    for (std::size_t i = 0; i < n; ++i) in.fluxes[i * LineEW::bins + j] = col[i];
  }
  in.z = cat.numeric("z");
  return in;
}

/// The predictions as CSV: id, OII_DOUBLET … SII_6731 (EW in Å, 9 significant digits) and flag.
/// A flagged row keeps its id, has empty EWs and every problem of its inputs in flag (or, for
/// valid inputs, why its EWs are not finite). `flagged`, if given, receives the count.
inline std::string line_ew_csv(const data::Catalog& cat, const LineEWInputs& in, std::span<const double> ew,
                               std::span<const LineEW::RowStatus> status, std::size_t* flagged = nullptr) {
  const std::size_t n = cat.size();
  GALNET_CHECK(in.rows() == n && ew.size() == n * LineEW::lines && status.size() == n,
               "galnet::models::line_ew_csv: ", n, " catalog rows, ", in.rows(), " input rows, ", ew.size(),
               " EWs and ", status.size(), " statuses");
  std::string out = "id";
  for (const auto l : line_ew_lines) out += "," + std::string(l);
  out += ",flag\n";
  out.reserve(out.size() + n * (LineEW::lines * 12 + 16));
  std::size_t bad = 0;
  char buf[32];
  for (std::size_t i = 0; i < n; ++i) {
    out += data::csv_field(cat.id(i));
    if (status[i] == LineEW::RowStatus::ok) {
      for (int l = 0; l < LineEW::lines; ++l) {
        buf[0] = ',';
        const auto r = std::to_chars(buf + 1, buf + sizeof buf, ew[i * LineEW::lines + l], std::chars_format::general, 9);
        out.append(buf, r.ptr);
      }
      out += ",\n";
    } else {
      ++bad;
      std::string why = LineEW::describe_row(&in.fluxes[i * LineEW::bins], in.z[i], true);
      if (why.empty()) why = LineEW::status_name(status[i]);
      out += std::string(LineEW::lines, ',') + "," + data::csv_field(why) + "\n";
    }
  }
  if (flagged) *flagged = bad;
  return out;
}

/// Predictions against measurements, line by line (line_ew evaluate).
struct LineEWEvaluation {
  std::vector<std::string> names;  ///< the lines the table measures, in line_ew_lines order
  /// n × names.size(), row-major: the measured EW where the row counts for the line (else NaN)
  /// and the predicted EW (NaN for a flagged row), in Å.
  std::vector<double> measured, predicted;
  std::vector<std::pair<std::string, eval::RegressionMetrics>> metrics;  ///< per line, on EW in Å
};

/// Compares the EWs predicted for `cat`'s rows (ew n×10, status n) with the EWs it measures in
/// columns named as `line_ew predict` writes them (OII_DOUBLET … SII_6731; the lines present),
/// with the optional inverse variance LINE_ivar. A row counts for a line when it was predicted
/// (status ok), its measured EW is finite and, where LINE_ivar exists, that is finite and > 0.
/// The metrics (eval::regression_metrics, Δ = predicted − measured) include the paper's NMAD,
/// 1.48 · median |Δ| (nmad_zero), beside 1.4826 · MAD (nmad). Throws naming the file when no
/// line column is present.
inline LineEWEvaluation evaluate_line_ew(const data::Catalog& cat, std::span<const double> ew,
                                         std::span<const LineEW::RowStatus> status) {
  const std::size_t n = cat.size();
  GALNET_CHECK(ew.size() == n * LineEW::lines && status.size() == n, "galnet::models::evaluate_line_ew: ", n,
               " catalog rows, ", ew.size(), " EWs and ", status.size(), " statuses");
  LineEWEvaluation e;
  std::vector<int> lines;
  for (int l = 0; l < LineEW::lines; ++l)
    if (cat.has_column(line_ew_lines[static_cast<std::size_t>(l)])) lines.push_back(l);
  std::string all;
  for (const auto l : line_ew_lines) all += (all.empty() ? "" : ", ") + std::string(l);
  GALNET_CHECK(!lines.empty(), "galnet::models::evaluate_line_ew: ", cat.source(), ": no measured EW column (",
               all, "; in Å, with optional LINE_ivar)");
  const std::size_t k = lines.size();
  e.measured.assign(n * k, NAN);
  e.predicted.assign(n * k, NAN);
  for (std::size_t c = 0; c < k; ++c) {
    const std::string name(line_ew_lines[static_cast<std::size_t>(lines[c])]);
    e.names.push_back(name);
    const auto& obs = cat.numeric(name);
    const std::vector<double>* ivar = cat.has_column(name + "_ivar") ? &cat.numeric(name + "_ivar") : nullptr;
    std::vector<double> y(n, NAN), p(n, NAN);
    for (std::size_t i = 0; i < n; ++i) {
      if (status[i] != LineEW::RowStatus::ok) continue;
      p[i] = ew[i * LineEW::lines + static_cast<std::size_t>(lines[c])];
      const bool usable = std::isfinite(obs[i]) && (!ivar || (std::isfinite((*ivar)[i]) && (*ivar)[i] > 0));
      if (usable) y[i] = obs[i];
    }
    for (std::size_t i = 0; i < n; ++i) e.measured[i * k + c] = y[i], e.predicted[i * k + c] = p[i];
    e.metrics.emplace_back(name, eval::regression_metrics(y, p));
  }
  return e;
}

}  // namespace galnet::models
