// ReLU and SELU layers on the GPU against the same layers on the CPU, forward and backward.
#include <cmath>
#include <galnet/cuda.cuh>
#include <galnet/nn/activation.hpp>

#include "cuda_test.hpp"

using namespace galnet;

namespace {
template <class T, template <class, class> class Layer>
void check_layer_parity(double tol) {
  Tensor<T> x(Shape{4, 3, 7, 5}), dy(x.shape());
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    x[i] = static_cast<T>(std::sin(0.37 * static_cast<double>(i)) * 3.0);
    dy[i] = static_cast<T>(std::cos(0.11 * static_cast<double>(i)));
  }
  Layer<T, Cpu> cpu;
  Layer<T, Cuda> gpu;
  const auto xd = cuda::to_device(x), dyd = cuda::to_device(dy);
  const auto y_cpu = cpu.forward(x), dx_cpu = cpu.backward(dy);
  const auto y_gpu = cuda::to_host(gpu.forward(xd));
  const auto dx_gpu = cuda::to_host(gpu.backward(dyd));
  double worst = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    worst = std::max(worst, std::abs(double(y_cpu[i]) - double(y_gpu[i])) / (1 + std::abs(double(y_cpu[i]))));
    worst = std::max(worst, std::abs(double(dx_cpu[i]) - double(dx_gpu[i])) / (1 + std::abs(double(dx_cpu[i]))));
  }
  MESSAGE("max relative difference CPU vs GPU: ", worst);
  CHECK(worst <= tol);
}
}  // namespace

TEST_CASE("cuda: ReLU layer matches the CPU exactly") {
  GALNET_REQUIRE_GPU();
  check_layer_parity<float, nn::ReLULayer>(0.0);
  check_layer_parity<double, nn::ReLULayer>(0.0);
}

TEST_CASE("cuda: SELU layer matches the CPU within a few ulp") {
  GALNET_REQUIRE_GPU();
  check_layer_parity<float, nn::SELULayer>(1e-6);
  check_layer_parity<double, nn::SELULayer>(1e-14);
}
