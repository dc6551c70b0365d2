// cuBLAS GEMM (all transpose cases) and the Linear layer on the GPU against the CPU.
#include <cmath>
#include <galnet/cuda.cuh>
#include <galnet/nn/linear.hpp>

#include "cuda_test.hpp"

using namespace galnet;
using galnet::test::max_rel_diff;
using galnet::test::wave;

namespace {
template <class T>
void check_gemm(double tol) {
  const std::int64_t m = 7, n = 5, k = 9;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const auto a = wave<T>(ta ? Shape{k, m} : Shape{m, k}, 0.31, 0.2);
      const auto b = wave<T>(tb ? Shape{n, k} : Shape{k, n}, 0.17, 1.1);
      auto c = wave<T>(Shape{m, n}, 0.05, 0.4);
      auto c_gpu = cuda::to_device(c);
      const auto ad = cuda::to_device(a), bd = cuda::to_device(b);
      ops::Gemm<Cpu>::run(ta, tb, m, n, k, T(0.7), a.data(), b.data(), T(0.3), c.data());
      ops::Gemm<Cuda>::run(ta, tb, m, n, k, T(0.7), ad.data(), bd.data(), T(0.3), c_gpu.data());
      const double d = max_rel_diff(c, cuda::to_host(c_gpu));
      MESSAGE("trans_a ", ta, " trans_b ", tb, ": ", d);
      CHECK(d < tol);
    }
}
}  // namespace

TEST_CASE("cuda: Gemm<Cuda> matches the CPU GEMM for every transpose case") {
  GALNET_REQUIRE_GPU();
  check_gemm<double>(1e-14);
}

template <class T>
void check_linear(double tol) {
  nn::LinearLayer<T, Cpu, 12, 5, true> cpu;
  nn::LinearLayer<T, Cuda, 12, 5, true> gpu;
  gpu.weight().value.copy_from(cuda::to_device(cpu.weight().value));
  gpu.bias().value.copy_from(cuda::to_device(cpu.bias().value));
  const auto x = wave<T>(Shape{6, 12}, 0.23, 0.5), dy = wave<T>(Shape{6, 5}, 0.41, 0.9);
  const auto xd = cuda::to_device(x), dyd = cuda::to_device(dy);
  for (int step = 0; step < 2; ++step) {  // twice: parameter gradients accumulate
    const auto y = cpu.forward(x);
    const auto dx = cpu.backward(dy);
    const auto y_gpu = cuda::to_host(gpu.forward(xd));
    const auto dx_gpu = cuda::to_host(gpu.backward(dyd));
    CHECK(max_rel_diff(y, y_gpu) < tol);
    CHECK(max_rel_diff(dx, dx_gpu) < tol);
  }
  CHECK(max_rel_diff(cpu.weight().grad, cuda::to_host(gpu.weight().grad)) < tol);
  CHECK(max_rel_diff(cpu.bias().grad, cuda::to_host(gpu.bias().grad)) < tol);
}

TEST_CASE("cuda: Linear forward, input and parameter gradients match the CPU") {
  GALNET_REQUIRE_GPU();
  check_linear<float>(1e-5);
  check_linear<double>(1e-13);
}

TEST_CASE("cuda: a layer built on the GPU starts with the CPU's weights for the same seed") {
  GALNET_REQUIRE_GPU();
  manual_seed(42);
  nn::LinearLayer<float, Cpu, 8, 3, true> cpu;
  manual_seed(42);
  nn::LinearLayer<float, Cuda, 8, 3, true> gpu;
  CHECK(cuda::to_host(gpu.weight().value).to_vector() == cpu.weight().value.to_vector());
  CHECK(cuda::to_host(gpu.bias().value).to_vector() == cpu.bias().value.to_vector());
  CHECK(cuda::to_host(gpu.weight().grad).to_vector() == std::vector<float>(24, 0.0f));
}

TEST_CASE("cuda: bf16 mixed-precision GEMMs and Linear stay within their documented tolerance") {
  GALNET_REQUIRE_GPU();
  test::MathModeScope bf16(cuda::MathMode::bf16);
  check_gemm<float>(2e-2);       // docs/cuda.md: bfloat16 operands, float32 accumulation
  check_gemm<double>(1e-14);     // double: exact in any mode
  check_linear<float>(2e-2);
}
