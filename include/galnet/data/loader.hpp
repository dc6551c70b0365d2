// galnet/data/loader.hpp — DataLoader: batches from any sample source, built by worker threads
// while the model computes.
//
// Contract
//   - A SampleSource knows how many samples it has, the per-sample input shape ([C, H, W] for
//     images, [F] for a table row), the number of targets, and fills one sample:
//     load(i, input, targets, rng). It throws galnet::Error (naming the file) when a sample
//     cannot be read. A source whose weighted() is true also fills per-target sample weights,
//     load_weights(i, weights) (Keras' sample_weight), into Batch::weights.
//   - Each epoch visits the chosen subset in an order fixed by (seed, epoch) — shuffled, or as
//     given — cut into batches of batch_size (the last one shorter unless drop_last).
//   - Sample i of epoch e draws its augmentation from a Generator seeded by (seed, e, i), so the
//     batches are the same whatever the number of workers and however threads are scheduled.
//   - Batches arrive in order. At most `prefetch` batches are built ahead; their buffers are
//     reused, so a steady-state epoch allocates nothing.
//   - Data-parallel (rank, ranks): the epoch's order and every sample's augmentation stay one
//     process's; a batch is then batch_size × ranks samples of that order (the global batch),
//     of which this rank loads its contiguous share (dist::shard). Every rank sees the same
//     number of batches; a share may be empty at the end of an epoch. So N ranks × batch B
//     visit exactly the samples of one process × batch N·B, in the same batches.
//   - pin_memory (as PyTorch's): batches are built in page-locked memory, which a GPU model's
//     BatchUpload copies asynchronously without a staging copy. A worker refilling such a
//     batch first waits until the GPU has finished reading it. Needs the CUDA backend in the
//     program (galnet/cuda.hpp); without it the constructor throws.
//   - Unreadable samples: BadSamplePolicy::stop rethrows the first error from next();
//     BadSamplePolicy::skip leaves the sample out of its batch and counts it (skipped()).
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/rng.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/dist/shard.hpp"

namespace galnet::data {

template <class S>
concept SampleSource = requires(S& s, const S& cs, std::size_t i, float* img, float* tgt, Generator& g) {
  { cs.size() } -> std::convertible_to<std::size_t>;
  { cs.sample_shape() } -> std::same_as<Shape>;
  { cs.target_count() } -> std::convertible_to<int>;
  s.load(i, img, tgt, g);
};

/// A source that may carry per-target sample weights (see the contract).
template <class S>
concept WeightedSource = requires(const S& cs, std::size_t i, float* w) {
  { cs.weighted() } -> std::convertible_to<bool>;
  cs.load_weights(i, w);
};

enum class BadSamplePolicy { stop, skip };

struct LoaderOptions {
  int batch_size = 64;
  bool shuffle = true;
  bool drop_last = false;
  std::uint64_t seed = 0;
  int workers = 2;
  int prefetch = 4;
  BadSamplePolicy on_error = BadSamplePolicy::stop;
  int rank = 0, ranks = 1;  ///< data-parallel: this process's place in the job (see the contract)
  bool pin_memory = false;  ///< batches in page-locked memory, for a GPU model (see the contract)
};

struct Batch {
  Tensor<float> images;               ///< [n, C, H, W] (or [n, …]: the source's sample shape)
  Tensor<float> targets;              ///< [n, targets]
  Tensor<float> weights;              ///< [n, targets] from a weighted source; else empty
  std::vector<std::size_t> indices;   ///< source indices of the n samples, in order
  std::size_t skipped = 0;            ///< samples of this batch left out (skip policy)
  [[nodiscard]] std::int64_t size() const { return images.empty() ? 0 : images.dim(0); }
};

/// The Generator for sample `index` in `epoch`: independent streams from one seed.
inline Generator sample_generator(std::uint64_t seed, std::int64_t epoch, std::size_t index) {
  return Generator(seed ^ (0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(epoch + 1)) ^
                   (0xD1B54A32D192ED03ull * static_cast<std::uint64_t>(index + 1)));
}

template <SampleSource S>
class DataLoader {
public:
  /// Loads the samples `subset` of `source` (all of them when empty).
  DataLoader(S& source, std::vector<std::size_t> subset, LoaderOptions opt)
      : source_(source), subset_(std::move(subset)), opt_(opt) {
    if (subset_.empty()) {
      subset_.resize(source_.size());
      std::iota(subset_.begin(), subset_.end(), std::size_t{0});
    }
    GALNET_CHECK(opt_.batch_size > 0, "DataLoader: batch_size must be positive, got ", opt_.batch_size);
    GALNET_CHECK(opt_.workers >= 1 && opt_.prefetch >= 1, "DataLoader: needs at least one worker and one prefetch slot");
    GALNET_CHECK(opt_.ranks >= 1 && opt_.rank >= 0 && opt_.rank < opt_.ranks, "DataLoader: rank ", opt_.rank,
                 " of ", opt_.ranks, " ranks is not a place in the job");
    GALNET_CHECK(!opt_.pin_memory || pinned_host_memory(), "DataLoader: pin_memory asks for page-locked batches, "
                 "but this program has no GPU backend (include galnet/cuda.hpp and link galnet::cuda)");
    for (auto i : subset_)
      GALNET_CHECK(i < source_.size(), "DataLoader: sample index ", i, " out of range (", source_.size(), " samples)");
    slots_.resize(static_cast<std::size_t>(opt_.prefetch));
  }
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;
  ~DataLoader() { stop_workers(); }

  [[nodiscard]] std::size_t samples() const { return subset_.size(); }
  /// Batches per epoch: the same on every rank (global batches of batch_size × ranks).
  [[nodiscard]] std::size_t batches_per_epoch() const {
    const std::size_t b = global_batch();
    return opt_.drop_last ? subset_.size() / b : (subset_.size() + b - 1) / b;
  }
  [[nodiscard]] std::size_t skipped() const { return skipped_total_; }
  [[nodiscard]] const LoaderOptions& options() const { return opt_; }

  /// Begins `epoch`: fixes its order and starts the workers.
  void start_epoch(std::int64_t epoch) {
    stop_workers();
    epoch_ = epoch;
    order_ = subset_;
    if (opt_.shuffle) {
      Generator g(opt_.seed * 0x2545F4914F6CDD1Dull + static_cast<std::uint64_t>(epoch) + 1);
      for (std::size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[g.below(i)]);
    }
    next_claim_ = 0;
    next_deliver_ = 0;
    error_ = nullptr;
    stopping_ = false;
    for (auto& s : slots_) s.state = Slot::free;
    const HostMemory* pinned = opt_.pin_memory ? pinned_host_memory() : nullptr;
    const int context = pinned && pinned->context ? pinned->context() : 0;  // e.g. this thread's GPU
    for (int w = 0; w < opt_.workers; ++w)
      workers_.emplace_back([this, pinned, context] {
        if (pinned && pinned->adopt_context) {
          try {
            pinned->adopt_context(context);
          } catch (...) {
            stop_with(std::current_exception());
            return;
          }
        }
        work();
      });
  }

  /// The next batch of the epoch into `out` (swapped with an internal buffer: keep using the
  /// same Batch object); false when the epoch is over.
  bool next(Batch& out) {
    GALNET_CHECK(!workers_.empty() || next_deliver_ >= batches_per_epoch(), "DataLoader::next: call start_epoch first");
    if (next_deliver_ >= batches_per_epoch()) {
      stop_workers();
      return false;
    }
    Slot& slot = slots_[next_deliver_ % slots_.size()];
    std::unique_lock lock(mutex_);
    ready_cv_.wait(lock, [&] { return error_ || (slot.state == Slot::ready && slot.batch_index == next_deliver_); });
    if (error_) {
      auto e = error_;
      lock.unlock();
      stop_workers();
      std::rethrow_exception(e);
    }
    std::swap(out, slot.batch);
    skipped_total_ += out.skipped;
    slot.state = Slot::free;
    ++next_deliver_;
    lock.unlock();
    free_cv_.notify_all();
    return true;
  }

private:
  struct Slot {
    enum State { free, building, ready } state = free;
    std::size_t batch_index = 0;
    Batch batch;
  };

  void work() {
    std::vector<float> targets;
    for (;;) {
      std::size_t b;
      Slot* slot;
      {
        std::unique_lock lock(mutex_);
        free_cv_.wait(lock, [&] {
          return stopping_ || next_claim_ >= batches_per_epoch() ||
                 (next_claim_ < next_deliver_ + slots_.size() && slots_[next_claim_ % slots_.size()].state == Slot::free);
        });
        if (stopping_ || next_claim_ >= batches_per_epoch()) return;
        b = next_claim_++;
        slot = &slots_[b % slots_.size()];
        slot->state = Slot::building;
        slot->batch_index = b;
      }
      try {
        build(b, slot->batch);
      } catch (...) {
        stop_with(std::current_exception());
        return;
      }
      {
        std::lock_guard lock(mutex_);
        slot->state = Slot::ready;
      }
      ready_cv_.notify_all();
    }
  }

  /// Ends the epoch's work with `e`, which next() rethrows (the first one, if several).
  void stop_with(std::exception_ptr e) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::move(e);
    stopping_ = true;
    ready_cv_.notify_all();
    free_cv_.notify_all();
  }

  [[nodiscard]] std::size_t global_batch() const {
    return static_cast<std::size_t>(opt_.batch_size) * static_cast<std::size_t>(opt_.ranks);
  }

  void build(std::size_t b, Batch& batch) {
    const std::size_t first = b * global_batch(), last = std::min(first + global_batch(), order_.size());
    const auto [from, to] = dist::shard(static_cast<std::int64_t>(last - first), opt_.rank, opt_.ranks);
    const std::size_t begin = first + static_cast<std::size_t>(from), end = first + static_cast<std::size_t>(to);
    const Shape ss = source_.sample_shape();
    const std::int64_t per_image = ss.numel();
    const int nt = source_.target_count();
    const auto n = static_cast<std::int64_t>(end - begin);
    const bool weighted = [&] {
      if constexpr (WeightedSource<S>) return static_cast<bool>(source_.weighted());
      else return false;
    }();
    if (opt_.pin_memory) {
      pin(batch.images);
      pin(batch.targets);
      if (weighted) pin(batch.weights);
    }
    batch.images.resize(batched(n, ss));
    batch.targets.resize(Shape{n, nt});
    batch.weights.resize(weighted ? Shape{n, nt} : Shape{0});
    batch.indices.clear();
    batch.skipped = 0;
    std::int64_t row = 0;
    for (std::size_t k = begin; k < end; ++k) {
      const std::size_t idx = order_[k];
      Generator g = sample_generator(opt_.seed, epoch_, idx);
      try {
        source_.load(idx, batch.images.data() + row * per_image, batch.targets.data() + row * nt, g);
        if constexpr (WeightedSource<S>)
          if (weighted) source_.load_weights(idx, batch.weights.data() + row * nt);
      } catch (const Error&) {
        if (opt_.on_error == BadSamplePolicy::stop) throw;
        ++batch.skipped;
        continue;
      }
      batch.indices.push_back(idx);
      ++row;
    }
    if (row != n) {  // shrink to the samples kept (capacity is kept)
      batch.images.resize(batched(row, ss));
      batch.targets.resize(Shape{row, nt});
      if (weighted) batch.weights.resize(Shape{row, nt});
    }
  }
  /// [n, sample dims…].
  static Shape batched(std::int64_t n, const Shape& sample) {
    std::vector<std::int64_t> d = sample.to_vector();
    d.insert(d.begin(), n);
    return Shape(d);
  }

  /// Puts `t` in page-locked memory (allocated by the resize that follows), or waits until the
  /// GPU's last read of it has finished.
  static void pin(Tensor<float>& t) {
    const HostMemory* m = pinned_host_memory();
    if (t.host_memory() != m) {
      t.resize(Shape{0});
      t.use_host_memory(m);
    } else if (t.data()) {
      m->wait_unused(t.data());
    }
  }

  void stop_workers() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    free_cv_.notify_all();
    ready_cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  S& source_;
  std::vector<std::size_t> subset_, order_;
  LoaderOptions opt_;
  std::vector<Slot> slots_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable ready_cv_, free_cv_;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::size_t next_claim_ = 0, next_deliver_ = 0, skipped_total_ = 0;
  std::int64_t epoch_ = 0;
};

}  // namespace galnet::data
