// Layers on the GPU against the same layers on the CPU, through their public interface:
// parameters and buffers copied by state-dict name, then two forward/backward steps compared
// (outputs, input gradients, every parameter gradient and buffer). Pooling, fastai's concat
// pooling and ResNet basic blocks (which run conv, batch norm, ReLU and the residual add).
#include <cmath>
#include <galnet/cuda.cuh>
#include <galnet/nn/basic_block.hpp>
#include <galnet/nn/pooling.hpp>
#include <map>
#include <string>

#include "cuda_test.hpp"

using namespace galnet;
using galnet::test::max_rel_diff;
using galnet::test::wave;

namespace {
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
    CHECK_MESSAGE(d < tol, name, " differs by ", d);
    CHECK_MESSAGE(dg < tol, name, " gradient differs by ", dg);
  });
  MESSAGE("input ", in.str(), (training ? " (train)" : " (eval)"), ": outputs and input gradients ",
          worst);
  CHECK(worst < tol);
}
}  // namespace

TEST_CASE("cuda: pooling layers match the CPU (max with padding, average, adaptive, concat)") {
  GALNET_REQUIRE_GPU();
  check_layer<nn::MaxPool2d<3, 2, 1>, float>(Shape{2, 3, 15, 12}, true, 0.0);
  check_layer<nn::MaxPool2d<2>, float>(Shape{2, 3, 8, 9}, true, 0.0);
  check_layer<nn::AvgPool2d<3, 2, 1>, float>(Shape{2, 3, 11, 10}, true, 1e-6);
  check_layer<nn::AdaptiveAvgPool2d<3>, float>(Shape{2, 4, 7, 11}, true, 1e-6);
  check_layer<nn::AdaptiveMaxPool2d<2, 3>, float>(Shape{2, 4, 7, 11}, true, 0.0);
  check_layer<nn::AdaptiveConcatPool2d<1>, float>(Shape{3, 5, 6, 6}, true, 1e-6);
  check_layer<nn::AdaptiveConcatPool2d<1>, double>(Shape{3, 5, 6, 6}, true, 1e-14);
}

TEST_CASE("cuda: ResNet basic blocks match the CPU in train and eval mode") {
  GALNET_REQUIRE_GPU();
  check_layer<nn::BasicBlock<8, 8, 1>, float>(Shape{2, 8, 10, 10}, true, 1e-4);
  check_layer<nn::BasicBlock<8, 16, 2>, float>(Shape{2, 8, 10, 10}, true, 1e-4);
  check_layer<nn::BasicBlock<8, 16, 2>, float>(Shape{2, 8, 10, 10}, false, 1e-4);
  check_layer<nn::BasicBlock<4, 8, 2>, double>(Shape{2, 4, 9, 9}, true, 1e-12);
}
