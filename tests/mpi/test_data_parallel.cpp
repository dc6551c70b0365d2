// Data-parallel training on MPI (galnet/dist/mpi.hpp), run by ctest as `mpirun -np 2`: N ranks
// with batch B each reach the weights of one process with batch N·B, step for step; shards
// partition the rows; broadcast_state makes differently initialised ranks agree.
#include <doctest/doctest.h>

#include <cmath>
#include <galnet/dist/mpi.hpp>
#include <galnet/galnet.hpp>
#include <galnet/optim.hpp>

using namespace galnet;

namespace {
using Net = nn::Sequential<nn::Conv2d<2, 4, 3, 1, 1>, nn::ReLU, nn::MaxPool2d<2>, nn::Flatten, nn::Linear<4 * 3 * 3, 8>,
                           nn::ReLU, nn::Linear<8, 1>>;
using Model = nn::layer_t<Net, double>;

Tensor<double> rows(const Tensor<double>& t, std::int64_t begin, std::int64_t end) {
  Shape s = t.shape();
  const std::int64_t per = t.numel() / s[0];
  s[0] = end - begin;
  Tensor<double> out(s);
  std::copy_n(t.data() + begin * per, out.numel(), out.data());
  return out;
}

/// The largest |a − b| / max |a| over all parameters.
double weight_difference(Model& a, Model& b) {
  auto pa = nn::parameters(a), pb = nn::parameters(b);
  double worst = 0, scale = 1e-300;
  for (std::size_t k = 0; k < pa.size(); ++k)
    for (std::int64_t i = 0; i < pa[k]->value.numel(); ++i) {
      scale = std::max(scale, std::abs(pa[k]->value[i]));
      worst = std::max(worst, std::abs(pa[k]->value[i] - pb[k]->value[i]));
    }
  return worst / scale;
}
}  // namespace

TEST_CASE("N ranks x batch B take the same SGD steps as one process with batch N*B") {
  dist::World world;
  const std::int64_t per_rank = 4, batch = per_rank * world.size();
  manual_seed(7 + static_cast<std::uint64_t>(world.rank()));  // different weights on each rank…
  Model model;
  dist::broadcast_state(model, world);                  // …until rank 0's are broadcast
  manual_seed(7);
  Model reference;  // rank 0's initial weights, computed locally on every rank
  CHECK(weight_difference(reference, model) == 0);

  optim::SGD<double> opt(nn::parameters(model), {.lr = 0.05, .momentum = 0.9});
  optim::SGD<double> ref_opt(nn::parameters(reference), {.lr = 0.05, .momentum = 0.9});
  dist::GradientAverager average(nn::parameters(model));
  nn::MSELoss<double> loss, ref_loss;
  Generator data(11);  // the same global batches on every rank
  for (int step = 0; step < 5; ++step) {
    Tensor<double> x(Shape{batch, 2, 6, 6}), y(Shape{batch, 1});
    for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = data.uniform() * 2 - 1;
    for (std::int64_t i = 0; i < y.numel(); ++i) y[i] = data.uniform();
    const auto [begin, end] = dist::shard(batch, world);
    const auto x_rank = rows(x, begin, end), y_rank = rows(y, begin, end);  // alive until backward
    opt.zero_grad();
    loss.forward(model.forward(x_rank), y_rank);
    model.backward(loss.backward());
    average(world);
    opt.step();
    ref_opt.zero_grad();
    ref_loss.forward(reference.forward(x), y);
    reference.backward(ref_loss.backward());
    ref_opt.step();
    CAPTURE(step);
    CHECK(weight_difference(reference, model) < 1e-13);  // the sums' order differs, nothing else
  }
  CHECK(average.bytes() == static_cast<std::int64_t>(sizeof(double)) * nn::count_parameters(model));
}

TEST_CASE("gradient buckets summed while backward goes on equal one sum after it, bit for bit") {
  using BnNet = nn::Sequential<nn::Conv2d<2, 4, 3, 1, 1>, nn::BatchNorm2d<4>, nn::ReLU, nn::MaxPool2d<2>, nn::Flatten,
                               nn::Linear<4 * 3 * 3, 8>, nn::ReLU, nn::Linear<8, 1>>;
  using BnModel = nn::layer_t<BnNet, double>;
  dist::World world;
  const std::int64_t per_rank = 4, batch = per_rank * world.size();
  manual_seed(3);
  BnModel overlapped;
  manual_seed(3);
  BnModel after;
  optim::SGD<double> opt_o(nn::parameters(overlapped), {.lr = 0.05, .momentum = 0.9});
  optim::SGD<double> opt_a(nn::parameters(after), {.lr = 0.05, .momentum = 0.9});
  // 64-byte buckets: a tensor of 8 doubles or more closes one, so the 8 tensors make 5 buckets.
  dist::GradientAverager buckets(nn::parameters(overlapped), 64), one(nn::parameters(after));
  CHECK(buckets.buckets() == 5);
  CHECK(one.buckets() == 1);
  nn::MSELoss<double> loss_o, loss_a;
  Generator data(5);
  for (int step = 0; step < 4; ++step) {
    Tensor<double> x(Shape{batch, 2, 6, 6}), y(Shape{batch, 1});
    for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = data.uniform() * 2 - 1;
    for (std::int64_t i = 0; i < y.numel(); ++i) y[i] = data.uniform();
    const auto [begin, end] = dist::shard(batch, world);
    const auto x_rank = rows(x, begin, end), y_rank = rows(y, begin, end);
    opt_o.zero_grad();
    buckets.begin(world, end - begin, batch);
    loss_o.forward(overlapped.forward(x_rank), y_rank);
    overlapped.backward(loss_o.backward());
    buckets.finish();
    opt_o.step();
    opt_a.zero_grad();
    loss_a.forward(after.forward(x_rank), y_rank);
    after.backward(loss_a.backward());
    one(world, end - begin, batch);
    opt_a.step();
    CAPTURE(step);
    CHECK(buckets.started_in_backward() == buckets.buckets());  // each started as its layer finished
    auto po = nn::parameters(overlapped), pa = nn::parameters(after);
    for (std::size_t k = 0; k < po.size(); ++k) CHECK(po[k]->value.to_vector() == pa[k]->value.to_vector());
  }
}

TEST_CASE("shards partition the rows in rank order, differing by at most one") {
  for (std::int64_t n : {0, 1, 7, 64, 1001})
    for (int ranks : {1, 2, 3, 8}) {
      std::int64_t next = 0, smallest = n, largest = 0;
      for (int r = 0; r < ranks; ++r) {
        const auto [begin, end] = dist::shard(n, r, ranks);
        CHECK(begin == next);
        next = end;
        smallest = std::min(smallest, end - begin);
        largest = std::max(largest, end - begin);
      }
      CHECK(next == n);
      CHECK(largest - smallest <= 1);
    }
}

TEST_CASE("allreduce_sum adds every rank's values, MPI errors become galnet::Error") {
  dist::World world;
  std::vector<std::int64_t> v{1, static_cast<std::int64_t>(world.rank())};
  world.allreduce_sum(v.data(), 2);
  CHECK(v[0] == world.size());
  CHECK(v[1] == static_cast<std::int64_t>(world.size()) * (world.size() - 1) / 2);
  std::vector<double> d(3, 1.0);
  CHECK_THROWS_WITH_AS(world.broadcast(d.data(), 3, world.size()), doctest::Contains("MPI_Bcast failed"), Error);
  // MPI sums host memory: device values are staged (dist::NcclCommunicator sums on the GPUs).
  CHECK_FALSE(world.sums_on_device());
  CHECK_THROWS_WITH_AS(world.weighted_sum_on_device(static_cast<float*>(nullptr), 0, 1.0),
                       doctest::Contains("no device transport"), Error);
}
