// The NCCL tests' driver (mpirun -np 2): MPI for the whole run; exit code 77 — "skipped" to
// ctest — on every rank unless each rank on a node can have a GPU of its own, as NCCL needs.
#define DOCTEST_CONFIG_IMPLEMENT
#include <cuda_runtime.h>
#include <doctest/doctest.h>

#include <cstdio>
#include <galnet/dist/mpi.hpp>

int main(int argc, char** argv) {
  galnet::dist::World world(&argc, &argv);
  const int local_size = galnet::dist::node_ranks(world).second;
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess) devices = 0;
  double ready = devices >= local_size ? 1 : 0;
  world.sum(&ready, 1);
  if (ready < world.size()) {
    if (world.root())
      std::printf("skipped: the NCCL tests need a GPU for each of the %d ranks on a node (%d visible here)\n",
                  local_size, devices);
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run() ? 1 : 0;
}
