// galnet/eval/metrics.hpp — regression metrics of the papers, per target, and their reports:
// a JSON summary, a CSV of predictions and binned statistics for the figures.
//
// Contract
//   - regression_metrics(y, p): y the true values, p the predictions, one per row. Rows whose
//     true value is NaN or infinite are skipped and counted (RegressionMetrics::skipped); a
//     non-finite prediction for a finite true value is an error (a diverged model should not
//     be summarised by numbers that look fine). With Δ = p − y over the n kept rows:
//       rmse         sqrt(mean Δ²)
//       bias         median Δ
//       nmad         1.4826 · median |Δ − median Δ|   (Wu & Boada's, about the median)
//       nmad_zero    1.48 · median |Δ|                (the line-EW paper's "NMAD", about zero)
//       outlier_frac fraction of rows with |Δ| > 3 · nmad
//       pearson      Pearson r of (y, p)
//       spearman     Pearson r of the ranks of y and p (ties get their average rank)
//       sd           the standard deviation of y (ddof 0): the RMSE of predicting y's mean
//       skill        1 − rmse / sd: 0 for predicting the mean, 1 for perfect (NaN if sd = 0)
//     Medians of an even count average the two middle values (numpy's median). With n = 0 every
//     value is NaN; r is NaN when y or p is constant (as numpy and scipy give).
//   - metrics_json(list) gives, in the list's order and on one line,
//       {"oh_p50": {"n": 123, "rmse": …, "nmad": …, "nmad_zero": …, "bias": …, "pearson": …,
//        "spearman": …, "outlier_frac": …, "sd": …, "skill": …}, …}
//     with doubles in their shortest round-trip form (full precision) and NaN written as null.
//   - predictions_csv(ids, names, y, p[, views[, id_name]]): y and p row-major [n × k] (k = names.size());
//     header `objID,<name>_true,<name>_pred[,<name>_tta0…],…` (id_name for objID), one line per row, ids as given, numbers in shortest
//     round-trip form, NaN as an empty field (galnet's catalog reader and pandas read it back
//     as NaN). Fields with a comma, quote or line break are quoted (RFC 4180).
//   - binned_stats(x, y, nbins[, lo, hi]): nbins equal bins of x over [lo, hi] (default: the
//     finite x's range; min = max widens it by ±0.5), the last bin closed on the right, and per
//     bin the centre, mean and standard deviation (ddof = 0) of y and the count — the same as
//     scipy.stats.binned_statistic. Rows with a non-finite x or y, or x outside [lo, hi], are
//     left out; an empty bin has NaN mean and std.
//   - write_metrics_json / write_predictions_csv write these atomically (galnet::AtomicFile).
#pragma once
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "galnet/core/error.hpp"
#include "galnet/data/csv.hpp"
#include "galnet/core/atomic_file.hpp"

namespace galnet::eval {

struct RegressionMetrics {
  std::int64_t n = 0;  ///< rows used (finite true value)
  double rmse = NAN, nmad = NAN, bias = NAN, pearson = NAN, spearman = NAN, outlier_frac = NAN;
  double nmad_zero = NAN;  ///< 1.48 · median |Δ|: the line-EW paper's "NMAD" (about zero, not the median)
  double sd = NAN, skill = NAN;  ///< the spread of the true values; 1 − rmse / sd
  std::int64_t skipped = 0;  ///< rows left out because the true value was NaN or infinite
};

namespace detail::metrics {

/// numpy's median (average of the two middle values for an even count); reorders `v`.
inline double median_inplace(std::vector<double>& v) {
  if (v.empty()) return NAN;
  const std::size_t h = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h), v.end());
  const double upper = v[h];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h));
  return (lower + upper) / 2;
}

/// Pearson r (two-pass, centred sums); NaN when either variable is constant or n < 2.
inline double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = a.size();
  if (n < 2) return NAN;
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ma += a[i];
    mb += b[i];
  }
  ma /= static_cast<double>(n);
  mb /= static_cast<double>(n);
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa <= 0 || sbb <= 0) return NAN;
  const double r = sab / std::sqrt(saa * sbb);
  return std::clamp(r, -1.0, 1.0);
}

/// Ranks 1..n with ties given their average rank (scipy.stats.rankdata, method "average").
inline std::vector<double> average_ranks(const std::vector<double>& v) {
  const std::size_t n = v.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return v[i] < v[j]; });
  std::vector<double> rank(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && v[order[j]] == v[order[i]]) ++j;
    const double r = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;  // mean of i+1..j
    for (std::size_t k = i; k < j; ++k) rank[order[k]] = r;
    i = j;
  }
  return rank;
}

/// Shortest decimal text that reads back as exactly `v` ("nan"/"inf" for non-finite).
inline std::string shortest(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string("nan");
}

}  // namespace detail::metrics

/// The papers' regression metrics of predictions `p` against true values `y` (see the contract).
inline RegressionMetrics regression_metrics(std::span<const double> y, std::span<const double> p) {
  const char* who = "galnet::eval::regression_metrics: ";
  GALNET_CHECK(y.size() == p.size(), who, "true values and predictions differ in length (", y.size(), " vs ",
               p.size(), ")");
  std::vector<double> yt, pt;
  yt.reserve(y.size());
  pt.reserve(p.size());
  RegressionMetrics m;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i])) {
      ++m.skipped;
      continue;
    }
    GALNET_CHECK(std::isfinite(p[i]), who, "prediction ", i, " is ", p[i], " for the finite true value ", y[i],
                 " (did the model diverge?)");
    yt.push_back(y[i]);
    pt.push_back(p[i]);
  }
  const std::size_t n = yt.size();
  m.n = static_cast<std::int64_t>(n);
  if (n == 0) return m;

  std::vector<double> d(n);
  double sq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    d[i] = pt[i] - yt[i];
    sq += d[i] * d[i];
  }
  m.rmse = std::sqrt(sq / static_cast<double>(n));
  std::vector<double> work = d;
  m.bias = detail::metrics::median_inplace(work);
  for (std::size_t i = 0; i < n; ++i) work[i] = std::abs(d[i] - m.bias);
  m.nmad = 1.4826 * detail::metrics::median_inplace(work);
  for (std::size_t i = 0; i < n; ++i) work[i] = std::abs(d[i]);
  m.nmad_zero = 1.48 * detail::metrics::median_inplace(work);
  std::int64_t outliers = 0;
  for (double v : d) outliers += std::abs(v) > 3 * m.nmad ? 1 : 0;
  m.outlier_frac = static_cast<double>(outliers) / static_cast<double>(n);
  m.pearson = detail::metrics::pearson(yt, pt);
  m.spearman = detail::metrics::pearson(detail::metrics::average_ranks(yt), detail::metrics::average_ranks(pt));
  const double mean = std::accumulate(yt.begin(), yt.end(), 0.0) / static_cast<double>(n);
  double ss = 0;
  for (double v : yt) ss += (v - mean) * (v - mean);
  m.sd = std::sqrt(ss / static_cast<double>(n));
  m.skill = m.sd > 0 ? 1.0 - m.rmse / m.sd : NAN;
  return m;
}

/// {"name": {"n": …, "rmse": …, "nmad": …, "nmad_zero": …, "bias": …, "pearson": …, "spearman": …,
/// "outlier_frac": …, "sd": …, "skill": …}, …} on one line, in the given order; NaN as null. Names must be unique.
inline std::string metrics_json(const std::vector<std::pair<std::string, RegressionMetrics>>& targets) {
  std::unordered_set<std::string> seen;
  auto num = [](double v) { return nlohmann::json(v).dump(); };  // shortest round-trip; NaN -> null
  std::string out = "{";
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& [name, m] = targets[i];
    GALNET_CHECK(seen.insert(name).second, "galnet::eval::metrics_json: the target name '", name,
                 "' appears twice");
    if (i > 0) out += ", ";
    out += nlohmann::json(name).dump() + ": {\"n\": " + std::to_string(m.n) + ", \"rmse\": " + num(m.rmse) +
           ", \"nmad\": " + num(m.nmad) + ", \"nmad_zero\": " + num(m.nmad_zero) + ", \"bias\": " + num(m.bias) + ", \"pearson\": " + num(m.pearson) +
           ", \"spearman\": " + num(m.spearman) + ", \"outlier_frac\": " + num(m.outlier_frac) +
           ", \"sd\": " + num(m.sd) + ", \"skill\": " + num(m.skill) + "}";
  }
  return out + "}";
}

/// metrics_json(targets) and a newline, written atomically to `path`.
inline void write_metrics_json(const std::filesystem::path& path,
                               const std::vector<std::pair<std::string, RegressionMetrics>>& targets) {
  const std::string text = metrics_json(targets) + "\n";
  galnet::AtomicFile f(path, "galnet::eval::write_metrics_json: '" + path.string() + "': ");
  f.write(text);
  f.commit();
}

/// CSV text `objID,<name>_true,<name>_pred,…` with one line per id; y and p are row-major
/// [ids.size() × names.size()]. `views`, when given, holds the predictions of each
/// test-time-augmentation view, [v × ids × names]: columns `<name>_tta0…` follow each `_pred`.
inline std::string predictions_csv(std::span<const std::string> ids, std::span<const std::string> names,
                                   std::span<const double> y, std::span<const double> p,
                                   std::span<const double> views = {}, std::string_view id_name = "objID") {
  const char* who = "galnet::eval::predictions_csv: ";
  const std::size_t n = ids.size(), k = names.size();
  GALNET_CHECK(k > 0, who, "no target names");
  GALNET_CHECK(y.size() == n * k, who, "true values hold ", y.size(), " numbers but ", n, " ids x ", k,
               " targets need ", n * k);
  GALNET_CHECK(p.size() == n * k, who, "predictions hold ", p.size(), " numbers but ", n, " ids x ", k,
               " targets need ", n * k);
  GALNET_CHECK(n == 0 || views.size() % (n * k) == 0, who, "views hold ", views.size(), " numbers, not a multiple of ",
               n, " ids x ", k, " targets");
  const std::size_t v = n == 0 ? 0 : views.size() / (n * k);
  auto value = [](double x) { return std::isnan(x) ? std::string() : detail::metrics::shortest(x); };
  std::string out = data::csv_field(id_name);
  for (const auto& name : names) {  // appends: GCC 12's -Wrestrict misfires on "," + string&& (bug 105329)
    out += ',';
    out += data::csv_field(name + "_true");
    out += ',';
    out += data::csv_field(name + "_pred");
    for (std::size_t t = 0; t < v; ++t) {
      out += ',';
      out += data::csv_field(name + "_tta" + std::to_string(t));
    }
  }
  out += '\n';
  for (std::size_t i = 0; i < n; ++i) {
    out += data::csv_field(ids[i]);
    for (std::size_t j = 0; j < k; ++j) {
      out += ',';
      out += value(y[i * k + j]);
      out += ',';
      out += value(p[i * k + j]);
      for (std::size_t t = 0; t < v; ++t) {
        out += ',';
        out += value(views[(t * n + i) * k + j]);
      }
    }
    out += '\n';
  }
  return out;
}

/// predictions_csv(...) written atomically to `path`.
inline void write_predictions_csv(const std::filesystem::path& path, std::span<const std::string> ids,
                                  std::span<const std::string> names, std::span<const double> y,
                                  std::span<const double> p) {
  const std::string text = predictions_csv(ids, names, y, p);
  galnet::AtomicFile f(path, "galnet::eval::write_predictions_csv: '" + path.string() + "': ");
  f.write(text);
  f.commit();
}

/// One bin of binned_stats: [lo, hi) (the last bin [lo, hi]).
struct Bin {
  double lo = NAN, hi = NAN, centre = NAN;
  double mean = NAN, std = NAN;  ///< of y over the bin (std with ddof = 0); NaN when empty
  std::int64_t count = 0;
};

/// y's mean, standard deviation and count in `nbins` equal bins of x over [lo, hi].
inline std::vector<Bin> binned_stats(std::span<const double> x, std::span<const double> y, int nbins, double lo,
                                     double hi) {
  const char* who = "galnet::eval::binned_stats: ";
  GALNET_CHECK(x.size() == y.size(), who, "x and y differ in length (", x.size(), " vs ", y.size(), ")");
  GALNET_CHECK(nbins >= 1, who, "nbins must be at least 1, got ", nbins);
  GALNET_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo < hi, who, "invalid range [", lo, ", ", hi, "]");
  // Edges as numpy.linspace computes them, so bin membership matches scipy exactly.
  const auto nb = static_cast<std::size_t>(nbins);
  std::vector<double> edges(nb + 1);
  const double step = (hi - lo) / static_cast<double>(nbins);
  for (std::size_t i = 0; i < nb; ++i) edges[i] = static_cast<double>(i) * step + lo;
  edges[nb] = hi;
  std::vector<Bin> bins(nb);
  std::vector<double> sum(nb, 0.0);
  std::vector<std::size_t> which(x.size(), nb);
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]) || x[i] < lo || x[i] > hi) continue;
    auto b = static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), x[i]) - edges.begin());
    b = b == 0 ? 0 : b - 1;
    if (b >= nb) b = nb - 1;  // x == hi: the last bin is closed
    which[i] = b;
    sum[b] += y[i];
    ++bins[b].count;
  }
  std::vector<double> ss(nb, 0.0);
  for (std::size_t b = 0; b < nb; ++b)
    if (bins[b].count > 0) bins[b].mean = sum[b] / static_cast<double>(bins[b].count);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (which[i] < nb) {
      const double dv = y[i] - bins[which[i]].mean;
      ss[which[i]] += dv * dv;
    }
  for (std::size_t b = 0; b < nb; ++b) {
    bins[b].lo = edges[b];
    bins[b].hi = edges[b + 1];
    bins[b].centre = (edges[b] + edges[b + 1]) / 2;
    if (bins[b].count > 0) bins[b].std = std::sqrt(ss[b] / static_cast<double>(bins[b].count));
  }
  return bins;
}

/// binned_stats over the range of the finite x (with a finite y); min = max widens it by ±0.5.
inline std::vector<Bin> binned_stats(std::span<const double> x, std::span<const double> y, int nbins) {
  GALNET_CHECK(x.size() == y.size(), "galnet::eval::binned_stats: x and y differ in length (", x.size(), " vs ",
               y.size(), ")");
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
  GALNET_CHECK(lo <= hi, "galnet::eval::binned_stats: no rows with a finite x and y");
  if (lo == hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  return binned_stats(x, y, nbins, lo, hi);
}

}  // namespace galnet::eval
