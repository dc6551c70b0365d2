// The CUDA backend's memory and transfers: the caching allocator reuses blocks, transfers are
// exact and counted, and running out of memory (or having no GPU) is a clear error; pinned
// loader batches reach the GPU without a staging copy.
#include <cuda_runtime_api.h>

#include <galnet/cuda.hpp>
#include <galnet/train/cuda.hpp>
#include <galnet/data/loader.hpp>
#include <string>

#include "cuda_test.hpp"

using namespace galnet;

TEST_CASE("cuda host: allocation sizes round to 512 B below 1 MiB and 2 MiB above") {
  using A = cuda::CachingAllocator;
  CHECK(A::round(1) == 512);
  CHECK(A::round(512) == 512);
  CHECK(A::round(513) == 1024);
  CHECK(A::round((1 << 20) - 1) == (1 << 20));
  CHECK(A::round((1 << 20) + 1) == (2 << 20));
  CHECK(A::round(5 << 20) == (6 << 20));
}

TEST_CASE("cuda host: asking for the GPU without one says so and suggests --device cpu") {
  if (cuda::device_count() > 0) {
    CHECK_NOTHROW(cuda::require_device("sfnet"));
    return;
  }
  try {
    cuda::require_device("sfnet");
    FAIL("require_device did not throw without a GPU");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("sfnet: --device cuda") != std::string::npos);
    CHECK(msg.find("use --device cpu") != std::string::npos);
  }
}

TEST_CASE("cuda: the caching allocator reuses a freed block instead of calling cudaMalloc") {
  GALNET_REQUIRE_GPU();
  { Tensor<float, Cuda> warm(Shape{64, 3, 32, 32}); }
  const auto before = cuda::memory_stats();
  for (int i = 0; i < 10; ++i) {
    Tensor<float, Cuda> t(Shape{64, 3, 32, 32});
    CHECK(t.data() != nullptr);
  }
  const auto after = cuda::memory_stats();
  CHECK(after.driver_allocations == before.driver_allocations);
  CHECK(after.bytes_in_use == before.bytes_in_use);
  cuda::empty_cache();
  CHECK(cuda::memory_stats().bytes_cached == 0);
}

TEST_CASE("cuda: host -> device -> host copies are exact and counted") {
  GALNET_REQUIRE_GPU();
  Tensor<float> h(Shape{3, 5});
  for (std::int64_t i = 0; i < h.numel(); ++i) h[i] = 0.1f * static_cast<float>(i) - 0.7f;
  const auto n0 = cuda::transfer_count();
  const auto d = cuda::to_device(h);
  const auto back = cuda::to_host(d);
  CHECK(cuda::transfer_count() == n0 + 2);
  CHECK(back.shape() == h.shape());
  CHECK(back.to_vector() == h.to_vector());
}

TEST_CASE("cuda: an allocation larger than the GPU is an error that advises a smaller batch") {
  GALNET_REQUIRE_GPU();
  try {
    Tensor<float, Cuda> huge(Shape{std::int64_t{1} << 46});  // 256 TiB
    FAIL("a 256 TiB allocation succeeded");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("cannot allocate") != std::string::npos);
    CHECK(msg.find("lower the batch size") != std::string::npos);
  }
  Tensor<float, Cuda> fine(Shape{16});  // the device still works afterwards
  CHECK(fine.data() != nullptr);
}

TEST_CASE("cuda host: the backend registers page-locked memory for pin_memory loaders") {
  CHECK(pinned_host_memory() == &cuda::PinnedHostMemory::memory());
}

namespace {
/// Sample i: every pixel i + its position / 1000, target -i.
struct CountingSource {
  [[nodiscard]] std::size_t size() const { return 37; }
  [[nodiscard]] Shape sample_shape() const { return Shape{2, 3, 5}; }
  [[nodiscard]] int target_count() const { return 1; }
  void load(std::size_t i, float* img, float* tgt, Generator&) const {
    for (int k = 0; k < 30; ++k) img[k] = static_cast<float>(i) + 0.001f * static_cast<float>(k);
    tgt[0] = -static_cast<float>(i);
  }
};
bool page_locked(const void* p) {
  cudaPointerAttributes a{};
  return cudaPointerGetAttributes(&a, p) == cudaSuccess && a.type == cudaMemoryTypeHost;
}
}  // namespace

TEST_CASE("cuda: pin_memory batches are page-locked and reach the GPU exactly, without staging") {
  GALNET_REQUIRE_GPU();
  CountingSource src;
  constexpr int kEpochs = 3;  // later epochs refill buffers whose copies may still be queued
  for (bool pin : {true, false}) {
    data::DataLoader loader(src, {}, {.batch_size = 8, .seed = 4, .workers = 2, .prefetch = 2, .pin_memory = pin});
    train::BatchUpload<Cuda> images;
    data::Batch b;
    // Every uploaded batch is gathered on the GPU with no host synchronisation in between, so a
    // worker that rewrote a batch before its copy ran would show up in the gathered values.
    Tensor<float, Cuda> gathered(Shape{kEpochs * 37, 2, 3, 5});
    std::vector<float> expected;
    std::int64_t row = 0;
    for (int epoch = 0; epoch < kEpochs; ++epoch) {
      loader.start_epoch(epoch);
      while (loader.next(b)) {
        CHECK(page_locked(b.images.data()) == pin);
        const auto& xd = images(b.images);
        DeviceMemory<Cuda>::copy(gathered.data() + row * 30, xd.data(), sizeof(float) * static_cast<std::size_t>(xd.numel()));
        row += b.size();
        for (auto i : b.indices) {
          float img[30], t;
          Generator g(0);
          src.load(i, img, &t, g);
          expected.insert(expected.end(), img, img + 30);
        }
      }
    }
    REQUIRE(row == kEpochs * 37);
    CHECK(cuda::to_host(gathered).to_vector() == expected);
    CHECK(images.staged_copies() == (pin ? 0 : static_cast<long long>(kEpochs * loader.batches_per_epoch())));
  }
}
