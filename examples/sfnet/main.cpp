// sfnet — Wu (2025), Sparse Feature Networks: ResNet-18 + ReLU + top-k + Linear.
// Data: galaxies.csv + images-sdss/{objID}.jpg (160 px, centre-cropped to 144); per-channel
// normalisation measured on the training images; random horizontal and vertical flips;
// fastai's ranger (RAdam + Lookahead) with a one-cycle schedule, RMSE loss, batch 64, seed 256.
//   sfnet train --data DIR [--k 4] [--target oh_p50] [--epochs 20] --out RUN
//   sfnet evaluate|predict --weights RUN/model.safetensors --data DIR --out DIR
#include "../common/run_app.hpp"

using namespace galnet;

struct SFNetRecipe {
  static constexpr int max_outputs = 4;
  template <int Outputs>
  using Model = models::SFNet<float, Cpu, Outputs>;

  static app::PaperDefaults defaults() {
    return {.name = "sfnet", .description = "sfnet: Wu (2025) sparse feature networks (ResNet-18 + top-k)",
            .catalog_file = "galaxies.csv", .image_dir = "images-sdss", .crop = 144, .targets = {"oh_p50"},
            .epochs = 20, .batch_size = 64, .lr = 0.1, .seed = 256, .augment = data::sfnet_augment(),
            .normalization = app::NormalizationKind::measured};
  }
  static void add_options(CLI::App* c, app::Args& a) {
    c->add_option("--k", a.k, "features kept by the top-k layer (the paper: 2, 3, 4, 6, 8)")->check(CLI::Range(1, 512));
  }
  static std::vector<std::string> expand_targets(std::vector<std::string> t) { return t; }
  template <class M>
  static auto& output_bias(M& model) { return model.fc().bias(); }
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

int main(int argc, char** argv) { return galnet::app::run<SFNetRecipe>(argc, argv); }
