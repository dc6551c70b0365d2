// The CUDA tests' main: doctest, then exit code 77 (ctest: skipped) if a device test found no GPU.
#define DOCTEST_CONFIG_IMPLEMENT
#include "cuda_test.hpp"

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int rc = context.run();
  if (context.shouldExit()) return rc;
  return rc == 0 && galnet::test::gpu_tests_skipped() ? 77 : rc;
}
