// galnet/train/fit.hpp — the training loop every example uses, and users can copy or replace.
//
// fit(model, opt, loss, train, valid, options, hooks) runs epochs, opt any optim::Optimizer of the
// model's parameters; it runs epochs [start, epochs): for each
// epoch hooks.before_epoch(epoch) (freezing phases), then for each
// batch, hooks.before_step(step) (a schedule sets lr/momentum there), zero_grad, forward, loss,
// backward, step; then the validation loss in eval mode; then hooks.after_epoch (plateau
// schedules), a history row, and a checkpoint written atomically to
// options.checkpoint (resume from it with `resume = true`: bit-identical to an uninterrupted
// run). After an epoch whose validation loss is the lowest so far, hooks.on_best (before the
// checkpoint: save the best model there); with options.early_stop = N, training stops once N
// epochs have passed without a new lowest validation loss (the best is read back from the
// checkpoint's history on resume, so a resumed run stops where the uninterrupted one does). The loss is any object with T forward(pred, target) and backward() (nn::MSELoss,
// nn::RMSELoss…), or forward(pred, target, weight) where the batches carry per-target sample
// weights (a weighted source; nn::WeightedMSELoss). Losses reported per epoch are means over
// the batches weighted by their sample counts.
//
// Data-parallel (options.comm, e.g. dist::World under mpirun): the loaders shard each global
// batch across the ranks (LoaderOptions::rank/ranks), every rank computes the gradient of its
// share, the gradients are summed weighted by share (dist::GradientAverager, in buckets that
// start summing while the backward pass goes on), and every rank
// takes the same step — so N ranks × batch B follow one process × batch N·B, up to the order of
// the sums (batch norm keeps per-rank batch statistics, as PyTorch DDP does, or with
// sync_batchnorm takes them over the global batch). Rank 0's weights
// are broadcast at the start and its batch-norm running statistics at the end of each epoch,
// losses are reduced over the ranks, and rank 0 alone prints and writes the checkpoint, which
// records the rank count; a run resumes on any number of ranks (the step count carries on, so
// a schedule continues by steps; with another rank count an epoch has another number of them).
// A rank whose loader or model throws leaves the others waiting in a collective: the caller
// stops the job (dist::World::abort), as the example programs do.
#pragma once
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "galnet/data/loader.hpp"
#include "galnet/dist/communicator.hpp"
#include "galnet/dist/gradients.hpp"
#include "galnet/io/checkpoint.hpp"
#include "galnet/nn/batchnorm.hpp"
#include "galnet/optim/optimizer.hpp"
#include "galnet/train/progress.hpp"

namespace galnet::train {

struct EpochRecord {
  int epoch = 0;  ///< 1-based
  double train_loss = 0, valid_loss = NAN, lr = 0, seconds = 0;
};

struct FitOptions {
  int epochs = 1;
  std::filesystem::path checkpoint;  ///< written after every epoch when not empty
  bool resume = false;               ///< continue from `checkpoint`, which must exist
  /// The settings that define the run (a program's options): saved in the checkpoint as
  /// "config.KEY", and a resume whose value differs, or is absent there, is an error naming both.
  io::Metadata config;
  bool progress = true;  ///< a progress bar on a terminal; false: only a line per epoch
  /// The processes of a data-parallel job (null: this one alone); the loaders must shard for
  /// the same rank and size.
  const dist::Communicator* comm = nullptr;
  /// With comm: batch-norm statistics over the whole global batch (nn::set_sync_batchnorm, for
  /// the fit) rather than each rank's share; a global batch with an empty share is then left out.
  bool sync_batchnorm = false;
  /// With comm: gradients are summed in buckets of about this many bytes, each started as soon
  /// as backward has finished it (PyTorch DDP's bucket_cap_mb, 25 MB). Smaller buckets expose
  /// less of the sum after backward (the last bucket's) but pay the network's latency more often.
  std::int64_t gradient_bucket_bytes = dist::kDefaultBucketBytes;
  /// Patience: stop after this many epochs without a validation loss below the best so far
  /// (Keras' EarlyStopping, fastai's EarlyStoppingCallback); 0: run every epoch. Needs a
  /// validation loader.
  int early_stop = 0;
};

struct FitHooks {
  /// Called with the 0-based epoch before its first batch, also for the first epoch of a
  /// resumed run: freezing phases belong here, as a function of the epoch.
  std::function<void(int epoch)> before_epoch;
  std::function<void(std::int64_t step)> before_step;
  std::function<void(const EpochRecord&)> after_epoch;
  /// Called on rank 0 after an epoch whose validation loss is the lowest so far, before its
  /// checkpoint (fastai's SaveModelCallback, Keras' ModelCheckpoint(save_best_only)).
  std::function<void(const EpochRecord&)> on_best;
  /// Caller state saved in (and restored from) the checkpoint's metadata.
  std::function<void(io::Metadata&)> save_state;
  std::function<void(const io::Metadata&)> load_state;
};

/// Puts a loader's host tensors on device D, one uploader per stream of batches (images,
/// targets): `up(host)` returns a tensor on D that stays valid until the next call. On the CPU
/// that is the host tensor itself; BatchUpload<Cuda> (galnet/train/cuda.hpp, included
/// by galnet/cuda.cuh) stages it in pinned memory and copies it asynchronously.
template <class D>
class BatchUpload;

template <>
class BatchUpload<Cpu> {
public:
  template <class T>
  const Tensor<T, Cpu>& operator()(const Tensor<T, Cpu>& host) {
    return host;
  }
};

namespace detail {
/// A batch's loss: with the batch's sample weights where it carries them (the loss must take
/// them: nn::WeightedMSELoss), else of predictions and targets alone.
template <class Loss, class Pred, class Upload>
double batch_loss(Loss& loss, const Pred& pred, const data::Batch& b, Upload& targets, Upload& weights) {
  if (!b.weights.empty()) {
    if constexpr (requires { loss.forward(pred, targets(b.targets), weights(b.weights)); })
      return static_cast<double>(loss.forward(pred, targets(b.targets), weights(b.weights)));
    else
      GALNET_CHECK(false, "fit: the batches carry sample weights, and this loss takes none (nn::WeightedMSELoss does)");
  }
  if constexpr (requires { loss.forward(pred, targets(b.targets)); })
    return static_cast<double>(loss.forward(pred, targets(b.targets)));
  else
    GALNET_CHECK(false, "fit: this loss takes sample weights, and the batches carry none (a weighted source gives them)");
  return NAN;
}

template <class Source>
void check_sharding(const data::DataLoader<Source>& loader, const dist::Communicator& comm, const char* which) {
  const auto& lo = loader.options();
  GALNET_CHECK(lo.rank == comm.rank() && lo.ranks == comm.size(), "fit: the ", which, " loader shards for rank ",
               lo.rank, " of ", lo.ranks, ", but this process is rank ", comm.rank(), " of ", comm.size(),
               " (set LoaderOptions::rank and ranks from the communicator)");
}
}  // namespace detail

/// Mean loss over a loader in eval mode (no gradients kept); with a communicator, over every
/// rank's share (the loader sharded for it).
template <class Model, class Loss, class Source>
double evaluate_loss(Model& model, Loss& loss, data::DataLoader<Source>& loader, std::int64_t epoch = 0,
                     const dist::Communicator& comm = dist::single_process()) {
  detail::check_sharding(loader, comm, "evaluation");
  const bool was_training = model.training();
  model.eval();
  data::Batch b;
  BatchUpload<typename Model::device_type> images, targets, weights;
  double sum = 0;
  std::int64_t n = 0;
  loader.start_epoch(epoch);
  while (loader.next(b)) {
    if (b.size() == 0) continue;
    const auto& pred = model.forward(images(b.images));
    sum += detail::batch_loss(loss, pred, b, targets, weights) * static_cast<double>(b.size());
    n += b.size();
  }
  model.train(was_training);
  double totals[2] = {sum, static_cast<double>(n)};
  comm.sum(totals, 2);
  return totals[1] > 0 ? totals[0] / totals[1] : NAN;
}

/// The history rows a checkpoint carries (see fit), for a resumed run.
inline std::vector<EpochRecord> history_from(const io::Metadata& md, int epochs) {
  std::vector<EpochRecord> h;
  for (int e = 1; e <= epochs; ++e) {
    const std::string k = "history." + std::to_string(e) + ".";
    if (!md.count(k + "train_loss")) break;
    EpochRecord r;
    r.epoch = e;
    r.train_loss = std::stod(md.at(k + "train_loss"));
    r.valid_loss = std::stod(md.at(k + "valid_loss"));
    r.lr = std::stod(md.at(k + "lr"));
    r.seconds = std::stod(md.at(k + "seconds"));
    h.push_back(r);
  }
  return h;
}

/// The epoch with the lowest finite validation loss in a history (the first of equals), or null.
inline const EpochRecord* best_record(const std::vector<EpochRecord>& h) {
  const EpochRecord* best = nullptr;
  for (const auto& r : h)
    if (std::isfinite(r.valid_loss) && (!best || r.valid_loss < best->valid_loss)) best = &r;
  return best;
}

/// The optimizer of a model's parameters: any galnet optimizer (SGD, Adam, RAdam, Lookahead…).
template <class Model>
using OptimizerOf = optim::Optimizer<typename Model::value_type, typename Model::device_type>;

template <class Model, class Loss, class Source>
std::vector<EpochRecord> fit(Model& model, OptimizerOf<Model>& opt, Loss& loss, data::DataLoader<Source>& train_loader,
                             data::DataLoader<Source>* valid_loader, const FitOptions& o, FitHooks hooks = {},
                             std::vector<EpochRecord> history = {}) {
  const dist::Communicator& comm = o.comm ? *o.comm : dist::single_process();
  detail::check_sharding(train_loader, comm, "training");
  if (valid_loader) detail::check_sharding(*valid_loader, comm, "validation");
  GALNET_CHECK(!valid_loader || valid_loader->batches_per_epoch() > 0, "fit: the validation loader has no batches (",
               valid_loader ? valid_loader->samples() : 0, " samples); give it samples, or no validation loader");
  GALNET_CHECK(o.early_stop >= 0 && (o.early_stop == 0 || valid_loader), "fit: early_stop = ", o.early_stop,
               ": stopping early needs a validation loader and a patience of at least 1 epoch (0: off)");
  int start = 0;
  std::int64_t step = 0;
  if (!o.checkpoint.empty() && comm.root()) galnet::remove_stale_temporaries(o.checkpoint);  // left by a killed write
  if (o.resume) {
    GALNET_CHECK(!o.checkpoint.empty(), "fit: resume needs FitOptions::checkpoint");
    const bool here = std::filesystem::exists(o.checkpoint);
    double seen = here ? 1 : 0;  // every rank must see the same file, or ranks would diverge
    comm.sum(&seen, 1);
    GALNET_CHECK(seen == 0 || seen == comm.size(), "fit: ", o.checkpoint.string(), " exists for ", seen, " of ",
                 comm.size(), " ranks: the checkpoint must be on a filesystem that every rank shares");
    GALNET_CHECK(here, "fit: resume: there is no checkpoint at '", o.checkpoint.string(), "'");
    {
      const auto file = io::SafetensorsFile::read(o.checkpoint);
      const auto& md = file.metadata();
      for (const auto& [key, value] : o.config) {
        const auto it = md.find("config." + key);
        GALNET_CHECK(it != md.end() && it->second == value, "fit: resume: '", o.checkpoint.string(),
                     "' was written by a run with ", key, " = '", it == md.end() ? std::string("(not recorded)") : it->second,
                     "', this run has ", key, " = '", value, "'; resume with the same settings, or start a new run");
      }
      const auto p = io::load_checkpoint(file, model, opt);
      start = static_cast<int>(p.epoch);
      step = p.step;
      if (hooks.load_state) hooks.load_state(p.extra);
      history = history_from(p.extra, start);
      const auto ranks = p.extra.count("fit.ranks") ? std::stoi(p.extra.at("fit.ranks")) : 1;
      if (ranks != comm.size() && comm.root())
        std::fprintf(stderr, "fit: resuming a run of %d rank(s) on %d: the global batch and the steps per epoch change\n",
                     ranks, comm.size());
    }
  }
  dist::broadcast_state(model, comm);  // one set of weights everywhere, whatever each rank initialised
  Progress progress(stderr, o.progress && comm.root());
  data::Batch b;
  BatchUpload<typename Model::device_type> images, targets, weights;
  using Averager = dist::GradientAverager<typename Model::value_type, typename Model::device_type>;
  std::optional<Averager> average;
  decltype(nn::trainable_parameters(model)) averaged;
  std::optional<nn::SyncBatchNorm<Model>> sync_scope;
  if (o.sync_batchnorm && comm.size() > 1) sync_scope.emplace(model, comm);
  const bool sync = nn::detail::any_sync_batchnorm(model);  // by the option, or set by the caller
  for (int e = start; e < o.epochs; ++e) {
    if (const EpochRecord* best = best_record(history); o.early_stop > 0 && best && e - best->epoch >= o.early_stop) {
      if (comm.root())
        std::fprintf(stderr, "fit: stopped early after epoch %d: no lower validation loss in the %d epochs since "
                     "epoch %d (%.6g)\n", e, o.early_stop, best->epoch, best->valid_loss);
      break;
    }
    model.train();
    if (hooks.before_epoch) hooks.before_epoch(e);
    if (auto trainable = nn::trainable_parameters(model); !average || trainable != averaged) {  // freezing phases
      averaged = trainable;
      average.emplace(std::move(trainable), o.gradient_bucket_bytes);
    }
    train_loader.start_epoch(e);
    progress.start(e, o.epochs, train_loader.batches_per_epoch());
    double sum = 0;
    std::int64_t n = 0;
    while (train_loader.next(b)) {
      double global = static_cast<double>(b.size());  // the global batch, after any skipped samples
      if (sync) {  // every rank must reach each batch norm's allreduces: leave out a batch with an empty share
        double shares[2] = {global, b.size() == 0 ? 1.0 : 0.0};
        comm.sum(shares, 2);
        if (shares[1] > 0) continue;
        global = shares[0];
      }
      if (!sync) comm.sum(&global, 1);
      if (global == 0) continue;
      if (hooks.before_step) hooks.before_step(step);
      opt.zero_grad();
      double l = 0;
      // Gradient buckets start summing over the ranks while backward goes on.
      average->begin(comm, b.size(), static_cast<std::int64_t>(global));
      if (b.size() > 0) {  // a rank's share may be empty at the end of an epoch
        const auto& pred = model.forward(images(b.images));
        l = detail::batch_loss(loss, pred, b, targets, weights);
        GALNET_CHECK(std::isfinite(l), "fit: the training loss became ", l, " at epoch ", e + 1, ", step ", step,
                     comm.size() > 1 ? " on rank " + std::to_string(comm.rank()) : std::string(),
                     " (learning rate too high?)");
        model.backward(loss.backward());
      }
      average->finish();
      opt.step();
      ++step;
      sum += l * static_cast<double>(b.size());
      n += b.size();
      progress.update(static_cast<std::size_t>(global), sum / static_cast<double>(std::max<std::int64_t>(n, 1)));
    }
    double totals[2] = {sum, static_cast<double>(n)};
    comm.sum(totals, 2);
    // Batch-norm running statistics differ per rank: evaluate and save rank 0's.
    dist::broadcast_buffers(model, comm);
    EpochRecord rec;
    rec.epoch = e + 1;
    rec.train_loss = totals[1] > 0 ? totals[0] / totals[1] : NAN;
    rec.lr = opt.groups().empty() ? 0.0 : opt.groups().back().lr;
    if (valid_loader) rec.valid_loss = evaluate_loss(model, loss, *valid_loader, e, comm);
    // A model that predicts ±inf or NaN is never checkpointed: the last good checkpoint stays.
    GALNET_CHECK(!valid_loader || !std::isfinite(rec.train_loss) || std::isfinite(rec.valid_loss), "fit: the validation loss became ",
                 rec.valid_loss, " at epoch ", e + 1, " (learning rate too high?); the last good checkpoint is kept");
    rec.seconds = progress.seconds();
    if (hooks.after_epoch) hooks.after_epoch(rec);
    history.push_back(rec);
    if (comm.root()) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "train loss %.5f  valid loss %.5f  lr %.3g", rec.train_loss, rec.valid_loss,
                    rec.lr);
      progress.finish(buf);
    }
    if (hooks.on_best && comm.root() && best_record(history) == &history.back()) hooks.on_best(rec);
    if (!o.checkpoint.empty() && comm.root()) {
      io::TrainingProgress p{.epoch = e + 1, .step = step};
      if (hooks.save_state) hooks.save_state(p.extra);
      p.extra["fit.ranks"] = std::to_string(comm.size());
      for (const auto& [key, value] : o.config) p.extra["config." + key] = value;
      // The history so far rides along, so a resumed run writes the whole history.csv.
      for (const auto& h : history) {
        const std::string k = "history." + std::to_string(h.epoch) + ".";
        p.extra[k + "train_loss"] = io::detail::exact(h.train_loss);
        p.extra[k + "valid_loss"] = io::detail::exact(h.valid_loss);
        p.extra[k + "lr"] = io::detail::exact(h.lr);
        p.extra[k + "seconds"] = io::detail::exact(h.seconds);
      }
      io::save_checkpoint(o.checkpoint, model, opt, p);
    }
  }
  return history;
}

/// history.csv: epoch, train_loss, valid_loss, lr (at the epoch's end), seconds.
inline std::string history_csv(const std::vector<EpochRecord>& h) {
  std::string s = "epoch,train_loss,valid_loss,lr,seconds\n";
  char buf[200];
  for (const auto& r : h) {
    std::snprintf(buf, sizeof buf, "%d,%.8g,%.8g,%.8g,%.3f\n", r.epoch, r.train_loss, r.valid_loss, r.lr, r.seconds);
    s += buf;
  }
  return s;
}

}  // namespace galnet::train
