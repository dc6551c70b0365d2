// galnet/eval/predict.hpp — a model's predictions over rows of a sample source, and the results
// a run writes from them.
//
// Contract
//   - predict_views(model, src, rows, opts): [views, n, k] predictions in eval mode, in the order
//     of `rows`; view 0 the inputs as they are, views 1… augmented draws (src in training mode;
//     fastai 0.7's TTA, averaged by view_mean). With opts.comm of several ranks each predicts its
//     contiguous share (dist::shard) and the parts are summed (zeros elsewhere: exact), so every
//     rank ends with the one-process result, row for row. Batches stream through a DataLoader.
//   - check_predictions: every prediction is finite, or an error names the galaxy and its row.
//   - write_results(out, cat, rows, targets, views, labelled[, predictions]): checks, then composes
//     every file before writing any, each atomically: predictions.csv (the views' mean, and each
//     view with more than one; at `predictions` where given, a FITS table for a .fits name) and,
//     for labelled rows, metrics.json and (with cairo) pred_vs_true.png; the metrics are
//     printed. A failure leaves earlier outputs as they were.
//   - remove_results(dir): removes what write_results (and SFNet's BPT outputs) write there, then the
//     folder if that leaves it empty.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "galnet/core/atomic_file.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/data/augment.hpp"
#include "galnet/data/catalog.hpp"
#include "galnet/data/loader.hpp"
#include "galnet/data/table_io.hpp"
#include "galnet/dist/communicator.hpp"
#include "galnet/dist/shard.hpp"
#include "galnet/eval/metrics.hpp"
#include "galnet/train/fit.hpp"
#if defined(GALNET_WITH_CAIRO)
#include "galnet/eval/plot.hpp"
#endif

namespace galnet::eval {

struct PredictOptions {
  int batch_size = 64;
  int workers = 2;   ///< loader threads
  int views = 1;     ///< 1, or 1 + augmented draws (test-time augmentation)
  const dist::Communicator* comm = &dist::single_process();
};

namespace detail {
template <class Model, class Source>
Tensor<float> predict_views_here(Model& model, Source& src, const std::vector<std::size_t>& rows, int k,
                                 const PredictOptions& o) {
  model.eval();
  const auto n = static_cast<std::int64_t>(rows.size());
  Tensor<float> out(Shape{o.views, n, k}, 0.f), y;
  if (n == 0) return out;  // (a loader given no rows would load them all)
  train::BatchUpload<typename Model::device_type> images;
  for (int v = 0; v < o.views; ++v) {
    src.train(v > 0);
    data::DataLoader loader(src, rows, {.batch_size = o.batch_size, .shuffle = false, .seed = 1000 + static_cast<std::uint64_t>(v),
                                        .workers = o.workers, .pin_memory = !std::is_same_v<typename Model::device_type, Cpu>});
    loader.start_epoch(v);
    data::Batch b;
    float* dst = out.data() + v * n * k;
    while (loader.next(b)) {
      const auto& yd = model.forward(images(b.images));
      GALNET_CHECK(yd.numel() == b.size() * k, "eval::predict_views: the model gives ", yd.shape().str(), " for ",
                   b.size(), " samples, expected ", k, " outputs each");
      y.resize(yd.shape());
      yd.download(y.data());
      dst = std::copy_n(y.data(), y.numel(), dst);
    }
  }
  src.train(false);
  return out;
}
}  // namespace detail

/// The model's k outputs for each of `rows`, per view: [views, n, k] (see the contract).
template <class Model, class Source>
Tensor<float> predict_views(Model& model, Source& src, const std::vector<std::size_t>& rows, int k,
                            const PredictOptions& o = {}) {
  const dist::Communicator& comm = *o.comm;
  if (comm.size() == 1) return detail::predict_views_here(model, src, rows, k, o);
  const auto n = static_cast<std::int64_t>(rows.size());
  const auto [begin, end] = dist::shard(n, comm);
  Tensor<float> pred(Shape{o.views, n, k}, 0.f);
  if (end > begin) {
    const std::vector<std::size_t> mine(rows.begin() + begin, rows.begin() + end);
    const auto part = detail::predict_views_here(model, src, mine, k, o);
    for (int v = 0; v < o.views; ++v)
      std::copy_n(part.data() + v * (end - begin) * k, (end - begin) * k, pred.data() + (v * n + begin) * k);
  }
  comm.sum(pred.data(), pred.numel());
  return pred;
}

/// The mean over the views of predict_views' [views, n, k]: [n, k] (data::tta_average).
inline Tensor<float> view_mean(const Tensor<float>& views) {
  Tensor<float> out(Shape{views.dim(1), views.dim(2)});
  data::tta_average(views.data(), static_cast<int>(views.dim(0)), static_cast<std::size_t>(out.numel()), out.data());
  return out;
}

/// Every prediction [rows × targets] is finite, or an error names the galaxy (before any output).
inline void check_predictions(const data::Catalog& cat, const std::vector<std::size_t>& rows,
                              const std::vector<std::string>& targets, const Tensor<float>& pred) {
  const std::size_t k = targets.size();
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < k; ++j) {
      const float v = pred[static_cast<std::int64_t>(i * k + j)];
      GALNET_CHECK(std::isfinite(v), "the prediction of ", targets[j], " for galaxy ", cat.id(rows[i]), " (row ",
                   rows[i] + 1, ") is ", v, ": the model's weights or this input are broken; nothing was written");
    }
}

/// predictions.csv, and for labelled rows metrics.json and pred_vs_true.png (see the contract).
inline void write_results(const std::filesystem::path& out, const data::Catalog& cat,
                          const std::vector<std::size_t>& rows, const std::vector<std::string>& targets,
                          const Tensor<float>& views, bool labelled, const std::filesystem::path& predictions_path = {}) {
  const auto table = predictions_path.empty() ? out / "predictions.csv" : predictions_path;
  const auto pred = view_mean(views);
  check_predictions(cat, rows, targets, pred);
  const std::size_t n = rows.size(), k = targets.size();
  std::vector<std::string> ids;
  for (auto r : rows) ids.push_back(cat.id(r));
  std::vector<double> y(n * k, NAN), p(n * k);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      if (labelled) y[i * k + j] = cat.value(rows[i], targets[j]);
      p[i * k + j] = pred[static_cast<std::int64_t>(i * k + j)];
    }
  std::vector<double> v;  // each view's predictions, with test-time augmentation
  if (views.dim(0) > 1) v.assign(views.data(), views.data() + views.numel());
  const std::string predictions = predictions_csv(ids, targets, y, p, v);
  if (!labelled) {
    data::write_table(table, predictions);
    return;
  }
  std::vector<std::pair<std::string, RegressionMetrics>> m;
  std::vector<std::vector<double>> ys(k, std::vector<double>(n)), ps(k, std::vector<double>(n));
  for (std::size_t j = 0; j < k; ++j) {
    for (std::size_t i = 0; i < n; ++i) ys[j][i] = y[i * k + j], ps[j][i] = p[i * k + j];
    m.emplace_back(targets[j], regression_metrics(ys[j], ps[j]));
  }
  const std::string metrics = metrics_json(m);
  data::write_table(table, predictions);  // first: a FITS table is built as it is written, and may fail
  galnet::write_file_atomically(out / "metrics.json", metrics);
#if defined(GALNET_WITH_CAIRO)
  for (std::size_t j = 0; j < k; ++j)
    plot_pred_vs_true(out / (k == 1 ? "pred_vs_true.png" : "pred_vs_true_" + targets[j] + ".png"), ys[j], ps[j],
                      targets[j], m[j].second);
#endif
  for (const auto& [name, r] : m)
    std::printf("%-16s n %lld  RMSE %.4f  NMAD %.4f  bias %+.4f  Pearson %.3f  Spearman %.3f  outliers %.3f\n",
                name.c_str(), static_cast<long long>(r.n), r.rmse, r.nmad, r.bias, r.pearson, r.spearman, r.outlier_frac);
}

/// Removes write_results' files from `dir` (predictions.csv, metrics.json, pred_vs_true*.png, and
/// SFNet's bpt.csv and bpt.png), and `dir` itself if nothing else is left in it.
inline void remove_results(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  std::vector<fs::path> ours;
  for (const auto& f : fs::directory_iterator(dir)) {
    const std::string name = f.path().filename().string();
    if (name == "predictions.csv" || name == "metrics.json" || name == "bpt.csv" || name == "bpt.png" ||
        (name.starts_with("pred_vs_true") && name.ends_with(".png")))
      ours.push_back(f.path());
  }
  for (const auto& f : ours) fs::remove(f);
  if (fs::is_empty(dir, ec)) fs::remove(dir, ec);
}

}  // namespace galnet::eval
