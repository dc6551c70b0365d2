// Synchronised batch norm on the GPUs of an MPI job (mpirun -np 2, a GPU a rank): each rank
// normalises its rows of a global batch with the statistics of all of them, summed by NCCL on
// the device or staged through MPI, as one GPU normalises the whole batch.
#include <doctest/doctest.h>

#include <cmath>
#include <galnet/cuda.cuh>
#include <galnet/dist/nccl.hpp>
#include <galnet/nn/batchnorm.hpp>

#include "../support.hpp"  // max_rel_diff

using namespace galnet;
using galnet::test::max_rel_diff;

namespace {
/// Rows [begin, end) of t along N.
Tensor<float> rows(const Tensor<float>& t, std::int64_t begin, std::int64_t end) {
  Shape s = t.shape();
  const std::int64_t row = t.numel() / s[0];
  s[0] = end - begin;
  Tensor<float> out(s);
  for (std::int64_t i = 0; i < out.numel(); ++i) out[i] = t[begin * row + i];
  return out;
}
Tensor<float> wave(const Shape& s, double a, double b) {
  Tensor<float> t(s);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<float>(1.5 * std::sin(a * static_cast<double>(i) + b) + 0.3);
  return t;
}
}  // namespace

TEST_CASE("NcclCommunicator: synchronised batch norm on the GPUs normalises as one GPU over the whole batch") {
  dist::World world;
  dist::NcclCommunicator nccl(world);
  using Layer = nn::layer_t<nn::BatchNorm2d<4>, float, Cuda>;
  // Uneven shares: rank r holds r + 2 rows of the global batch.
  const std::int64_t begin = [&] {
    std::int64_t b = 0;
    for (int r = 0; r < world.rank(); ++r) b += r + 2;
    return b;
  }();
  const std::int64_t end = begin + world.rank() + 2, all = [&] {
    std::int64_t n = 0;
    for (int r = 0; r < world.size(); ++r) n += r + 2;
    return n;
  }();
  const auto x = wave(Shape{all, 4, 5, 3}, 0.017, 0.3), dy = wave(Shape{all, 4, 5, 3}, 0.041, 1.2);
  Layer one;
  const auto y_one = rows(cuda::to_host(one.forward(cuda::to_device(x))), begin, end);
  const auto dx_one = rows(cuda::to_host(one.backward(cuda::to_device(dy))), begin, end);
  const auto xd = cuda::to_device(rows(x, begin, end)), dyd = cuda::to_device(rows(dy, begin, end));
  for (const dist::Communicator* comm : {static_cast<const dist::Communicator*>(&nccl),
                                         static_cast<const dist::Communicator*>(&world)}) {
    CAPTURE(comm->sums_on_device());
    Layer mine;
    const nn::SyncBatchNorm sync(*comm);
    const auto transfers = cuda::transfer_count();
    const auto y = cuda::to_host(mine.forward(xd));
    const auto dx = cuda::to_host(mine.backward(dyd));
    if (comm->sums_on_device()) CHECK(cuda::transfer_count() - transfers == 2);  // the two to_host above
    CHECK(max_rel_diff(y_one, y) < 1e-5);
    CHECK(max_rel_diff(dx_one, dx) < 1e-5);
    CHECK(max_rel_diff(cuda::to_host(one.running_mean()), cuda::to_host(mine.running_mean())) < 1e-6);
    CHECK(max_rel_diff(cuda::to_host(one.running_var()), cuda::to_host(mine.running_var())) < 1e-6);
  }
}
