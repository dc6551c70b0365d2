// galnet/dist/communicator.hpp — the processes of a data-parallel job as the training loop sees
// them, with no MPI in sight: train::fit, evaluate_loss and the example programs take a
// Communicator; dist::World (galnet/dist/mpi.hpp, the galnet::mpi target) is the MPI one. A plain
// Communicator is one process, where every collective leaves its values as they are.
//
// Collectives are called by every rank in the same order (as MPI's are); a rank that cannot go on
// must stop the job (World::abort) rather than leave the others waiting.
#pragma once
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "galnet/core/device.hpp"
#include "galnet/core/error.hpp"
#include "galnet/dist/shard.hpp"

namespace galnet::dist {

class Communicator {
public:
  Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  virtual ~Communicator() = default;

  [[nodiscard]] virtual int rank() const { return 0; }
  [[nodiscard]] virtual int size() const { return 1; }
  /// Rank 0 writes logs, checkpoints and outputs.
  [[nodiscard]] bool root() const { return rank() == 0; }

  /// Element-wise sum over the ranks, in place (every rank ends with the sum).
  void sum(float* data, std::int64_t count) const { sum_floats(data, count); }
  void sum(double* data, std::int64_t count) const { sum_doubles(data, count); }
  /// Rank `from`'s values everywhere.
  void broadcast(float* data, std::int64_t count, int from = 0) const { broadcast_floats(data, count, from); }
  void broadcast(double* data, std::int64_t count, int from = 0) const { broadcast_doubles(data, count, from); }

  /// Whether weighted_sum_on_device works here: a device transport (dist::NcclCommunicator has
  /// one). Without, a caller stages device values through host memory and sum().
  [[nodiscard]] virtual bool sums_on_device() const { return false; }
  /// Σ over the ranks of weight_r × data_r for `count` values at a device (GPU) address, in
  /// place, queued on the calling thread's CUDA stream (where sums_on_device()).
  void weighted_sum_on_device(float* data, std::int64_t count, double weight) const {
    device_sum_floats(data, count, weight);
  }
  void weighted_sum_on_device(double* data, std::int64_t count, double weight) const {
    device_sum_doubles(data, count, weight);
  }

  /// Starts sum(data, count) without waiting for it: the values may not be touched until
  /// finish_sums() returns. Every rank starts the same sums in the same order. A transport
  /// without nonblocking collectives sums at once (the default).
  void start_sum(float* data, std::int64_t count) const { start_sum_floats(data, count); }
  void start_sum(double* data, std::int64_t count) const { start_sum_doubles(data, count); }
  /// Lets started sums move on (MPI advances a nonblocking collective only inside its calls).
  virtual void progress_sums() const {}
  /// Waits until every started sum has finished.
  virtual void finish_sums() const {}
  /// weighted_sum_on_device, started after the work queued so far on the calling thread's CUDA
  /// stream but run beside what is queued later (NCCL: on a stream of its own);
  /// finish_device_sums() orders the calling thread's stream after every one started. Default:
  /// in the stream, as weighted_sum_on_device.
  void start_weighted_sum_on_device(float* data, std::int64_t count, double weight) const {
    device_start_sum_floats(data, count, weight);
  }
  void start_weighted_sum_on_device(double* data, std::int64_t count, double weight) const {
    device_start_sum_doubles(data, count, weight);
  }
  virtual void finish_device_sums() const {}

protected:
  virtual void sum_floats(float*, std::int64_t) const {}
  virtual void sum_doubles(double*, std::int64_t) const {}
  virtual void broadcast_floats(float*, std::int64_t, int) const {}
  virtual void broadcast_doubles(double*, std::int64_t, int) const {}
  virtual void device_sum_floats(float*, std::int64_t, double) const { no_device_transport(); }
  virtual void device_sum_doubles(double*, std::int64_t, double) const { no_device_transport(); }
  virtual void start_sum_floats(float* v, std::int64_t n) const { sum_floats(v, n); }
  virtual void start_sum_doubles(double* v, std::int64_t n) const { sum_doubles(v, n); }
  virtual void device_start_sum_floats(float* v, std::int64_t n, double w) const { device_sum_floats(v, n, w); }
  virtual void device_start_sum_doubles(double* v, std::int64_t n, double w) const { device_sum_doubles(v, n, w); }

private:
  [[noreturn]] static void no_device_transport() {
    fail("dist::Communicator: no device transport here (sums_on_device() is false); stage the values through "
         "host memory");
  }
};

/// The one-process job.
inline const Communicator& single_process() {
  static const Communicator one;
  return one;
}

/// Σ over the ranks of `count` values in the memory of device D, in place: on the device where
/// the communicator sums there (NCCL, in the calling thread's stream), else through a host copy
/// (synchronous). Small statistics (synchronised batch norm), not gradients: GradientAverager
/// keeps its own buffers.
template <class D, class T>
void sum_in_device_memory(const Communicator& comm, T* data, std::int64_t count) {
  if constexpr (std::is_same_v<D, Cpu>) {
    comm.sum(data, count);
  } else if (comm.sums_on_device()) {
    comm.weighted_sum_on_device(data, count, 1.0);
  } else {
    thread_local std::vector<T> host;
    host.resize(static_cast<std::size_t>(count));
    const std::size_t bytes = sizeof(T) * static_cast<std::size_t>(count);
    DeviceMemory<D>::download(host.data(), data, bytes);
    comm.sum(host.data(), count);
    DeviceMemory<D>::upload(data, host.data(), bytes);
  }
}

/// This rank's share of n items (shard.hpp).
[[nodiscard]] inline std::pair<std::int64_t, std::int64_t> shard(std::int64_t n, const Communicator& comm) {
  return shard(n, comm.rank(), comm.size());
}

}  // namespace galnet::dist
