// Layers on the GPU against the same layers on the CPU, through their public interface:
// parameters and buffers copied by state-dict name, then two forward/backward steps compared
// (outputs, input gradients, every parameter gradient and buffer). Pooling, fastai's concat
// pooling and ResNet basic blocks (which run conv, batch norm, ReLU and the residual add).
#include <galnet/cuda.cuh>
#include <galnet/nn/basic_block.hpp>
#include <galnet/nn/pooling.hpp>

#include "cuda_test.hpp"

using namespace galnet;
using galnet::test::check_layer;


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
