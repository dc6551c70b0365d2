// galnet::eval metrics against numpy 2.4 / scipy 1.17. The reference values come from
// (tools/.venv/bin/python):
//
//   import numpy as np, scipy.stats as st
//   y = np.array([8.61, 8.95, 8.70, np.nan, 9.02, 8.70, 8.88, 8.43, 9.10, 8.95, np.inf, 8.52, 8.70, 9.05])
//   p = np.array([8.66, 8.93, 8.74, 8.80, 8.99, 8.74, 9.30, 8.50, 9.07, 8.92, 8.60, 8.58, 8.69, 9.03])
//   k = np.isfinite(y); y, p = y[k], p[k]; d = p - y
//   bias = np.median(d); nmad = 1.4826 * np.median(np.abs(d - bias)); nmad_zero = 1.48 * np.median(np.abs(d))
//   rmse = np.sqrt(np.mean(d**2)); st.pearsonr(y, p)[0]; st.spearmanr(y, p)[0]
//   np.mean(np.abs(d) > 3 * nmad); st.rankdata(y)
//   st.binned_statistic(y, p, 'mean' | 'std' | 'count', bins=4)
//   x2 = [0, .1, .15, .9, 1]; y2 = [1, 2, 4, 3, 5]; st.binned_statistic(x2, y2, ..., bins=3)
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "galnet/data/catalog.hpp"
#include "galnet/eval/bpt.hpp"
#include "galnet/eval/metrics.hpp"
#include "../support.hpp"

using galnet::eval::regression_metrics;

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

const std::vector<double> kY = {8.61, 8.95, 8.70, kNan, 9.02, 8.70, 8.88, 8.43, 9.10, 8.95, kInf, 8.52, 8.70, 9.05};
const std::vector<double> kP = {8.66, 8.93, 8.74, 8.80, 8.99, 8.74, 9.30, 8.50, 9.07, 8.92, 8.60, 8.58, 8.69, 9.03};

bool close(double a, double b, double rel = 1e-12) {
  return std::abs(a - b) <= rel * std::max(1.0, std::abs(b));
}

}  // namespace

TEST_CASE("regression_metrics matches numpy and scipy (ties, NaN and inf true values)") {
  const auto m = regression_metrics(kY, kP);
  CHECK(m.n == 12);
  CHECK(m.skipped == 2);
  CHECK(close(m.rmse, 0.12721373091507593));
  CHECK(close(m.nmad, 0.05930400000000137));
  CHECK(close(m.nmad_zero, 0.05180000000000021));
  CHECK(close(m.bias, 0.015000000000000568));
  CHECK(close(m.pearson, 0.8507779705561925));
  CHECK(close(m.spearman, 0.886947944387349));
  CHECK(m.outlier_frac == doctest::Approx(1.0 / 12).epsilon(1e-15));
}

// sfnet interpret's r of a sparse feature (0 where it does not fire) with a catalog column that
// has missing values, as numpy computes it:
//   a = np.array([0, 0, 1.25, 0, 0, 3.5, 0, 0.75, 0, 0, 0, 2.0, 0, 0, 0, 0.5])
//   c = np.array([9.1, 10.2, 10.8, np.nan, 9.7, 11.2, 9.9, 10.4, np.inf, 9.5, 10.0, 11.0, 9.3, np.nan, 10.1, 10.6])
//   k = np.isfinite(c); np.corrcoef(c[k], a[k])[0, 1]
TEST_CASE("regression_metrics' Pearson r of a sparse activation and a column with gaps matches numpy") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> a = {0, 0, 1.25, 0, 0, 3.5, 0, 0.75, 0, 0, 0, 2.0, 0, 0, 0, 0.5};
  const std::vector<double> c = {9.1, 10.2, 10.8, nan, 9.7, 11.2, 9.9, 10.4, inf, 9.5, 10.0, 11.0, 9.3, nan, 10.1, 10.6};
  const auto m = regression_metrics(c, a);  // what examples/sfnet/interpret.hpp computes per feature
  CHECK(m.n == 13);
  CHECK(close(m.pearson, 0.8044635566987876));
}

TEST_CASE("average ranks give tied values their mean rank (scipy.stats.rankdata)") {
  const std::vector<double> y = {8.61, 8.95, 8.70, 9.02, 8.70, 8.88, 8.43, 9.10, 8.95, 8.52, 8.70, 9.05};
  const std::vector<double> want = {3, 8.5, 5, 10, 5, 7, 1, 12, 8.5, 2, 5, 11};
  CHECK(galnet::eval::detail::metrics::average_ranks(y) == want);
}

TEST_CASE("regression_metrics: perfect, odd-length, constant and empty inputs") {
  const std::vector<double> y = {1, 2, 3, 4, 5};
  const auto perfect = regression_metrics(y, y);
  CHECK(perfect.n == 5);
  CHECK(perfect.rmse == 0);
  CHECK(perfect.nmad == 0);
  CHECK(perfect.bias == 0);
  CHECK(perfect.outlier_frac == 0);
  CHECK(perfect.pearson == doctest::Approx(1.0));
  CHECK(perfect.spearman == doctest::Approx(1.0));

  // Odd count: the median is the middle value. Δ = {1, -1, 0, 2, 10}: median 1, |Δ-1| = {0,2,1,1,9}.
  const std::vector<double> p = {2, 1, 3, 6, 15};
  const auto m = regression_metrics(y, p);
  CHECK(m.bias == 1);
  CHECK(m.nmad == doctest::Approx(1.4826));
  CHECK(m.nmad_zero == doctest::Approx(1.48));  // |Δ| = {1, 1, 0, 2, 10}: median 1
  CHECK(m.outlier_frac == doctest::Approx(0.2));  // |10| > 4.4478

  // A constant prediction has no correlation (numpy/scipy give NaN).
  const std::vector<double> c(5, 3.0);
  CHECK(std::isnan(regression_metrics(y, c).pearson));
  CHECK(std::isnan(regression_metrics(y, c).spearman));

  const std::vector<double> all_nan(3, kNan), zeros(3, 0.0);
  const auto e = regression_metrics(all_nan, zeros);
  CHECK(e.n == 0);
  CHECK(e.skipped == 3);
  CHECK(std::isnan(e.rmse));
  CHECK(std::isnan(e.nmad));
}

TEST_CASE("regression_metrics rejects mismatched lengths and non-finite predictions") {
  const std::vector<double> y = {1, 2, 3}, p2 = {1, 2}, pn = {1, kNan, 3};
  CHECK(galnet::test::error_of([&] { (void)regression_metrics(y, p2); }).find("differ in length (3 vs 2)") !=
        std::string::npos);
  CHECK(galnet::test::error_of([&] { (void)regression_metrics(y, pn); }).find("prediction 1 is nan") !=
        std::string::npos);
  // A non-finite prediction is fine where the true value is missing (the row is skipped).
  const std::vector<double> yn = {1, kNan, 3};
  CHECK(regression_metrics(yn, pn).n == 2);
}

TEST_CASE("metrics_json: keys, order, full precision and NaN as null") {
  const auto m = regression_metrics(kY, kP);
  galnet::eval::RegressionMetrics empty;
  const std::string s = galnet::eval::metrics_json({{"oh_p50", m}, {"lgm_tot_p50", empty}});
  CHECK(s.rfind("{\"oh_p50\": {\"n\": 12, \"rmse\": 0.12721373091507593, \"nmad\": ", 0) == 0);
  CHECK(s.find("\"lgm_tot_p50\": {\"n\": 0, \"rmse\": null, \"nmad\": null") != std::string::npos);
  const auto j = nlohmann::ordered_json::parse(s);
  REQUIRE(j.size() == 2);
  CHECK(j.begin().key() == "oh_p50");
  const auto& o = j["oh_p50"];
  std::vector<std::string> keys;
  for (auto it = o.begin(); it != o.end(); ++it) keys.push_back(it.key());
  CHECK(keys == std::vector<std::string>{"n", "rmse", "nmad", "nmad_zero", "bias", "pearson", "spearman", "outlier_frac",
                                         "sd", "skill"});
  // Every double reads back bit for bit.
  CHECK(o["rmse"].get<double>() == m.rmse);
  CHECK(o["nmad"].get<double>() == m.nmad);
  CHECK(o["nmad_zero"].get<double>() == m.nmad_zero);
  CHECK(o["bias"].get<double>() == m.bias);
  CHECK(o["pearson"].get<double>() == m.pearson);
  CHECK(o["spearman"].get<double>() == m.spearman);
  CHECK(o["outlier_frac"].get<double>() == m.outlier_frac);
  CHECK(o["sd"].get<double>() == m.sd);
  CHECK(o["skill"].get<double>() == m.skill);
  // sd is numpy's std (ddof 0) of the true values; skill 1 − rmse / sd.
  std::vector<double> finite;
  for (double v : kY)
    if (std::isfinite(v)) finite.push_back(v);
  double mean = 0, ss = 0;
  for (double v : finite) mean += v / static_cast<double>(finite.size());
  for (double v : finite) ss += (v - mean) * (v - mean);
  CHECK(m.sd == doctest::Approx(std::sqrt(ss / static_cast<double>(finite.size()))).epsilon(1e-14));
  CHECK(m.skill == doctest::Approx(1.0 - m.rmse / m.sd).epsilon(1e-14));
  CHECK(galnet::eval::metrics_json({}) == "{}");
  CHECK(galnet::test::error_of([&] { (void)galnet::eval::metrics_json({{"a", m}, {"a", m}}); })
            .find("'a' appears twice") != std::string::npos);
}

TEST_CASE("predictions_csv: header, ids as given, round-trip numbers, NaN as empty") {
  const std::vector<std::string> ids = {"1237648720693755918", "587722981741363294", "a,b"};
  const std::vector<std::string> names = {"oh_p50", "lgm_tot_p50"};
  const std::vector<double> y = {8.61, 10.25, kNan, 9.5, 0.1, -1};
  const std::vector<double> p = {8.6512345678901234, 10.0, 8.7, 9.25, 0.30000000000000004, -1e-300};
  const std::string csv = galnet::eval::predictions_csv(ids, names, y, p);
  CHECK(csv ==
        "objID,oh_p50_true,oh_p50_pred,lgm_tot_p50_true,lgm_tot_p50_pred\n"
        "1237648720693755918,8.61,8.651234567890123,10.25,10\n"
        "587722981741363294,,8.7,9.5,9.25\n"
        "\"a,b\",0.1,0.30000000000000004,-1,-1e-300\n");

  // Test-time augmentation: each view's prediction after each target's _pred, view-major input.
  const std::vector<std::string> two = {"7", "8"};
  const std::vector<double> yv = {8.5, 1.0, 9.0, 2.0}, pv = {8.6, 2.0, 9.1, 3.0};
  const std::vector<double> views = {8.5, 1.5, 8.9, 2.5,   // view 0: [galaxy][target]
                                     8.7, 2.5, 9.3, 3.5};  // view 1
  CHECK(galnet::eval::predictions_csv(two, names, yv, pv, views) ==
        "objID,oh_p50_true,oh_p50_pred,oh_p50_tta0,oh_p50_tta1,lgm_tot_p50_true,lgm_tot_p50_pred,lgm_tot_p50_tta0,"
        "lgm_tot_p50_tta1\n7,8.5,8.6,8.5,8.7,1,2,1.5,2.5\n8,9,9.1,8.9,9.3,2,3,2.5,3.5\n");
  CHECK_THROWS_AS((void)galnet::eval::predictions_csv(two, names, yv, pv, std::span(views).first(6)), galnet::Error);

  // galnet's own catalog reader reads it back: ids as text, empty fields as NaN, exact numbers.
  const auto dir = std::filesystem::temp_directory_path() / "galnet_test_metrics";
  std::filesystem::create_directories(dir);
  galnet::eval::write_predictions_csv(dir / "pred.csv", ids, names, y, p);
  const galnet::data::Catalog cat = galnet::data::Catalog::read_csv(dir / "pred.csv");
  REQUIRE(cat.size() == 3);
  CHECK(cat.id(0) == "1237648720693755918");
  CHECK(cat.id(2) == "a,b");
  const auto& col = cat.numeric("oh_p50_pred");
  CHECK(col[0] == 8.6512345678901234);
  CHECK(std::isnan(cat.numeric("oh_p50_true")[1]));

  galnet::eval::write_metrics_json(dir / "metrics.json", {{"oh_p50", regression_metrics(kY, kP)}});
  std::ifstream in(dir / "metrics.json");
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() == galnet::eval::metrics_json({{"oh_p50", regression_metrics(kY, kP)}}) + "\n");
  std::filesystem::remove_all(dir);

  CHECK(galnet::test::error_of([&] {
          (void)galnet::eval::predictions_csv(ids, names, std::span(y).first(5), p);
        }).find("true values hold 5 numbers but 3 ids x 2 targets need 6") != std::string::npos);
}

TEST_CASE("binned_stats matches scipy.stats.binned_statistic") {
  std::vector<double> y, p;
  for (std::size_t i = 0; i < kY.size(); ++i)
    if (std::isfinite(kY[i])) {
      y.push_back(kY[i]);
      p.push_back(kP[i]);
    }
  const auto b = galnet::eval::binned_stats(y, p, 4);
  REQUIRE(b.size() == 4);
  const double edges[] = {8.43, 8.5975, 8.765, 8.9325, 9.1};
  const double mean[] = {8.54, 8.7075, 9.3, 8.988000000000001};
  const double sd[] = {0.040000000000000036, 0.034186985827943474, 0.0, 0.057410800377629356};
  const std::int64_t count[] = {2, 4, 1, 5};
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(close(b[i].lo, edges[i]));
    CHECK(close(b[i].hi, edges[i + 1]));
    CHECK(close(b[i].centre, (edges[i] + edges[i + 1]) / 2));
    CHECK(close(b[i].mean, mean[i]));
    CHECK(std::abs(b[i].std - sd[i]) < 1e-14);
    CHECK(b[i].count == count[i]);
  }

  // An empty middle bin, the right edge in the last bin, non-finite rows left out.
  const std::vector<double> x2 = {0.0, 0.1, 0.15, 0.9, 1.0, kNan, 0.95};
  const std::vector<double> y2 = {1.0, 2.0, 4.0, 3.0, 5.0, 7.0, kNan};
  const auto b2 = galnet::eval::binned_stats(x2, y2, 3);
  CHECK(b2[0].count == 3);
  CHECK(close(b2[0].mean, 2.3333333333333335));
  CHECK(close(b2[0].std, 1.247219128924647));
  CHECK(b2[1].count == 0);
  CHECK(std::isnan(b2[1].mean));
  CHECK(std::isnan(b2[1].std));
  CHECK(b2[2].count == 2);
  CHECK(b2[2].mean == 4.0);
  CHECK(b2[2].std == 1.0);

  // An explicit range leaves out rows outside it; one distinct x widens the range by ±0.5.
  const auto b3 = galnet::eval::binned_stats(x2, y2, 2, 0.0, 0.5);
  CHECK(b3[0].count + b3[1].count == 3);
  const std::vector<double> one = {2.0, 2.0};
  const auto b4 = galnet::eval::binned_stats(one, one, 2);
  CHECK(b4[0].lo == 1.5);
  CHECK(b4[1].hi == 2.5);
  CHECK(b4[1].count == 2);
  CHECK(galnet::test::error_of([&] { (void)galnet::eval::binned_stats(x2, y2, 0); }).find("nbins") !=
        std::string::npos);
}

TEST_CASE("BPT: the demarcations, classes, ratios, bpt.csv and the class agreement") {
  namespace ev = galnet::eval;
  using C = ev::BptClass;
  CHECK(ev::kauffmann03(-1.0) == doctest::Approx(0.61 / -1.05 + 1.3));
  CHECK(ev::kewley01(0.0) == doctest::Approx(0.61 / -0.47 + 1.19));
  CHECK(ev::bpt_class(-1.0, 0.0) == C::star_forming);  // below Kauffmann's 0.719
  CHECK(ev::bpt_class(-0.2, 0.0) == C::composite);     // between -1.14 and 0.280
  CHECK(ev::bpt_class(-0.2, 0.5) == C::agn);           // above Kewley's 0.280
  CHECK(ev::bpt_class(0.1, -1.5) == C::composite);     // right of Kauffmann's asymptote, below Kewley's -0.459
  CHECK(ev::bpt_class(0.2, -0.5) == C::agn);           // above Kewley's -1.069
  CHECK(ev::bpt_class(0.6, -2.0) == C::agn);           // right of Kewley's asymptote
  CHECK(ev::bpt_class(kNan, 0.0) == C::unknown);
  // Log fluxes (N2, H-alpha, O3, H-beta) of two galaxies: ratios N2 - Ha and O3 - Hb.
  const std::vector<double> truth = {0.5, 1.5, 1.0, 1.0, 2.0, 2.2, 3.0, 2.5};
  const std::vector<double> pred = {0.4, 1.5, 1.0, 1.0, 2.0, 2.2, 2.0, 2.5};
  const auto r = ev::bpt_ratios(truth);
  CHECK(r.x == std::vector<double>{-1.0, -0.20000000000000018});
  CHECK(r.y == std::vector<double>{0.0, 0.5});
  const std::vector<std::string> ids = {"g1", "g2"};
  CHECK(ev::bpt_csv(ids, truth, pred) ==
        "objID,n2ha_true,o3hb_true,class_true,n2ha_pred,o3hb_pred,class_pred\n"
        "g1,-1,0,star-forming,-1.1,0,star-forming\n"
        "g2,-0.20000000000000018,0.5,AGN,-0.20000000000000018,-0.5,composite\n");
  CHECK(ev::bpt_agreement(truth, pred) == 0.5);
  const std::vector<double> unlabelled(8, kNan);
  CHECK(ev::bpt_csv(ids, unlabelled, pred).find("g1,,,,-1.1,0,star-forming") != std::string::npos);
  CHECK(std::isnan(ev::bpt_agreement(unlabelled, pred)));
}
