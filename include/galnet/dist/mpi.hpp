// galnet/dist/mpi.hpp — data-parallel training over MPI (the optional galnet::mpi target).
//
// Built where CMake finds MPI (Debian: libopenmpi-dev, openmpi-bin); link galnet::mpi. Launched
// by `mpirun -np N`, a program runs as N processes (ranks). dist::World is MPI_COMM_WORLD as a
// dist::Communicator: hand it to train::fit (FitOptions::comm) and each rank trains on its share
// of every global batch, gradients averaged so that every rank takes the step one process would
// take on the whole batch (PyTorch's DistributedDataParallel, on MPI's own collectives — no
// home-made transport). By hand, the same loop (galnet/dist/gradients.hpp):
//
//   dist::World world(&argc, &argv);              // MPI_Init_thread … MPI_Finalize
//   dist::broadcast_state(model, world);           // rank 0's weights everywhere
//   dist::GradientAverager avg(nn::parameters(model));
//   auto [begin, end] = dist::shard(rows, world);  // this rank's rows of each global batch
//   … forward, loss, backward on those rows …
//   avg(world);                                    // one MPI_Allreduce over all gradients
//   opt.step();
//
// MPI errors come back as galnet::Error naming the call (MPI_ERRORS_RETURN on the world
// communicator); a rank that cannot go on calls World::abort, which stops every rank with its
// message rather than leaving the others waiting in a collective. Host buffers; device gradients
// are staged through the host (dist::NcclCommunicator, galnet/dist/nccl.hpp, sums them on the GPUs).
#pragma once
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/dist/communicator.hpp"
#include "galnet/dist/gradients.hpp"
#include "galnet/dist/shard.hpp"

namespace galnet::dist {

/// Throws galnet::Error "MPI: <what> failed: <MPI's message>" unless code is MPI_SUCCESS.
inline void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char message[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, message, &length);
  fail("MPI: ", what, " failed: ", std::string(message, static_cast<std::size_t>(length)));
}

/// The MPI datatype of T (float, double, 32/64-bit integers).
template <class T>
MPI_Datatype datatype() {
  if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, std::int64_t>) return MPI_INT64_T;
  else if constexpr (std::is_same_v<T, std::int32_t>) return MPI_INT32_T;
  else static_assert(!sizeof(T), "galnet::dist: no MPI datatype for this type");
}

/// MPI_COMM_WORLD for the life of the object: initialises MPI unless something else already
/// has (and then leaves finalising to that owner).
class World : public Communicator {
public:
  World(int* argc, char*** argv) {
    int ready = 0;
    check(MPI_Initialized(&ready), "MPI_Initialized");
    if (!ready) {
      int provided = 0;  // only the main thread calls MPI
      check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
      owner_ = true;
    }
    check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  }
  World() : World(nullptr, nullptr) {}
  ~World() override {
    int done = 0;
    if (owner_ && MPI_Finalized(&done) == MPI_SUCCESS && !done) MPI_Finalize();
  }

  [[nodiscard]] int rank() const override { return rank_; }
  [[nodiscard]] int size() const override { return size_; }

  void barrier() const { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  /// Element-wise sum over the ranks, in place (every rank ends with the sum).
  template <class T>
  void allreduce_sum(T* data, std::int64_t count) const {
    in_pieces(count, [&](std::int64_t at, int n) {
      check(MPI_Allreduce(MPI_IN_PLACE, data + at, n, datatype<T>(), MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
    });
  }
  /// allreduce_sum without waiting (MPI_Iallreduce): finish_sums() waits for every one started.
  template <class T>
  void start_allreduce_sum(T* data, std::int64_t count) const {
    in_pieces(count, [&](std::int64_t at, int n) {
      MPI_Request r = MPI_REQUEST_NULL;
      check(MPI_Iallreduce(MPI_IN_PLACE, data + at, n, datatype<T>(), MPI_SUM, MPI_COMM_WORLD, &r), "MPI_Iallreduce");
      pending_.push_back(r);
    });
  }
  void progress_sums() const override {
    int done = 0;
    if (!pending_.empty())
      check(MPI_Testall(static_cast<int>(pending_.size()), pending_.data(), &done, MPI_STATUSES_IGNORE), "MPI_Testall");
  }
  void finish_sums() const override {
    if (pending_.empty()) return;
    const int rc = MPI_Waitall(static_cast<int>(pending_.size()), pending_.data(), MPI_STATUSES_IGNORE);
    pending_.clear();
    check(rc, "MPI_Waitall");
  }
  /// Rank `from`'s values everywhere.
  template <class T>
  void broadcast(T* data, std::int64_t count, int from = 0) const {
    in_pieces(count, [&](std::int64_t at, int n) {
      check(MPI_Bcast(data + at, n, datatype<T>(), from, MPI_COMM_WORLD), "MPI_Bcast");
    });
  }

  /// Stops every rank: prints "galnet rank R: why" and MPI_Abort(code), which makes mpirun end
  /// the job instead of leaving the other ranks waiting in a collective.
  [[noreturn]] void abort(const std::string& why, int code = 1) const {
    std::fprintf(stderr, "galnet rank %d: %s\n", rank_, why.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::abort();  // MPI_Abort does not return; should it, still stop
  }

protected:
  void sum_floats(float* v, std::int64_t n) const override { allreduce_sum(v, n); }
  void sum_doubles(double* v, std::int64_t n) const override { allreduce_sum(v, n); }
  void broadcast_floats(float* v, std::int64_t n, int from) const override { broadcast(v, n, from); }
  void broadcast_doubles(double* v, std::int64_t n, int from) const override { broadcast(v, n, from); }
  void start_sum_floats(float* v, std::int64_t n) const override { start_allreduce_sum(v, n); }
  void start_sum_doubles(double* v, std::int64_t n) const override { start_allreduce_sum(v, n); }

private:
  /// Calls call(offset, n) over [0, count) in pieces that fit MPI's int counts.
  template <class F>
  static void in_pieces(std::int64_t count, F&& call) {
    for (std::int64_t at = 0; at < count;) {
      const int n = static_cast<int>(std::min<std::int64_t>(count - at, INT_MAX / 2));
      call(at, n);
      at += n;
    }
  }

  int rank_ = 0, size_ = 1;
  bool owner_ = false;
  mutable std::vector<MPI_Request> pending_;  ///< sums started and not yet finished
};

/// This process's place among the ranks on its node (shared memory): {rank on the node, ranks on
/// the node} — which GPU a rank takes.
[[nodiscard]] inline std::pair<int, int> node_ranks(const World& world) {
  MPI_Comm node = MPI_COMM_NULL;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world.rank(), MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
  int local = 0, local_size = 1;
  check(MPI_Comm_rank(node, &local), "MPI_Comm_rank");
  check(MPI_Comm_size(node, &local_size), "MPI_Comm_size");
  MPI_Comm_free(&node);
  return {local, local_size};
}

/// Whether this process was started by an MPI launcher (mpirun / mpiexec of OpenMPI or MPICH,
/// srun with PMI), so that a program can stay a plain process otherwise: an MPI singleton
/// start is slow and, as root, refused by OpenMPI.
[[nodiscard]] inline bool launched_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

}  // namespace galnet::dist
