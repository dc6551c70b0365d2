// Shared by the CUDA tests: GALNET_REQUIRE_GPU() ends a test case early, marked skipped, where
// no CUDA device is visible; main() then exits 77, which ctest reports as skipped, not passed.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <galnet/cuda.hpp>

namespace galnet::test {
/// A deterministic test input: scale · sin(a·i + b) + offset over the elements of `s`.
template <class T>
Tensor<T> wave(const Shape& s, double a, double b, double scale = 1.0, double offset = 0.0) {
  Tensor<T> t(s);
  for (std::int64_t i = 0; i < t.numel(); ++i)
    t[i] = static_cast<T>(scale * std::sin(a * static_cast<double>(i) + b) + offset);
  return t;
}
/// max |ref − got| / max |ref|: the parity measure of the CUDA tests.
template <class T>
double max_rel_diff(const Tensor<T>& ref, const Tensor<T>& got) {
  REQUIRE(ref.shape() == got.shape());
  double scale = 1e-30, worst = 0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) scale = std::max(scale, std::abs(double(ref[i])));
  for (std::int64_t i = 0; i < ref.numel(); ++i) worst = std::max(worst, std::abs(double(ref[i]) - double(got[i])));
  return worst / scale;
}
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
