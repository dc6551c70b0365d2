// The CUDA backend's memory and transfers: the caching allocator reuses blocks, transfers are
// exact and counted, and running out of memory (or having no GPU) is a clear error.
#include <galnet/cuda.hpp>
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
