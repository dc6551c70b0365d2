// sfnet/recipe.hpp — the paper's settings for sfnet (see main.cpp), shared by main.cpp (the
// CPU build, plain C++) and cuda.cu (the --device cuda half, compiled by nvcc).
#pragma once
#include <galnet/app.hpp>
#include <galnet/eval/bpt.hpp>
#if defined(GALNET_WITH_CAIRO)
#include <galnet/eval/plot_bpt.hpp>
#endif

namespace galnet::app {

struct SFNetRecipe {
  static constexpr int max_outputs = 4;
  template <class D = Cpu>
  using Model = models::SFNet<float, D, nn::kRuntimeFeatures>;

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
  /// `sfnet interpret` (main.cpp runs it before the common command line), listed in --help.
  static void add_commands(CLI::App& cli) {
    cli.add_subcommand("interpret", "which sparse features fire, what they track, which galaxies excite them "
                                    "(sfnet interpret --help)")->allow_extras();
  }
  static void resolve(const app::PaperDefaults&, app::Args& a) { a.optimizer = "ranger", a.schedule = "one-cycle"; }
  static std::vector<std::string> expand_targets(std::vector<std::string> t) {
    return t == std::vector<std::string>{"bpt"} ? data::sfnet_bpt_targets() : t;
  }
  /// With --target bpt, beside the predictions: bpt.csv (the line ratios and classes, true and
  /// predicted) and bpt.png (the BPT diagram, the paper's figure), and the share of galaxies
  /// predicted in their true class.
  static void write_results(const fs::path& out, const data::Catalog& cat, const std::vector<std::size_t>& rows,
                            const std::vector<std::string>& targets, const Tensor<float>& views, bool labelled) {
    if (targets != data::sfnet_bpt_targets() || rows.empty()) return;
    const auto mean = eval::view_mean(views);
    std::vector<std::string> ids;
    std::vector<double> truth(4 * rows.size(), NAN), pred(4 * rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      ids.push_back(cat.id(rows[i]));
      for (std::size_t j = 0; j < 4; ++j) {
        if (labelled) truth[4 * i + j] = cat.value(rows[i], targets[j]);
        pred[4 * i + j] = mean[static_cast<std::int64_t>(4 * i + j)];
      }
    }
    galnet::write_file_atomically(out / "bpt.csv", eval::bpt_csv(ids, truth, pred));
#if defined(GALNET_WITH_CAIRO)
    eval::plot_bpt(out / "bpt.png", truth, pred);
#endif
    if (labelled)
      std::printf("BPT class (Kauffmann 2003, Kewley 2001) predicted right for %.1f %% of %zu galaxies; bpt.csv%s\n",
                  100 * eval::bpt_agreement(truth, pred), rows.size(),
#if defined(GALNET_WITH_CAIRO)
                  " and bpt.png"
#else
                  ""
#endif
      );
  }
  template <class M>
  static auto& output_layer(M& model) { return model.fc(); }
  template <class M>
  static std::unique_ptr<M> make(const app::Args& a) { return std::make_unique<M>(a.k, static_cast<int>(a.targets.size())); }

  /// ranger with fastai's one-cycle (25 % warm-up, div 25, final div 1e5, momentum 0.95–0.85).
  template <class M>
  static train::Regimen<M> regimen(M& model, const app::Args& a, std::size_t batches) {
    auto r = train::regimen<M>(optim::ranger(nn::parameters(model), {.lr = a.lr}));
    const optim::OneCycle sched({.total_steps = static_cast<std::int64_t>(a.epochs * batches)});
    r.hooks.before_step = [&opt = *r.optimizer, sched](std::int64_t step) { sched.apply(opt, step); };
    return r;
  }
};

}  // namespace galnet::app
