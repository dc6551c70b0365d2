// galnet/train/cuda.hpp — train::BatchUpload<Cuda>: how fit(), evaluate_loss(), lr_find()
// and the programs' prediction hand the loader's host batches to a GPU model.
//
// A batch in page-locked memory (DataLoader with `pin_memory`, which the programs set for
// --device cuda) is copied straight to the device, asynchronously on galnet's stream: ordered
// after the kernels already queued there and before the forward pass that reads it; the host
// does not wait. The copy is announced to the pinned memory (PinnedHostMemory::mark_read), so the
// loader's worker that next refills that batch waits for it to finish, not the training loop.
// A batch in ordinary (pageable) memory is first copied into a pinned staging buffer on the
// host, then sent the same way: a copy from pageable memory would take a bounce through a driver
// buffer and block. The staging buffer is rewritten only after its previous copy has finished.
// How far the host runs ahead is bounded today by the loss value, which comes back to the host
// every step. The device tensor stays valid until the next call (layers keep their inputs for
// backward). Each call counts as a transfer (transfer_count()); staged_copies() counts the
// calls that needed the staging buffer.
#pragma once
#include <cuda_runtime_api.h>

#include <cstring>

#include "galnet/core/tensor.hpp"
#include "galnet/cuda/memory.hpp"
#include "galnet/cuda/pinned.hpp"
#include "galnet/cuda/runtime.hpp"
#include "galnet/cuda/transfer.hpp"
#include "galnet/train/fit.hpp"

namespace galnet::train {

template <>
class BatchUpload<Cuda> {
public:
  template <class T>
  const Tensor<T, Cuda>& operator()(const Tensor<T, Cpu>& host) {
    static_assert(std::is_same_v<T, float>, "BatchUpload<Cuda>: the loader's batches are float");
    const std::size_t bytes = sizeof(T) * static_cast<std::size_t>(host.numel());
    dev_.resize(host.shape());
    if (bytes == 0) return dev_;
    const void* src = host.data();
    const bool pinned = host.host_memory() == &cuda::PinnedHostMemory::memory();
    if (!pinned) {
      if (copied_) copy_done_.synchronize();  // the staging buffer's last copy has left it
      staging_.resize(bytes);
      std::memcpy(staging_.data(), host.data(), bytes);
      src = staging_.data();
      ++staged_;
    }
    GALNET_CUDA_CHECK(cudaMemcpyAsync(dev_.data(), src, bytes, cudaMemcpyHostToDevice, cuda::stream()));
    ++cuda::detail::transfer_counter();
    if (pinned) {
      cuda::PinnedHostMemory::mark_read(src, cuda::stream());
    } else {
      copy_done_.record(cuda::stream());
      copied_ = true;
    }
    return dev_;
  }
  /// Calls whose batch was in pageable memory and went through the staging buffer.
  [[nodiscard]] long long staged_copies() const { return staged_; }

private:
  cuda::PinnedBuffer staging_;
  cuda::Event copy_done_;
  Tensor<float, Cuda> dev_;
  bool copied_ = false;
  long long staged_ = 0;
};

}  // namespace galnet::train
