// galnet/data/table_source.hpp — TableSource: rows of numeric features with their targets and,
// optionally, per-target sample weights, as a DataLoader's sample source: what Keras'
// fit(x, y, sample_weight=w) takes, for galnet's training loop (train::fit).
//
// Row i is features[i·F … i·F + F) (sample shape [F]), targets[i·K … i·K + K) and, when given,
// weights[i·K … i·K + K) (a weight of 0 leaves that target out of the loss). The vectors are
// held by the source; sizes, finiteness (and weights ≥ 0) are checked on construction, naming
// the row.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/rng.hpp"
#include "galnet/core/shape.hpp"

namespace galnet::data {

class TableSource {
public:
  TableSource(std::vector<float> features, int feature_count, std::vector<float> targets, int target_count,
              std::vector<float> weights = {})
      : x_(std::move(features)), y_(std::move(targets)), w_(std::move(weights)), f_(feature_count), k_(target_count) {
    GALNET_CHECK(f_ >= 1 && k_ >= 1, "data::TableSource: ", f_, " features and ", k_, " targets a row; need at least 1 of each");
    GALNET_CHECK(x_.size() % static_cast<std::size_t>(f_) == 0 && y_.size() == size() * static_cast<std::size_t>(k_) &&
                     (w_.empty() || w_.size() == y_.size()),
                 "data::TableSource: ", x_.size(), " feature, ", y_.size(), " target and ", w_.size(),
                 " weight values do not make rows of ", f_, " features and ", k_, " targets");
    for (std::size_t i = 0; i < x_.size(); ++i)
      GALNET_CHECK(std::isfinite(x_[i]), "data::TableSource: feature ", i % static_cast<std::size_t>(f_), " of row ",
                   i / static_cast<std::size_t>(f_), " is ", x_[i]);
    for (std::size_t i = 0; i < y_.size(); ++i)
      GALNET_CHECK(std::isfinite(y_[i]), "data::TableSource: target ", i % static_cast<std::size_t>(k_), " of row ",
                   i / static_cast<std::size_t>(k_), " is ", y_[i], " (a missing target is any finite value of weight 0)");
    for (std::size_t i = 0; i < w_.size(); ++i)
      GALNET_CHECK(std::isfinite(w_[i]) && w_[i] >= 0, "data::TableSource: weight ", i % static_cast<std::size_t>(k_),
                   " of row ", i / static_cast<std::size_t>(k_), " is ", w_[i], "; weights are finite and >= 0");
  }

  [[nodiscard]] std::size_t size() const { return x_.size() / static_cast<std::size_t>(f_); }
  [[nodiscard]] Shape sample_shape() const { return Shape{f_}; }
  [[nodiscard]] int target_count() const { return k_; }
  [[nodiscard]] bool weighted() const { return !w_.empty(); }

  void load(std::size_t i, float* x, float* y, Generator&) const {
    std::copy_n(x_.data() + i * static_cast<std::size_t>(f_), f_, x);
    std::copy_n(y_.data() + i * static_cast<std::size_t>(k_), k_, y);
  }
  void load_weights(std::size_t i, float* w) const { std::copy_n(w_.data() + i * static_cast<std::size_t>(k_), k_, w); }

private:
  std::vector<float> x_, y_, w_;
  int f_, k_;
};

}  // namespace galnet::data
