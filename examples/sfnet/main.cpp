// sfnet — Wu (2025), Sparse Feature Networks: ResNet-18 + ReLU + top-k + Linear.
// Data: galaxies.csv + images-sdss/{objID}.jpg (160 px, centre-cropped to 144); per-channel
// normalisation measured on the training images; random horizontal and vertical flips;
// fastai's ranger (RAdam + Lookahead) with a one-cycle schedule, RMSE loss, batch 64, seed 256.
// --target bpt regresses the four log10 line fluxes (N2, Hα, O3, Hβ) of the galaxies with
// S/N > 3 in all four, as the paper's BPT networks do.
//   sfnet train --data DIR [--k 4] [--target oh_p50|bpt] [--epochs 20] --out RUN
//   sfnet evaluate|predict --weights RUN/model.safetensors --data DIR --out DIR
//   sfnet interpret --weights RUN/model.safetensors --data DIR --out DIR [--properties COL,...]
//                   (features.csv, activations.csv, top_features.png)
#include "recipe.hpp"
#include "interpret.hpp"

using namespace galnet;
using app::SFNetRecipe;

/// `sfnet interpret`: the sparse features of a trained model over a labelled catalog.
int interpret_command(int argc, char** argv) {
  app::Args a;
  int top = 8;
  std::vector<std::string> properties;
  CLI::App cli{"sfnet interpret: which sparse features fire, what they track, which galaxies excite them"};
  cli.add_option("--weights", a.weights, "model.safetensors written by sfnet train")->required()->check(CLI::ExistingFile);
  const auto P = SFNetRecipe::defaults();
  app::add_input_options(&cli, P, a);
  cli.add_option("--out", a.out, "output folder")->capture_default_str();
  cli.add_option("--properties", properties, "catalog columns to correlate each feature with, besides the targets "
                 "(e.g. lgm_tot_p50,sfr_tot_p50,bptclass)")->delimiter(',');
  cli.add_option("--top", top, "galaxies shown per feature, 1–1000")->capture_default_str()->check(CLI::Range(1, 1000));
  app::add_common_numeric_options(&cli, a, 64);
  a.batch_size = 64;
  CLI11_PARSE(cli, argc, argv);
  try {
    set_num_threads(a.threads);
    const auto file = io::SafetensorsFile::read(a.weights);
    const auto& md = file.metadata();
    GALNET_CHECK(md.count("galnet.targets") && md.count("galnet.k"), "sfnet interpret: '", a.weights.string(),
                 "' lacks galnet.targets / galnet.k metadata (was it written by sfnet train?)");
    app::apply_model_metadata(P, a, file);
    std::filesystem::create_directories(a.out);
    models::SFNet<float, Cpu, nn::kRuntimeFeatures> model(a.k, app::output_count(a, SFNetRecipe::max_outputs));
    io::load_exported(model, a.weights);
    const auto cat = app::read_catalog(P, a, true);
    auto so = app::image_source_options(P, a, cat, true);
    if (auto norm = io::read_normalization(file)) so.normalization = *norm;
    data::CatalogImageSource src(cat, so);
    a.command = "interpret";
    app::check_input_side(P, a, src.sample_shape());
    return app::interpret(model, src, a, top, properties);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sfnet: error: %s\n", e.what());
    return 1;
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "interpret") return interpret_command(argc - 1, argv + 1);
  return app::run<SFNetRecipe>(argc, argv);
}
