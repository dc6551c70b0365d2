// Data-parallel SFNet training under MPI: what docs/scaling.md quotes. Run as
//   mpirun -np R build/bin/bench_mpi [global batch = 64] [steps = 4] [overlap = 1]
// Each rank trains on global batch / R samples (OpenMP threads as set, e.g. OMP_NUM_THREADS),
// averages the gradients with dist::GradientAverager (11.2 M floats, 45 MB in buckets of
// 26 and 19 MB; overlap 1: started while backward goes on, as fit does; 0: after backward) and
// steps. Rank 0 prints the step time, the time spent waiting for the allreduce after backward
// and its share of the step, samples/s over all ranks, and an allreduce of the same bytes
// timed alone. Timing, not a test: ctest never runs it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <galnet/dist/mpi.hpp>
#include <galnet/galnet.hpp>
#include <galnet/models.hpp>
#include <galnet/optim.hpp>

using namespace galnet;
using Clock = std::chrono::steady_clock;

namespace {
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

int main(int argc, char** argv) {
  dist::World world(&argc, &argv);
  const std::int64_t global = argc > 1 ? std::atoll(argv[1]) : 64;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 4;
  const bool overlap = argc > 3 ? std::atoi(argv[3]) != 0 : true;
  const auto [begin, end] = dist::shard(global, world);
  const std::int64_t local = end - begin;

  models::SFNet<float> model(4);
  dist::broadcast_state(model, world);
  auto opt = optim::ranger(nn::parameters(model), {.lr = 0.1});
  dist::GradientAverager average(nn::parameters(model));
  Tensor<float> x(Shape{local, 3, 144, 144}), y(Shape{local, 1}, 0.5f);
  Generator g(3 + static_cast<std::uint64_t>(world.rank()));
  for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(g.uniform());
  nn::RMSELoss<float> loss;
  model.train();

  double total = 0, reducing = 0;
  for (int s = -1; s < steps; ++s) {  // step −1: warm-up (first touch of every buffer), untimed
    world.barrier();
    const auto t0 = Clock::now();
    opt.zero_grad();
    if (overlap) average.begin(world, local, global);
    loss.forward(model.forward(x), y);
    model.backward(loss.backward());
    const auto t1 = Clock::now();
    if (overlap) average.finish();
    else average(world, local, global);
    const double r = seconds_since(t1);
    opt.step();
    world.barrier();
    if (s >= 0) total += seconds_since(t0), reducing += r;
  }
  // The same allreduce alone, ten times.
  std::vector<float> bucket(static_cast<std::size_t>(average.bytes() / 4), 1.f);
  world.barrier();
  const auto t2 = Clock::now();
  for (int i = 0; i < 10; ++i) world.allreduce_sum(bucket.data(), static_cast<std::int64_t>(bucket.size()));
  const double alone = seconds_since(t2) / 10;

  double worst[2] = {total, reducing};  // the slowest rank sets the pace
  if (world.size() > 1) {
    dist::check(MPI_Allreduce(MPI_IN_PLACE, worst, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
  }
  if (world.root())
    std::printf("ranks %d, OMP threads %s, global batch %lld (%lld a rank), %d steps: %.3f s a step, "
                "%.1f samples/s; gradient allreduce %.1f MB%s: %.1f ms a step after backward (%.1f %%), "
                "%.1f ms alone\n",
                world.size(), std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS") : "(default)",
                static_cast<long long>(global), static_cast<long long>(local), steps, worst[0] / steps,
                static_cast<double>(global) * steps / worst[0], static_cast<double>(average.bytes()) / 1e6,
                overlap ? ", buckets started during backward" : ", after backward", 1e3 * worst[1] / steps, 100 * worst[1] / worst[0], 1e3 * alone);
  return 0;
}
