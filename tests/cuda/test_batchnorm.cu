// BatchNorm on the GPU against the CPU: training (batch statistics, running updates) and
// eval (running statistics, frozen-statistics backward), 2-D and 1-D.
#include <cmath>
#include <galnet/cuda.cuh>
#include <galnet/nn/batchnorm.hpp>

#include "cuda_test.hpp"

using namespace galnet;
using galnet::test::max_rel_diff;
using galnet::test::rows;
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

namespace {
__global__ void scale_in_place(double* v, std::int64_t n, double by) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)
    v[i] *= by;
}

/// Rank 0 of two whose partner holds the same batch, so that every sum over the ranks doubles:
/// on the host (a GPU layer then stages through host memory, as with MPI), or on the device
/// (standing in for NCCL).
class TwinRanks : public dist::Communicator {
public:
  explicit TwinRanks(bool on_device) : on_device_(on_device) {}
  [[nodiscard]] int size() const override { return 2; }
  [[nodiscard]] bool sums_on_device() const override { return on_device_; }

protected:
  void sum_doubles(double* v, std::int64_t n) const override {
    for (std::int64_t i = 0; i < n; ++i) v[i] *= 2;
  }
  void device_sum_doubles(double* v, std::int64_t n, double w) const override {
    REQUIRE(on_device_);
    scale_in_place<<<1, 256, 0, cuda::stream()>>>(v, n, 2 * w);
    cuda::check_launch("scale_in_place");
  }

private:
  bool on_device_;
};

/// The batch twice over, along N.
Tensor<float> twice(const Tensor<float>& t) {
  Shape s = t.shape();
  s[0] *= 2;
  Tensor<float> out(s);
  for (std::int64_t i = 0; i < out.numel(); ++i) out[i] = t[i % t.numel()];
  return out;
}
}  // namespace

TEST_CASE("cuda: synchronised BatchNorm2d over two ranks normalises as one batch of both, staged or on the device") {
  GALNET_REQUIRE_GPU();
  using Spec = nn::BatchNorm2d<6>;
  const Shape in{3, 6, 5, 4};
  const auto x = wave<float>(in, 0.013, 0.4, 1.5, 0.3), dy = wave<float>(in, 0.031, 1.1, 1.5, 0.3);
  // One process, both ranks' (identical) batches: the reference.
  nn::layer_t<Spec, float, Cpu> whole;
  whole.weight().value.copy_from(wave<float>(Shape{6}, 0.7, 0.1, 1.5, 0.3));
  const auto y_whole = rows(whole.forward(twice(x)), 0, in[0]);
  const auto dx_whole = rows(whole.backward(twice(dy)), 0, in[0]);
  for (bool on_device : {false, true}) {
    CAPTURE(on_device);
    TwinRanks twins(on_device);
    nn::layer_t<Spec, float, Cuda> gpu;
    nn::layer_t<Spec, float, Cpu> cpu;
    gpu.weight().value.copy_from(cuda::to_device(whole.weight().value));
    cpu.weight().value.copy_from(whole.weight().value);
    const auto xd = cuda::to_device(x), dyd = cuda::to_device(dy);
    const nn::SyncBatchNorm sync(gpu, twins);
    const nn::SyncBatchNorm sync_cpu(cpu, twins);
    const auto transfers = cuda::transfer_count();
    gpu.forward(xd);
    gpu.backward(dyd);
    // On the device, nothing crosses; staged, each of the three sums goes down and up.
    CHECK(cuda::transfer_count() - transfers == (on_device ? 0 : 6));
    const double y = max_rel_diff(y_whole, cuda::to_host(gpu.forward(xd)));  // the same statistics again
    const double dx = max_rel_diff(dx_whole, cuda::to_host(gpu.backward(dyd)));
    const double cpu_y = max_rel_diff(y_whole, cpu.forward(x));
    cpu.backward(dy);
    MESSAGE("synchronised over twins (", on_device ? "device" : "staged", "): y ", y, ", dx ", dx, "; CPU y ", cpu_y);
    CHECK(y < 1e-5);
    CHECK(dx < 1e-5);
    CHECK(cpu_y < 1e-5);
    // The running statistics saw the global batch (2 × 60 values a channel) in each forward.
    nn::layer_t<Spec, float, Cpu> seen_twice;
    seen_twice.forward(twice(x));
    seen_twice.forward(twice(x));
    CHECK(max_rel_diff(seen_twice.running_mean(), cuda::to_host(gpu.running_mean())) < 1e-6);
    CHECK(max_rel_diff(seen_twice.running_var(), cuda::to_host(gpu.running_var())) < 1e-6);
    CHECK(max_rel_diff(whole.running_var(), cpu.running_var()) < 1e-6);
    // dγ and dβ stay this rank's, half the whole batch's, for the gradient averaging to sum;
    // two backward passes accumulated two halves.
    CHECK(max_rel_diff(whole.weight().grad, cuda::to_host(gpu.weight().grad)) < 1e-5);
    CHECK(max_rel_diff(whole.bias().grad, cuda::to_host(gpu.bias().grad)) < 1e-5);
  }
}

TEST_CASE("cuda: synchronised BatchNorm1d trains on one sample a rank, which alone it refuses") {
  GALNET_REQUIRE_GPU();
  nn::layer_t<nn::BatchNorm1d<10>, float, Cuda> gpu;
  const auto x = cuda::to_device(wave<float>(Shape{1, 10}, 0.3, 0.2));
  CHECK_THROWS_WITH_AS(gpu.forward(x), doctest::Contains("more than one value per channel"), Error);
  TwinRanks twins(true);
  const nn::SyncBatchNorm sync(gpu, twins);
  CHECK_NOTHROW(gpu.forward(x));  // two values a channel over the ranks
  const auto y = cuda::to_host(gpu.forward(x));
  for (std::int64_t c = 0; c < 10; ++c) CHECK(std::abs(y[c]) < 1e-4f);  // equal values: y = β = 0 but for rounding
}
