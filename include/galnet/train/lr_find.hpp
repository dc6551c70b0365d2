// galnet/train/lr_find.hpp — the learning-rate range test (Smith 2017; fastai's lr_find).
//
// lr_find(model, opt, loss, loader, options) trains for at most num_it mini-batches (looping
// over epochs if the loader is shorter) while the learning rate grows exponentially from
// start_lr to end_lr (the last group's; every other group keeps its ratio of initial_lr to the
// last group's, as fastai's lr_find with discriminative rates), records each batch's loss and its exponentially
// smoothed, bias-corrected value (beta 0.98, as fastai), and stops early once the smoothed loss
// exceeds 4 × its minimum or is not finite (stop_div). Afterwards — also when it throws — model
// parameters, buffers (batch-norm statistics), the optimizer (state, step counters,
// hyper-parameters such as each group's lr), the default generator (dropout) and the train/eval
// mode are restored and the gradients zeroed, so a later fit() runs as if there had been no
// sweep. Any device: a GPU model gets its batches uploaded as in fit(). It returns the curve and fastai's three suggestions, computed on the
// smoothed curve without its first tenth and last five points:
//   valley  — the default since fastai 2.5: the lr two thirds down the longest stretch over which
//             the loss keeps falling (longest decreasing subsequence);
//   steep   — the lr where the loss falls fastest per log-lr;
//   minimum — the lr of the lowest loss, divided by 10.
// Why all three: on a noisy curve they disagree, and a user should see by how much.
#pragma once
#include <cmath>
#include <limits>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/rng.hpp"
#include "galnet/data/loader.hpp"
#include "galnet/nn/module.hpp"
#include "galnet/train/fit.hpp"

namespace galnet::train {

struct LRFindOptions {
  double start_lr = 1e-7;
  double end_lr = 10.0;
  int num_it = 100;
  bool stop_div = true;  ///< stop when the smoothed loss exceeds 4 × its minimum
  double beta = 0.98;    ///< smoothing of the recorded loss
};

struct LRFindResult {
  std::vector<double> lrs, losses, smoothed;  ///< one per batch trained
  double valley = NAN, steep = NAN, minimum = NAN;
  bool diverged = false;  ///< stopped by stop_div before num_it batches
};

namespace detail {

/// fastai's suggestions over the trimmed smoothed curve (see the file comment).
inline void lr_suggestions(LRFindResult& r) {
  const std::size_t n_all = r.lrs.size(), skip = n_all / 10;
  if (n_all < skip + 5 + 3) return;  // too short a curve to say anything
  const std::vector<double> lr(r.lrs.begin() + static_cast<std::ptrdiff_t>(skip), r.lrs.end() - 5);
  std::vector<double> loss(r.smoothed.begin() + static_cast<std::ptrdiff_t>(skip), r.smoothed.end() - 5);
  for (double& v : loss)
    if (!std::isfinite(v)) v = std::numeric_limits<double>::max();
  const std::size_t n = lr.size();
  std::size_t imin = 0, isteep = 0;
  double steepest = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < n; ++i) {
    if (loss[i] < loss[imin]) imin = i;
    if (i > 0) {
      const double g = (loss[i] - loss[i - 1]) / (std::log(lr[i]) - std::log(lr[i - 1]));
      if (g < steepest) steepest = g, isteep = i - 1;  // the segment's start, as fastai
    }
  }
  r.minimum = lr[imin] / 10.0;
  r.steep = lr[isteep];
  std::vector<std::size_t> run(n, 1);  // longest decreasing subsequence ending at i
  std::size_t best_end = 0, best_start = 0;
  for (std::size_t i = 1; i < n; ++i) {
    for (std::size_t j = 0; j < i; ++j)
      if (loss[i] < loss[j] && run[i] < run[j] + 1) run[i] = run[j] + 1;
    if (run[best_end] < run[i]) best_end = i, best_start = i - run[i];
  }
  const double third = static_cast<double>(best_end - best_start) / 3.0;
  const std::size_t idx = best_start + static_cast<std::size_t>(third) + static_cast<std::size_t>(third / 2);
  r.valley = lr[std::min(idx, n - 1)];
}

/// Everything a sweep changes, copied aside: parameters and buffers, the optimizer's state,
/// step counters and hyper-parameters (each group's lr…), the default generator (dropout keys)
/// and train/eval mode. restore() puts it back and zeroes the gradients.
template <class Model>
class TrainingSnapshot {
  using Opt = OptimizerOf<Model>;

public:
  TrainingSnapshot(Model& model, Opt& opt) : model_(model), opt_(opt), rng_(default_generator().state()) {
    for (auto& [name, t] : nn::state_dict(model)) copy_of(*t, state_);
    opt.visit_state([&](const std::string&, auto& t) { copy_of(t, opt_state_); });
    opt.visit_counters([&](const std::string&, std::int64_t& v) { counters_.push_back(v); });
    opt.visit_hypers([&](const std::string&, double& v) { hypers_.push_back(v); });
    training_ = model.training();
  }
  void restore() {
    std::size_t i = 0;
    for (auto& [name, t] : nn::state_dict(model_)) t->copy_from(state_[i++]);
    i = 0;
    opt_.visit_state([&](const std::string&, auto& t) { t.copy_from(opt_state_[i++]); });
    i = 0;
    opt_.visit_counters([&](const std::string&, std::int64_t& v) { v = counters_[i++]; });
    i = 0;
    opt_.visit_hypers([&](const std::string&, double& v) { v = hypers_[i++]; });
    opt_.zero_grad();
    default_generator().set_state(rng_);
    model_.train(training_);
  }

private:
  using TensorT = Tensor<typename Model::value_type, typename Model::device_type>;
  static void copy_of(const TensorT& t, std::vector<TensorT>& into) {
    into.emplace_back(t.shape());
    into.back().copy_from(t);
  }
  Model& model_;
  Opt& opt_;
  Generator::State rng_;
  std::vector<TensorT> state_, opt_state_;
  std::vector<std::int64_t> counters_;
  std::vector<double> hypers_;
  bool training_ = true;
};

}  // namespace detail

template <class Model, class Loss, class Source>
LRFindResult lr_find(Model& model, OptimizerOf<Model>& opt, Loss& loss, data::DataLoader<Source>& loader, const LRFindOptions& o = {}) {
  GALNET_CHECK(o.start_lr > 0 && o.end_lr > o.start_lr, "galnet::train::lr_find: need 0 < start_lr < end_lr, got ",
               o.start_lr, " and ", o.end_lr);
  GALNET_CHECK(o.num_it >= 2, "galnet::train::lr_find: num_it must be at least 2, got ", o.num_it);
  GALNET_CHECK(loader.batches_per_epoch() > 0, "galnet::train::lr_find: the loader yields no batches");
  GALNET_CHECK(!opt.groups().empty() && opt.groups().back().initial_lr > 0,
               "galnet::train::lr_find: the optimizer needs a parameter group with initial_lr > 0");
  const double head_lr = opt.groups().back().initial_lr;
  detail::TrainingSnapshot<Model> snapshot(model, opt);  // put back however the sweep ends
  LRFindResult r;
  double avg = 0, best = std::numeric_limits<double>::infinity();
  data::Batch b;
  BatchUpload<typename Model::device_type> images, targets, weights;
  model.train();
  try {
    for (int it = 0, epoch = 0; it < o.num_it; ++epoch) {
      loader.start_epoch(epoch);
      bool any = false;
      while (it < o.num_it && loader.next(b)) {
        if (b.size() == 0) continue;
        any = true;
        const double lr = o.start_lr * std::pow(o.end_lr / o.start_lr, static_cast<double>(it) / (o.num_it - 1));
        // Groups keep their ratios (discriminative rates, fastai's lr = slice(a, b)): the last
        // group, the head, sweeps `lr`, as fastai 0.7 reports lrs[-1].
        for (auto& g : opt.groups()) g.lr = lr * g.initial_lr / head_lr;
        opt.zero_grad();
        const auto& pred = model.forward(images(b.images));
        const double l = detail::batch_loss(loss, pred, b, targets, weights);
        ++it;
        avg = o.beta * avg + (1 - o.beta) * l;
        const double smooth = avg / (1 - std::pow(o.beta, it));
        r.lrs.push_back(lr), r.losses.push_back(l), r.smoothed.push_back(smooth);
        if (std::isfinite(smooth)) best = std::min(best, smooth);
        if (o.stop_div && (!std::isfinite(smooth) || smooth > 4 * best)) {
          r.diverged = true;
          break;
        }
        model.backward(loss.backward());
        opt.step();
      }
      if (r.diverged || !any) break;
    }
  } catch (...) {
    snapshot.restore();
    throw;
  }
  snapshot.restore();
  detail::lr_suggestions(r);
  return r;
}

}  // namespace galnet::train
