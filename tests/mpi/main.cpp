// The MPI tests' driver: MPI for the whole run, then doctest on every rank (each rank checks;
// mpirun fails the job when any rank exits non-zero).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <galnet/dist/mpi.hpp>

int main(int argc, char** argv) {
  galnet::dist::World world(&argc, &argv);
  doctest::Context context(argc, argv);
  const int failed = context.run();
  return failed ? 1 : 0;
}
