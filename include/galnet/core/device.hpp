// galnet/core/device.hpp — device tags and their memory.
//
// The backend is a compile-time choice: Tensor<T, Cpu> and Tensor<T, Cuda> are different types,
// so mixing them is a compile error. A device tag provides allocate/deallocate; the CUDA tag's
// allocator lives in galnet/cuda/memory.hpp so CPU builds never see CUDA headers.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include "galnet/core/error.hpp"

/// Marks small geometry helpers that CUDA kernels share with the CPU code (no-op without nvcc).
#if defined(__CUDACC__)
#define GALNET_HOST_DEVICE __host__ __device__
#else
#define GALNET_HOST_DEVICE
#endif

namespace galnet {

inline constexpr std::size_t kAlignment = 64;  ///< bytes; one cache line, one AVX-512 vector

struct Cpu {
  static constexpr const char* name = "cpu";
  static void* allocate(std::size_t bytes);
  static void deallocate(void* p) noexcept { std::free(p); }
};

/// Defined in galnet/cuda/memory.hpp (galnet::cuda): a TU that makes a Tensor<T, Cuda> includes
/// it; CPU-only code never names these, so it never needs the CUDA toolkit.
struct Cuda {
  static constexpr const char* name = "cuda";
  static void* allocate(std::size_t bytes);
  static void deallocate(void* p) noexcept;
};

namespace detail {
/// Number of device allocations made so far; tests use it to prove that a steady-state
/// training step allocates nothing.
inline std::atomic<long long>& allocation_counter() {
  static std::atomic<long long> n{0};
  return n;
}
}  // namespace detail

inline long long allocation_count() { return detail::allocation_counter().load(); }

inline void* Cpu::allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr) fail("galnet: out of host memory allocating ", bytes, " bytes");
  ++detail::allocation_counter();
  return p;
}

/// Host memory other than Cpu's default, chosen per tensor (Tensor::use_host_memory): the CUDA
/// backend registers page-locked memory, which a GPU copies from asynchronously at full bus
/// speed (galnet/cuda/pinned.hpp; DataLoader's `pin_memory`). `wait_unused(p)` returns once every
/// asynchronous read of the block at `p` enqueued so far has finished, so the block may be
/// rewritten; `deallocate` waits likewise. A thread other than the one that set things up (a
/// loader's worker) first adopts that thread's context(): for CUDA, its current GPU, so that a
/// worker does not open a context on GPU 0.
struct HostMemory {
  const char* name;
  void* (*allocate)(std::size_t bytes);
  void (*deallocate)(void* p) noexcept;
  void (*wait_unused)(const void* p);
  int (*context)();             ///< the calling thread's context (nullptr: none needed)
  void (*adopt_context)(int);   ///< makes it the calling thread's
};

namespace detail {
inline const HostMemory*& pinned_host_memory_slot() {
  static const HostMemory* m = nullptr;
  return m;
}
}  // namespace detail

/// Page-locked host memory, or nullptr where no GPU backend is linked into the program.
inline const HostMemory* pinned_host_memory() { return detail::pinned_host_memory_slot(); }

template <class D>
concept Device = requires { D::name; };

/// Raw memory operations of a device: DeviceMemory<Cpu> here, DeviceMemory<Cuda> in
/// galnet/cuda/memory.hpp (asynchronous, on the calling thread's stream). Tensors and
/// initialisers reach device memory only through it.
template <class D>
struct DeviceMemory;

template <>
struct DeviceMemory<Cpu> {
  static void zero(void* p, std::size_t bytes) {
    if (bytes) std::memset(p, 0, bytes);
  }
  static void copy(void* dst, const void* src, std::size_t bytes) {  ///< within the device
    if (bytes) std::memcpy(dst, src, bytes);
  }
  static void upload(void* dst, const void* host, std::size_t bytes) { copy(dst, host, bytes); }
  static void download(void* host, const void* src, std::size_t bytes) { copy(host, src, bytes); }
};

}  // namespace galnet
