// sfnet — Wu (2025), Sparse Feature Networks: ResNet-18 + ReLU + top-k + Linear.
// Data: galaxies.csv + images-sdss/{objID}.jpg (160 px, centre-cropped to 144); per-channel
// normalisation measured on the training images; random horizontal and vertical flips;
// fastai's ranger (RAdam + Lookahead) with a one-cycle schedule, RMSE loss, batch 64, seed 256.
// --target bpt regresses the four log10 line fluxes (N2, Hα, O3, Hβ) of the galaxies with
// S/N > 3 in all four, as the paper's BPT networks do.
//   sfnet train --data DIR [--k 4] [--target oh_p50|bpt] [--epochs 20] --out RUN
//   sfnet evaluate|predict --weights RUN/model.safetensors --data DIR --out DIR
//   sfnet interpret --weights RUN/model.safetensors --data DIR --out DIR   (features.csv, top_features.png)
#include "../common/run_app.hpp"
#include "interpret.hpp"

using namespace galnet;

struct SFNetRecipe {
  static constexpr int max_outputs = 4;
  template <int Outputs>
  using Model = models::SFNet<float, Cpu, Outputs>;

  static app::PaperDefaults defaults() {
    return {.name = "sfnet", .description = "sfnet: Wu (2025) sparse feature networks (ResNet-18 + top-k)",
            .catalog_file = "galaxies.csv", .image_dir = "images-sdss", .crop = 144, .targets = {"oh_p50"},
            .target_help = " ('bpt': the four log10 BPT line fluxes, S/N > 3)",
            .epochs = 20, .batch_size = 64, .lr = 0.1, .seed = 256, .augment = data::sfnet_augment(),
            .normalization = app::NormalizationKind::measured,
            .sample = [](const data::Catalog& cat, const std::vector<std::string>& targets) {
              return targets == data::sfnet_bpt_targets() ? data::sfnet_bpt_cut(cat) : cat;
            }};
  }
  static void add_options(CLI::App* c, app::Args& a) {
    c->add_option("--k", a.k, "features kept by the top-k layer (the paper: 2, 3, 4, 6, 8)")->check(CLI::Range(1, 512));
  }
  static std::vector<std::string> expand_targets(std::vector<std::string> t) {
    return t == std::vector<std::string>{"bpt"} ? data::sfnet_bpt_targets() : t;
  }
  template <class M>
  static auto& output_layer(M& model) { return model.fc(); }
  template <class M>
  static std::unique_ptr<M> make(const app::Args& a) { return std::make_unique<M>(a.k); }

  /// ranger with fastai's one-cycle (25 % warm-up, div 25, final div 1e5, momentum 0.95–0.85).
  template <class M, class Fit>
  static void train(M& model, const app::Args& a, std::size_t batches, Fit&& fit) {
    auto opt = optim::ranger(nn::parameters(model), {.lr = a.lr});
    const optim::OneCycle sched({.total_steps = static_cast<std::int64_t>(a.epochs * batches)});
    train::FitHooks<decltype(opt)> hooks;
    hooks.before_step = [&](std::int64_t step) { sched.apply(opt, step); };
    fit(opt, hooks);
  }
};

/// `sfnet interpret`: the sparse features of a trained model over a labelled catalog.
int interpret_command(int argc, char** argv) {
  app::Args a;
  int top = 8;
  CLI::App cli{"sfnet interpret: which sparse features fire, what they track, which galaxies excite them"};
  cli.add_option("--weights", a.weights, "model.safetensors written by sfnet train")->required()->check(CLI::ExistingFile);
  cli.add_option("--data", a.data, "folder with galaxies.csv + images-sdss/");
  cli.add_option("--catalog", a.catalog, "CSV catalog (overrides --data)");
  cli.add_option("--images", a.images, "cutout folder (overrides --data)");
  cli.add_option("--out", a.out, "output folder")->capture_default_str();
  cli.add_option("--top", top, "galaxies shown per feature")->capture_default_str();
  a.batch_size = 64;
  cli.add_option("--batch-size", a.batch_size, "batch size")->capture_default_str();
  cli.add_option("--workers", a.workers, "data loader threads");
  cli.add_option("--threads", a.threads, "CPU threads");
  CLI11_PARSE(cli, argc, argv);
  try {
    set_num_threads(a.threads);
    const auto P = SFNetRecipe::defaults();
    const auto file = io::SafetensorsFile::read(a.weights);
    const auto& md = file.metadata();
    GALNET_CHECK(md.count("galnet.targets") && md.count("galnet.k"), "sfnet interpret: '", a.weights.string(),
                 "' lacks galnet.targets / galnet.k metadata (was it written by sfnet train?)");
    std::stringstream ss(md.at("galnet.targets"));
    for (std::string t; std::getline(ss, t, ',');) a.targets.push_back(t);
    a.k = std::stoi(md.at("galnet.k"));
    std::filesystem::create_directories(a.out);
    int rc = 0;
    app::with_outputs<SFNetRecipe::max_outputs>(a.targets.size(), [&]<int N>() {
      models::SFNet<float, Cpu, N> model(a.k);
      io::load_exported(model, a.weights);
      const auto cat = app::read_catalog(P, a, true);
      data::ImageSourceOptions so{.images = app::image_folder(P, a), .targets = a.targets, .crop = P.crop};
      if (auto norm = io::read_normalization(file)) so.normalization = *norm;
      data::CatalogImageSource src(cat, so);
      rc = app::interpret(model, src, a, top);
    });
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sfnet: error: %s\n", e.what());
    return 1;
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "interpret") return interpret_command(argc - 1, argv + 1);
  return galnet::app::run<SFNetRecipe>(argc, argv);
}
