// interpret.hpp — `sfnet interpret`: which of the 512 sparse features fire, what they track,
// and which galaxies excite them most (Wu 2025, the paper's point).
//   features.csv      feature, n_active, mean_activation, pearson_<column>…, fc_weight_<target>…
//                     for every feature that fires at least once, most active first; the
//                     columns are the model's targets and --properties (any catalog columns:
//                     mass, SFR, BPT class…), r over the galaxies where the column is finite
//   activations.csv   objID and each firing feature's activation (0 where it is not active)
//   top_features.png  one row per active feature (up to 16): its top-activating cutouts
#pragma once
#include <algorithm>
#include <cmath>
#include <queue>
#include <string>
#include <vector>

#include <galnet/app.hpp>

namespace galnet::app {

template <class Model>
int interpret(Model& model, data::CatalogImageSource& src, const Args& a, int top, const std::vector<std::string>& properties) {
  constexpr int F = Model::features;
  const data::Catalog& cat = src.catalog();
  // The columns each feature is correlated with: the model's targets, then --properties.
  std::vector<std::string> columns = a.targets;
  for (const auto& p : properties)
    if (std::find(columns.begin(), columns.end(), p) == columns.end()) columns.push_back(p);
  cat.require_columns(columns, "sfnet interpret --properties");
  std::vector<std::int64_t> active(F, 0);
  std::vector<double> sum(F, 0);
  std::vector<std::size_t> rows;                           // catalog row of each galaxy, in order
  std::vector<std::vector<std::pair<int, float>>> fired;   // each galaxy's non-zero features
  std::vector<std::vector<std::pair<std::size_t, float>>> members(F);  // each feature's galaxies
  using Entry = std::pair<float, std::size_t>;  // activation, row: a min-heap keeps the top N
  std::vector<std::priority_queue<Entry, std::vector<Entry>, std::greater<>>> best(F);
  model.eval();
  src.train(false);
  data::DataLoader loader(src, {}, {.batch_size = a.batch_size, .shuffle = false, .workers = a.workers});
  loader.start_epoch(0);
  data::Batch b;
  while (loader.next(b)) {
    model.forward(b.images);
    const auto& z = model.sparse_features();
    for (std::int64_t i = 0; i < b.size(); ++i) {
      const std::size_t row = b.indices[static_cast<std::size_t>(i)];
      rows.push_back(row);
      fired.emplace_back();
      for (int f = 0; f < F; ++f) {
        const float x = z[i * F + f];
        if (x <= 0) continue;
        fired.back().emplace_back(f, x);
        members[f].emplace_back(rows.size() - 1, x);
        ++active[f];
        sum[f] += x;
        best[f].emplace(x, row);
        if (static_cast<int>(best[f].size()) > top) best[f].pop();
      }
    }
  }
  const std::size_t n = rows.size();
  std::vector<int> order;
  for (int f = 0; f < F; ++f)
    if (active[f] > 0) order.push_back(f);
  std::sort(order.begin(), order.end(), [&](int x, int y) { return active[x] != active[y] ? active[x] > active[y] : x < y; });
  std::vector<int> column_of(F, -1);  // feature -> its column in activations.csv
  for (std::size_t c = 0; c < order.size(); ++c) column_of[order[c]] = static_cast<int>(c);

  char buf[64];
  std::string acts = "objID";
  for (int f : order) acts += ",feature_" + std::to_string(f);
  acts += "\n";
  std::vector<double> row_values(order.size());
  for (std::size_t g = 0; g < n; ++g) {
    std::fill(row_values.begin(), row_values.end(), 0.0);
    for (const auto& [f, v] : fired[g]) row_values[static_cast<std::size_t>(column_of[f])] = v;
    acts += data::csv_field(cat.id(rows[g]));
    for (const double v : row_values) {
      std::snprintf(buf, sizeof buf, ",%.9g", v);
      acts += buf;
    }
    acts += "\n";
  }
  std::string csv = "feature,n_active,mean_activation";
  for (const auto& c : columns) csv += ",pearson_" + c;
  for (const auto& t : a.targets) csv += ",fc_weight_" + t;
  csv += "\n";
  std::vector<std::vector<double>> values;  // each column's value per galaxy (NaN: left out of its r)
  for (const auto& c : columns) {
    const auto& column = cat.numeric(c);
    values.emplace_back(n);
    for (std::size_t g = 0; g < n; ++g) values.back()[g] = column[rows[g]];
  }
  std::vector<double> x(n);  // one feature's activation per galaxy (0 where it does not fire)
  const auto& w = model.fc().weight().value;  // [outputs, F]
  for (std::size_t c = 0; c < order.size(); ++c) {
    const int f = order[c];
    csv += std::to_string(f) + "," + std::to_string(active[f]);
    std::snprintf(buf, sizeof buf, ",%.6g", sum[f] / static_cast<double>(active[f]));
    csv += buf;
    std::fill(x.begin(), x.end(), 0.0);
    for (const auto& [g, v] : members[f]) x[g] = v;
    for (const auto& v : values) {  // Pearson r over the galaxies whose value is finite
      std::snprintf(buf, sizeof buf, ",%.6g", eval::regression_metrics(v, x).pearson);
      csv += buf;
    }
    for (std::size_t t = 0; t < a.targets.size(); ++t) {
      std::snprintf(buf, sizeof buf, ",%.6g", w[static_cast<std::int64_t>(t) * F + f]);
      csv += buf;
    }
    csv += "\n";
  }
  galnet::write_file_atomically(a.out / "features.csv", csv);
  galnet::write_file_atomically(a.out / "activations.csv", acts);
  std::printf("sfnet interpret: %zu of %d features fire on %zu galaxies (k = %d); features.csv and activations.csv "
              "in %s\n", order.size(), F, n, model.k(), a.out.string().c_str());
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
