// galnet/cuda/transfer.hpp — explicit host ↔ device copies, the only way data crosses.
//
//   auto d = cuda::to_device(host_tensor);   // Tensor<T, Cuda>
//   auto h = cuda::to_host(d);               // Tensor<T, Cpu>, after the stream's work
//   cuda::copy(dst_view, src_view);          // same size, any direction, on the stream
// to_host() synchronises the stream (its result is ready to read); copy() between a pinned
// host buffer and the device is asynchronous. Every transfer is counted (transfer_count()),
// so a test can prove that a training step moves only its batch.
#pragma once
#include <cuda_runtime_api.h>

#include <atomic>
#include <cstring>

#include "galnet/core/tensor.hpp"
#include "galnet/cuda/memory.hpp"
#include "galnet/cuda/runtime.hpp"

namespace galnet::cuda {

namespace detail {
template <class D>
constexpr cudaMemcpyKind kind_from(bool to_device) {
  if constexpr (std::is_same_v<D, Cuda>) return to_device ? cudaMemcpyDeviceToDevice : cudaMemcpyDeviceToHost;
  else return to_device ? cudaMemcpyHostToDevice : cudaMemcpyHostToHost;
}
}  // namespace detail

/// Host ↔ device copies made so far (device-to-device copies are not transfers).
inline long long transfer_count() { return detail::transfer_counter().load(); }

/// Copies src into dst (equal sizes) on this thread's stream.
template <class T, class DD, class DS>
void copy(TensorView<T, DD> dst, TensorView<const T, DS> src) {
  GALNET_CHECK(dst.numel() == src.numel(), "galnet::cuda::copy: source ", src.shape().str(),
               " does not fit destination ", dst.shape().str());
  if (dst.numel() == 0) return;
  const cudaMemcpyKind kind = detail::kind_from<DS>(std::is_same_v<DD, Cuda>);
  if (kind != cudaMemcpyDeviceToDevice) ++detail::transfer_counter();
  GALNET_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data(), sizeof(T) * static_cast<std::size_t>(src.numel()),
                                    kind, stream()));
}

template <class T>
Tensor<T, Cuda> to_device(TensorView<const T, Cpu> host) {
  Tensor<T, Cuda> d(host.shape());
  copy<T>(d.view(), host);
  return d;
}
template <class T>
Tensor<T, Cuda> to_device(const Tensor<T, Cpu>& host) { return to_device<T>(host.view()); }

template <class T>
Tensor<T, Cpu> to_host(TensorView<const T, Cuda> dev) {
  Tensor<T, Cpu> h(dev.shape());
  copy<T>(h.view(), dev);
  synchronize();
  return h;
}
template <class T>
Tensor<T, Cpu> to_host(const Tensor<T, Cuda>& dev) { return to_host<T>(dev.view()); }

}  // namespace galnet::cuda
