// galnet/data/split.hpp — training, validation and test rows of a catalog.
//
//   random_split(n, valid_frac, test_frac, seed)   seeded, as sklearn's train_test_split sizes
//   split_by_column(catalog, "split")             a catalog's own split: train / valid / test
// Each part is sorted ascending; the parts are disjoint and cover every row.
#pragma once
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/rng.hpp"
#include "galnet/data/catalog.hpp"

namespace galnet::data {

/// Row indices of a train/validation/test split, each part sorted ascending.
struct Split {
  std::vector<std::size_t> train, valid, test;
};

/// Shuffles 0..n-1 with a seeded Generator (Fisher–Yates) and cuts it into test, valid and train.
/// Sizes round up as sklearn's train_test_split does for its test part:
/// n_test = ceil(n * test_frac), n_valid = ceil(n * valid_frac), train gets the rest. Throws if
/// n == 0, a fraction is outside [0, 1), the fractions sum to 1 or more, or train would be empty.
/// The same (n, fractions, seed) always gives the same split.
inline Split random_split(std::size_t n, double valid_frac, double test_frac, std::uint64_t seed) {
  const auto ok = [](double f) { return std::isfinite(f) && f >= 0.0 && f < 1.0; };
  GALNET_CHECK(ok(valid_frac) && ok(test_frac) && valid_frac + test_frac < 1.0,
               "galnet::data::random_split: fractions valid ", valid_frac, " and test ", test_frac,
               " must each lie in [0, 1) and sum to less than 1");
  GALNET_CHECK(n > 0, "galnet::data::random_split: nothing to split (n = 0)");
  const auto part = [n](double f) {
    const double x = static_cast<double>(n) * f;
    return static_cast<std::size_t>(std::ceil(x - x * 1e-12));  // 0.1 * 400 is 40, not 41
  };
  const std::size_t n_test = part(test_frac), n_valid = part(valid_frac);
  GALNET_CHECK(n_test + n_valid < n, "galnet::data::random_split: ", n, " rows leave no training rows ",
               "after ", n_valid, " validation and ", n_test, " test rows");
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  Generator gen(seed);
  for (std::size_t i = n - 1; i > 0; --i) std::swap(order[i], order[gen.below(i + 1)]);
  Split s;
  s.test.assign(order.begin(), order.begin() + n_test);
  s.valid.assign(order.begin() + n_test, order.begin() + n_test + n_valid);
  s.train.assign(order.begin() + n_test + n_valid, order.end());
  for (auto* p : {&s.train, &s.valid, &s.test}) std::sort(p->begin(), p->end());
  return s;
}


/// The split a catalog carries in a text column: each row's value is train (or training),
/// valid (validation, val) or test, in any case. Throws naming the file, line and value of the
/// first row with another value (empty included), or when no row is for training.
inline Split split_by_column(const Catalog& cat, std::string_view column) {
  cat.require_columns({std::string(column)}, "the split");
  Split s;
  for (std::size_t r = 0; r < cat.size(); ++r) {
    std::string v(cat.text(r, column));
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (v == "train" || v == "training") s.train.push_back(r);
    else if (v == "valid" || v == "validation" || v == "val") s.valid.push_back(r);
    else if (v == "test") s.test.push_back(r);
    else
      fail("galnet::data::split_by_column: ", cat.source(), ": ", cat.where(r), ", column \"", column, "\": '",
           cat.text(r, column), "' is not train, valid or test");
  }
  GALNET_CHECK(!s.train.empty(), "galnet::data::split_by_column: ", cat.source(), ": no row has \"", column,
               "\" = train (", s.valid.size(), " valid, ", s.test.size(), " test)");
  return s;
}

}  // namespace galnet::data
