// dist::NcclCommunicator (galnet::nccl), run by ctest as `mpirun -np 2` where each rank has a GPU:
// device gradients summed by NCCL, weighted by share, equal the host-staged MPI path's.
#include <doctest/doctest.h>

#include <cmath>
#include <galnet/dist/nccl.hpp>
#include <galnet/galnet.hpp>
#include <vector>

using namespace galnet;

namespace {
/// Gradient element i of parameter k on rank r: distinct on every rank.
float grad_value(int r, int k, std::int64_t i) {
  return static_cast<float>(std::sin(0.37 * static_cast<double>(i + 1) * (k + 1)) * (r + 1) + 0.01 * r);
}

std::vector<nn::Parameter<float, Cuda>> make_params(int rank) {
  std::vector<nn::Parameter<float, Cuda>> ps(2);
  ps[0].init(Shape{1000});
  ps[1].init(Shape{3, 7});
  for (int k = 0; k < 2; ++k) {
    std::vector<float> g(static_cast<std::size_t>(ps[k].grad.numel()));
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = grad_value(rank, k, static_cast<std::int64_t>(i));
    ps[k].grad.upload(g.data());
  }
  return ps;
}

std::vector<float> grads(const std::vector<nn::Parameter<float, Cuda>>& ps) {
  std::vector<float> all;
  for (const auto& p : ps) {
    std::vector<float> g(static_cast<std::size_t>(p.grad.numel()));
    p.grad.download(g.data());
    all.insert(all.end(), g.begin(), g.end());
  }
  return all;
}
}  // namespace

TEST_CASE("NcclCommunicator: device gradients weighted by share and summed equal the host-staged path's") {
  dist::World world;
  dist::NcclCommunicator nccl(world);
  CHECK(nccl.size() == world.size());
  CHECK(nccl.sums_on_device());
  // Uneven shares: rank r has r + 1 samples of the global batch.
  const std::int64_t mine = world.rank() + 1, total = static_cast<std::int64_t>(world.size()) * (world.size() + 1) / 2;
  auto on_gpu = make_params(world.rank()), staged = make_params(world.rank());
  dist::GradientAverager<float, Cuda> by_nccl({&on_gpu[0], &on_gpu[1]}), by_mpi({&staged[0], &staged[1]});
  const auto transfers = cuda::transfer_count();
  by_nccl(nccl, mine, total);
  CHECK(cuda::transfer_count() == transfers);  // no host staging
  by_mpi(world, mine, total);
  const auto a = grads(on_gpu), b = grads(staged);
  REQUIRE(a.size() == b.size());
  double worst = 0, worst_expected = 0;
  std::size_t at = 0;
  for (int k = 0; k < 2; ++k)
    for (std::int64_t i = 0; i < on_gpu[static_cast<std::size_t>(k)].grad.numel(); ++i, ++at) {
      double expected = 0;
      for (int r = 0; r < world.size(); ++r)
        expected += static_cast<double>(grad_value(r, k, i)) * (r + 1) / static_cast<double>(total);
      worst = std::max(worst, std::abs(static_cast<double>(a[at]) - b[at]) / (std::abs(expected) + 1e-3));
      worst_expected = std::max(worst_expected, std::abs(a[at] - expected) / (std::abs(expected) + 1e-3));
    }
  CHECK(worst < 1e-6);           // float rounding of the weights and the sum, both ways
  CHECK(worst_expected < 1e-6);  // and the true weighted mean
  // In 64-byte buckets (one per tensor here), started on NCCL's own stream: the same sums.
  auto bucketed = make_params(world.rank());
  dist::GradientAverager<float, Cuda> by_buckets({&bucketed[0], &bucketed[1]}, 64);
  CHECK(by_buckets.buckets() == 2);
  by_buckets.begin(nccl, mine, total);
  by_buckets.finish();
  CHECK(grads(bucketed) == a);
}

TEST_CASE("NcclCommunicator: host collectives go through MPI") {
  dist::World world;
  dist::NcclCommunicator nccl(world);
  double v[2] = {1.0, static_cast<double>(world.rank())};
  nccl.sum(v, 2);
  CHECK(v[0] == world.size());
  CHECK(v[1] == world.size() * (world.size() - 1) / 2.0);
}
