// galnet/dist/gradients.hpp — the two collective steps of data-parallel training, on any device
// and over any Communicator (MPI-free):
//   broadcast_state(model, comm)   rank 0's parameters and buffers on every rank
//   broadcast_buffers(model, comm) rank 0's buffers (batch-norm running statistics) alone
//   GradientAverager avg(params);  avg.begin(comm, mine, total) before backward and avg.finish()
//                                  after it (or avg(comm, mine, total) after it): every rank then
//                                  holds the gradient of the mean loss over the whole global batch
// (PyTorch DistributedDataParallel's start-up sync and bucketed allreduce, overlapped with the
// backward pass.) Device gradients are
// summed on the device where the communicator can (dist::NcclCommunicator), else staged through
// a host buffer.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/dist/communicator.hpp"
#include "galnet/nn/module.hpp"

namespace galnet::dist {

/// GradientAverager's default bucket size: PyTorch DDP's bucket_cap_mb, 25 MB.
inline constexpr std::int64_t kDefaultBucketBytes = std::int64_t{25} << 20;

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

/// Sums the gradients of `params` over the ranks, each rank's weighted by its share of the
/// global batch, in buckets of about `bucket_bytes` (PyTorch DDP's 25 MB by default) taken in
/// reverse parameter order, the order backward finishes them.
///
///   avg.begin(comm, mine, total);   // before backward: buckets start summing as they fill
///   model.backward(…);              // layers report each final gradient (nn::gradient_ready)
///   avg.finish();                   // the rest started, all waited for, gradients averaged
///
/// or avg(comm, mine, total) after backward, which does both at once. A bucket starts once all
/// its gradients are final and every earlier bucket has started, so every rank starts the same
/// sums in the same order. One backward between begin and finish (a gradient reported twice is
/// an error). For a given rank count and bucket size runs repeat bit for bit, and equal shares
/// are weighted 1/N exactly. With two ranks any buckets give the same sums (a + b = b + a); with
/// more, MPI and NCCL may sum in another order for another message size, so the bucket size can
/// move the last bits. Buffers are kept between steps.
template <class T, class D>
class GradientAverager final : private nn::GradientReadyHook {
public:
  explicit GradientAverager(std::vector<nn::Parameter<T, D>*> params, std::int64_t bucket_bytes = kDefaultBucketBytes)
      : params_(std::move(params)) {
    GALNET_CHECK(bucket_bytes > 0, "GradientAverager: bucket_bytes must be positive, got ", bucket_bytes);
    offset_.resize(params_.size());
    std::int64_t in_bucket = 0;
    for (std::size_t k = params_.size(); k-- > 0;) {  // reverse order: the last layers' gradients come first
      if (buckets_.empty() || in_bucket * static_cast<std::int64_t>(sizeof(T)) >= bucket_bytes) {
        buckets_.push_back({.offset = total_});
        in_bucket = 0;
      }
      Bucket& b = buckets_.back();
      b.params.push_back(k);
      offset_[k] = total_;
      const std::int64_t n = params_[k]->grad.numel();
      b.count += n;
      in_bucket += n;
      total_ += n;
      bucket_of_.emplace(params_[k], buckets_.size() - 1);
    }
  }
  GradientAverager(const GradientAverager&) = delete;
  GradientAverager& operator=(const GradientAverager&) = delete;
  /// Unfinished (backward threw): the sums already started still write into this object's
  /// buffers, so they are waited for; none is started anew (the other ranks may not).
  ~GradientAverager() {
    if (!active_) return;
    nn::set_gradient_ready_hook(previous_hook_);
    try {
      // On a GPU, galnet's stream then waits for them before the bucket's memory is reused.
      if (on_device_) comm_->finish_device_sums();
      else comm_->finish_sums();
    } catch (...) {  // already unwinding from the error that matters
    }
  }

  /// Equal shares: the mean of the ranks' gradients.
  void operator()(const Communicator& comm) { (*this)(comm, 1, comm.size()); }

  /// This rank's gradients are those of a mean loss over `mine` of the `total` samples in the
  /// global batch (mine may be 0, its gradients then zero): afterwards every rank holds the
  /// gradient of the mean loss over all `total`.
  void operator()(const Communicator& comm, std::int64_t mine, std::int64_t total) {
    begin(comm, mine, total);
    finish();
  }

  /// Before backward: buckets will start summing as their gradients become final.
  void begin(const Communicator& comm, std::int64_t mine, std::int64_t total) {
    GALNET_CHECK(total > 0 && mine >= 0 && mine <= total, "GradientAverager: ", mine, " of ", total,
                 " samples is not a share of a global batch");
    GALNET_CHECK(!active_, "GradientAverager::begin: the previous step was not finished");
    if (comm.size() == 1) return;
    comm_ = &comm;
    weight_ = static_cast<double>(mine) / static_cast<double>(total);
    on_device_ = !std::is_same_v<D, Cpu> && comm.sums_on_device();
    if (on_device_ && device_bucket_.numel() != total_) device_bucket_.resize(Shape{total_});
    if (!on_device_) host_bucket_.resize(static_cast<std::size_t>(total_));
    for (auto& b : buckets_) b.waiting = static_cast<int>(b.params.size());
    next_ = 0;
    started_in_backward_ = 0;
    active_ = true;
    previous_hook_ = nn::set_gradient_ready_hook(this);
  }

  /// After backward: starts the buckets left, waits for all, and leaves the averages in the
  /// gradients.
  void finish() {
    if (!active_) return;
    nn::set_gradient_ready_hook(previous_hook_);
    active_ = false;
    while (next_ < buckets_.size()) start(next_++);
    if (on_device_) {
      comm_->finish_device_sums();
      for (std::size_t k = 0; k < params_.size(); ++k)
        DeviceMemory<D>::copy(params_[k]->grad.data(), device_bucket_.data() + offset_[k],
                              sizeof(T) * static_cast<std::size_t>(params_[k]->grad.numel()));
      return;
    }
    comm_->finish_sums();
    for (std::size_t k = 0; k < params_.size(); ++k) {
      const T* from = host_bucket_.data() + offset_[k];
      if constexpr (std::is_same_v<D, Cpu>) std::copy_n(from, params_[k]->grad.numel(), params_[k]->grad.data());
      else params_[k]->grad.upload(from);
    }
  }

  /// Bytes each rank sends per step (docs/scaling.md's model).
  [[nodiscard]] std::int64_t bytes() const { return total_ * static_cast<std::int64_t>(sizeof(T)); }
  [[nodiscard]] std::size_t buckets() const { return buckets_.size(); }
  /// Buckets of the last step that started during backward rather than in finish().
  [[nodiscard]] std::size_t started_in_backward() const { return started_in_backward_; }

private:
  struct Bucket {
    std::int64_t offset = 0, count = 0;  ///< elements, in the flat buffers
    std::vector<std::size_t> params;     ///< indices into params_
    int waiting = 0;                     ///< gradients not yet final this step
  };

  void gradient_ready(const void* parameter) override {
    const auto it = bucket_of_.find(parameter);
    if (it == bucket_of_.end()) return;  // not averaged here (frozen, or another model's)
    Bucket& b = buckets_[it->second];
    GALNET_CHECK(it->second >= next_ && b.waiting > 0, "GradientAverager: a gradient was reported final twice in one "
                 "step (two backward passes between begin and finish, or a layer run twice); its bucket has ",
                 it->second < next_ ? "already started summing" : "no gradient left to wait for");
    --b.waiting;
    while (next_ < buckets_.size() && buckets_[next_].waiting == 0) {
      start(next_++);
      ++started_in_backward_;
    }
    if (!on_device_) comm_->progress_sums();
  }

  /// Copies bucket b's weighted gradients into the flat buffer and starts its sum.
  void start(std::size_t b) {
    const Bucket& bucket = buckets_[b];
    if (on_device_) {
      for (auto k : bucket.params)
        DeviceMemory<D>::copy(device_bucket_.data() + offset_[k], params_[k]->grad.data(),
                              sizeof(T) * static_cast<std::size_t>(params_[k]->grad.numel()));
      comm_->start_weighted_sum_on_device(device_bucket_.data() + bucket.offset, bucket.count, weight_);
      return;
    }
    const T weight = static_cast<T>(weight_);
    for (auto k : bucket.params) {
      T* at = host_bucket_.data() + offset_[k];
      const std::int64_t n = params_[k]->grad.numel();
      if constexpr (std::is_same_v<D, Cpu>) {
        const T* g = params_[k]->grad.data();
        for (std::int64_t i = 0; i < n; ++i) at[i] = g[i] * weight;
      } else {
        params_[k]->grad.download(at);
        for (std::int64_t i = 0; i < n; ++i) at[i] *= weight;
      }
    }
    comm_->start_sum(host_bucket_.data() + bucket.offset, bucket.count);
  }

  std::vector<nn::Parameter<T, D>*> params_;
  std::vector<std::int64_t> offset_;  ///< each parameter's place in the flat buffers
  std::vector<Bucket> buckets_;
  std::unordered_map<const void*, std::size_t> bucket_of_;
  std::int64_t total_ = 0;
  std::vector<T> host_bucket_;
  Tensor<T, D> device_bucket_;
  // The step in progress.
  const Communicator* comm_ = nullptr;
  double weight_ = 1;
  bool on_device_ = false, active_ = false;
  std::size_t next_ = 0, started_in_backward_ = 0;
  nn::GradientReadyHook* previous_hook_ = nullptr;
};

}  // namespace galnet::dist
