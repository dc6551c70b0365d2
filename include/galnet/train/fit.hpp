// galnet/train/fit.hpp — the training loop every example uses, and users can copy or replace.
//
// fit(model, opt, loss, train, valid, options, hooks) runs epochs [start, epochs): for each
// batch, hooks.before_step(step) (a schedule sets lr/momentum there), zero_grad, forward, loss,
// backward, step; then the validation loss in eval mode; then hooks.after_epoch (plateau
// schedules, freezing phases), a history row, and a checkpoint written atomically to
// options.checkpoint (resume from it with `resume = true`: bit-identical to an uninterrupted
// run). The loss is any object with T forward(pred, target) and backward() (nn::MSELoss,
// nn::RMSELoss…). Losses reported per epoch are sample-weighted means over the batches.
#pragma once
#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "galnet/data/loader.hpp"
#include "galnet/io/checkpoint.hpp"
#include "galnet/train/progress.hpp"

namespace galnet::train {

struct EpochRecord {
  int epoch = 0;  ///< 1-based
  double train_loss = 0, valid_loss = NAN, lr = 0, seconds = 0;
};

struct FitOptions {
  int epochs = 1;
  std::filesystem::path checkpoint;  ///< written after every epoch when not empty
  bool resume = false;               ///< continue from `checkpoint` if it exists
  bool progress = true;  ///< a progress bar on a terminal; false: only a line per epoch
};

template <class Opt>
struct FitHooks {
  std::function<void(std::int64_t step)> before_step;
  std::function<void(const EpochRecord&)> after_epoch;
  /// Caller state saved in (and restored from) the checkpoint's metadata.
  std::function<void(io::Metadata&)> save_state;
  std::function<void(const io::Metadata&)> load_state;
};

/// Puts a loader's host tensors on device D, one uploader per stream of batches (images,
/// targets): `up(host)` returns a tensor on D that stays valid until the next call. On the CPU
/// that is the host tensor itself; BatchUpload<Cuda> (galnet/cuda/batch_upload.hpp, included
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

/// Mean loss over a loader in eval mode (no gradients kept).
template <class Model, class Loss, class Source>
double evaluate_loss(Model& model, Loss& loss, data::DataLoader<Source>& loader, std::int64_t epoch = 0) {
  const bool was_training = model.training();
  model.eval();
  data::Batch b;
  BatchUpload<typename Model::device_type> images, targets;
  double sum = 0;
  std::int64_t n = 0;
  loader.start_epoch(epoch);
  while (loader.next(b)) {
    if (b.size() == 0) continue;
    const auto& pred = model.forward(images(b.images));
    sum += static_cast<double>(loss.forward(pred, targets(b.targets))) * static_cast<double>(b.size());
    n += b.size();
  }
  model.train(was_training);
  return n ? sum / static_cast<double>(n) : NAN;
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

template <class Model, class Opt, class Loss, class Source>
std::vector<EpochRecord> fit(Model& model, Opt& opt, Loss& loss, data::DataLoader<Source>& train_loader,
                             data::DataLoader<Source>* valid_loader, const FitOptions& o, FitHooks<Opt> hooks = {},
                             std::vector<EpochRecord> history = {}) {
  int start = 0;
  std::int64_t step = 0;
  if (o.resume && !o.checkpoint.empty() && std::filesystem::exists(o.checkpoint)) {
    const auto p = io::load_checkpoint(o.checkpoint, model, opt);
    start = static_cast<int>(p.epoch);
    step = p.step;
    if (hooks.load_state) hooks.load_state(p.extra);
    history = history_from(p.extra, start);
  }
  Progress progress(stderr, o.progress);
  data::Batch b;
  BatchUpload<typename Model::device_type> images, targets;
  for (int e = start; e < o.epochs; ++e) {
    model.train();
    train_loader.start_epoch(e);
    progress.start(e, o.epochs, train_loader.batches_per_epoch());
    double sum = 0;
    std::int64_t n = 0;
    while (train_loader.next(b)) {
      if (b.size() == 0) continue;
      if (hooks.before_step) hooks.before_step(step);
      opt.zero_grad();
      const auto& pred = model.forward(images(b.images));
      const double l = loss.forward(pred, targets(b.targets));
      GALNET_CHECK(std::isfinite(l), "fit: the training loss became ", l, " at epoch ", e + 1, ", step ", step,
                   " (learning rate too high?)");
      model.backward(loss.backward());
      opt.step();
      ++step;
      sum += l * static_cast<double>(b.size());
      n += b.size();
      progress.update(static_cast<std::size_t>(b.size()), sum / static_cast<double>(n));
    }
    EpochRecord rec;
    rec.epoch = e + 1;
    rec.train_loss = n ? sum / static_cast<double>(n) : NAN;
    rec.lr = opt.groups().empty() ? 0.0 : opt.groups().back().lr;
    if (valid_loader) rec.valid_loss = evaluate_loss(model, loss, *valid_loader, e);
    rec.seconds = progress.seconds();
    if (hooks.after_epoch) hooks.after_epoch(rec);
    history.push_back(rec);
    char buf[160];
    std::snprintf(buf, sizeof buf, "train loss %.5f  valid loss %.5f  lr %.3g", rec.train_loss, rec.valid_loss, rec.lr);
    progress.finish(buf);
    if (!o.checkpoint.empty()) {
      io::TrainingProgress p{.epoch = e + 1, .step = step};
      if (hooks.save_state) hooks.save_state(p.extra);
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
