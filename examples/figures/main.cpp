// figures — the papers' figures from the programs' outputs (built where cairo is found):
//   figures residuals --predictions RUN/test/predictions.csv --catalog galaxies.csv --column lgm_tot_p50
//                     [--target oh_p50] [--bins 10] [--x-label TEXT] [--csv bins.csv] --out residuals.png
//     predicted − true against any catalog column, with the binned mean ± 1σ (Wu & Boada 2019:
//     the residuals against stellar mass and magnitude). Galaxies are matched by the
//     predictions' first column (objID); --csv writes the bins (centre, mean, std, count).
//   figures sweep [--metric rmse] [--target oh_p50] [--x-label k] [--log-x] [--csv sweep.csv]
//                 --out rmse_vs_k.png  X=RUN/test/metrics.json ...
//     a metric of several runs against the setting X each varied (SFNet's RMSE against k, Wu &
//     Boada's against the cutouts' size); scripts/sweep.sh trains the runs and calls it.
// Tables may be CSV or FITS (data::read_table). Every output is written atomically, after every
// input has been read and checked.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <galnet/core/atomic_file.hpp>
#include <galnet/data/table_io.hpp>
#include <galnet/eval/metrics.hpp>
#include <galnet/eval/plot_residuals.hpp>
#include <galnet/eval/plot_sweep.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace galnet;

namespace {

/// The target whose TARGET_true and TARGET_pred columns the predictions hold: `given`, else the only one.
std::string pick_target(const data::Catalog& pred, const std::string& given) {
  std::vector<std::string> found;
  for (const auto& c : pred.columns())
    if (c.size() > 5 && c.ends_with("_pred")) found.push_back(c.substr(0, c.size() - 5));
  if (!given.empty()) {
    GALNET_CHECK(pred.has_column(given + "_pred") && pred.has_column(given + "_true"), "figures residuals: ",
                 pred.source(), " has no ", given, "_true and ", given, "_pred columns");
    return given;
  }
  GALNET_CHECK(found.size() == 1, "figures residuals: ", pred.source(), " holds ", found.size(),
               " targets' predictions; choose one with --target");
  return found.front();
}

int residuals(const fs::path& predictions, const fs::path& catalog, const std::string& column, std::string target,
              int bins, std::string x_text, const fs::path& csv, const fs::path& out) {
  const auto pred = data::read_table(predictions, {.id_column = ""});
  target = pick_target(pred, target);
  const auto cat = data::read_table(catalog, {.id_column = pred.id_column()});
  cat.require_columns({column}, "figures residuals --column");
  const auto& truth = pred.numeric(target + "_true");
  const auto& guess = pred.numeric(target + "_pred");
  const auto& property = cat.numeric(column);
  std::vector<double> x, r;  // the galaxies with a finite property and residual
  for (std::size_t i = 0; i < pred.size(); ++i) {
    const auto row = cat.index_of(pred.id(i));
    GALNET_CHECK(row.has_value(), "figures residuals: ", pred.id_column(), " ", pred.id(i), " of ", pred.source(),
                 " (", pred.where(i), ") is not in ", cat.source());
    if (std::isfinite(property[*row]) && std::isfinite(guess[i] - truth[i])) {
      x.push_back(property[*row]);
      r.push_back(guess[i] - truth[i]);
    }
  }
  const std::size_t finite = x.size();
  GALNET_CHECK(finite > 0, "figures residuals: no galaxy has a finite ", column, " and ", target, " residual");
  const auto stats = eval::binned_stats(x, r, bins);
  if (!csv.empty()) {
    std::string text = "centre,lo,hi,mean,std,count\n";
    for (const auto& b : stats) {
      for (double v : {b.centre, b.lo, b.hi, b.mean, b.std})
        text += (std::isnan(v) ? std::string() : eval::detail::metrics::shortest(v)) + ",";
      text += std::to_string(b.count) + "\n";
    }
    galnet::write_file_atomically(csv, text);
  }
  eval::plot_residuals(out, x, r, x_text.empty() ? column : x_text, "predicted \xE2\x88\x92 true " + target, bins);
  std::printf("figures residuals: %zu of %zu galaxies with a finite %s, %d bins -> %s\n", finite, pred.size(),
              column.c_str(), bins, out.string().c_str());
  return 0;
}

int sweep(const std::vector<std::string>& runs, const std::string& metric, std::string target, const std::string& x_text,
          bool log_x, const fs::path& csv, const fs::path& out) {
  std::vector<double> xs, ys;
  for (const auto& run : runs) {
    const auto eq = run.find('=');
    GALNET_CHECK(eq != std::string::npos && eq > 0, "figures sweep: '", run, "' is not X=metrics.json");
    char* end = nullptr;
    const std::string xtext = run.substr(0, eq);
    const double x = std::strtod(xtext.c_str(), &end);
    GALNET_CHECK(end && *end == '\0' && std::isfinite(x) && (!log_x || x > 0), "figures sweep: '", xtext, "' in '", run,
                 "' is not a finite number", log_x ? " > 0 (--log-x)" : "");
    const fs::path file = run.substr(eq + 1);
    std::ifstream in(file);
    GALNET_CHECK(in.good(), "figures sweep: cannot read '", file.string(), "'");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      fail("figures sweep: '", file.string(), "' is not JSON: ", e.what());
    }
    GALNET_CHECK(j.is_object() && !j.empty(), "figures sweep: '", file.string(), "' holds no targets' metrics");
    if (target.empty()) {
      GALNET_CHECK(j.size() == 1, "figures sweep: '", file.string(), "' holds ", j.size(), " targets; choose one with --target");
      target = j.begin().key();
    }
    GALNET_CHECK(j.contains(target) && j[target].contains(metric), "figures sweep: '", file.string(), "' has no ",
                 metric, " of ", target);
    GALNET_CHECK(j[target][metric].is_number(), "figures sweep: '", file.string(), "': ", metric, " of ", target,
                 " is ", j[target][metric].dump(), ", not a number");
    xs.push_back(x);
    ys.push_back(j[target][metric].get<double>());
  }
  if (!csv.empty()) {
    std::vector<std::size_t> order(xs.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return xs[a] < xs[b]; });
    std::string text = "x," + metric + "\n";
    for (auto i : order) text += eval::detail::metrics::shortest(xs[i]) + "," + eval::detail::metrics::shortest(ys[i]) + "\n";
    galnet::write_file_atomically(csv, text);
  }
  eval::plot_sweep(out, xs, ys, x_text, metric + " of " + target, log_x);
  std::printf("figures sweep: %s of %s over %zu runs -> %s\n", metric.c_str(), target.c_str(), xs.size(),
              out.string().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"figures: the papers' figures from the programs' outputs"};
  cli.require_subcommand(1);
  fs::path predictions, catalog, csv, out;
  std::string column, target, x_text, metric = "rmse";
  int bins = 10;
  bool log_x = false;
  std::vector<std::string> runs;

  auto* res = cli.add_subcommand("residuals", "predicted − true against a catalog column, binned mean ± 1σ");
  res->add_option("--predictions", predictions, "predictions.csv (or .fits) written by evaluate or train")
      ->required()->check(CLI::ExistingFile);
  res->add_option("--catalog", catalog, "the catalog (CSV or FITS) holding --column")->required()->check(CLI::ExistingFile);
  res->add_option("--column", column, "the catalog column on the x axis (e.g. lgm_tot_p50)")->required();
  res->add_option("--target", target, "the target whose residuals to plot (default: the only one)");
  res->add_option("--bins", bins, "bins of --column for the mean ± 1σ, 1–1000")->capture_default_str()->check(CLI::Range(1, 1000));
  res->add_option("--x-label", x_text, "the x axis' label (default: the column's name)");
  res->add_option("--csv", csv, "also write the bins: centre, lo, hi, mean, std, count");
  res->add_option("--out", out, "the figure (PNG)")->required();

  auto* sw = cli.add_subcommand("sweep", "a metric of several runs against the setting each varied");
  sw->add_option("runs", runs, "X=metrics.json, one per run (X: the run's setting)")->required();
  sw->add_option("--metric", metric, "rmse, nmad, nmad_zero, bias, pearson, spearman or outlier_frac")
      ->capture_default_str()->check(CLI::IsMember({"rmse", "nmad", "nmad_zero", "bias", "pearson", "spearman", "outlier_frac"}));
  sw->add_option("--target", target, "the target (default: the only one in the files)");
  sw->add_option("--x-label", x_text, "the x axis' label, e.g. k or 'cutout size (px)'")->required();
  sw->add_flag("--log-x", log_x, "a logarithmic x axis (settings in powers: 1, 2, 4, …)");
  sw->add_option("--csv", csv, "also write the runs: x, metric (sorted by x)");
  sw->add_option("--out", out, "the figure (PNG)")->required();
  CLI11_PARSE(cli, argc, argv);

  try {
    for (const fs::path& f : {csv, out})
      GALNET_CHECK(f.empty() || f.parent_path().empty() || fs::is_directory(f.parent_path()), "figures: the folder '",
                   f.parent_path().string(), "' of '", f.string(), "' does not exist");
    if (res->parsed()) return residuals(predictions, catalog, column, target, bins, x_text, csv, out);
    return sweep(runs, metric, target, x_text, log_x, csv, out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "figures: error: %s\n", e.what());
    return 1;
  }
}
