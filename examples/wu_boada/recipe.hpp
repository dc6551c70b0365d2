// wu_boada/recipe.hpp — the paper's settings for wu_boada (see main.cpp), shared by main.cpp (the
// CPU build, plain C++) and cuda.cu (the --device cuda half, compiled by nvcc).
#pragma once
#include "../common/run_app.hpp"

namespace galnet::app {

struct WuBoadaRecipe {
  static constexpr int max_outputs = 5;
  template <int Outputs, class D = Cpu>
  using Model = models::WuBoada<float, D, Outputs>;

  static app::PaperDefaults defaults() {
    return {.name = "wu_boada", .description = "wu_boada: Wu & Boada (2019) metallicity from images (ResNet-34)",
            .catalog_file = "train.csv", .image_dir = "images", .targets = {"oh_p50"}, .epochs = 10,
            .batch_size = 128, .lr = 0.1, .seed = 0, .augment = data::wu_boada_augment(),
            .normalization = app::NormalizationKind::imagenet, .scale_output_init = true};
  }
  static void add_options(CLI::App* c, app::Args& a) {
    c->add_option("--size", a.size, "resize the cutouts to N px (the paper's resolution experiment: 64, 32, 16, 8)");
    c->add_flag("--tta", a.tta, "test-time augmentation: mean of the original and 4 augmented views");
    if (c->get_name() == "train" || c->get_name() == "lr-find") {
      a.schedule = "sgdr";
      c->add_option("--schedule", a.schedule, "sgdr (cycles of 1, 2, 4… epochs) or one-cycle (the paper's variant, wd 1e-4)")
          ->capture_default_str()->check(CLI::IsMember({"sgdr", "one-cycle"}));
      c->add_option("--wd", a.wd, "weight decay (default 0 with sgdr, 1e-4 with one-cycle)");
      a.optimizer = "sgd";
      c->add_option("--optimizer", a.optimizer, "sgd (momentum 0.9, the paper's) or adamw (fastai's default)")
          ->capture_default_str()->check(CLI::IsMember({"sgd", "adamw"}));
    }
  }
  static std::vector<std::string> expand_targets(std::vector<std::string> t) { return t; }
  template <class M>
  static auto& output_layer(M& model) { return model.head().template get<8>(); }
  template <class M>
  static std::unique_ptr<M> make(const app::Args&) { return std::make_unique<M>(); }

  template <class M, class Fit>
  static void train(M& model, const app::Args& a, std::size_t batches, Fit&& fit) {
    const bool one_cycle = a.schedule == "one-cycle";
    const double wd = a.wd >= 0 ? a.wd : (one_cycle ? 1e-4 : 0.0);
    const optim::CosineAnnealingWarmRestarts sgdr({.T_0 = static_cast<std::int64_t>(batches), .T_mult = 2});
    const optim::OneCycle cycle({.total_steps = static_cast<std::int64_t>(a.epochs * batches)});
    const bool pretrained = !a.weights.empty();
    if (pretrained) nn::freeze(model.body());
    auto run = [&](auto& opt) {
      train::FitHooks<std::remove_reference_t<decltype(opt)>> hooks;
      hooks.before_step = [&](std::int64_t step) { one_cycle ? cycle.apply(opt, step) : sgdr.apply(opt, step); };
      hooks.after_epoch = [&](const train::EpochRecord& r) {
        if (pretrained && r.epoch == 2) {
          nn::unfreeze(model.body());
          std::printf("wu_boada: body unfrozen after epoch 2\n");
        }
      };
      fit(opt, hooks);
    };
    if (a.optimizer == "adamw") {
      optim::AdamW<float, typename M::device_type> opt(nn::parameters(model), {.lr = a.lr, .weight_decay = wd});
      run(opt);
    } else {
      optim::SGD<float, typename M::device_type> opt(nn::parameters(model), {.lr = a.lr, .momentum = 0.9, .weight_decay = wd});
      run(opt);
    }
  }
};

}  // namespace galnet::app
