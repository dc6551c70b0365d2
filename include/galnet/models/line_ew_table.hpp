// galnet/models/line_ew_table.hpp — LineEW on catalog tables: inputs read from a data::Catalog
// (columns flux_0 … flux_11 and z) and predictions written as CSV (id, the ten EWs in Å, flag).
//
//   const auto cat = data::Catalog::read_csv("fluxes.csv", {.id_column = "id"});
//   const auto in = models::read_line_ew_inputs(cat, "my_pipeline");
//   std::vector<double> ew(in.rows() * 10);
//   std::vector<models::LineEW::RowStatus> st(in.rows());
//   model.predict(in.fluxes, in.z, ew, st);
//   galnet::write_file_atomically("ews.csv", models::line_ew_csv(cat, in, ew, st));
#pragma once
#include <charconv>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "galnet/data/catalog.hpp"
#include "galnet/data/csv.hpp"
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

}  // namespace galnet::models
