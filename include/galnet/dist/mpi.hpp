// galnet/dist/mpi.hpp — data-parallel training over MPI (the optional galnet::mpi target).
//
// Built where CMake finds MPI (Debian: libopenmpi-dev, openmpi-bin); link galnet::mpi. Launched
// by `mpirun -np N`, a program runs as N processes (ranks). galnet::dist gives each rank its
// number, a deterministic share of the data, and gradient averaging, so that every rank takes
// the same optimizer step as one process on the whole batch would (PyTorch's
// DistributedDataParallel, on MPI's own collectives — no home-made transport):
//
//   dist::World world(&argc, &argv);              // MPI_Init_thread … MPI_Finalize
//   dist::broadcast_parameters(model, world);      // rank 0's weights everywhere
//   dist::GradientAverager avg(nn::parameters(model));
//   auto [begin, end] = dist::shard(rows, world);  // this rank's rows of each global batch
//   … forward, loss, backward on those rows …
//   avg(world);                                    // one MPI_Allreduce over all gradients
//   opt.step();
//
// With equal shards and a mean loss, the averaged gradient is the whole batch's. MPI errors come
// back as galnet::Error naming the call (MPI_ERRORS_RETURN on the world communicator); a rank
// that cannot go on calls World::abort, which stops every rank with its message rather than
// leaving the others waiting in a collective. CPU tensors; device buffers take NCCL (issue 7).
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
#include "galnet/dist/shard.hpp"
#include "galnet/nn/module.hpp"

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
class World {
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
  World(const World&) = delete;
  World& operator=(const World&) = delete;
  ~World() {
    int done = 0;
    if (owner_ && MPI_Finalized(&done) == MPI_SUCCESS && !done) MPI_Finalize();
  }

  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }
  /// Rank 0 writes logs, checkpoints and outputs.
  [[nodiscard]] bool root() const { return rank_ == 0; }

  void barrier() const { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  /// Element-wise sum over the ranks, in place (every rank ends with the sum).
  template <class T>
  void allreduce_sum(T* data, std::int64_t count) const {
    in_pieces(count, [&](std::int64_t at, int n) {
      check(MPI_Allreduce(MPI_IN_PLACE, data + at, n, datatype<T>(), MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
    });
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
};

/// Whether this process was started by an MPI launcher (mpirun / mpiexec of OpenMPI or MPICH,
/// srun with PMI), so that a program can stay a plain process otherwise: an MPI singleton
/// start is slow and, as root, refused by OpenMPI.
[[nodiscard]] inline bool launched_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

/// This rank's share of n items (shard.hpp).
[[nodiscard]] inline std::pair<std::int64_t, std::int64_t> shard(std::int64_t n, const World& world) {
  return shard(n, world.rank(), world.size());
}

/// Copies rank 0's parameters and buffers (batch-norm statistics) to every rank, so that all
/// start from the same weights whatever each initialised.
template <class L>
void broadcast_parameters(L& model, const World& world) {
  for (auto& [name, tensor] : nn::named_state(model)) world.broadcast(tensor->data(), tensor->numel());
}

/// Averages the gradients of `params` over the ranks: packs them into one buffer (one bucket),
/// one MPI_Allreduce, unpacks divided by the number of ranks. The buffer is kept between steps.
/// For a given rank count the reduction is the same every step, so runs repeat bit for bit.
template <class T>
class GradientAverager {
public:
  explicit GradientAverager(std::vector<nn::Parameter<T, Cpu>*> params) : params_(std::move(params)) {
    std::int64_t total = 0;
    for (const auto* p : params_) total += p->grad.numel();
    bucket_.resize(static_cast<std::size_t>(total));
  }
  void operator()(const World& world) {
    if (world.size() == 1) return;
    T* at = bucket_.data();
    for (const auto* p : params_) at = std::copy_n(p->grad.data(), p->grad.numel(), at);
    world.allreduce_sum(bucket_.data(), static_cast<std::int64_t>(bucket_.size()));
    const T scale = T(1) / static_cast<T>(world.size());
    const T* from = bucket_.data();
    for (auto* p : params_) {
      T* g = p->grad.data();
      for (std::int64_t i = 0; i < p->grad.numel(); ++i) g[i] = from[i] * scale;
      from += p->grad.numel();
    }
  }
  /// Bytes each rank sends per step (docs/scaling.md's model).
  [[nodiscard]] std::int64_t bytes() const { return static_cast<std::int64_t>(bucket_.size() * sizeof(T)); }

private:
  std::vector<nn::Parameter<T, Cpu>*> params_;
  std::vector<T> bucket_;
};

}  // namespace galnet::dist
