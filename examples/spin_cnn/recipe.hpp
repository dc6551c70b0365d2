// spin_cnn/recipe.hpp — the paper's settings for spin_cnn (see main.cpp), shared by main.cpp (the
// CPU build, plain C++) and cuda.cu (the --device cuda half, compiled by nvcc).
#pragma once
#include <galnet/app.hpp>

namespace galnet::app {

struct SpinRecipe {
  static constexpr int max_outputs = 1;
  static constexpr bool batch_norm = false;  // no --sync-batchnorm: nothing to synchronise
  template <class D = Cpu>
  using Model = models::SpinCNN<float, D>;

  static app::PaperDefaults defaults() {
    return {.name = "spin_cnn", .description = "spin_cnn: the sdss_CNN Keras network for galaxy spin lambda_R",
            .catalog_file = "galaxies.csv", .image_dir = "images", .load_size = 80, .targets = {"lambda_re"},
            .epochs = 35, .batch_size = 32, .lr = 1e-3, .valid_pct = 15, .test_pct = 15, .seed = 0, .augment = data::spin_cnn_augment(),
            .normalization = app::NormalizationKind::unit, .rmse_loss = false};
  }
  static void add_options(CLI::App* c, app::Args&) {
    if (c->get_name() == "summary") return;
    c->add_flag_callback("--winograd-5x5", [] { ops::set_winograd_5x5(true); },
                         "CPU: the 5x5 layer's forward and data gradient by Winograd F(2x2, 5x5), 1.7-2x faster, "
                         "float error up to 1.7e-6 of the output's scale instead of im2col's 0.5-5e-7 "
                         "(docs/performance.md)");
  }
  static void resolve(const app::PaperDefaults&, app::Args& a) { a.optimizer = "adam", a.schedule = "plateau"; }
  static std::vector<std::string> expand_targets(std::vector<std::string> t) { return t; }
  template <class M>
  static auto& output_layer(M& model) { return model.template get<22>(); }
  template <class M>
  static std::unique_ptr<M> make(const app::Args&) { return std::make_unique<M>(); }

  /// Keras' Adam with ReduceLROnPlateau (factor 0.2, patience 5, min_lr 1e-5) on the validation loss.
  template <class M>
  static train::Regimen<M> regimen(M& model, const app::Args& a, std::size_t) {
    using D = typename M::device_type;
    auto r = train::regimen<M>(optim::Adam<float, D>(nn::parameters(model), {.lr = a.lr}));
    auto& opt = *r.optimizer;
    auto plateau = std::make_shared<optim::ReduceLROnPlateau<float, D>>(
        opt, optim::PlateauOptions{.factor = 0.2, .patience = 5, .min_lr = 1e-5});
    r.state = plateau;
    r.hooks.after_epoch = [&opt, &plateau = *plateau](const train::EpochRecord& e) {
      if (plateau.step(e.valid_loss)) std::printf("spin_cnn: learning rate reduced to %g\n", opt.lr(0));
    };
    r.hooks.save_state = [&plateau = *plateau](io::Metadata& m) {
      m["plateau.best"] = io::detail::exact(plateau.state().best);
      m["plateau.wait"] = std::to_string(plateau.state().wait);
      m["plateau.cooldown"] = std::to_string(plateau.state().cooldown_counter);
    };
    r.hooks.load_state = [&plateau = *plateau](const io::Metadata& m) {
      if (!m.count("plateau.best")) return;
      plateau.set_state({std::stod(m.at("plateau.best")), std::stoll(m.at("plateau.wait")), std::stoll(m.at("plateau.cooldown"))});
    };
    return r;
  }
};

}  // namespace galnet::app
