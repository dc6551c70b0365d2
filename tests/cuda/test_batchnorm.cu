// BatchNorm on the GPU against the CPU: training (batch statistics, running updates) and
// eval (running statistics, frozen-statistics backward), 2-D and 1-D.
#include <cmath>
#include <galnet/cuda.cuh>
#include <galnet/nn/batchnorm.hpp>

#include "cuda_test.hpp"

using namespace galnet;

namespace {
template <class T>
Tensor<T> wave(const Shape& s, double a, double b) {
  Tensor<T> t(s);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(1.5 * std::sin(a * static_cast<double>(i) + b) + 0.3);
  return t;
}
template <class T>
double rel(const Tensor<T>& ref, const Tensor<T>& got) {
  REQUIRE(ref.shape() == got.shape());
  double scale = 1e-30, worst = 0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) scale = std::max(scale, std::abs(double(ref[i])));
  for (std::int64_t i = 0; i < ref.numel(); ++i) worst = std::max(worst, std::abs(double(ref[i]) - double(got[i])));
  return worst / scale;
}

template <class Spec, class T>
void check_bn(const Shape& in, double tol) {
  nn::layer_t<Spec, T, Cpu> cpu;
  nn::layer_t<Spec, T, Cuda> gpu;
  cpu.weight().value.copy_from(wave<T>(cpu.weight().value.shape(), 0.7, 0.1));
  gpu.weight().value.copy_from(cuda::to_device(cpu.weight().value));
  const auto x = wave<T>(in, 0.011, 0.4), dy = wave<T>(in, 0.023, 1.7);
  const auto xd = cuda::to_device(x), dyd = cuda::to_device(dy);
  double worst = 0;
  for (bool training : {true, true, false}) {
    cpu.train(training);
    gpu.train(training);
    worst = std::max(worst, rel(cpu.forward(x), cuda::to_host(gpu.forward(xd))));
    worst = std::max(worst, rel(cpu.backward(dy), cuda::to_host(gpu.backward(dyd))));
  }
  worst = std::max(worst, rel(cpu.running_mean(), cuda::to_host(gpu.running_mean())));
  worst = std::max(worst, rel(cpu.running_var(), cuda::to_host(gpu.running_var())));
  worst = std::max(worst, rel(cpu.weight().grad, cuda::to_host(gpu.weight().grad)));
  worst = std::max(worst, rel(cpu.bias().grad, cuda::to_host(gpu.bias().grad)));
  MESSAGE(cpu.describe(), " on ", in.str(), ": max relative difference ", worst);
  CHECK(worst < tol);
}
}  // namespace

TEST_CASE("cuda: BatchNorm2d and BatchNorm1d match the CPU in train and eval mode") {
  GALNET_REQUIRE_GPU();
  check_bn<nn::BatchNorm2d<6>, float>(Shape{4, 6, 9, 7}, 1e-5);
  check_bn<nn::BatchNorm1d<10>, float>(Shape{8, 10}, 1e-5);
  check_bn<nn::BatchNorm2d<6>, double>(Shape{3, 6, 5, 5}, 1e-13);
}
