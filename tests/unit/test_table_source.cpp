// data::TableSource through DataLoader and train::fit: per-target sample weights reach the loss
// (Keras' sample_weight), rows of any width batch as [n, F].
#include <doctest/doctest.h>

#include "../support.hpp"

#include <cmath>
#include <galnet/data/loader.hpp>
#include <galnet/data/table_source.hpp>
#include <galnet/galnet.hpp>
#include <galnet/optim.hpp>
#include <galnet/train/fit.hpp>
#include <vector>

using namespace galnet;
using galnet::test::error_of;

namespace {
/// 40 rows of 3 features; targets y0 = x·(1, 2, −1), y1 = 0.5 − x2; weight of y1 is `w1`.
data::TableSource table(float w1) {
  std::vector<float> x, y, w;
  for (int i = 0; i < 40; ++i) {
    const float a = std::sin(0.3f * i), b = std::cos(0.7f * i), c = 0.1f * static_cast<float>(i % 7);
    x.insert(x.end(), {a, b, c});
    y.insert(y.end(), {a + 2 * b - c, 0.5f - c});
    w.insert(w.end(), {1.0f + 0.5f * static_cast<float>(i % 3), w1});
  }
  return data::TableSource(x, 3, y, 2, w);
}
using Net = nn::layer_t<nn::Linear<3, 2>, float>;
}  // namespace

TEST_CASE("TableSource batches rows as [n, F] with their weights, and refuses bad tables") {
  auto src = table(2.0f);
  data::DataLoader loader(src, {}, {.batch_size = 16, .shuffle = false, .workers = 1});
  loader.start_epoch(0);
  data::Batch b;
  REQUIRE(loader.next(b));
  CHECK(b.images.shape() == Shape{16, 3});
  CHECK(b.targets.shape() == Shape{16, 2});
  REQUIRE(b.weights.shape() == Shape{16, 2});
  CHECK(b.weights[0] == 1.0f);
  CHECK(b.weights[2] == 1.5f);  // row 1, target 0
  CHECK(b.weights[3] == 2.0f);  // row 1, target 1
  CHECK(b.images[3] == doctest::Approx(std::sin(0.3f)));

  CHECK(error_of([] { data::TableSource({1, 2, 3}, 2, {1}, 1); }).find("do not make rows") != std::string::npos);
  CHECK(error_of([] { data::TableSource({1, NAN}, 2, {1}, 1); }).find("feature 1 of row 0 is nan") != std::string::npos);
  CHECK(error_of([] { data::TableSource({1, 2}, 2, {1}, 1, {-1}); }).find("weight 0 of row 0 is -1") != std::string::npos);
}

TEST_CASE("fit weights each target's error by its sample weights: a target of weight 0 never trains") {
  manual_seed(4);
  Net model;
  const auto w0 = model.weight().value.to_vector();
  auto src = table(0.0f);
  data::DataLoader tl(src, {}, {.batch_size = 8, .seed = 1, .workers = 1});
  data::DataLoader vl(src, {}, {.batch_size = 16, .shuffle = false, .workers = 1});
  optim::SGD<float> opt(nn::parameters(model), {.lr = 0.1});
  nn::WeightedMSELoss<float> loss;
  const auto h = train::fit(model, opt, loss, tl, &vl, {.epochs = 3, .progress = false});
  const auto w = model.weight().value.to_vector();
  for (int j = 0; j < 3; ++j) {
    CHECK(w[static_cast<std::size_t>(j)] != w0[static_cast<std::size_t>(j)]);      // y0's row trained
    CHECK(w[static_cast<std::size_t>(3 + j)] == w0[static_cast<std::size_t>(3 + j)]);  // y1's (weight 0) did not
  }
  // The validation loss is the mean over rows and targets of w (ŷ − y)².
  model.eval();
  Tensor<float> x(Shape{40, 3});
  double s = 0;
  for (std::size_t i = 0; i < 40; ++i) {
    float xi[3], yi[2], wi[2];
    Generator g;
    src.load(i, xi, yi, g);
    src.load_weights(i, wi);
    Tensor<float> one(Shape{1, 3});
    for (int j = 0; j < 3; ++j) one[j] = xi[j];
    const auto& p = model.forward(one);
    for (int k = 0; k < 2; ++k) s += wi[k] * (p[k] - yi[k]) * (p[k] - yi[k]);
  }
  CHECK(h.back().valid_loss == doctest::Approx(s / 80).epsilon(1e-5));

  nn::MSELoss<float> plain;  // a loss without weights refuses weighted batches
  CHECK(error_of([&] { train::fit(model, opt, plain, tl, &vl, {.epochs = 1, .progress = false}); })
            .find("carry sample weights") != std::string::npos);
}
