// interpret.hpp — `sfnet interpret`: which of the 512 sparse features fire, what they track,
// and which galaxies excite them most (Wu 2025, the paper's point).
//   features.csv      feature, n_active, mean_activation, pearson_<target>…, fc_weight_<target>…
//                     for every feature that fires at least once, most active first
//   top_features.png  one row per active feature (up to 16): its top-activating cutouts
#pragma once
#include <algorithm>
#include <cmath>
#include <queue>

#include <galnet/app.hpp>

namespace galnet::app {

template <class Model>
int interpret(Model& model, data::CatalogImageSource& src, const Args& a, int top) {
  constexpr int F = Model::features;
  const auto k = a.targets.size();
  std::vector<std::int64_t> active(F, 0);
  std::vector<double> sum(F, 0), sx(F, 0), sxx(F, 0), sxy(F * k, 0), sy(k, 0), syy(k, 0);
  using Entry = std::pair<float, std::size_t>;  // activation, row: a min-heap keeps the top N
  std::vector<std::priority_queue<Entry, std::vector<Entry>, std::greater<>>> best(F);
  model.eval();
  src.train(false);
  data::DataLoader loader(src, {}, {.batch_size = a.batch_size, .shuffle = false, .workers = a.workers});
  loader.start_epoch(0);
  data::Batch b;
  std::int64_t n = 0;
  while (loader.next(b)) {
    model.forward(b.images);
    const auto& z = model.sparse_features();
    for (std::int64_t i = 0; i < b.size(); ++i) {
      const std::size_t row = b.indices[static_cast<std::size_t>(i)];
      for (std::size_t t = 0; t < k; ++t) {
        const double y = b.targets[i * static_cast<std::int64_t>(k) + static_cast<std::int64_t>(t)];
        sy[t] += y, syy[t] += y * y;
      }
      for (int f = 0; f < F; ++f) {
        const double x = z[i * F + f];
        sx[f] += x, sxx[f] += x * x;
        for (std::size_t t = 0; t < k; ++t)
          sxy[f * k + t] += x * b.targets[i * static_cast<std::int64_t>(k) + static_cast<std::int64_t>(t)];
        if (x <= 0) continue;
        ++active[f];
        sum[f] += x;
        best[f].emplace(static_cast<float>(x), row);
        if (static_cast<int>(best[f].size()) > top) best[f].pop();
      }
      ++n;
    }
  }
  std::vector<int> order;
  for (int f = 0; f < F; ++f)
    if (active[f] > 0) order.push_back(f);
  std::sort(order.begin(), order.end(), [&](int x, int y) { return active[x] != active[y] ? active[x] > active[y] : x < y; });

  std::string csv = "feature,n_active,mean_activation";
  for (const auto& t : a.targets) csv += ",pearson_" + t;
  for (const auto& t : a.targets) csv += ",fc_weight_" + t;
  csv += "\n";
  const auto& w = model.fc().weight().value;  // [outputs, F]
  char buf[64];
  for (int f : order) {
    csv += std::to_string(f) + "," + std::to_string(active[f]);
    std::snprintf(buf, sizeof buf, ",%.6g", sum[f] / static_cast<double>(active[f]));
    csv += buf;
    for (std::size_t t = 0; t < k; ++t) {
      const double nn = static_cast<double>(n);
      const double cov = sxy[f * k + t] / nn - sx[f] / nn * sy[t] / nn;
      const double vx = sxx[f] / nn - sx[f] * sx[f] / nn / nn, vy = syy[t] / nn - sy[t] * sy[t] / nn / nn;
      std::snprintf(buf, sizeof buf, ",%.6g", vx > 0 && vy > 0 ? cov / std::sqrt(vx * vy) : NAN);
      csv += buf;
    }
    for (std::size_t t = 0; t < k; ++t) {
      std::snprintf(buf, sizeof buf, ",%.6g", w[static_cast<std::int64_t>(t) * F + f]);
      csv += buf;
    }
    csv += "\n";
  }
  galnet::write_file_atomically(a.out / "features.csv", csv);
  std::printf("sfnet interpret: %zu of %d features fire on %lld galaxies (k = %d); features.csv in %s\n", order.size(),
              F, static_cast<long long>(n), model.k(), a.out.string().c_str());
#if defined(GALNET_WITH_CAIRO)
  std::vector<std::vector<data::Image>> images;
  std::vector<std::string> labels;
  for (std::size_t r = 0; r < order.size() && r < 16; ++r) {
    const int f = order[r];
    std::vector<Entry> e;
    for (auto q = best[f]; !q.empty(); q.pop()) e.push_back(q.top());
    std::sort(e.begin(), e.end(), std::greater<>());
    images.emplace_back();
    for (const auto& [x, row] : e) images.back().push_back(data::read_image(src.path_of(row), 3));
    std::snprintf(buf, sizeof buf, "feature %d\n%lld active", f, static_cast<long long>(active[f]));
    labels.push_back(buf);
  }
  std::vector<std::vector<const data::Image*>> ptrs;
  for (auto& row : images) {
    ptrs.emplace_back();
    for (auto& im : row) ptrs.back().push_back(&im);
  }
  if (!ptrs.empty()) eval::plot_montage(a.out / "top_features.png", ptrs, labels);
#endif
  return 0;
}

}  // namespace galnet::app
