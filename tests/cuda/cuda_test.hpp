// Shared by the CUDA tests: GALNET_REQUIRE_GPU() ends a test case early, marked skipped, where
// no CUDA device is visible; main() then exits 77, which ctest reports as skipped, not passed.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <galnet/cuda.hpp>
#include <galnet/nn/module.hpp>
#include <map>
#include <string>

#include "../support.hpp"  // max_rel_diff

namespace galnet::test {
/// A deterministic test input: scale · sin(a·i + b) + offset over the elements of `s`.
template <class T>
Tensor<T> wave(const Shape& s, double a, double b, double scale = 1.0, double offset = 0.0) {
  Tensor<T> t(s);
  for (std::int64_t i = 0; i < t.numel(); ++i)
    t[i] = static_cast<T>(scale * std::sin(a * static_cast<double>(i) + b) + offset);
  return t;
}
/// Rows [begin, end) of t along its first axis (a rank's share of a batch).
template <class T>
Tensor<T> rows(const Tensor<T>& t, std::int64_t begin, std::int64_t end) {
  Shape s = t.shape();
  const std::int64_t row = s[0] ? t.numel() / s[0] : 0;
  s[0] = end - begin;
  Tensor<T> out(s);
  for (std::int64_t i = 0; i < out.numel(); ++i) out[i] = t[begin * row + i];
  return out;
}

/// Sets a math mode for a scope and puts the exact mode back, also when a check throws.
struct MathModeScope {
  explicit MathModeScope(cuda::MathMode m) { cuda::set_math_mode(m); }
  MathModeScope(const MathModeScope&) = delete;
  MathModeScope& operator=(const MathModeScope&) = delete;
  ~MathModeScope() { cuda::set_math_mode(cuda::MathMode::exact); }
};
/// Layer Spec on the CPU and the GPU with the same parameters and buffers (copied by state-dict
/// name): two forward/backward steps compare outputs, input gradients, parameter gradients
/// (accumulated) and buffers within `tol` (max_rel_diff).
template <class Spec, class T>
void check_layer(const Shape& in, bool training, double tol) {
  nn::layer_t<Spec, T, Cpu> cpu;
  nn::layer_t<Spec, T, Cuda> gpu;
  std::map<std::string, Tensor<T, Cuda>*> gpu_state;
  std::map<std::string, nn::Parameter<T, Cuda>*> gpu_params;
  gpu.visit("", [&](const std::string& name, Tensor<T, Cuda>& t, nn::Parameter<T, Cuda>* p) {
    gpu_state[name] = &t;
    if (p) gpu_params[name] = p;
  });
  cpu.visit("", [&](const std::string& name, Tensor<T>& t, nn::Parameter<T>*) {
    REQUIRE(gpu_state.count(name) == 1);
    gpu_state[name]->copy_from(cuda::to_device(t));
  });
  cpu.train(training);
  gpu.train(training);
  const auto x = wave<T>(in, 0.017, 0.2);
  const auto out = cpu.output_shape(in);
  const auto dy = wave<T>(out, 0.029, 0.8);
  const auto xd = cuda::to_device(x), dyd = cuda::to_device(dy);
  double worst = 0;
  for (int step = 0; step < 2; ++step) {
    worst = std::max(worst, max_rel_diff(cpu.forward(x), cuda::to_host(gpu.forward(xd))));
    worst = std::max(worst, max_rel_diff(cpu.backward(dy), cuda::to_host(gpu.backward(dyd))));
  }
  cpu.visit("", [&](const std::string& name, Tensor<T>& t, nn::Parameter<T>* p) {
    const double d = max_rel_diff(t, cuda::to_host(*gpu_state[name]));
    const double dg = p ? max_rel_diff(p->grad, cuda::to_host(gpu_params[name]->grad)) : 0.0;
    CHECK_MESSAGE(d <= tol, name, " differs by ", d);
    CHECK_MESSAGE(dg <= tol, name, " gradient differs by ", dg);
  });
  MESSAGE("input ", in.str(), (training ? " (train)" : " (eval)"), ": outputs and input gradients ",
          worst);
  CHECK(worst <= tol);
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
