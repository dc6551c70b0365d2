// Shared by the CUDA tests: GALNET_REQUIRE_GPU() ends a test case early, marked skipped, where
// no CUDA device is visible; main() then exits 77, which ctest reports as skipped, not passed.
#pragma once
#include <doctest/doctest.h>

#include <galnet/cuda.hpp>

namespace galnet::test {
inline bool& gpu_tests_skipped() {
  static bool skipped = false;
  return skipped;
}
}  // namespace galnet::test

#define GALNET_REQUIRE_GPU()                                                  \
  do {                                                                        \
    if (::galnet::cuda::device_count() == 0) {                                \
      ::galnet::test::gpu_tests_skipped() = true;                             \
      MESSAGE("no CUDA device visible: this device test is skipped");         \
      return;                                                                 \
    }                                                                         \
  } while (0)
