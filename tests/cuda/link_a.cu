// Two CUDA translation units including the whole backend, linked together (link_b.cu): no
// duplicate symbols from the headers, kernels included.
#include <galnet/cuda.cuh>
#include <galnet/galnet.hpp>

float galnet_link_a() {
  galnet::nn::SELULayer<float, galnet::Cuda> selu;
  (void)selu;
  return static_cast<float>(galnet::cuda::CachingAllocator::round(3));
}
