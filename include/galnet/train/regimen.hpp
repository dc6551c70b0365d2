// galnet/train/regimen.hpp — Regimen<Model>: how a model trains, as a recipe hands it to
// train::fit and train::lr_find: its optimizer, and the hooks that drive it (a schedule applied
// before each step, freezing phases before each epoch, a plateau scheduler after each).
//
//   auto r = train::regimen<Model>(optim::Adam<float>(nn::parameters(model), {.lr = 1e-3}));
//   r.hooks.before_step = [&opt = *r.optimizer, sched](std::int64_t s) { sched.apply(opt, s); };
//   train::fit(model, *r.optimizer, loss, train_loader, &valid_loader, options, r.hooks);
// The optimizer lives on the heap, so hooks may hold references to it while the Regimen moves;
// `state` keeps alive what else they refer to.
#pragma once
#include <memory>
#include <type_traits>
#include <utility>

#include "galnet/train/fit.hpp"

namespace galnet::train {

template <class Model>
struct Regimen {
  std::unique_ptr<OptimizerOf<Model>> optimizer;
  FitHooks hooks;
  std::shared_ptr<void> state;  ///< what the hooks refer to beyond the optimizer
};

/// A Regimen holding `opt` (any optim::Optimizer) and no hooks yet.
template <class Model, class Opt>
Regimen<Model> regimen(Opt&& opt) {
  Regimen<Model> r;
  r.optimizer = std::make_unique<std::remove_cvref_t<Opt>>(std::forward<Opt>(opt));
  return r;
}

}  // namespace galnet::train
