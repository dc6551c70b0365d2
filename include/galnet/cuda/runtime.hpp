// galnet/cuda/runtime.hpp — devices, the compute stream, events, and the per-thread cuBLAS and
// cuDNN handles bound to that stream.
//
// galnet runs each device's work on one stream per host thread (stream()); kernels, cuBLAS and
// cuDNN calls all go there, so their order is the program's order, and the caching allocator
// may reuse a block as soon as it is freed. synchronize() waits for it.
// require_device() is the check behind `--device cuda`: without a visible GPU it throws an
// error that says so (and suggests --device cpu) instead of failing in the first kernel.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <atomic>

#include <string>
#include <utility>

#include "galnet/core/options.hpp"
#include "galnet/cuda/error.hpp"

namespace galnet::cuda {

/// Number of visible CUDA devices; 0 (not an error) when there is no GPU or no driver.
inline int device_count() noexcept {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

/// Throws unless a CUDA device is visible; `who` names the caller for the message.
inline void require_device(const std::string& who) {
  GALNET_CHECK(device_count() > 0, who, ": --device cuda asks for a GPU, but no CUDA device is visible ",
               "(no GPU, no driver, or CUDA_VISIBLE_DEVICES hides it); use --device cpu");
}

/// Name and compute capability of the current device, e.g. "NVIDIA H100 80GB HBM3 (sm_90)".
inline std::string device_description() {
  int d = 0;
  GALNET_CUDA_CHECK(cudaGetDevice(&d));
  cudaDeviceProp p{};
  GALNET_CUDA_CHECK(cudaGetDeviceProperties(&p, d));
  return std::string(p.name) + " (sm_" + std::to_string(p.major * 10 + p.minor) + ")";
}

/// An owned, non-blocking CUDA stream.
class Stream {
public:
  Stream() { GALNET_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    if (s_) (void)cudaStreamDestroy(s_);
  }
  [[nodiscard]] cudaStream_t get() const { return s_; }
  void synchronize() const { GALNET_CUDA_CHECK(cudaStreamSynchronize(s_)); }

private:
  cudaStream_t s_ = nullptr;
};

/// An owned CUDA event, for timing (benchmarks) and cross-stream ordering.
class Event {
public:
  Event() { GALNET_CUDA_CHECK(cudaEventCreate(&e_)); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() {
    if (e_) (void)cudaEventDestroy(e_);
  }
  void record(cudaStream_t s) { GALNET_CUDA_CHECK(cudaEventRecord(e_, s)); }
  void synchronize() const { GALNET_CUDA_CHECK(cudaEventSynchronize(e_)); }
  /// Milliseconds from `start` to this event (both recorded and complete).
  [[nodiscard]] float since(const Event& start) const {
    float ms = 0;
    GALNET_CUDA_CHECK(cudaEventElapsedTime(&ms, start.e_, e_));
    return ms;
  }
  [[nodiscard]] cudaEvent_t get() const { return e_; }

private:
  cudaEvent_t e_ = nullptr;
};

namespace detail {
/// One stream and one pair of library handles per host thread (handles are not thread-safe).
struct ThreadContext {
  Stream stream;
  cublasHandle_t cublas = nullptr;
  cudnnHandle_t cudnn = nullptr;
  MathMode cublas_mode = MathMode::exact;  ///< what the cuBLAS handle is set to
  ThreadContext() {
    GALNET_CUBLAS_CHECK(cublasCreate(&cublas));
    GALNET_CUBLAS_CHECK(cublasSetStream(cublas, stream.get()));
    // The exact mode: no TF32 in cuBLAS unless a fast mode asks for it.
    GALNET_CUBLAS_CHECK(cublasSetMathMode(cublas, CUBLAS_PEDANTIC_MATH));
    GALNET_CUDNN_CHECK(cudnnCreate(&cudnn));
    GALNET_CUDNN_CHECK(cudnnSetStream(cudnn, stream.get()));
  }
  ThreadContext(const ThreadContext&) = delete;
  ThreadContext& operator=(const ThreadContext&) = delete;
  ~ThreadContext() {
    if (cudnn) (void)cudnnDestroy(cudnn);
    if (cublas) (void)cublasDestroy(cublas);
  }
};
inline ThreadContext& context() {
  thread_local ThreadContext c;
  return c;
}
}  // namespace detail

/// The calling thread's compute stream.
inline cudaStream_t stream() { return detail::context().stream.get(); }
/// This thread's cuBLAS handle, set to the current math mode.
inline cublasHandle_t cublas() {
  auto& c = detail::context();
  const MathMode m = math_mode();
  if (c.cublas_mode != m) {
    // bf16 GEMMs name their compute type (32F) in cublasGemmEx; default math lets them use tensor cores.
    const cublasMath_t math = m == MathMode::tf32   ? CUBLAS_TF32_TENSOR_OP_MATH
                              : m == MathMode::bf16 ? CUBLAS_DEFAULT_MATH
                                                    : CUBLAS_PEDANTIC_MATH;
    GALNET_CUBLAS_CHECK(cublasSetMathMode(c.cublas, math));
    c.cublas_mode = m;
  }
  return c.cublas;
}
inline cudnnHandle_t cudnn() { return detail::context().cudnn; }
/// Waits until all work queued on this thread's stream is done (and reports its errors).
inline void synchronize() {
  GALNET_CUDA_CHECK(cudaStreamSynchronize(stream()));
  GALNET_CUDA_CHECK(cudaGetLastError());
}

}  // namespace galnet::cuda
