// BatchNorm on the GPU against the CPU: training (batch statistics, running updates) and
// eval (running statistics, frozen-statistics backward), 2-D and 1-D.
#include <cmath>
#include <galnet/cuda.cuh>
#include <galnet/nn/batchnorm.hpp>

#include "cuda_test.hpp"

using namespace galnet;
using galnet::test::max_rel_diff;
using galnet::test::wave;

namespace {
template <class Spec, class T>
void check_bn(const Shape& in, double tol) {
  nn::layer_t<Spec, T, Cpu> cpu;
  nn::layer_t<Spec, T, Cuda> gpu;
  cpu.weight().value.copy_from(wave<T>(cpu.weight().value.shape(), 0.7, 0.1, 1.5, 0.3));
  gpu.weight().value.copy_from(cuda::to_device(cpu.weight().value));
  const auto x = wave<T>(in, 0.011, 0.4, 1.5, 0.3), dy = wave<T>(in, 0.023, 1.7, 1.5, 0.3);
  const auto xd = cuda::to_device(x), dyd = cuda::to_device(dy);
  double worst = 0;
  for (bool training : {true, true, false}) {
    cpu.train(training);
    gpu.train(training);
    worst = std::max(worst, max_rel_diff(cpu.forward(x), cuda::to_host(gpu.forward(xd))));
    worst = std::max(worst, max_rel_diff(cpu.backward(dy), cuda::to_host(gpu.backward(dyd))));
  }
  worst = std::max(worst, max_rel_diff(cpu.running_mean(), cuda::to_host(gpu.running_mean())));
  worst = std::max(worst, max_rel_diff(cpu.running_var(), cuda::to_host(gpu.running_var())));
  worst = std::max(worst, max_rel_diff(cpu.weight().grad, cuda::to_host(gpu.weight().grad)));
  worst = std::max(worst, max_rel_diff(cpu.bias().grad, cuda::to_host(gpu.bias().grad)));
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
