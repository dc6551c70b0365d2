// galnet/cuda/pinned.hpp — page-locked host memory for CPU tensors that a GPU copies from
// (the HostMemory behind DataLoader's `pin_memory`, as PyTorch's).
//
// Contract
//   - Including this header (galnet/cuda.hpp does) registers the memory as
//     galnet::pinned_host_memory(); a program without the CUDA backend has none.
//   - An asynchronous copy out of a block is announced with mark_read(p, stream), which records
//     an event on that stream. wait_unused(p) waits for the last such event, so a loader worker
//     never rewrites a batch the GPU is still reading; deallocate() waits likewise.
//   - Allocation failures throw galnet::Error naming cudaMallocHost. Thread-safe as a loader
//     uses it: each block has one owner at a time (a worker, or the training loop).
#pragma once
#include <cuda_runtime_api.h>

#include <mutex>
#include <unordered_map>

#include "galnet/core/device.hpp"
#include "galnet/cuda/error.hpp"

namespace galnet::cuda {

class PinnedHostMemory {
public:
  static void* allocate(std::size_t bytes) {
    void* p = nullptr;
    if (bytes == 0) return p;
    GALNET_CUDA_CHECK(cudaMallocHost(&p, bytes));
    ++galnet::detail::allocation_counter();
    return p;
  }
  static void deallocate(void* p) noexcept {
    if (!p) return;
    cudaEvent_t e = take_event(p);
    if (e) {
      (void)cudaEventSynchronize(e);
      (void)cudaEventDestroy(e);
    }
    (void)cudaFreeHost(p);  // at exit the driver may be gone already: nothing left to do then
  }
  /// Waits until every copy out of the block at `p` announced so far has finished.
  static void wait_unused(const void* p) {
    cudaEvent_t e = nullptr;
    {
      const std::lock_guard lock(state().mutex);
      const auto it = state().reads.find(p);
      if (it != state().reads.end()) e = it->second;
    }
    if (e) GALNET_CUDA_CHECK(cudaEventSynchronize(e));
  }
  /// Announces that work enqueued on `stream` so far reads the block at `p`.
  static void mark_read(const void* p, cudaStream_t stream) {
    const std::lock_guard lock(state().mutex);
    cudaEvent_t& e = state().reads[p];
    if (!e) GALNET_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    GALNET_CUDA_CHECK(cudaEventRecord(e, stream));
  }
  /// The calling thread's current GPU, which a loader's workers adopt before their first call.
  static int context() {
    int d = 0;
    GALNET_CUDA_CHECK(cudaGetDevice(&d));
    return d;
  }
  static void adopt_context(int device) { GALNET_CUDA_CHECK(cudaSetDevice(device)); }
  static const HostMemory& memory() {
    static constexpr HostMemory m{"cuda pinned", &allocate, &deallocate, &wait_unused, &context, &adopt_context};
    return m;
  }

private:
  struct State {
    std::mutex mutex;
    std::unordered_map<const void*, cudaEvent_t> reads;
  };
  static State& state() {
    static auto* s = new State;  // leaked deliberately: tensors may be freed during static destruction
    return *s;
  }
  static cudaEvent_t take_event(const void* p) noexcept {
    const std::lock_guard lock(state().mutex);
    const auto it = state().reads.find(p);
    if (it == state().reads.end()) return nullptr;
    const cudaEvent_t e = it->second;
    state().reads.erase(it);
    return e;
  }
};

namespace detail {
inline const bool pinned_host_memory_registered =
    (galnet::detail::pinned_host_memory_slot() = &PinnedHostMemory::memory(), true);
}  // namespace detail

}  // namespace galnet::cuda
