// galnet/cuda/memory.hpp — device memory for Tensor<T, Cuda>: a caching allocator, so a
// training loop calls cudaMalloc only while its buffers first grow, never once per batch.
//
// Contract
//   - allocate(bytes) returns 256-byte aligned device memory of the current device. Sizes are
//     rounded up (to 512 B below 1 MiB, to 2 MiB above) and freed blocks are kept, per device,
//     for the next request of the same rounded size.
//   - When cudaMalloc fails, every cached block is released and the call retried once; a second
//     failure throws galnet::Error with the sizes and the advice to lower the batch size.
//   - deallocate() never frees to the driver (empty_cache() does); it is thread-safe.
//   - Blocks are reused without stream synchronisation: galnet runs one compute stream per
//     device, so a block freed in stream order is reused in stream order.
// PinnedBuffer: page-locked host memory for asynchronous host → device copies (data loader).
#pragma once
#include <cuda_runtime_api.h>

#include <atomic>

#include <cstddef>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "galnet/core/device.hpp"
#include "galnet/cuda/error.hpp"
#include "galnet/cuda/runtime.hpp"

namespace galnet::cuda {

struct MemoryStats {
  std::size_t bytes_in_use = 0;   ///< handed out and not yet returned
  std::size_t bytes_cached = 0;   ///< returned, kept for reuse
  long long driver_allocations = 0;  ///< cudaMalloc calls that succeeded
};

class CachingAllocator {
public:
  static CachingAllocator& instance() {
    static CachingAllocator a;  // leaked deliberately at exit: the driver frees device memory
    return a;
  }

  static constexpr std::size_t round(std::size_t bytes) {
    constexpr std::size_t small = 512, large = std::size_t{2} << 20;
    return bytes < (std::size_t{1} << 20) ? (bytes + small - 1) / small * small
                                          : (bytes + large - 1) / large * large;
  }

  void* allocate(std::size_t bytes) {
    if (bytes == 0) return nullptr;
    const std::size_t size = round(bytes);
    int device = 0;
    GALNET_CUDA_CHECK(cudaGetDevice(&device));
    std::lock_guard lock(mutex_);
    auto& pool = free_[device];
    if (auto it = pool.find(size); it != pool.end()) {
      void* p = it->second;
      pool.erase(it);
      stats_.bytes_cached -= size;
      return hand_out(p, size, device);
    }
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, size);
    if (e == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      release_cached_locked();
      e = cudaMalloc(&p, size);
    }
    if (e != cudaSuccess) {
      (void)cudaGetLastError();
      std::size_t free_bytes = 0, total = 0;
      (void)cudaMemGetInfo(&free_bytes, &total);
      fail("galnet: cannot allocate ", bytes, " bytes on CUDA device ", device, " (", cudaGetErrorName(e), "; ",
           stats_.bytes_in_use >> 20, " MiB held by galnet, ", free_bytes >> 20, " of ", total >> 20,
           " MiB free)", e == cudaErrorMemoryAllocation ? kOutOfMemoryAdvice : "");
    }
    ++stats_.driver_allocations;
    ++galnet::detail::allocation_counter();
    return hand_out(p, size, device);
  }

  void deallocate(void* p) noexcept {
    if (p == nullptr) return;
    std::lock_guard lock(mutex_);
    const auto it = live_.find(p);
    if (it == live_.end()) return;  // not ours: never happens through Tensor
    const auto [size, device] = it->second;
    live_.erase(it);
    stats_.bytes_in_use -= size;
    stats_.bytes_cached += size;
    free_[device].emplace(size, p);
  }

  /// Returns every cached block to the driver (e.g. before handing the GPU to another library).
  void empty_cache() {
    std::lock_guard lock(mutex_);
    release_cached_locked();
  }
  [[nodiscard]] MemoryStats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

private:
  CachingAllocator() = default;
  void* hand_out(void* p, std::size_t size, int device) {
    live_.emplace(p, std::pair{size, device});
    stats_.bytes_in_use += size;
    return p;
  }
  void release_cached_locked() noexcept {
    int current = 0;
    (void)cudaGetDevice(&current);
    for (auto& [device, pool] : free_) {
      (void)cudaSetDevice(device);
      for (auto& [size, p] : pool) {
        (void)cudaFree(p);
        stats_.bytes_cached -= size;
      }
      pool.clear();
    }
    (void)cudaSetDevice(current);
  }

  mutable std::mutex mutex_;
  std::unordered_map<int, std::multimap<std::size_t, void*>> free_;
  std::unordered_map<void*, std::pair<std::size_t, int>> live_;
  MemoryStats stats_;
};

inline MemoryStats memory_stats() { return CachingAllocator::instance().stats(); }
inline void empty_cache() { CachingAllocator::instance().empty_cache(); }

namespace detail {
/// Host ↔ device copies so far (transfer_count() in transfer.hpp); every path that crosses counts.
inline std::atomic<long long>& transfer_counter() {
  static std::atomic<long long> n{0};
  return n;
}
}  // namespace detail

/// Page-locked host memory of `bytes`, for cudaMemcpyAsync that overlaps with compute.
class PinnedBuffer {
public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(std::size_t bytes) { resize(bytes); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  PinnedBuffer(PinnedBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    return *this;
  }
  ~PinnedBuffer() {
    if (p_) (void)cudaFreeHost(p_);
  }
  /// Grows to at least `bytes` (contents lost when it grows).
  void resize(std::size_t bytes) {
    if (bytes <= n_) return;
    if (p_) GALNET_CUDA_CHECK(cudaFreeHost(p_));
    p_ = nullptr;
    n_ = 0;
    GALNET_CUDA_CHECK(cudaMallocHost(&p_, bytes));
    n_ = bytes;
  }
  [[nodiscard]] void* data() const { return p_; }
  [[nodiscard]] std::size_t size() const { return n_; }

private:
  void* p_ = nullptr;
  std::size_t n_ = 0;
};

}  // namespace galnet::cuda

namespace galnet {
/// Device memory operations on the calling thread's stream (ordered with galnet's kernels).
template <>
struct DeviceMemory<Cuda> {
  static void zero(void* p, std::size_t bytes) {
    if (bytes) GALNET_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, cuda::stream()));
  }
  static void copy(void* dst, const void* src, std::size_t bytes) {
    if (bytes) GALNET_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cuda::stream()));
  }
  /// Synchronous, so `host` may be a temporary (initialisation, not the training loop).
  static void upload(void* dst, const void* host, std::size_t bytes) {
    if (bytes == 0) return;
    ++cuda::detail::transfer_counter();
    GALNET_CUDA_CHECK(cudaMemcpyAsync(dst, host, bytes, cudaMemcpyHostToDevice, cuda::stream()));
    GALNET_CUDA_CHECK(cudaStreamSynchronize(cuda::stream()));
  }
  /// Synchronous: `host` holds the data on return (saving, checking; not the training loop).
  static void download(void* host, const void* src, std::size_t bytes) {
    if (bytes == 0) return;
    ++cuda::detail::transfer_counter();
    GALNET_CUDA_CHECK(cudaMemcpyAsync(host, src, bytes, cudaMemcpyDeviceToHost, cuda::stream()));
    GALNET_CUDA_CHECK(cudaStreamSynchronize(cuda::stream()));
  }
};

inline void* Cuda::allocate(std::size_t bytes) { return cuda::CachingAllocator::instance().allocate(bytes); }
inline void Cuda::deallocate(void* p) noexcept { cuda::CachingAllocator::instance().deallocate(p); }
}  // namespace galnet
