// galnet/app/run.hpp — app::run<Recipe>: the subcommands of an image program, over a Recipe:
//   struct Recipe {
//     static PaperDefaults defaults();
//     static constexpr int max_outputs = …;                         // targets it regresses at most
//     template <class D> using Model = …;                             // e.g. models::SFNet<float, D, 0>
//     template <class M> static std::unique_ptr<M> make(const Args&); // for a.targets.size() outputs
//     template <class M> static auto& output_layer(M&);               // the final nn::Linear
//     template <class M> static train::Regimen<M> regimen(M&, const Args&, std::size_t batches);
//                                                                   // optimizer + schedule hooks
//     static void add_options(CLI::App&, Args&) {}                  // the paper's own options
//   };
// --device cuda runs run_on<Recipe, Cuda>, compiled by nvcc in the program's cuda.cu
// (galnet/app/run_cuda.cuh), where CMake found galnet::cuda (GALNET_EXAMPLES_CUDA). Launched by mpirun
// (where the program links galnet::mpi), train is data-parallel (train::fit over dist::World:
// --batch-size per rank, as PyTorch DDP) and evaluate and predict split the rows across ranks;
// rank 0 writes every output.
#pragma once
#include <numeric>

#include "galnet/app/image_program.hpp"
// MPI in main.cpp's translation unit only (run() below is instantiated there), never in the
// nvcc half.
#if defined(GALNET_WITH_MPI) && !defined(__CUDACC__)
#define GALNET_APP_MPI 1
#include "galnet/dist/mpi.hpp"
#if defined(GALNET_WITH_NCCL)  // --device cuda under mpirun: gradients summed on the GPUs
#include "galnet/dist/nccl.hpp"
#endif
#endif

namespace galnet::app {

template <class Recipe, class D>
void run_on(const PaperDefaults& P, Args& a, const std::optional<data::Normalization>& norm);
/// " on N ranks" under mpirun, nothing otherwise.
inline std::string ranks_note(const Args& a) {
  return a.comm->size() > 1 ? " on " + std::to_string(a.comm->size()) + " ranks" : std::string();
}
/// Defined in run_cuda.cuh, instantiated by the program's cuda.cu.
template <class Recipe>
void run_on_cuda(const PaperDefaults& P, Args& a, const std::optional<data::Normalization>& norm);

/// write_results, then the recipe's own outputs beside them where it has any (SFNet: the BPT
/// diagram for --target bpt).
template <class Recipe>
void write_results(const fs::path& out, const data::Catalog& cat, const std::vector<std::size_t>& rows,
                   const std::vector<std::string>& targets, const Tensor<float>& views, bool labelled,
                   const fs::path& predictions = {}) {
  eval::write_results(out, cat, rows, targets, views, labelled, predictions);
  if constexpr (requires { Recipe::write_results(out, cat, rows, targets, views, labelled); })
    Recipe::write_results(out, cat, rows, targets, views, labelled);
}

/// One subcommand with the network on device D.
template <class Recipe, class D>
void run_on(const PaperDefaults& P, Args& a, const std::optional<data::Normalization>& norm) {
  using M = typename Recipe::template Model<D>;
  const int N = output_count(a, Recipe::max_outputs);
  auto model = Recipe::template make<M>(a);
  const int side = P.crop > 0 ? P.crop : (P.load_size > 0 ? P.load_size : (a.size > 0 ? a.size : 128));
  if (a.command == "summary") {
    std::printf("%s", nn::summary(*model, Shape{1, 3, side, side}).str().c_str());
    return;
  }
  const bool labelled = a.command != "predict";
  const auto cat = read_catalog(P, a, labelled);
  auto so = image_source_options(P, a, cat, labelled);
  if (a.command == "evaluate" || a.command == "predict") {
    io::load_exported(*model, a.weights);
    if (norm) so.normalization = *norm;
    data::CatalogImageSource src(cat, so);
    check_input_side(P, a, src.sample_shape());
    std::vector<std::size_t> rows(cat.size());
    std::iota(rows.begin(), rows.end(), std::size_t{0});
    const auto views = predict_views(*model, src, rows, a, N);
    if (!a.comm->root()) return;
    write_results<Recipe>(a.out, cat, rows, a.targets, views, labelled, a.output);
    std::printf("%s %s: %zu galaxies at %lld px%s; outputs in %s\n", P.name.c_str(), a.command.c_str(), rows.size(),
                static_cast<long long>(src.sample_shape()[1]), ranks_note(a).c_str(), a.out.string().c_str());
    return;
  }
  GALNET_CHECK(a.command != "lr-find" || a.comm->size() == 1, P.name, " lr-find: run the sweep as one process (it "
               "takes a few hundred batches); train under mpirun with the rate it suggests");
  // train
  const auto split = split_rows(P, a, cat);
  if (P.normalization == NormalizationKind::imagenet) so.normalization = data::Normalization::imagenet();
  if (P.normalization == NormalizationKind::measured) {
    data::CatalogImageSource probe(cat, so);
    so.normalization = data::measure_normalization(probe, split.train);
  }
  data::CatalogImageSource tsrc(cat, so), vsrc(cat, so);
  vsrc.train(false);
  a.input_side = static_cast<int>(tsrc.sample_shape()[1]);
  if (a.weights.empty()) {
    train::init_output_layer(Recipe::output_layer(*model), cat, split.train, a.targets, P.scale_output_init);
  } else {
    io::LoadOptions lo;
    lo.strict = false;
    const auto rep = io::load_exported(*model, a.weights, lo);
    if (a.comm->root())
      std::printf("%s: started from %s (%zu tensors loaded, %zu not in the file)\n", P.name.c_str(),
                a.weights.string().c_str(), rep.loaded.size(), rep.missing.size());
  }
  // Under mpirun each rank loads its share of every global batch of batch_size × ranks.
  const int rank = a.comm->rank(), ranks = a.comm->size();
  const std::size_t global_batch = static_cast<std::size_t>(a.batch_size) * static_cast<std::size_t>(ranks);
  constexpr bool on_gpu = !std::is_same_v<D, Cpu>;  // batches in pinned memory for the GPU's copies
  data::DataLoader tl(tsrc, split.train, {.batch_size = a.batch_size, .drop_last = split.train.size() > global_batch,
                                          .seed = a.seed, .workers = a.workers, .rank = rank, .ranks = ranks,
                                          .pin_memory = on_gpu});
  data::DataLoader vl(vsrc, split.valid, {.batch_size = a.batch_size, .shuffle = false, .seed = a.seed, .workers = a.workers,
                                          .rank = rank, .ranks = ranks, .pin_memory = on_gpu});
  if (a.comm->root()) {
    std::printf("%s: %zu training, %zu validation and %zu test galaxies%s, targets", P.name.c_str(),
                split.train.size(), split.valid.size(), split.test.size(), ranks_note(a).c_str());
    for (const auto& t : a.targets) std::printf(" %s", t.c_str());
    std::printf("\n");
  }
  manual_seed(a.seed);
  train::FitOptions fo{.epochs = a.epochs, .checkpoint = a.out / "checkpoint.safetensors", .resume = a.resume,
                       .config = run_config(P, a), .progress = a.progress, .comm = a.comm,
                       .sync_batchnorm = a.sync_batchnorm, .early_stop = a.early_stop};
  auto regimen = Recipe::regimen(*model, a, tl.batches_per_epoch());
  regimen.hooks.on_best = [&](const train::EpochRecord& r) {  // the epoch of the lowest validation loss
    auto meta = run_metadata(P, a);
    meta["galnet.epoch"] = std::to_string(r.epoch);
    meta["galnet.valid_loss"] = io::detail::exact(r.valid_loss);
    io::save_model(a.out / "model_best.safetensors", *model, so.normalization, meta);
  };
  std::vector<train::EpochRecord> history;
  auto with_loss = [&](auto&& loss) {
    if (a.command == "lr-find")
      train::write_lr_find(a.out, P.name, train::lr_find(*model, *regimen.optimizer, loss, tl, {.num_it = a.lr_find_iters}));
    else
      history = train::fit(*model, *regimen.optimizer, loss, tl, &vl, fo, regimen.hooks);
  };
  if (P.rmse_loss) with_loss(nn::RMSELoss<float, D>{});
  else with_loss(nn::MSELoss<float, D>{});
  if (a.command == "lr-find") return;
  const auto views = predict_views(*model, vsrc, split.valid, a, N);
  const auto test_views = predict_views(*model, vsrc, split.test, a, N);
  if (!a.comm->root()) return;
  // A model predicting NaN or ±inf is never saved.
  eval::check_predictions(cat, split.valid, a.targets, eval::view_mean(views));
  eval::check_predictions(cat, split.test, a.targets, eval::view_mean(test_views));
  io::save_model(a.out / "model.safetensors", *model, so.normalization, run_metadata(P, a));
  train::write_history(a.out, history);
  std::printf("validation set (%zu galaxies):\n", split.valid.size());
  write_results<Recipe>(a.out, cat, split.valid, a.targets, views, true);
  if (split.test.empty()) {
    eval::remove_results(a.out / "test");  // an earlier run's (--overwrite), which had a test set
  } else {
    std::printf("test set (%zu galaxies):\n", split.test.size());
    fs::create_directories(a.out / "test");
    write_results<Recipe>(a.out / "test", cat, split.test, a.targets, test_views, true);
  }
  if (const auto* best = train::best_record(history))
    std::printf("%s train: lowest validation loss %.6g at epoch %d (model_best.safetensors)\n", P.name.c_str(),
                best->valid_loss, best->epoch);
  std::printf("%s train: model, history, metrics and predictions (validation set%s) in %s\n", P.name.c_str(),
              split.test.empty() ? "" : "; test set in test/", a.out.string().c_str());
}

template <class Recipe>
int run(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines appear as they happen, also in logs
  const PaperDefaults P = Recipe::defaults();
  Args a;
#if defined(GALNET_APP_MPI)
  std::optional<dist::World> world;  // only when mpirun started us: a plain run stays MPI-free
  if (dist::launched_by_mpirun()) {
    world.emplace(&argc, &argv);
    a.comm = &*world;
  }
#if defined(GALNET_WITH_NCCL)
  std::optional<dist::NcclCommunicator> nccl;
#endif
#endif
  a.seed = P.seed;
  a.valid_pct = P.valid_pct;
  a.test_pct = P.test_pct;
  CLI::App cli{P.description};
  cli.require_subcommand(1);
  // Each subcommand offers only the options that change what it does.
  constexpr bool batch_norm = [] {
    if constexpr (requires { Recipe::batch_norm; }) return Recipe::batch_norm;
    return true;
  }();
  auto common = [&](CLI::App* c) {
    const std::string name = c->get_name();
    const bool training = name == "train" || name == "lr-find";
    add_input_options(c, P, a);
    c->add_option("--out", a.out, "output folder")->capture_default_str();
    add_common_numeric_options(c, a, P.batch_size);
    if (name == "evaluate" || name == "predict")
      c->add_option("--output", a.output, "the predictions table: a .csv file, or a .fits file for a FITS binary "
                    "table (default: OUT/predictions.csv)");
    c->add_option("--device", a.device, "cpu, or cuda (an NVIDIA GPU, where the program was built with nvcc)")->check(CLI::IsMember({"cpu", "cuda"}));
    auto* tf32 = c->add_flag("--tf32", a.tf32, "with --device cuda: TF32 tensor-core math (faster; about 1e-3 relative per product)");
    c->add_flag("--bf16", a.bf16, "with --device cuda: bfloat16 mixed precision for convolutions and GEMMs, float32 "
                                  "weights and accumulation (fastest; about 4e-3 relative per value)")->excludes(tf32);
    c->add_option("--weights", a.weights, training ? "starting weights (galnet safetensors)" : "model.safetensors to use")
        ->check(CLI::ExistingFile);
    if (training) {
      c->add_option("--target", a.targets, "target column(s); log_COL regresses log10 of column COL" + P.target_help);
      c->add_option("--seed", a.seed, "random seed (the validation split, initial weights, batch order, augmentation)")
          ->capture_default_str();
      auto* valid = c->add_option("--valid-pct", a.valid_pct, "validation split, percent")->capture_default_str()->check(number_in(1, 90));
      auto* test = c->add_option("--test-pct", a.test_pct, "test split, percent, held out from training and validation "
                                 "(its metrics and predictions in OUT/test/)")->capture_default_str()->check(number_in(0, 90));
      c->add_option("--split-column", a.split_column, "a catalog column naming each galaxy's set: train, valid or test "
                    "(instead of --valid-pct, --test-pct and --seed's split)")->excludes(valid)->excludes(test);
    }
    if (name == "train") {
      c->add_option("--epochs", a.epochs, "epochs, 1–100000 (default " + std::to_string(P.epochs) + ")")
          ->check(CLI::Range(1, 100000));
      c->add_option("--lr", a.lr, "learning rate, > 0 (default " + std::to_string(P.lr) + ")")->check(positive_number());
      c->add_flag("--resume", a.resume, "continue from --out/checkpoint.safetensors (same settings; --epochs may grow "
                                        "where the schedule allows)");
      c->add_flag("--overwrite", a.overwrite, "train into an --out that holds an earlier run's model, replacing it");
      c->add_flag("!--no-progress", a.progress, "a plain line per epoch instead of a progress bar");
      c->add_option("--early-stop", a.early_stop, "stop after N epochs without a lower validation loss, 1–100000 "
                    "(default: never; the best epoch is always saved as model_best.safetensors)")->check(CLI::Range(1, 100000));
      if (batch_norm)
        c->add_flag("--sync-batchnorm", a.sync_batchnorm, "under mpirun: batch-norm statistics over every rank's batch "
                                                           "(PyTorch's SyncBatchNorm) rather than each rank's share");
    }
    Recipe::add_options(c, a);
  };
  if constexpr (requires { Recipe::add_commands(cli); }) Recipe::add_commands(cli);  // listed in --help
  auto* summary = cli.add_subcommand("summary", "print the network: layers, output shapes, parameters");
  summary->add_option("--target", a.targets, "target column(s) (sets the number of outputs)");
  Recipe::add_options(summary, a);
  common(cli.add_subcommand("train", "train on a labelled catalog; writes model, history, metrics, predictions"));
  auto* lr_find = cli.add_subcommand("lr-find", "learning-rate range test (fastai's lr_find) with this program's optimizer; "
                                                 "writes lr_find.csv and lr_find.png, prints suggested rates");
  common(lr_find);
  lr_find->add_option("--iters", a.lr_find_iters, "batches in the sweep from 1e-7 to 10")->capture_default_str()->check(CLI::Range(5, 100000));
  auto* evaluate = cli.add_subcommand("evaluate", "metrics and predictions of a trained model on a labelled catalog");
  common(evaluate);
  auto* predict = cli.add_subcommand("predict", "predictions of a trained model for a catalog");
  common(predict);
  CLI11_PARSE(cli, argc, argv);
  a.command = cli.get_subcommands().front()->get_name();

  try {
#if !defined(GALNET_EXAMPLES_CUDA)
    GALNET_CHECK(a.device == "cpu", P.name, ": --device cuda: this build of ", P.name,
                 " has no CUDA backend (configure galnet where nvcc and cuDNN are installed)");
#endif
    GALNET_CHECK(!a.tf32 || a.device == "cuda", P.name, ": --tf32 is a GPU mode; give it with --device cuda");
    GALNET_CHECK(!a.bf16 || a.device == "cuda", P.name, ": --bf16 is a GPU mode; give it with --device cuda");
#if defined(GALNET_APP_MPI) && defined(GALNET_WITH_NCCL)
    if (world && world->size() > 1 && a.device == "cuda") {  // a GPU per rank, before any CUDA work
      nccl.emplace(*world);
      a.comm = &*nccl;
    }
#endif
    GALNET_CHECK(!a.split_column.empty() || a.valid_pct + a.test_pct < 100, P.name, ": --valid-pct ", a.valid_pct,
                 " and --test-pct ", a.test_pct, " leave no galaxies for training (they must sum to less than 100)");
    set_num_threads(a.threads);
    // Options left unset (0) take the recipe's regimen, then the paper's values; values given
    // were range-checked by the parser.
    if constexpr (requires { Recipe::resolve(P, a); }) Recipe::resolve(P, a);
    if (a.batch_size <= 0) a.batch_size = P.batch_size;
    if (a.epochs <= 0) a.epochs = P.epochs;
    if (a.lr <= 0) a.lr = P.lr;
    std::optional<data::Normalization> norm;
    if (a.command == "evaluate" || a.command == "predict") {
      GALNET_CHECK(!a.weights.empty(), P.name, " ", a.command, ": give --weights model.safetensors (written by train)");
      const auto file = io::SafetensorsFile::read(a.weights);
      apply_model_metadata(P, a, file);
      norm = io::read_normalization(file);
    }
    if (a.targets.empty()) a.targets = P.targets;
    a.targets = Recipe::expand_targets(a.targets);
    if (a.command == "train") check_run_folder(P, a);
    fs::create_directories(a.out);  // first: --output may name a file in it
    data::check_table_path(P.name + " " + a.command + " --output", a.output);

    output_count(a, Recipe::max_outputs);
    if (a.device == "cpu") run_on<Recipe, Cpu>(P, a, norm);
#if defined(GALNET_EXAMPLES_CUDA)
    else run_on_cuda<Recipe>(P, a, norm);
#endif
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", P.name.c_str(), e.what());
#if defined(GALNET_APP_MPI)
    // The other ranks may be waiting in a collective: stop them all rather than hang in
    // MPI_Finalize.
    if (world && world->size() > 1) world->abort(P.name + ": error above; stopping every rank");
#endif
    return 1;
  }
}

}  // namespace galnet::app
