#include <cstdio>
#include <galnet/cuda.cuh>
#include <galnet/galnet.hpp>

float galnet_link_a();

int main() {
  galnet::nn::ReLULayer<float, galnet::Cuda> relu;
  (void)relu;
  const float r = galnet_link_a() + static_cast<float>(galnet::cuda::CachingAllocator::round(5));
  std::printf("linked: %g\n", static_cast<double>(r));
  return r == 1024.0f ? 0 : 1;
}
