// galnet/app/image_program.hpp — what an image program (examples/sfnet, wu_boada, spin_cnn) is
// made of: the command line's settings, reading a paper's data layout, and the model file's
// metadata. Each program is
// a Recipe: its data layout and defaults, its model, and its regimen (optimizer and schedule).
// Prediction, results and reports are the library's (eval/predict.hpp, train/report.hpp).
//
// Outputs written into --out, each atomically: model.safetensors (weights + input
// normalisation + metadata), checkpoint.safetensors (every epoch; --resume continues),
// history.csv, metrics.json, predictions.csv, and with cairo pred_vs_true.png and history.png.
#pragma once
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "galnet/app/options.hpp"
#include "galnet/core/atomic_file.hpp"
#include "galnet/data/asinh_stretch.hpp"
#include "galnet/data/image_source.hpp"
#include "galnet/data/loader.hpp"
#include "galnet/data/samples.hpp"
#include "galnet/data/split.hpp"
#include "galnet/data/table_io.hpp"
#include "galnet/dist/communicator.hpp"
#include "galnet/eval/metrics.hpp"
#include "galnet/eval/predict.hpp"
#include "galnet/galnet.hpp"
#include "galnet/io/exported.hpp"
#include "galnet/models.hpp"
#include "galnet/optim.hpp"
#include "galnet/train/fit.hpp"
#include "galnet/train/lr_find.hpp"
#include "galnet/train/output_init.hpp"
#include "galnet/train/regimen.hpp"
#include "galnet/train/report.hpp"
// FITS cutouts and catalogs where the program links galnet::fits (CFITSIO), which defines this
// for all of its translation units alike.
#if defined(GALNET_WITH_CFITSIO)
#include "galnet/data/fits.hpp"
#endif

namespace galnet::app {

namespace fs = std::filesystem;

enum class NormalizationKind { imagenet, measured, unit };

/// A paper's data layout and published training settings.
struct PaperDefaults {
  std::string name, description;
  std::string catalog_file, image_dir;
  int load_size = 0;  ///< resize on load (spin: 424 → 80); 0 keeps the stored size
  int crop = 0;       ///< centre crop (SFNet: 144)
  std::vector<std::string> targets;
  std::string target_help;  ///< the paper's own target names, for --help
  int epochs = 10, batch_size = 64;
  double lr = 1e-3;
  double valid_pct = 20, test_pct = 0;  ///< the paper's random split, percent (spin: 70/15/15)
  std::uint64_t seed = 0;
  data::AugmentOptions augment;
  NormalizationKind normalization = NormalizationKind::unit;
  bool rmse_loss = true;  ///< RMSE (fastai's, Wu's papers) or MSE (Keras sdss_CNN)
  /// From scratch, scale the output layer's initial weights by each target's standard
  /// deviation (fastai's kaiming-normal head otherwise starts with predictions spread ~2 target
  /// units wide, ten times a 0.2 dex metallicity spread).
  bool scale_output_init = false;
  /// The paper's sample selection for these targets (SFNet's S/N > 3 cut for the BPT lines);
  /// empty: every row with finite targets.
  std::function<data::Catalog(const data::Catalog&, const std::vector<std::string>& targets)> sample;
};

/// Everything the command line sets.
struct Args {
  std::string command;
  fs::path data, catalog, images, weights, out = "galnet-run";
  std::vector<std::string> targets;
  int epochs = 0, batch_size = 0, threads = 2, workers = 2, k = 4, size = 0, lr_find_iters = 100;
  int input_side = 0;  ///< the network's input side in px (after resize and crop): set by train, read from a model
  double lr = 0, lr_body = 0, valid_pct = 20, test_pct = 0, wd = -1;  // 0 (wd < 0): the recipe's or the paper's default
  std::string split_column;  ///< a catalog column of train / valid / test, instead of the random split
  fs::path output;           ///< evaluate/predict: the predictions table (.csv or .fits); empty: OUT/predictions.csv
  std::string image_ext;     ///< the cutouts' extension (jpg, jpeg, png, fits, …); empty: found in the folder
  double asinh_q = data::AsinhStretch{}.Q, asinh_stretch = data::AsinhStretch{}.stretch;  ///< FITS cutouts' stretch
  int early_stop = 0;        ///< patience in epochs (0: off)
  std::string schedule, optimizer;  // the regimen: set by the recipe (wu_boada: also by the user)
  std::uint64_t seed = 0;
  std::string device = "cpu";
  bool resume = false, overwrite = false, tta = false, progress = true, tf32 = false, bf16 = false, sync_batchnorm = false;
  /// The processes of an `mpirun -np N` job (app::run sets dist::World where the program
  /// links galnet::mpi; one process otherwise), behind dist::Communicator so that the nvcc half
  /// of a program never sees MPI. Rank 0 prints and writes the outputs.
  const dist::Communicator* comm = &dist::single_process();
};

/// The outputs a model file records, so evaluate/predict rebuild the same network and feed it
/// the same images: targets, k, the side the cutouts are resized to (0: as stored) and the
/// network's input side.
inline io::Metadata run_metadata(const PaperDefaults& p, const Args& a) {
  std::string t;
  for (const auto& s : a.targets) t += (t.empty() ? "" : ",") + s;
  return {{"galnet.paper", p.name}, {"galnet.targets", t}, {"galnet.k", std::to_string(a.k)},
          {"galnet.size", std::to_string(a.size > 0 ? a.size : p.load_size)},
          {"galnet.input", std::to_string(a.input_side)}};
}

/// The settings a checkpoint must share with the run that resumes it (train::FitOptions::config).
/// The epoch count belongs to them where the schedule spans the run (one-cycle).
inline io::Metadata run_config(const PaperDefaults& p, const Args& a) {
  auto c = run_metadata(p, a);
  c["lr"] = io::detail::exact(a.lr);
  c["lr_body"] = io::detail::exact(a.lr_body);
  c["wd"] = io::detail::exact(a.wd);
  c["valid_pct"] = io::detail::exact(a.valid_pct);
  c["test_pct"] = io::detail::exact(a.test_pct);
  c["split_column"] = a.split_column;
  c["optimizer"] = a.optimizer;
  c["schedule"] = a.schedule;
  c["batch_size"] = std::to_string(a.batch_size);
  c["seed"] = std::to_string(a.seed);
  c["weights"] = a.weights.string();
  c["sync_batchnorm"] = a.sync_batchnorm ? "1" : "0";
  if (a.schedule == "one-cycle") c["epochs"] = std::to_string(a.epochs);
  return c;
}

/// --threads, --workers and --batch-size with their ranges, for every subcommand that loads data.
inline void add_common_numeric_options(CLI::App* c, Args& a, int default_batch) {
  c->add_option("--threads", a.threads, "CPU threads, 1–1024")->capture_default_str()->check(CLI::Range(1, 1024));
  c->add_option("--workers", a.workers, "data loader threads, 1–256")->capture_default_str()->check(CLI::Range(1, 256));
  c->add_option("--batch-size", a.batch_size, "batch size, 1–65536 (default " + std::to_string(default_batch) + ")")
      ->check(CLI::Range(1, 65536));
}

/// An integer metadata value of a model file, or an error naming the file, the key and the value.
inline int metadata_int(const io::SafetensorsFile& file, const std::string& key, int lo, int hi) {
  const std::string& v = file.metadata().at(key);
  char* end = nullptr;
  errno = 0;
  const long x = std::strtol(v.c_str(), &end, 10);
  GALNET_CHECK(!v.empty() && end && *end == '\0' && errno == 0 && x >= lo && x <= hi, "'", file.path().string(),
               "': metadata ", key, " = '", v, "' is not an integer in [", lo, ", ", hi, "]");
  return static_cast<int>(x);
}

/// What a model file says about how to apply it (targets, k, size) goes into `a`; a command-line
/// value that contradicts it is an error naming both.
inline void apply_model_metadata(const PaperDefaults& p, Args& a, const io::SafetensorsFile& file) {
  const auto& md = file.metadata();
  const std::string path = file.path().string();
  if (md.count("galnet.targets") && a.targets.empty()) {
    std::stringstream ss(md.at("galnet.targets"));
    for (std::string t; std::getline(ss, t, ',');) a.targets.push_back(t);
  }
  if (md.count("galnet.k")) a.k = metadata_int(file, "galnet.k", 1, 512);
  if (md.count("galnet.size")) {
    const int size = metadata_int(file, "galnet.size", 0, 16384);
    GALNET_CHECK(a.size <= 0 || size <= 0 || a.size == size, p.name, ": --size ", a.size, " contradicts '", path,
                 "', which was trained on ", size, " px cutouts (galnet.size); leave --size out to use ", size);
    if (size > 0) a.size = size;
  }
  if (md.count("galnet.input")) a.input_side = metadata_int(file, "galnet.input", 0, 16384);
}

/// Evaluate and predict feed the network what it was trained on, or stop naming both sides.
inline void check_input_side(const PaperDefaults& p, const Args& a, const Shape& sample) {
  GALNET_CHECK(a.input_side <= 0 || sample[1] == a.input_side, p.name, " ", a.command, ": '", a.weights.string(),
               "' was trained on ", a.input_side, " px inputs, but these cutouts give ", sample[1], " px (",
               a.size > 0 ? "resized to --size " + std::to_string(a.size) : std::string("as stored"),
               "); give --size ", a.input_side, " or cutouts of the training size");
}

/// A training run never replaces an earlier run's model unless told: --resume continues it,
/// --overwrite replaces it. Checked before any work.
inline void check_run_folder(const PaperDefaults& p, const Args& a) {
  const auto model = a.out / "model.safetensors", ckpt = a.out / "checkpoint.safetensors";
  GALNET_CHECK(!a.resume || !a.overwrite, p.name, ": give --resume or --overwrite, not both");
  GALNET_CHECK(!a.resume || fs::exists(ckpt), p.name, " train --resume: there is no checkpoint to resume at '",
               ckpt.string(), "' (start the run without --resume)");
  GALNET_CHECK(a.resume || a.overwrite || (!fs::exists(model) && !fs::exists(ckpt)), p.name, " train: '",
               a.out.string(), "' holds an earlier run (", fs::exists(model) ? model.filename().string() : ckpt.filename().string(),
               "); give --resume to continue it, --overwrite to replace it, or another --out");
}

/// The number of targets, which sets the model's output count: between 1 and the recipe's `max`.
inline int output_count(const Args& a, int max) {
  GALNET_CHECK(!a.targets.empty() && a.targets.size() <= static_cast<std::size_t>(max), "this network takes between 1 and ",
               max, " target(s), got ", a.targets.size());
  return static_cast<int>(a.targets.size());
}

/// Reads the catalog and keeps the rows whose targets are finite (reporting how many were not).
inline data::Catalog read_catalog(const PaperDefaults& p, const Args& a, bool need_targets) {
  const fs::path path = !a.catalog.empty() ? a.catalog : a.data / p.catalog_file;
  GALNET_CHECK(!a.catalog.empty() || !a.data.empty(), p.name, ": give --data DIR (or --catalog and --images)");
  auto cat = data::read_table(path);
  if (!need_targets) return cat;
  cat = data::with_log_columns(std::move(cat), a.targets);  // a target log_X is log10 of column X
  cat.require_columns(a.targets, p.name.c_str());
  if (p.sample) {
    const std::size_t before = cat.size();
    cat = p.sample(cat, a.targets);
    if (cat.size() != before && a.comm->root())
      std::fprintf(stderr, "%s: the paper's sample selection keeps %zu of %zu rows\n", p.name.c_str(), cat.size(), before);
  }
  const auto rows = cat.finite_rows(a.targets);
  if (rows.size() != cat.size() && a.comm->root())
    std::fprintf(stderr, "%s: %zu of %zu rows have a missing or non-finite target and are left out\n", p.name.c_str(),
                 cat.size() - rows.size(), cat.size());
  return cat.select(rows);
}

/// The training, validation and test rows: the catalog's --split-column, else a random split of
/// --valid-pct and --test-pct seeded by --seed.
inline data::Split split_rows(const PaperDefaults& p, const Args& a, const data::Catalog& cat) {
  if (a.split_column.empty()) return data::random_split(cat.size(), a.valid_pct / 100.0, a.test_pct / 100.0, a.seed);
  auto s = data::split_by_column(cat, a.split_column);
  GALNET_CHECK(!s.valid.empty(), p.name, ": --split-column ", a.split_column, ": no row of ", cat.source(),
               " is for validation (valid), which training needs");
  return s;
}

inline fs::path image_folder(const PaperDefaults& p, const Args& a) {
  return !a.images.empty() ? a.images : a.data / p.image_dir;
}

/// ".jpg", ".png", ".fits", …: --image-ext, else what the folder's cutouts use.
inline std::string image_extension(const PaperDefaults& p, const Args& a, const data::Catalog& cat) {
  return a.image_ext.empty() ? data::find_cutout_extension(cat, image_folder(p, a)) : "." + a.image_ext;
}

/// The reader of FITS cutouts (--asinh-q, --asinh-stretch); none for JPEG and PNG.
inline data::CutoutReader cutout_reader([[maybe_unused]] const PaperDefaults& p, const Args& a, const std::string& extension) {
  if (!data::is_fits_extension(extension)) return {};
#if defined(GALNET_WITH_CFITSIO)
  return data::fits_cutout_reader({.asinh = data::AsinhStretch{.Q = a.asinh_q, .stretch = a.asinh_stretch}});
#else
  fail(p.name, ": the cutouts are FITS ({objID}", extension, ") but this ", p.name, " was built without CFITSIO "
       "(Debian: apt-get install libcfitsio-dev, then build again)");
#endif
}

/// The cutouts of `cat` as the paper feeds them (size, crop, augmentation) and the command line
/// finds them (folder, extension, FITS stretch); labelled: with the targets.
inline data::ImageSourceOptions image_source_options(const PaperDefaults& p, const Args& a, const data::Catalog& cat,
                                                     bool labelled) {
  const std::string ext = image_extension(p, a, cat);
  return {.images = image_folder(p, a), .extension = ext, .targets = labelled ? a.targets : std::vector<std::string>{},
          .load_size = a.size > 0 ? a.size : p.load_size, .crop = p.crop, .interp = data::Interp::area,
          .augment = p.augment, .reader = cutout_reader(p, a, ext)};
}

/// --data, --catalog, --images, --image-ext and the FITS stretch: where a command's galaxies are.
inline void add_input_options(CLI::App* c, const PaperDefaults& p, Args& a) {
  c->add_option("--data", a.data, "folder in the paper's layout: " + p.catalog_file + " + " + p.image_dir + "/");
  c->add_option("--catalog", a.catalog, "the catalog: CSV, or a FITS table (overrides --data)");
  c->add_option("--images", a.images, "folder of {objID}.jpg (or .jpeg, .png, .fits) cutouts (overrides --data)");
  c->add_option("--image-ext", a.image_ext, "the cutouts' extension (default: the one the folder's files have)")
      ->check(CLI::IsMember({"jpg", "jpeg", "png", "fits", "fits.gz", "fits.fz", "fit"}));
  c->add_option("--asinh-q", a.asinh_q, "FITS cutouts (g, r, i cubes) become colour images by Lupton's asinh "
                "stretch, as SDSS colour JPEGs are made: its softening Q, > 0")->capture_default_str()->check(positive_number());
  c->add_option("--asinh-stretch", a.asinh_stretch, "the stretch's linear range, in the FITS data's units, > 0")
      ->capture_default_str()->check(positive_number());
}

/// eval::predict_views over the job's ranks, with --tta's five views or one.
template <class Model>
Tensor<float> predict_views(Model& model, data::CatalogImageSource& src, const std::vector<std::size_t>& rows,
                            const Args& a, int k) {
  return eval::predict_views(model, src, rows, k,
                             {.batch_size = a.batch_size, .workers = a.workers, .views = a.tta ? 5 : 1, .comm = a.comm});
}

}  // namespace galnet::app
