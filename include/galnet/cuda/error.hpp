// galnet/cuda/error.hpp — every CUDA runtime, cuBLAS and cuDNN status becomes a galnet::Error
// naming the call that failed, what the library said, and (for out-of-memory) what to do.
//
//   GALNET_CUDA_CHECK(cudaMemcpyAsync(...));
//   GALNET_CUBLAS_CHECK(cublasSgemm(...));
//   GALNET_CUDNN_CHECK(cudnnConvolutionForward(...));
// Host code only: usable from .cpp files compiled by g++ (with the CUDA include path) and .cu.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <string>

#include "galnet/core/error.hpp"

namespace galnet::cuda {

/// The advice that comes with any out-of-memory error on the device.
inline constexpr const char* kOutOfMemoryAdvice =
    " — the GPU is out of memory: lower the batch size (--batch-size), or free other GPU work";

namespace detail {
inline const char* cublas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "unknown cuBLAS status";
  }
}
}  // namespace detail

/// Throws galnet::Error unless `e` is cudaSuccess; `call` is the source text of the call.
inline void check(cudaError_t e, const char* call, const char* file, int line) {
  if (e == cudaSuccess) return;
  (void)cudaGetLastError();  // clear a sticky-free error so the next call starts clean
  fail("galnet: CUDA call ", call, " failed at ", file, ":", line, ": ", cudaGetErrorString(e), " (",
       cudaGetErrorName(e), ")", e == cudaErrorMemoryAllocation ? kOutOfMemoryAdvice : "",
       e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver
           ? " — no usable CUDA device is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES), or use --device cpu"
           : "");
}
inline void check(cublasStatus_t s, const char* call, const char* file, int line) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  fail("galnet: cuBLAS call ", call, " failed at ", file, ":", line, ": ", detail::cublas_status_name(s),
       s == CUBLAS_STATUS_ALLOC_FAILED ? kOutOfMemoryAdvice : "");
}
inline void check(cudnnStatus_t s, const char* call, const char* file, int line) {
  if (s == CUDNN_STATUS_SUCCESS) return;
  // cuDNN 9 groups its codes by thousands: 3xxx not supported, 4004 device allocation failed.
  const bool unsupported = static_cast<int>(s) / 1000 == 3;
  fail("galnet: cuDNN call ", call, " failed at ", file, ":", line, ": ", cudnnGetErrorString(s),
       s == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED ? kOutOfMemoryAdvice : "",
       unsupported ? " — cuDNN does not support this shape, layout or data type" : "");
}

}  // namespace galnet::cuda

#define GALNET_CUDA_CHECK(call) ::galnet::cuda::check((call), #call, __FILE__, __LINE__)
#define GALNET_CUBLAS_CHECK(call) ::galnet::cuda::check((call), #call, __FILE__, __LINE__)
#define GALNET_CUDNN_CHECK(call) ::galnet::cuda::check((call), #call, __FILE__, __LINE__)
