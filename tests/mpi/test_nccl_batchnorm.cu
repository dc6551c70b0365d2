// Synchronised batch norm on the GPUs of an MPI job (mpirun -np 2, a GPU a rank): each rank
// normalises its rows of a global batch with the statistics of all of them, summed by NCCL on
// the device or staged through MPI, as one GPU normalises the whole batch.
#include <doctest/doctest.h>

#include <cmath>
#include <galnet/cuda.cuh>
#include <galnet/dist/nccl.hpp>
#include <galnet/nn/batchnorm.hpp>

#include "../cuda/cuda_test.hpp"  // max_rel_diff, rows, wave

using namespace galnet;
using galnet::test::max_rel_diff;
using galnet::test::rows;
using galnet::test::wave;

TEST_CASE("NcclCommunicator: synchronised batch norm on the GPUs normalises as one GPU over the whole batch") {
  dist::World world;
  dist::NcclCommunicator nccl(world);
  using Layer = nn::layer_t<nn::BatchNorm2d<4>, float, Cuda>;
  // Uneven shares: rank r holds r + 2 rows of the global batch.
  const std::int64_t r = world.rank(), n = world.size();
  const std::int64_t begin = r * (r + 3) / 2, end = begin + r + 2, all = n * (n + 3) / 2;  // Σ (k + 2) over k < r, k < n
  const auto x = wave<float>(Shape{all, 4, 5, 3}, 0.017, 0.3, 1.5, 0.3),
             dy = wave<float>(Shape{all, 4, 5, 3}, 0.041, 1.2, 1.5, 0.3);
  Layer one;
  const auto y_one = rows(cuda::to_host(one.forward(cuda::to_device(x))), begin, end);
  const auto dx_one = rows(cuda::to_host(one.backward(cuda::to_device(dy))), begin, end);
  const auto xd = cuda::to_device(rows(x, begin, end)), dyd = cuda::to_device(rows(dy, begin, end));
  for (const dist::Communicator* comm : {static_cast<const dist::Communicator*>(&nccl),
                                         static_cast<const dist::Communicator*>(&world)}) {
    CAPTURE(comm->sums_on_device());
    Layer mine;
    const nn::SyncBatchNorm sync(mine, *comm);
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
