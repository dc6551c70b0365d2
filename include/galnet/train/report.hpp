// galnet/train/report.hpp — what a training run writes beside its model: history.csv (and
// history.png), lr_find.csv (and lr_find.png) with the suggested rates printed. Each file is
// written atomically; the PNGs where galnet was built with cairo (GALNET_WITH_CAIRO).
#pragma once
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "galnet/core/atomic_file.hpp"
#include "galnet/train/fit.hpp"
#include "galnet/train/lr_find.hpp"
#if defined(GALNET_WITH_CAIRO)
#include "galnet/eval/plot.hpp"
#include "galnet/eval/plot_lr_find.hpp"
#endif

namespace galnet::train {

/// out/history.csv (epoch, losses, rate, seconds) and out/history.png.
inline void write_history(const std::filesystem::path& out, const std::vector<EpochRecord>& h) {
  galnet::write_file_atomically(out / "history.csv", history_csv(h));
#if defined(GALNET_WITH_CAIRO)
  std::vector<double> e, tl, vl, lr;
  for (const auto& r : h) e.push_back(r.epoch), tl.push_back(r.train_loss), vl.push_back(r.valid_loss), lr.push_back(r.lr);
  if (!h.empty()) eval::plot_history(out / "history.png", e, tl, vl, lr);
#endif
}

/// out/lr_find.csv (iteration, lr, loss, smoothed_loss), out/lr_find.png with the suggestions
/// marked, and the suggestions printed after `name`.
inline void write_lr_find(const std::filesystem::path& out, const std::string& name, const LRFindResult& r) {
  std::string s = "iteration,lr,loss,smoothed_loss\n";
  char buf[160];
  for (std::size_t i = 0; i < r.lrs.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%zu,%.8g,%.8g,%.8g\n", i + 1, r.lrs[i], r.losses[i], r.smoothed[i]);
    s += buf;
  }
  galnet::write_file_atomically(out / "lr_find.csv", s);
  std::printf("%s lr-find: %zu batches%s; ", name.c_str(), r.lrs.size(), r.diverged ? " (stopped: the loss diverged)" : "");
  if (std::isfinite(r.valley))
    std::printf("suggested learning rates: valley %.3g, steep %.3g, minimum/10 %.3g\n", r.valley, r.steep, r.minimum);
  else
    std::printf("too few batches to suggest a learning rate (give --iters 100)\n");
#if defined(GALNET_WITH_CAIRO)
  eval::plot_lr_find(out / "lr_find.png", r.lrs, r.losses, r.smoothed,
                     {{"valley", r.valley}, {"steep", r.steep}, {"minimum/10", r.minimum}});
#endif
}

}  // namespace galnet::train
