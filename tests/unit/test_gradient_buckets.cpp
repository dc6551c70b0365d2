// dist::GradientAverager's buckets without MPI: a stand-in two-rank transport records when each
// sum starts, so these tests see that buckets start during backward, in order, once each.
#include <doctest/doctest.h>

#include <galnet/dist/gradients.hpp>
#include <cmath>
#include <galnet/galnet.hpp>
#include <string>
#include <vector>

using namespace galnet;

namespace {
/// Rank 0 of two whose partner holds the same values: a sum doubles them. Records each start.
class TwinRanks : public dist::Communicator {
public:
  [[nodiscard]] int size() const override { return 2; }
  mutable std::vector<const double*> starts;
  mutable int finished = 0;
  void finish_sums() const override { ++finished; }

protected:
  void sum_doubles(double* v, std::int64_t n) const override {
    for (std::int64_t i = 0; i < n; ++i) v[i] *= 2;
  }
  void start_sum_doubles(double* v, std::int64_t n) const override {
    starts.push_back(v);
    sum_doubles(v, n);
  }
};

using Net = nn::Sequential<nn::Conv2d<2, 4, 3, 1, 1>, nn::BatchNorm2d<4>, nn::ReLU, nn::Flatten,
                           nn::Linear<4 * 5 * 5, 6>, nn::ReLU, nn::Linear<6, 1>>;
using Model = nn::layer_t<Net, double>;

/// One forward and backward pass of three fixed samples (dL/dy = 1).
void forward_backward(Model& m) {
  Tensor<double> x(Shape{3, 2, 5, 5});
  for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = std::sin(0.3 * static_cast<double>(i));
  m.forward(x);
  m.backward(Tensor<double>(Shape{3, 1}, 1.0));
}
std::vector<double> gradients(Model& m) {
  std::vector<double> g;
  for (auto* p : nn::parameters(m)) g.insert(g.end(), p->grad.data(), p->grad.data() + p->grad.numel());
  return g;
}
/// A composite without for_each_child: its batch norm is out of nn::for_each_layer's reach.
struct Hidden {
  nn::layer_t<nn::BatchNorm2d<2>, double> bn;
  template <class F>
  void visit(const std::string& prefix, F&& f) { bn.visit(nn::join(prefix, "bn"), f); }
};
}  // namespace

TEST_CASE("gradient buckets start during backward, in bucket order, and average exactly") {
  manual_seed(1);
  Model model;
  model.train();
  forward_backward(model);
  const auto plain = gradients(model);

  TwinRanks twins;
  dist::GradientAverager average(nn::parameters(model), 64);
  REQUIRE(average.buckets() > 2);
  for (auto* p : nn::parameters(model)) p->grad.zero();
  average.begin(twins, 3, 6);  // half the global batch: weight 1/2, and the twin adds the other half
  forward_backward(model);
  CHECK(twins.starts.size() == average.buckets());  // all during backward…
  average.finish();
  CHECK(twins.finished == 1);
  CHECK(average.started_in_backward() == average.buckets());
  for (std::size_t k = 1; k < twins.starts.size(); ++k) CHECK(twins.starts[k] > twins.starts[k - 1]);  // …in order
  CHECK(gradients(model) == plain);  // (g / 2) · 2: exact
}

TEST_CASE("gradient buckets: a rank with an empty share starts every bucket in finish") {
  manual_seed(1);
  Model model;
  TwinRanks twins;
  dist::GradientAverager average(nn::parameters(model), 64);
  for (auto* p : nn::parameters(model)) p->grad.zero();
  average.begin(twins, 0, 6);
  average.finish();
  CHECK(twins.starts.size() == average.buckets());
  CHECK(average.started_in_backward() == 0);
  for (double g : gradients(model)) CHECK(g == 0.0);
}

TEST_CASE("gradient buckets: two backward passes in one step are an error, not a silent half sum") {
  manual_seed(1);
  Model model;
  model.train();
  TwinRanks twins;
  {
    dist::GradientAverager average(nn::parameters(model), 64);
    average.begin(twins, 3, 6);
    forward_backward(model);
    CHECK_THROWS_WITH_AS(forward_backward(model), doctest::Contains("reported final twice in one step"), Error);
  }  // the unfinished averager puts the hook back
  CHECK_NOTHROW(forward_backward(model));  // no hook left behind
}

TEST_CASE("set_sync_batchnorm reaches every batch norm of a model, nested ones too, and refuses a hidden one") {
  using Nested = nn::Sequential<nn::Conv2d<2, 4, 3, 1, 1>, nn::BatchNorm2d<4>, nn::ReLU,
                                nn::Sequential<nn::Conv2d<4, 4, 3, 1, 1>, nn::BatchNorm2d<4>>, nn::ResNetLayer<4, 4, 1, 2>>;
  nn::layer_t<Nested, double> model;
  TwinRanks twins;
  auto synced = [&](const dist::Communicator* c) {
    int n = 0;
    nn::for_each_layer(model, [&](auto& l) {
      if constexpr (requires { l.sync(); }) n += l.sync() == c;
    });
    return n;
  };
  nn::set_sync_batchnorm(model, &twins);
  CHECK(synced(&twins) == 6);  // 1 + 1 + 2 blocks × 2
  nn::set_sync_batchnorm(model, nullptr);
  CHECK(synced(nullptr) == 6);

  // A synchronised batch norm two levels down normalises over both twins' batches: its running
  // variance (unbiased over the global batch) is that of one layer seeing the batch twice.
  nn::layer_t<nn::Sequential<nn::Sequential<nn::BatchNorm2d<2>>>, double> deep;
  nn::layer_t<nn::BatchNorm2d<2>, double> whole;
  Tensor<double> x(Shape{3, 2, 2, 2}), xx(Shape{6, 2, 2, 2});
  for (std::int64_t i = 0; i < x.numel(); ++i) xx[i] = xx[i + x.numel()] = x[i] = std::cos(0.7 * static_cast<double>(i));
  {
    const nn::SyncBatchNorm sync(deep, twins);
    deep.forward(x);
  }
  whole.forward(xx);
  auto& bn = deep.get<0>().get<0>();
  CHECK(bn.sync() == nullptr);  // SyncBatchNorm ended
  for (int c = 0; c < 2; ++c) CHECK(bn.running_var()[c] == doctest::Approx(whole.running_var()[c]).epsilon(1e-14));

  Hidden hidden;
  CHECK_THROWS_WITH_AS(nn::set_sync_batchnorm(hidden, &twins), doctest::Contains("reached 0 of the model's 1 batch norms"),
                       Error);
}
