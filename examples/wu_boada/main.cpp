// wu_boada — Wu & Boada (2019): gas-phase metallicity from gri images with a ResNet-34 and
// fastai's head. Data: train.csv + images/{objID}.jpg (128 px); ImageNet normalisation; the 8
// dihedral views plus zoom up to 1.1; SGD with momentum 0.9 and SGDR (cosine annealing with warm
// restarts, cycles of 1, 2, 4… epochs); RMSE loss; batch 128. With --weights (e.g. an ImageNet
// body from tools/export_torch.py) the body is frozen for the first 2 epochs, as in the paper.
// --schedule one-cycle is the paper's other regimen: one cycle over all epochs (lr warming up
// from lr/25, momentum 0.95 → 0.85 → 0.95) with weight decay 1e-4. --optimizer adamw swaps SGD
// for fastai's default since v1 (AdamW, the cycled momentum as beta1): from scratch, the SGD
// steps that move the body are large enough to destabilise the head's output layer.
//   wu_boada train --data DIR [--target oh_p50 …] [--size 64] [--tta] [--schedule one-cycle] --out RUN
#include "../common/run_app.hpp"

using namespace galnet;

struct WuBoadaRecipe {
  static constexpr int max_outputs = 5;
  template <int Outputs>
  using Model = models::WuBoada<float, Cpu, Outputs>;

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
      optim::AdamW<float> opt(nn::parameters(model), {.lr = a.lr, .weight_decay = wd});
      run(opt);
    } else {
      optim::SGD<float> opt(nn::parameters(model), {.lr = a.lr, .momentum = 0.9, .weight_decay = wd});
      run(opt);
    }
  }
};

int main(int argc, char** argv) { return galnet::app::run<WuBoadaRecipe>(argc, argv); }
