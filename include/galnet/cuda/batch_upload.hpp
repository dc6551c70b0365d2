// galnet/cuda/batch_upload.hpp — train::BatchUpload<Cuda>: how fit(), evaluate_loss(), lr_find()
// and the programs' prediction hand the loader's host batches to a GPU model.
//
// Each call copies the host tensor into a page-locked (pinned) staging buffer — a host memcpy —
// and enqueues an asynchronous copy to the device on galnet's stream, ordered after the kernels
// already queued there and before the forward pass that reads it; the host does not wait for
// it. A copy from pinned memory runs at full PCIe/NVLink bandwidth, where pageable memory takes
// a bounce through a driver buffer. (How far the host runs ahead is bounded today by the loss
// value, which comes back to the host every step.) The staging buffer is rewritten only after its previous copy has
// finished (an event), and the device tensor stays valid until the next call (layers keep
// their inputs for backward). Counted as a transfer (transfer_count()).
#pragma once
#include <cuda_runtime_api.h>

#include <cstring>

#include "galnet/core/tensor.hpp"
#include "galnet/cuda/memory.hpp"
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
    if (copied_) copy_done_.synchronize();  // the staging buffer's last copy has left it
    staging_.resize(bytes);
    if (bytes) std::memcpy(staging_.data(), host.data(), bytes);
    dev_.resize(host.shape());
    if (bytes) {
      GALNET_CUDA_CHECK(cudaMemcpyAsync(dev_.data(), staging_.data(), bytes, cudaMemcpyHostToDevice, cuda::stream()));
      ++cuda::detail::transfer_counter();
    }
    copy_done_.record(cuda::stream());
    copied_ = true;
    return dev_;
  }

private:
  cuda::PinnedBuffer staging_;
  cuda::Event copy_done_;
  Tensor<float, Cuda> dev_;
  bool copied_ = false;
};

}  // namespace galnet::train
