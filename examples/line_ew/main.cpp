// line_ew — Khederlarian et al. (2024) emission-line equivalent widths from continuum fluxes,
// as a table program (docs/models/line_ew.md).
//
//   line_ew predict --input FLUXES.csv --output EWS.csv [--no-luminosity] [--weights FILE] [--threads T]
//                   [--device cpu|cuda]
//   line_ew train   --input TABLE.csv --out DIR [--no-luminosity] [--epochs N] [--lr X]
//                   [--batch-size B] [--seed S] [--valid-pct F] [--threads T]
//   line_ew evaluate --input TABLE.csv --out DIR [the options of predict]
//   line_ew summary [--no-luminosity]
//
// Every --input is a CSV file ('#' comment lines allowed) or a FITS table (CasJobs, astropy);
// ids stay exact either way. A --output named .fits is written as a FITS binary table.
//
// predict: columns id, flux_0 … flux_11 (mean f_λ in the 12 rest-frame bins of 300 Å from
// 3400 Å, 1e-17 erg/s/cm²/Å) and z. Writes id, OII_DOUBLET, HGAMMA, HBETA, OIII_4959,
// OIII_5007, NII_6548, HALPHA, NII_6584, SII_6716, SII_6731 (EW in Å) and flag. A row with a
// flux or z that is not finite or not positive keeps its id, has empty EWs and its problems in
// flag; the count of such rows is reported and the exit status is 0. A missing column, a field
// that is not a number, an empty or unreadable file is an error naming the file (and line and
// column): exit status 1 and no output file. The output is written atomically, last. Under
// `mpirun -np N` (where the program links galnet::mpi) each rank predicts a contiguous share of
// the rows and rank 0 writes the same file as one process. --device cuda runs the networks on
// the GPU (cuda.cu, where the build has nvcc: bfloat16 operands, docs/cuda.md), one process;
// the checks, features, flags and EWs are the CPU's.
//
// evaluate: the predict columns and measured EWs in columns named as predict writes them (the
// lines measured; optional LINE_ivar, inverse variance in 1/Å²). A row counts for a line when
// it was predicted, its EW is finite and its ivar (if any) finite and > 0. Writes
// DIR/metrics.json (per line: n, Spearman, the paper's NMAD 1.48·median|obs − pred| as
// nmad_zero, 1.4826·MAD as nmad, bias, outlier fraction, RMSE, Pearson), DIR/predictions.csv
// (id, LINE_true, LINE_pred) and, with cairo, DIR/pred_vs_true_LINE.png (the paper's figure).
//
// train: columns id, flux_0 … flux_11, z and, for each LINE above, LINE_ew (EW in Å) and
// LINE_ew_ivar (its inverse variance, 1/Å²). Fits the ten MLPs (N(0, 0.1²) initialisation,
// Adam, float32) through train::fit on y = arcsinh(EW) with the weighted MSE, the mean of
// w (ŷ − y)² over rows and lines, w = LINE_ew_ivar · (1 + EW²) (the inverse variance of
// arcsinh(EW)), normalised to mean 1 per line over the training rows.
// A line measurement with EW or ivar not finite, or ivar ≤ 0, has weight 0. Rows with an
// invalid flux or z, and rows without any usable measurement, are skipped and counted. Scalers
// (mean, population standard deviation) are fitted per line on the training rows that measure
// that line. Writes DIR/line_ew.safetensors (the published key names, F32; readable by
// `predict --weights`) and DIR/history.csv (epoch, train_loss, valid_loss, lr, seconds), as
// the image programs write it.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <galnet/core/parallel.hpp>
#include <galnet/core/rng.hpp>
#include <galnet/data/catalog.hpp>
#include <galnet/data/loader.hpp>
#include <galnet/data/split.hpp>
#include <galnet/data/table_io.hpp>
#include <galnet/data/table_source.hpp>
#include <galnet/dist/communicator.hpp>
#include <galnet/core/atomic_file.hpp>
#include <galnet/io/state_dict.hpp>
#include <galnet/models/line_ew.hpp>
#include <galnet/models/line_ew_predictor.hpp>
#include <galnet/models/line_ew_table.hpp>
#include <galnet/nn/loss.hpp>
#include <galnet/optim.hpp>
#include <galnet/train/fit.hpp>
#include <galnet/train/report.hpp>
#if defined(GALNET_WITH_CAIRO)
#include <galnet/eval/plot.hpp>
#endif
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <galnet/app/options.hpp>
#if defined(GALNET_WITH_MPI)
#include <galnet/dist/mpi.hpp>
#endif

namespace fs = std::filesystem;
using namespace galnet;
using models::LineEW;

#if defined(GALNET_EXAMPLES_CUDA)
// cuda.cu (compiled by nvcc): models::predict_on_cuda, and the check that a GPU is visible.
void require_gpu(const char* who);
std::size_t predict_on_gpu(const LineEW& model, std::span<const double> fluxes, std::span<const double> z,
                           std::span<double> ew, std::span<LineEW::RowStatus> status);
#endif

namespace {

constexpr int kLines = LineEW::lines;

std::string line_list() {
  std::string s;
  for (const auto l : models::line_ew_lines) s += (s.empty() ? "" : ", ") + std::string(l);
  return s;
}

// ---------------------------------------------------------------------------------------------
struct PredictOptions {
  std::string input, output, out, weights, device = "cpu";
  bool no_luminosity = false;
  int threads = 0;
};

/// The model's EWs and row statuses for every row of --input (on rank 0; every rank predicts
/// its share).
struct Predicted {
  fs::path weights;
  bool with_luminosity = true;
  data::Catalog cat;
  models::LineEWInputs in;
  std::vector<double> ew;
  std::vector<LineEW::RowStatus> status;
};

std::optional<Predicted> run_model(const PredictOptions& o, const dist::Communicator& comm, const std::string& who) {
  if (o.device == "cuda") {
#if defined(GALNET_EXAMPLES_CUDA)
    GALNET_CHECK(comm.size() == 1, who, ": --device cuda runs as one process (one GPU predicts far faster than the "
                 "CSV is read); run it without mpirun");
    require_gpu(who.c_str());
#else
    fail(who, ": --device cuda: this build of line_ew has no CUDA backend (configure galnet where nvcc is installed)");
#endif
  }
  const fs::path weights = o.weights.empty() ? models::find_line_ew_weights(!o.no_luminosity) : fs::path(o.weights);
  const LineEW model(weights);
  GALNET_CHECK(!(o.no_luminosity && model.with_luminosity()), who, ": --no-luminosity was given but '",
               weights.string(), "' is a model with luminosity (12 inputs)");
  Predicted r{.weights = weights, .with_luminosity = model.with_luminosity(),
              .cat = data::read_table(o.input, {.id_column = "id"})};
  r.in = models::read_line_ew_inputs(r.cat, who);
  const std::size_t n = r.cat.size();
  r.ew.assign(n * kLines, 0.0);
  r.status.assign(n, LineEW::RowStatus::ok);

  // This rank's rows (all of them in one process); predict() uses the thread team.
  if (o.threads > 0) set_num_threads(o.threads);
  const auto [first, last] = dist::shard(static_cast<std::int64_t>(n), comm);
  const auto begin = static_cast<std::size_t>(first), mine = static_cast<std::size_t>(last - first);
  const auto fluxes = std::span<const double>(r.in.fluxes).subspan(begin * LineEW::bins, mine * LineEW::bins);
  const auto z = std::span<const double>(r.in.z).subspan(begin, mine);
  const auto ews = std::span<double>(r.ew).subspan(begin * kLines, mine * kLines);
  const auto statuses = std::span<LineEW::RowStatus>(r.status).subspan(begin, mine);
#if defined(GALNET_EXAMPLES_CUDA)
  if (o.device == "cuda") predict_on_gpu(model, fluxes, z, ews, statuses);
  else
#endif
    model.predict(fluxes, z, ews, statuses);
  if (comm.size() > 1) {  // every rank's rows to every rank: zeros elsewhere, so the sums are exact
    std::vector<double> rows(n * (kLines + 1), 0.0);
    for (std::size_t i = begin; i < begin + mine; ++i) {
      std::copy_n(&r.ew[i * kLines], kLines, &rows[i * (kLines + 1)]);
      rows[i * (kLines + 1) + kLines] = static_cast<double>(r.status[i]);
    }
    comm.sum(rows.data(), static_cast<std::int64_t>(rows.size()));
    if (!comm.root()) return std::nullopt;
    for (std::size_t i = 0; i < n; ++i) {
      std::copy_n(&rows[i * (kLines + 1)], kLines, &r.ew[i * kLines]);
      r.status[i] = static_cast<LineEW::RowStatus>(rows[i * (kLines + 1) + kLines]);
    }
  }
  return r;
}

/// "N rows[ on R ranks| on the GPU], P predicted, F flagged".
std::string row_counts(std::size_t n, std::size_t flagged, const PredictOptions& o, const dist::Communicator& comm) {
  const std::string where = comm.size() > 1 ? " on " + std::to_string(comm.size()) + " ranks"
                            : o.device == "cuda" ? " on the GPU" : "";
  return std::to_string(n) + " rows" + where + ", " + std::to_string(n - flagged) + " predicted, " +
         std::to_string(flagged) + " flagged";
}

int predict(const PredictOptions& o, const dist::Communicator& comm) {
  data::check_table_path("line_ew predict --output", o.output);
  const auto r = run_model(o, comm, "line_ew predict");
  if (!r) return 0;
  std::size_t flagged = 0;
  data::write_table(o.output, models::line_ew_csv(r->cat, r->in, r->ew, r->status, &flagged), {.id_column = "id"});
  std::printf("line_ew predict: %s (EWs left empty, reason in 'flag'); %s model %s -> %s\n",
              row_counts(r->cat.size(), flagged, o, comm).c_str(),
              r->with_luminosity ? "with-luminosity" : "without-luminosity", r->weights.string().c_str(),
              o.output.c_str());
  return 0;
}

/// evaluate: the predictions against the EWs the table measures; metrics.json, predictions.csv
/// and a pred-vs-true panel per line in --out, composed first and each written atomically.
int evaluate(const PredictOptions& o, const dist::Communicator& comm) {
  const auto r = run_model(o, comm, "line_ew evaluate");
  if (!r) return 0;
  const auto e = models::evaluate_line_ew(r->cat, r->ew, r->status);
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < r->cat.size(); ++i) ids.push_back(r->cat.id(i));
  const std::string metrics = eval::metrics_json(e.metrics) + "\n";
  const std::string predictions = eval::predictions_csv(ids, e.names, e.measured, e.predicted, {}, "id");
  const fs::path dir(o.out);
  fs::create_directories(dir);
  galnet::write_file_atomically(dir / "metrics.json", metrics);
  galnet::write_file_atomically(dir / "predictions.csv", predictions);
  std::size_t flagged = 0;
  for (const auto st : r->status) flagged += st != LineEW::RowStatus::ok ? 1 : 0;
  std::printf("line_ew evaluate: %s; %zu of 10 lines measured\n", row_counts(r->cat.size(), flagged, o, comm).c_str(),
              e.names.size());
  const std::size_t k = e.names.size();
  for (std::size_t c = 0; c < k; ++c) {
    const auto& m = e.metrics[c].second;
    std::printf("%-12s n %lld  Spearman %.3f  NMAD (1.48 median|obs-pred|) %.4g A  NMAD (1.4826 MAD) %.4g A  bias %+.4g A  "
                "outliers %.3f\n",
                e.names[c].c_str(), static_cast<long long>(m.n), m.spearman, m.nmad_zero, m.nmad, m.bias, m.outlier_frac);
#if defined(GALNET_WITH_CAIRO)
    std::vector<double> y(r->cat.size()), p(r->cat.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = e.measured[i * k + c], p[i] = e.predicted[i * k + c];
    if (m.n > 0) eval::plot_pred_vs_true(dir / ("pred_vs_true_" + e.names[c] + ".png"), y, p, e.names[c] + " EW (A)", m);
#endif
  }
  std::printf("line_ew evaluate: metrics.json and predictions.csv%s in %s\n",
#if defined(GALNET_WITH_CAIRO)
              " and a pred_vs_true panel per line",
#else
              "",
#endif
              dir.string().c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------------
struct TrainOptions {
  std::string input, out;
  bool no_luminosity = false;
  int epochs = 100, batch_size = 256, threads = 1;
  double lr = 1e-3, valid_pct = 0.2;
  unsigned long long seed = 1;
};

template <bool WithL>
int train(const TrainOptions& o) {
  constexpr int In = WithL ? 12 : 11;
  const auto cat = data::read_table(o.input, {.id_column = "id"});
  std::vector<std::string> cols;
  for (const auto l : models::line_ew_lines) cols.insert(cols.end(), {std::string(l) + "_ew", std::string(l) + "_ew_ivar"});
  cat.require_columns(cols, "line_ew train");
  const auto in = models::read_line_ew_inputs(cat, "line_ew train");
  const std::vector<double>& fluxes = in.fluxes;
  const std::vector<double>& z = in.z;
  std::vector<const std::vector<double>*> ew_col(kLines), ivar_col(kLines);
  for (int l = 0; l < kLines; ++l) {
    ew_col[l] = &cat.numeric(std::string(models::line_ew_lines[l]) + "_ew");
    ivar_col[l] = &cat.numeric(std::string(models::line_ew_lines[l]) + "_ew_ivar");
  }

  // Usable rows: valid inputs and at least one usable measurement.
  std::vector<double> feat, target, weight;  // rows × In, rows × 10, rows × 10
  std::size_t bad_input = 0, no_target = 0;
  for (std::size_t i = 0; i < cat.size(); ++i) {
    const double* f = &fluxes[i * LineEW::bins];
    if (LineEW::check_row(f, z[i], true) != LineEW::RowStatus::ok) {
      ++bad_input;
      continue;
    }
    double t[kLines], w[kLines];
    bool any = false;
    for (int l = 0; l < kLines; ++l) {
      const double e = (*ew_col[l])[i], iv = (*ivar_col[l])[i];
      const bool ok = std::isfinite(e) && std::isfinite(iv) && iv > 0;
      t[l] = ok ? std::asinh(e) : 0.0;
      w[l] = ok ? iv * (1.0 + e * e) : 0.0;
      any = any || ok;
    }
    if (!any) {
      ++no_target;
      continue;
    }
    double x[12];
    LineEW::raw_features(f, z[i], WithL, x);
    feat.insert(feat.end(), x, x + In);
    target.insert(target.end(), t, t + kLines);
    weight.insert(weight.end(), w, w + kLines);
  }
  const std::size_t n = target.size() / kLines;
  std::printf("line_ew train: %zu rows read from %s; %zu skipped (invalid flux or z), %zu skipped (no usable "
              "measurement); %zu used\n",
              cat.size(), o.input.c_str(), bad_input, no_target, n);
  GALNET_CHECK(n >= 2, "line_ew train: ", o.input, ": fewer than 2 usable rows");
  const data::Split split = data::random_split(n, o.valid_pct, 0.0, o.seed);
  std::printf("line_ew train: %zu training and %zu validation rows\n", split.train.size(), split.valid.size());

  // Per-line scalers and weight normalisation from the training rows that measure the line.
  manual_seed(o.seed);
  models::LineEWNet<float, Cpu, WithL> net;  // N(0, 0.1²) from the seeded default generator
  double mean[kLines][12] = {}, scale[kLines][12] = {}, wmean[kLines] = {};
  for (int l = 0; l < kLines; ++l) {
    std::size_t count = 0;
    for (const std::size_t i : split.train)
      if (weight[i * kLines + l] > 0) {
        ++count;
        wmean[l] += weight[i * kLines + l];
        for (int j = 0; j < In; ++j) mean[l][j] += feat[i * In + j];
      }
    if (count == 0) {
      std::printf("line_ew train: warning: no training row measures %s; its network stays untrained\n",
                  std::string(models::line_ew_lines[l]).c_str());
      for (int j = 0; j < In; ++j) scale[l][j] = 1.0;
      wmean[l] = 1.0;
      continue;
    }
    wmean[l] /= static_cast<double>(count);
    for (int j = 0; j < In; ++j) mean[l][j] /= static_cast<double>(count);
    for (const std::size_t i : split.train)
      if (weight[i * kLines + l] > 0)
        for (int j = 0; j < In; ++j) scale[l][j] += (feat[i * In + j] - mean[l][j]) * (feat[i * In + j] - mean[l][j]);
    for (int j = 0; j < In; ++j) {
      const double sd = std::sqrt(scale[l][j] / static_cast<double>(count));
      scale[l][j] = sd > 0 ? sd : 1.0;  // sklearn's StandardScaler leaves constant features unscaled
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    for (int l = 0; l < kLines; ++l) weight[i * kLines + l] /= wmean[l];
  net.visit("", [&](const std::string& name, auto& t, auto* p) {
    if (p) return;
    for (int l = 0; l < kLines; ++l) {
      const std::string line(models::line_ew_lines[l]);
      if (!name.starts_with(line + ".")) continue;
      const std::string rest = name.substr(line.size() + 1);
      const bool lum = rest.starts_with("luminosity_scaler");
      const double* src = rest.ends_with(".mean") ? mean[l] : scale[l];
      for (std::int64_t k = 0; k < t.numel(); ++k) t[k] = src[lum ? 11 : k];
    }
  });

  // train::fit over the rows, each line's error weighted by its inverse variance (Keras'
  // sample_weight); the reported losses are means over rows and lines.
  auto as_float = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  data::TableSource table(as_float(feat), In, as_float(target), kLines, as_float(weight));
  data::DataLoader tl(table, split.train, {.batch_size = o.batch_size, .seed = o.seed, .workers = 1});
  data::DataLoader vl(table, split.valid, {.batch_size = 1024, .shuffle = false, .workers = 1});
  optim::Adam<float> opt(nn::parameters(net), {.lr = o.lr});
  nn::WeightedMSELoss<float> loss;
  const auto history =
      train::fit(net, opt, loss, tl, split.valid.empty() ? nullptr : &vl, {.epochs = o.epochs, .progress = false});

  // Everything succeeded: write the weights, then the history (each atomically).
  const fs::path dir(o.out);
  fs::create_directories(dir);
  io::Metadata meta{{"source", "galnet line_ew train on " + fs::path(o.input).filename().string()},
                    {"lines", "OII_DOUBLET,HGAMMA,HBETA,OIII_4959,OIII_5007,NII_6548,HALPHA,NII_6584,SII_6716,SII_6731"},
                    {"hidden_activation", "selu"},
                    {"output", "arcsinh(EW in Angstrom); EW = sinh(output)"},
                    {"features", WithL ? "11 colours log10(F_{j+1}/F_j) and log10(F_8 (1+z) D_L^2), standardized"
                                       : "11 colours log10(F_{j+1}/F_j), standardized"}};
  io::save_state_dict(net, dir / "line_ew.safetensors", meta);
  train::write_history(dir, history);
  std::printf("line_ew train: wrote %s and %s\n", (dir / "line_ew.safetensors").string().c_str(),
              (dir / "history.csv").string().c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------------
int summary(bool no_luminosity) {
  auto show = [](auto& net, int in) {
    std::int64_t total = 0;
    for (int l = 0; l < kLines; ++l) {
      auto s = nn::summary(net.line(l), Shape{1, in});
      for (auto& row : s.rows) {  // Sequential indices 0, 2, 4, 6 are the file's layers.0 … layers.3
        const int k = std::stoi(row.name);
        row.name = k % 2 == 0 ? "layers." + std::to_string(k / 2) : std::string("·");
      }
      std::printf("%s: arcsinh(EW) from %d features\n%s\n", std::string(models::line_ew_lines[l]).c_str(), in,
                  s.str().c_str());
      total += s.trainable_params();
    }
    std::printf("%d networks (%s), %s trainable parameters in all\n", kLines, line_list().c_str(),
                nn::Summary::with_commas(total).c_str());
  };
  if (no_luminosity) {
    models::LineEWNet<float, Cpu, false> net;
    show(net, 11);
  } else {
    models::LineEWNet<float, Cpu, true> net;
    show(net, 12);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"line_ew: emission-line equivalent widths from continuum fluxes (Khederlarian et al. 2024, "
               "MNRAS 531, 1454), with the published weights (ashodkh/emission-lines, MIT)"};
  app.footer(
      "Weights: --weights FILE, else the bundled published model line_ew_{with,without}_luminosity.safetensors,\n"
      "looked for in (1) $GALNET_DATA_DIR/line_ew/, (2) the source tree's data/line_ew/ (compiled in; in an\n"
      "installed galnet <prefix>/share/galnet/line_ew/), (3) <executable dir>/../share/galnet/line_ew/.");
  app.require_subcommand(1);

  PredictOptions po;
  auto model_options = [&po](CLI::App* c) {
    c->add_flag("--no-luminosity", po.no_luminosity, "use the model without luminosity (colours only)");
    c->add_option("--weights", po.weights, "a weight file (published key names) instead of the bundled one");
    c->add_option("--threads", po.threads, "threads, 1–1024 (default: galnet's default)")->check(CLI::Range(1, 1024));
    c->add_option("--device", po.device, "cpu, or cuda (an NVIDIA GPU, where the program was built with nvcc)")
        ->capture_default_str()
        ->check(CLI::IsMember({"cpu", "cuda"}));
  };
  auto* p = app.add_subcommand("predict", "EWs of every row of a flux table");
  p->add_option("--input", po.input, "CSV or FITS table with columns id, flux_0 … flux_11 (1e-17 erg/s/cm²/Å), z")
      ->required();
  p->add_option("--output", po.output, "table to write: id, the ten EWs (Å), flag; CSV, or a FITS binary table for a "
                ".fits name")->required();
  model_options(p);
  auto* ev = app.add_subcommand("evaluate", "the predictions against measured EWs: per-line metrics, predictions, "
                                            "pred-vs-true panels");
  ev->add_option("--input", po.input, "CSV with the predict columns and measured EWs in columns OII_DOUBLET … "
                                      "SII_6731 (Å; the lines measured), optional LINE_ivar (1/Å²)")->required();
  ev->add_option("--out", po.out, "folder for metrics.json, predictions.csv, pred_vs_true_LINE.png")->required();
  model_options(ev);

  TrainOptions to;
  auto* t = app.add_subcommand("train", "fit the ten per-line MLPs on a table of fluxes and measured EWs");
  t->add_option("--input", to.input,
                "CSV with id, flux_0 … flux_11, z and, per line, LINE_ew (Å) and LINE_ew_ivar (1/Å²)")
      ->required();
  t->add_option("--out", to.out, "folder for line_ew.safetensors and history.csv")->required();
  t->add_flag("--no-luminosity", to.no_luminosity, "train the model without luminosity");
  t->add_option("--epochs", to.epochs, "epochs, 1–100000")->capture_default_str()->check(CLI::Range(1, 100000));
  t->add_option("--lr", to.lr, "Adam learning rate, > 0")->capture_default_str()->check(app::positive_number());
  t->add_option("--batch-size", to.batch_size, "rows per step, 1–65536")->capture_default_str()->check(CLI::Range(1, 65536));
  t->add_option("--seed", to.seed, "seed of the initialisation, the split and the shuffling");
  t->add_option("--valid-pct", to.valid_pct, "fraction of usable rows held out for validation (0 for none)")
      ->check(app::number_in(0, 0.95));
  t->add_option("--threads", to.threads, "threads, 1–1024 (default 1: these small networks train fastest on one)")
      ->check(CLI::Range(1, 1024));

  bool summary_no_l = false;
  auto* s = app.add_subcommand("summary", "print the ten networks and their parameter counts");
  s->add_flag("--no-luminosity", summary_no_l, "the model without luminosity");

#if defined(GALNET_WITH_MPI)
  std::optional<dist::World> world;  // only when mpirun started us: a plain run stays MPI-free
  if (dist::launched_by_mpirun()) world.emplace(&argc, &argv);
  const dist::Communicator& comm = world ? static_cast<const dist::Communicator&>(*world) : dist::single_process();
#else
  const dist::Communicator& comm = dist::single_process();
#endif
  CLI11_PARSE(app, argc, argv);
  try {
    if (p->parsed()) return predict(po, comm);
    if (ev->parsed()) return evaluate(po, comm);
    GALNET_CHECK(comm.size() == 1 || !t->parsed(), "line_ew train: under mpirun only predict is split across "
                 "ranks; run train as one process (the ten small networks train fastest on one core)");
    if (t->parsed()) {
      if (to.threads > 0) set_num_threads(to.threads);
      return to.no_luminosity ? train<false>(to) : train<true>(to);
    }
    if (s->parsed()) return summary(summary_no_l);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "line_ew: error: %s\n", e.what());
#if defined(GALNET_WITH_MPI)
    // The other ranks may be waiting in a collective: stop them all rather than hang.
    if (world && world->size() > 1) world->abort("line_ew: error above; stopping every rank");
#endif
    return 1;
  }
  return 0;
}
