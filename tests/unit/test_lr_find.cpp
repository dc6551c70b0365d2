// The learning-rate range test: fastai's suggestions on known curves, the sweep itself, and a
// model and optimizer left exactly as they were.
#include <doctest/doctest.h>

#include <cstring>
#include <galnet/data/loader.hpp>
#include <galnet/galnet.hpp>
#include <galnet/optim.hpp>
#include <galnet/train/lr_find.hpp>

using namespace galnet;

namespace {
/// y = sum of 16 seeded features · fixed weights: a linear model can learn it exactly.
struct LinearSource {
  [[nodiscard]] std::size_t size() const { return 256; }
  [[nodiscard]] Shape sample_shape() const { return Shape{1, 4, 4}; }
  [[nodiscard]] int target_count() const { return 1; }
  void load(std::size_t i, float* img, float* tgt, Generator&) {
    Generator g(1000 + i);
    double y = 0;
    for (int k = 0; k < 16; ++k) {
      img[k] = static_cast<float>(g.normal());
      y += img[k] * (k % 3 - 1) * 0.5;
    }
    tgt[0] = static_cast<float>(y);
  }
};
using Net = nn::Sequential<nn::Flatten, nn::Linear<16, 8>, nn::ReLU, nn::Dropout<0.25>, nn::Linear<8, 1>>;

std::vector<float> snapshot(auto& model) {
  std::vector<float> w;
  for (auto& [name, t] : nn::named_state(model)) w.insert(w.end(), t->data(), t->data() + t->numel());
  return w;
}

/// A curve over 100 log-spaced rates 1e-7…10: flat at 1 below 1e-4, falling linearly in log lr
/// to 0.2 at 1e-1, then rising steeply.
train::LRFindResult synthetic_curve() {
  train::LRFindResult r;
  for (int i = 0; i < 100; ++i) {
    const double lr = 1e-7 * std::pow(1e8, i / 99.0), x = std::log10(lr);
    const double loss = x < -4 ? 1.0 : (x < -1 ? 1.0 - 0.8 * (x + 4) / 3 : 0.2 + 5 * (x + 1));
    r.lrs.push_back(lr), r.losses.push_back(loss), r.smoothed.push_back(loss);
  }
  return r;
}
}  // namespace

TEST_CASE("lr_find suggestions: minimum/10, steepest fall and valley sit where fastai puts them") {
  auto r = synthetic_curve();
  train::detail::lr_suggestions(r);
  // The lowest loss is at the sample nearest 1e-1, so minimum ≈ 1e-2.
  CHECK(r.minimum == doctest::Approx(0.01).epsilon(0.12));
  // The fall is uniform in log lr over [1e-4, 1e-1]: steepest anywhere inside it.
  CHECK(r.steep > 1e-4);
  CHECK(r.steep < 1e-1);
  // valley: the longest falling stretch runs from ~1e-4 to ~1e-1; two thirds… is at its half
  // (third + sixth): ~10^-2.5.
  CHECK(std::log10(r.valley) == doctest::Approx(-2.5).epsilon(0.08));
  train::LRFindResult tiny;
  tiny.lrs = tiny.losses = tiny.smoothed = {1e-3, 1e-2, 1e-1};
  train::detail::lr_suggestions(tiny);
  CHECK(std::isnan(tiny.valley));  // too short to suggest anything
}

TEST_CASE("lr_find: exponential sweep, early stop on divergence, model and optimizer restored") {
  // Two identical runs of two SGD steps with momentum; the second sweeps between its steps. With
  // everything restored (weights, momentum buffers, step count, lr, the generator that draws
  // the dropout masks) both end bit-identical.
  auto two_steps = [](bool sweep, train::LRFindResult& r) {
    manual_seed(3);
    nn::layer_t<Net, float> model;
    optim::SGD<float> opt(nn::parameters(model), {.lr = 0.05, .momentum = 0.9});
    LinearSource src;
    data::DataLoader loader(src, {}, {.batch_size = 16, .seed = 1});
    nn::MSELoss<float> loss;
    data::Batch b;
    auto step = [&] {
      opt.zero_grad();
      loss.forward(model.forward(b.images), b.targets);
      model.backward(loss.backward());
      opt.step();
    };
    loader.start_epoch(0);
    REQUIRE(loader.next(b));
    step();
    if (sweep) {
      // 40 iterations over a 16-batch loader: the sweep runs across epochs.
      r = train::lr_find(model, opt, loss, loader, {.start_lr = 1e-5, .end_lr = 1e4, .num_it = 40});
      CHECK(opt.steps() == 1);
      CHECK(opt.lr() == doctest::Approx(0.05));
      CHECK(model.training());
    }
    step();
    return snapshot(model);
  };
  train::LRFindResult none, r;
  const auto plain = two_steps(false, none), swept = two_steps(true, r);
  REQUIRE(plain.size() == swept.size());
  CHECK(std::memcmp(plain.data(), swept.data(), plain.size() * sizeof(float)) == 0);

  REQUIRE(r.lrs.size() >= 10);
  CHECK(r.lrs.front() == doctest::Approx(1e-5));
  for (std::size_t i = 1; i < r.lrs.size(); ++i) CHECK(r.lrs[i] / r.lrs[i - 1] == doctest::Approx(std::pow(1e9, 1.0 / 39)));
  CHECK(r.diverged);  // lr 1e4 on a linear regression cannot survive
  CHECK(r.lrs.size() < 40);
  const double lowest = *std::min_element(r.smoothed.begin(), r.smoothed.end());
  CHECK((!std::isfinite(r.smoothed.back()) || r.smoothed.back() > 4 * lowest));
  CHECK(lowest < r.smoothed.front());  // it learned on the way up
  CHECK(std::isfinite(r.valley));
  CHECK(r.valley < 10);  // below where it blew up
}

TEST_CASE("lr_find: a sweep that throws midway still restores the model") {
  /// MSE that fails on its fourth call, as a non-finite target would.
  struct FailingLoss {
    nn::MSELoss<float> mse;
    int calls = 0;
    float forward(const Tensor<float>& p, const Tensor<float>& y) {
      if (++calls == 4) fail("FailingLoss: a non-finite target");
      return mse.forward(p, y);
    }
    const Tensor<float>& backward() const { return mse.backward(); }
  };
  manual_seed(5);
  nn::layer_t<Net, float> model;
  optim::SGD<float> opt(nn::parameters(model), {.lr = 0.05, .momentum = 0.9});
  LinearSource src;
  data::DataLoader loader(src, {}, {.batch_size = 16, .seed = 1});
  const auto before = snapshot(model);
  FailingLoss loss;
  CHECK_THROWS_WITH(train::lr_find(model, opt, loss, loader, {.start_lr = 1e-3, .end_lr = 1, .num_it = 10}),
                    doctest::Contains("non-finite target"));
  const auto after = snapshot(model);
  CHECK(std::memcmp(after.data(), before.data(), after.size() * sizeof(float)) == 0);
  CHECK(opt.lr() == doctest::Approx(0.05));
  CHECK(opt.steps() == 0);
}

TEST_CASE("lr_find: bad options are errors that say which") {
  nn::layer_t<Net, float> model;
  optim::SGD<float> opt(nn::parameters(model), {.lr = 0.1});
  LinearSource src;
  data::DataLoader loader(src, {}, {.batch_size = 16, .seed = 1});
  nn::MSELoss<float> loss;
  CHECK_THROWS_WITH(train::lr_find(model, opt, loss, loader, {.start_lr = 1, .end_lr = 0.1}),
                    doctest::Contains("start_lr < end_lr"));
  CHECK_THROWS_WITH(train::lr_find(model, opt, loss, loader, {.num_it = 1}), doctest::Contains("num_it"));
}

TEST_CASE("lr_find: discriminative rates keep their ratio, the last group sweeps the reported lr") {
  /// MSE that records both groups' rates at every batch of the sweep.
  struct RecordingLoss {
    optim::SGD<float>* opt;
    std::vector<double> body, head;
    nn::MSELoss<float> mse;
    float forward(const Tensor<float>& p, const Tensor<float>& y) {
      body.push_back(opt->groups()[0].lr), head.push_back(opt->groups()[1].lr);
      return mse.forward(p, y);
    }
    const Tensor<float>& backward() const { return mse.backward(); }
  };
  manual_seed(7);
  nn::layer_t<Net, float> model;
  optim::SGD<float> opt(nn::parameters(model.get<1>()), {.lr = 0.001, .momentum = 0.9});
  opt.add_param_group(nn::parameters(model.get<4>()), 0.1);  // fastai's lr = slice(0.001, 0.1)
  LinearSource src;
  data::DataLoader loader(src, {}, {.batch_size = 16, .seed = 1});
  RecordingLoss loss{&opt};
  const auto r = train::lr_find(model, opt, loss, loader, {.start_lr = 1e-5, .end_lr = 1e-1, .num_it = 12});
  REQUIRE(loss.head.size() == r.lrs.size());
  for (std::size_t i = 0; i < r.lrs.size(); ++i) {
    CHECK(loss.head[i] == doctest::Approx(r.lrs[i]));
    CHECK(loss.body[i] == doctest::Approx(r.lrs[i] * 0.01));
  }
  CHECK(opt.groups()[0].lr == doctest::Approx(0.001));  // restored afterwards
  CHECK(opt.groups()[1].lr == doctest::Approx(0.1));
}
