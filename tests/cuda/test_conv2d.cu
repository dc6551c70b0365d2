// Conv2d on cuDNN against the CPU convolution: forward, data gradient, weight and bias
// gradients (accumulated over two steps), for the geometries of galnet's models.
#include <cmath>
#include <galnet/cuda.cuh>
#include <galnet/nn/conv2d.hpp>

#include "cuda_test.hpp"

using namespace galnet;
using galnet::test::max_rel_diff;
using galnet::test::wave;

namespace {
template <class Spec, class T, bool Bias>
void check_conv(const Shape& in, double tol) {
  nn::layer_t<Spec, T, Cpu> cpu;
  nn::layer_t<Spec, T, Cuda> gpu;
  gpu.weight().value.copy_from(cuda::to_device(cpu.weight().value));
  if constexpr (Bias) gpu.bias().value.copy_from(cuda::to_device(cpu.bias().value));
  const auto x = wave<T>(in, 0.013, 0.3);
  const auto out = cpu.output_shape(in);
  const auto dy = wave<T>(out, 0.007, 1.3);
  const auto xd = cuda::to_device(x), dyd = cuda::to_device(dy);
  double worst = 0;
  for (int step = 0; step < 2; ++step) {
    const auto y = cpu.forward(x);
    const auto dx = cpu.backward(dy);
    worst = std::max(worst, max_rel_diff(y, cuda::to_host(gpu.forward(xd))));
    worst = std::max(worst, max_rel_diff(dx, cuda::to_host(gpu.backward(dyd))));
  }
  worst = std::max(worst, max_rel_diff(cpu.weight().grad, cuda::to_host(gpu.weight().grad)));
  if constexpr (Bias) worst = std::max(worst, max_rel_diff(cpu.bias().grad, cuda::to_host(gpu.bias().grad)));
  MESSAGE(cpu.describe(), " on ", in.str(), ": max relative difference ", worst);
  CHECK(worst < tol);
}
}  // namespace

TEST_CASE("cuda: Conv2d on cuDNN matches the CPU (ResNet stem, 3x3 blocks, 1x1 downsample)") {
  GALNET_REQUIRE_GPU();
  check_conv<nn::Conv2d<3, 8, 7, 2, 3, false>, float, false>(Shape{2, 3, 32, 32}, 1e-4);
  check_conv<nn::Conv2d<8, 8, 3, 1, 1, false>, float, false>(Shape{3, 8, 16, 16}, 1e-4);
  check_conv<nn::Conv2d<8, 16, 1, 2, 0, false>, float, false>(Shape{3, 8, 16, 16}, 1e-4);
  check_conv<nn::Conv2d<3, 4, 5, 1, 2, true>, float, true>(Shape{2, 3, 20, 20}, 1e-4);  // SpinCNN-like, bias
  check_conv<nn::Conv2d<8, 8, 3, 1, 1, true>, double, true>(Shape{2, 8, 9, 9}, 1e-12);
}

TEST_CASE("cuda: bf16 mixed-precision convolutions stay within their documented tolerance") {
  GALNET_REQUIRE_GPU();
  test::MathModeScope bf16(cuda::MathMode::bf16);
  // docs/cuda.md: 3e-2 of the largest value for forward, data and weight gradients (bfloat16
  // operands round to 2^-9 relative; float32 accumulation).
  check_conv<nn::Conv2d<3, 8, 7, 2, 3, false>, float, false>(Shape{2, 3, 32, 32}, 3e-2);
  check_conv<nn::Conv2d<16, 16, 3, 1, 1, false>, float, false>(Shape{3, 16, 16, 16}, 3e-2);
  check_conv<nn::Conv2d<16, 32, 1, 2, 0, false>, float, false>(Shape{3, 16, 16, 16}, 3e-2);
  check_conv<nn::Conv2d<3, 4, 5, 1, 2, true>, float, true>(Shape{2, 3, 20, 20}, 3e-2);
  check_conv<nn::Conv2d<8, 8, 3, 1, 1, true>, double, true>(Shape{2, 8, 9, 9}, 1e-12);  // double: exact
}

TEST_CASE("cuda: in bf16 mode a ResNet 3x3 convolution runs on bfloat16 operands") {
  GALNET_REQUIRE_GPU();
  const ops::Conv2dGeometry g{2, 64, 18, 18, 64, 3, 3, 1, 1, 18, 18};
  const auto x = cuda::to_device(wave<float>(Shape{2, 64, 18, 18}, 0.013, 0.3));
  const auto w = cuda::to_device(wave<float>(Shape{64, 64, 3, 3}, 0.007, 1.3, 0.05));
  Tensor<float, Cuda> y_exact(Shape{2, 64, 18, 18}), y_bf16(Shape{2, 64, 18, 18});
  ops::Conv2dOp<float, Cuda> op;
  op.forward(g, x.data(), w.data(), nullptr, y_exact.data());
  CHECK_FALSE(op.uses_bf16());
  {
    test::MathModeScope bf16(cuda::MathMode::bf16);
    op.forward(g, x.data(), w.data(), nullptr, y_bf16.data());
    CHECK(op.uses_bf16());
  }
  const double d = max_rel_diff(cuda::to_host(y_exact), cuda::to_host(y_bf16));
  MESSAGE("64-channel 3x3 forward, bf16 vs exact: ", d);
  CHECK(d > 0);
  CHECK(d < 3e-2);
}
