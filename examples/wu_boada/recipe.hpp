// wu_boada/recipe.hpp — the paper's settings for wu_boada (see main.cpp), shared by main.cpp (the
// CPU build, plain C++) and cuda.cu (the --device cuda half, compiled by nvcc).
#pragma once
#include <galnet/app.hpp>

namespace galnet::app {

struct WuBoadaRecipe {
  static constexpr int max_outputs = 5;
  template <class D = Cpu>
  using Model = models::WuBoada<float, D, nn::kRuntimeFeatures>;

  static app::PaperDefaults defaults() {
    return {.name = "wu_boada", .description = "wu_boada: Wu & Boada (2019) metallicity from images (ResNet-34)",
            .catalog_file = "train.csv", .image_dir = "images", .targets = {"oh_p50"}, .epochs = 10,
            .batch_size = 128, .lr = 0.1, .seed = 0, .augment = data::wu_boada_augment(),
            .normalization = app::NormalizationKind::imagenet, .scale_output_init = true};
  }
  static void add_options(CLI::App* c, app::Args& a) {
    c->add_option("--size", a.size, "resize the cutouts to N px, 8–4096 (the paper's resolution experiment: 64, 32, 16, 8); "
                                    "evaluate and predict take it from the model file")->check(CLI::Range(8, 4096));
    const std::string name = c->get_name();
    if (name == "train" || name == "evaluate" || name == "predict")
      c->add_flag("--tta", a.tta, "test-time augmentation: the mean of the original and 4 augmented views "
                                  "(predictions.csv also lists each view's, _tta0 the original)");
    if (name == "lr-find")  // the sweep keeps the ratio of --lr-body to --lr
      c->add_option("--lr", a.lr, "with --lr-body: the head's rate, which sets the groups' ratio (default 0.1)")
          ->check(app::positive_number());
    if (name == "train")
      c->add_option("--schedule", a.schedule, "sgdr (the paper's: 2 epochs at per-epoch cosine annealing, 1, then cycles "
                                              "of 1, 2, 4… epochs) or one-cycle (default: sgdr with --weights, one-cycle "
                                              "without)")->check(CLI::IsMember({"sgdr", "one-cycle"}));
    if (name == "train" || name == "lr-find") {
      c->add_option("--wd", a.wd, "weight decay, 0–1 (default 0 with sgdr, 1e-4 with one-cycle, 0.01 from scratch)")
          ->check(app::number_in(0, 1));
      c->add_option("--optimizer", a.optimizer, "sgd (momentum 0.9, the paper's) or adamw (default: sgd with --weights, "
                                                "adamw without)")->check(CLI::IsMember({"sgd", "adamw"}));
      c->add_option("--lr-body", a.lr_body, "discriminative learning rates, fastai's lr = slice(LR_BODY, lr): the stem "
                                            "to layer2 at LR_BODY, layer3–4 at their geometric mean, the head at --lr")
          ->check(app::positive_number());
    }
  }
  /// The regimen: with --weights the paper's fine-tuning (SGD, SGDR phases, the body frozen for
  /// two epochs); without, the from-scratch recipe that learns (AdamW, wd 0.01, one-cycle to
  /// 3e-3 over 30 epochs), unless --optimizer or --schedule says otherwise.
  static void resolve(const app::PaperDefaults& P, app::Args& a) {
    if (a.command != "train" && a.command != "lr-find") return;
    const bool scratch = a.weights.empty();
    if (scratch && a.optimizer.empty() && a.schedule.empty()) {
      a.optimizer = "adamw", a.schedule = "one-cycle";
      if (a.epochs <= 0) a.epochs = 30;
      if (a.lr <= 0) a.lr = 3e-3;
      if (a.wd < 0) a.wd = 0.01;
      if (a.comm->root())
        std::printf("wu_boada: no --weights, so training from scratch with AdamW (weight decay %g) and one-cycle to lr "
                    "%g over %d epochs: the paper's SGD + SGDR regimen fine-tunes an ImageNet body (give --weights, or "
                    "--optimizer sgd --schedule sgdr)\n", a.wd, a.lr, a.epochs);
    }
    if (a.optimizer.empty()) a.optimizer = "sgd";
    if (a.schedule.empty()) a.schedule = "sgdr";
    if (a.wd < 0) a.wd = a.schedule == "one-cycle" ? 1e-4 : 0.0;
    if (a.epochs <= 0) a.epochs = P.epochs;
    if (a.schedule == "sgdr") {
      const auto ends = paper_schedule(1).cycle_ends(100000);
      GALNET_CHECK(std::find(ends.begin(), ends.end(), a.epochs) != ends.end(), "wu_boada: --epochs ", a.epochs,
                   " with --schedule sgdr would stop mid-cycle at a high rate; the paper's phases (1, 1 | 1 | 1, 2, 4… "
                   "epochs) end annealed after 1, 2, 3, 4, 6, 10, 18, 34, 66… epochs");
    }
    if (!scratch && a.comm->root())
      std::printf("wu_boada: fine-tuning %s with %s and %s; the body is frozen for the first 2 epochs\n",
                  a.weights.string().c_str(), a.optimizer == "sgd" ? "SGD (momentum 0.9)" : "AdamW",
                  a.schedule == "sgdr" ? "the paper's SGDR phases" : "one-cycle");
  }
  /// The paper's three fastai 0.7 fit calls: fit(lr, 2, cycle_len=1) head only, unfreeze,
  /// fit(lr, 1, cycle_len=1), fit(lr, 3, cycle_len=1, cycle_mult=2) (continuing by doubling).
  static optim::SGDRPhases paper_schedule(std::size_t batches) {
    return optim::SGDRPhases({{.cycles = 2}, {.cycles = 1}, {.cycles = 0, .cycle_mult = 2}},
                             static_cast<std::int64_t>(batches));
  }
  static std::vector<std::string> expand_targets(std::vector<std::string> t) { return t; }
  template <class M>
  static auto& output_layer(M& model) { return model.head().template get<8>(); }
  template <class M>
  static std::unique_ptr<M> make(const app::Args& a) { return std::make_unique<M>(static_cast<int>(a.targets.size())); }

  /// SGD (momentum 0.9) or AdamW over fastai's layer groups (stem–layer2, layer3–4, head) at the
  /// rates of lr = slice(lr_body, lr); the paper's SGDR phases or one-cycle; with --weights the
  /// body frozen for the first two epochs.
  template <class M>
  static train::Regimen<M> regimen(M& model, const app::Args& a, std::size_t batches) {
    using D = typename M::device_type;
    auto groups = model.layer_groups();
    const auto lrs = a.lr_body > 0 ? optim::even_mults(a.lr_body, a.lr, 3) : std::vector<double>(3, a.lr);
    auto r = a.optimizer == "adamw"
                 ? train::regimen<M>(optim::AdamW<float, D>(groups[0], {.lr = lrs[0], .weight_decay = a.wd}))
                 : train::regimen<M>(optim::SGD<float, D>(groups[0], {.lr = lrs[0], .momentum = 0.9, .weight_decay = a.wd}));
    for (std::size_t g = 1; g < groups.size(); ++g) r.optimizer->add_param_group(groups[g], lrs[g]);
    const bool pretrained = !a.weights.empty(), root = a.comm->root();
    r.hooks.before_epoch = [&model, pretrained, root](int epoch) {  // a function of the epoch: --resume lands in its phase
      if (!pretrained) return;
      nn::set_requires_grad(model.body(), epoch >= 2);
      if (epoch == 2 && root) std::printf("wu_boada: body unfrozen for epoch 3 on\n");
    };
    const optim::OneCycle cycle({.total_steps = static_cast<std::int64_t>(a.epochs * batches)});
    r.hooks.before_step = [&opt = *r.optimizer, one_cycle = a.schedule == "one-cycle", cycle,
                           sgdr = paper_schedule(batches)](std::int64_t step) {
      one_cycle ? cycle.apply(opt, step) : sgdr.apply(opt, step);
    };
    if (pretrained) nn::freeze(model.body());  // what lr-find (which runs no epochs) sweeps, as fastai's does
    return r;
  }
};

}  // namespace galnet::app
