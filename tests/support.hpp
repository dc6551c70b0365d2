// Helpers shared by galnet's unit tests.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "galnet/core/error.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/ops/conv2d_geometry.hpp"

namespace galnet::test {

/// tests/fixtures (the committed PyTorch references) and data/ (the bundled galaxies and
/// published weights) of this checkout; defined in support_paths.cpp, the one translation unit
/// whose compile line carries these absolute paths (so that ccache serves the others to a fresh clone).
std::filesystem::path fixture_dir();
std::filesystem::path data_dir();

/// Ends a test case whose input is absent: ctest reports it skipped (SKIP_REGULAR_EXPRESSION
/// GALNET-SKIPPED in tests/CMakeLists.txt), never passed.
#define GALNET_SKIP(...)                                                                     \
  do {                                                                                       \
    std::printf("GALNET-SKIPPED: %s\n", ::galnet::detail::concat(__VA_ARGS__).c_str()); \
    std::fflush(stdout);                                                                     \
    return;                                                                                  \
  } while (0)

/// max |ref − got| / max |ref|: the parity measure of the fast paths (and of the CUDA tests).
template <class T>
double max_rel_diff(const Tensor<T>& ref, const Tensor<T>& got) {
  REQUIRE(ref.shape() == got.shape());
  double scale = 1e-30, worst = 0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) scale = std::max(scale, std::abs(double(ref[i])));
  for (std::int64_t i = 0; i < ref.numel(); ++i) worst = std::max(worst, std::abs(double(ref[i]) - double(got[i])));
  return worst / scale;
}

/// t converted element by element to T (float results against float64 references).
template <class T, class U>
Tensor<T> cast(const Tensor<U>& u) {
  Tensor<T> t(u.shape());
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(u[i]);
  return t;
}

/// ops::set_winograd(on) for a scope, restored to the default (on) when it ends, also when a
/// REQUIRE throws out of it.
struct WinogradScope {
  explicit WinogradScope(bool on) { ops::set_winograd(on); }
  ~WinogradScope() { ops::set_winograd(true); }
  WinogradScope(const WinogradScope&) = delete;
  WinogradScope& operator=(const WinogradScope&) = delete;
};

/// The message of the galnet::Error that `f` throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace galnet::test
