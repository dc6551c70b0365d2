// galnet/dist/gradients.hpp — the two collective steps of data-parallel training, on any device
// and over any Communicator (MPI-free):
//   broadcast_state(model, comm)   rank 0's parameters and buffers on every rank
//   broadcast_buffers(model, comm) rank 0's buffers (batch-norm running statistics) alone
//   GradientAverager avg(params);  avg(comm, mine, total) after backward: every rank then holds
//                                  the gradient of the mean loss over the whole global batch
// (PyTorch DistributedDataParallel's start-up sync and bucketed allreduce.) Device gradients are
// summed on the device where the communicator can (dist::NcclCommunicator), else staged through
// a host buffer.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/dist/communicator.hpp"
#include "galnet/nn/module.hpp"

namespace galnet::dist {

namespace detail {
/// Rank 0's values of `t` everywhere (device tensors staged through `host`).
template <class T, class D>
void broadcast_tensor(Tensor<T, D>& t, const Communicator& comm, std::vector<T>& host) {
  if constexpr (std::is_same_v<D, Cpu>) {
    comm.broadcast(t.data(), t.numel());
  } else {
    host.resize(static_cast<std::size_t>(t.numel()));
    t.download(host.data());
    comm.broadcast(host.data(), t.numel());
    t.upload(host.data());
  }
}
}  // namespace detail

/// Copies rank 0's parameters and buffers (batch-norm statistics) to every rank, so that all
/// start from, or go on with, the same weights whatever each initialised.
template <class L>
void broadcast_state(L& model, const Communicator& comm) {
  if (comm.size() == 1) return;
  std::vector<typename L::value_type> host;
  for (auto& [name, tensor] : nn::named_state(model)) detail::broadcast_tensor(*tensor, comm, host);
}

/// Copies rank 0's buffers alone (batch-norm running statistics, which each rank updates from
/// its own share) to every rank.
template <class L>
void broadcast_buffers(L& model, const Communicator& comm) {
  if (comm.size() == 1) return;
  std::vector<typename L::value_type> host;
  model.visit("", [&](const std::string&, auto& tensor, auto* parameter) {
    if (!parameter) detail::broadcast_tensor(tensor, comm, host);
  });
}

/// Sums the gradients of `params` over the ranks in one collective (one bucket), each rank's
/// weighted by its share of the global batch. The host buffer is kept between steps. For a given
/// rank count the reduction is the same every step, so runs repeat bit for bit; equal shares are
/// weighted 1/N exactly.
template <class T, class D>
class GradientAverager {
public:
  explicit GradientAverager(std::vector<nn::Parameter<T, D>*> params) : params_(std::move(params)) {
    for (const auto* p : params_) total_ += p->grad.numel();
  }

  /// Equal shares: the mean of the ranks' gradients.
  void operator()(const Communicator& comm) { (*this)(comm, 1, comm.size()); }

  /// This rank's gradients are those of a mean loss over `mine` of the `total` samples in the
  /// global batch (mine may be 0, its gradients then zero): afterwards every rank holds the
  /// gradient of the mean loss over all `total`.
  void operator()(const Communicator& comm, std::int64_t mine, std::int64_t total) {
    GALNET_CHECK(total > 0 && mine >= 0 && mine <= total, "GradientAverager: ", mine, " of ", total,
                 " samples is not a share of a global batch");
    if (comm.size() == 1) return;
    const double weight = static_cast<double>(mine) / static_cast<double>(total);
    if constexpr (!std::is_same_v<D, Cpu>) {
      if (on_device(comm, weight)) return;
    }
    on_host(comm, static_cast<T>(weight));
  }

  /// Bytes each rank sends per step (docs/scaling.md's model).
  [[nodiscard]] std::int64_t bytes() const { return total_ * static_cast<std::int64_t>(sizeof(T)); }

private:
  /// Packs the weighted gradients into a host bucket, sums it over the ranks, unpacks.
  void on_host(const Communicator& comm, T weight) {
    bucket_.resize(static_cast<std::size_t>(total_));
    T* at = bucket_.data();
    for (const auto* p : params_) {
      const std::int64_t n = p->grad.numel();
      if constexpr (std::is_same_v<D, Cpu>) {
        const T* g = p->grad.data();
        for (std::int64_t i = 0; i < n; ++i) at[i] = g[i] * weight;
      } else {
        p->grad.download(at);
        for (std::int64_t i = 0; i < n; ++i) at[i] *= weight;
      }
      at += n;
    }
    comm.sum(bucket_.data(), total_);
    const T* from = bucket_.data();
    for (auto* p : params_) {
      if constexpr (std::is_same_v<D, Cpu>) std::copy_n(from, p->grad.numel(), p->grad.data());
      else p->grad.upload(from);
      from += p->grad.numel();
    }
  }
  /// The same in a device bucket, where the communicator sums on the device (NCCL).
  bool on_device(const Communicator& comm, double weight) {
    if (!comm.sums_on_device()) return false;
    if (device_bucket_.numel() != total_) device_bucket_.resize(Shape{total_});
    T* bucket = device_bucket_.data();
    std::int64_t at = 0;
    for (const auto* p : params_) {
      DeviceMemory<D>::copy(bucket + at, p->grad.data(), sizeof(T) * static_cast<std::size_t>(p->grad.numel()));
      at += p->grad.numel();
    }
    comm.weighted_sum_on_device(bucket, total_, weight);
    at = 0;
    for (auto* p : params_) {
      DeviceMemory<D>::copy(p->grad.data(), bucket + at, sizeof(T) * static_cast<std::size_t>(p->grad.numel()));
      at += p->grad.numel();
    }
    return true;
  }

  std::vector<nn::Parameter<T, D>*> params_;
  std::int64_t total_ = 0;
  std::vector<T> bucket_;
  Tensor<T, D> device_bucket_;
};

}  // namespace galnet::dist
