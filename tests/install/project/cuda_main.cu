// The same outside project's GPU half: galnet::cuda from an installed galnet, a Linear layer on
// the device when one is visible.
#include <galnet/cuda.cuh>
#include <galnet/nn/linear.hpp>
#include <iostream>

int main() {
  const int n = galnet::cuda::device_count();
  std::cout << "galnet::cuda: " << n << " device(s)\n";
  if (n == 0) return 0;
  galnet::nn::layer_t<galnet::nn::Linear<12, 3>, float, galnet::Cuda> fc;
  const auto y = galnet::cuda::to_host(fc.forward(galnet::cuda::to_device(galnet::Tensor<float>(galnet::Shape{4, 12}, 0.1f))));
  std::cout << "out " << y.shape() << "\n";
}
