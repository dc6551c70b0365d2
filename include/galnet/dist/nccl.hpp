// galnet/dist/nccl.hpp — dist::NcclCommunicator: an MPI job with one GPU per rank, whose device
// gradients are summed by NCCL on the GPUs (NVLink, InfiniBand with GPUDirect) instead of
// passing through host memory. Target galnet::nccl (galnet::mpi + galnet::cuda + NCCL from the
// CUDA toolkit); plain C++ (host API calls only).
//
//   dist::World world(&argc, &argv);
//   dist::NcclCommunicator comm(world);     // picks this rank's GPU, builds the NCCL communicator
//   train::fit(model, opt, loss, tl, &vl, {.comm = &comm});   // a Tensor<float, Cuda> model
//
// Host-side collectives (losses, counts, weights at start-up) still go through MPI. NCCL needs a
// GPU of its own for every rank: with more ranks on a node than GPUs the constructor says so.
// NCCL errors become galnet::Error naming the call.
#pragma once
#include <nccl.h>

#include <cstdint>
#include <optional>
#include <string>

#include "galnet/cuda.hpp"
#include "galnet/dist/mpi.hpp"

namespace galnet::dist {

/// Throws galnet::Error "NCCL: <what> failed: <NCCL's message>" unless r is ncclSuccess.
inline void nccl_check(ncclResult_t r, const char* what) {
  if (r == ncclSuccess) return;
  fail("NCCL: ", what, " failed: ", ncclGetErrorString(r),
       r == ncclSystemError || r == ncclRemoteError ? " (a peer or the network failed; NCCL_DEBUG=WARN says more)" : "");
}

class NcclCommunicator : public Communicator {
public:
  /// Selects GPU (rank on this node) and joins every rank of `world` into one NCCL communicator
  /// (rank 0's ncclUniqueId broadcast over MPI). Collective: every rank constructs one.
  explicit NcclCommunicator(const World& world) : world_(world) {
    const auto [local, local_size] = node_ranks(world);
    int devices = 0;
    GALNET_CUDA_CHECK(cudaGetDeviceCount(&devices));
    GALNET_CHECK(local_size <= devices, "NcclCommunicator: ", local_size, " ranks on this node but ", devices,
                 " GPU(s); NCCL needs a GPU for each rank (start fewer ranks per node)");
    GALNET_CUDA_CHECK(cudaSetDevice(local));
    side_.emplace();
    queued_.emplace();
    side_done_.emplace();
    ncclUniqueId id{};
    if (world.root()) nccl_check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    check(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
    nccl_check(ncclCommInitRank(&comm_, world.size(), id, world.rank()), "ncclCommInitRank");
  }
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;
  ~NcclCommunicator() override {
    if (comm_) (void)ncclCommDestroy(comm_);
  }

  [[nodiscard]] int rank() const override { return world_.rank(); }
  [[nodiscard]] int size() const override { return world_.size(); }
  [[nodiscard]] bool sums_on_device() const override { return true; }
  [[nodiscard]] ncclComm_t nccl() const { return comm_; }

protected:
  void sum_floats(float* v, std::int64_t n) const override { world_.sum(v, n); }
  void sum_doubles(double* v, std::int64_t n) const override { world_.sum(v, n); }
  void broadcast_floats(float* v, std::int64_t n, int from) const override { world_.broadcast(v, n, from); }
  void broadcast_doubles(double* v, std::int64_t n, int from) const override { world_.broadcast(v, n, from); }
  void device_sum_floats(float* v, std::int64_t n, double w) const override {
    weighted_sum(v, n, static_cast<float>(w), ncclFloat32);
  }
  void device_sum_doubles(double* v, std::int64_t n, double w) const override { weighted_sum(v, n, w, ncclFloat64); }
  // Started sums run on the communicator's own stream, after what galnet's stream had queued
  // when they started, so the backward kernels queued later overlap them.
  void device_start_sum_floats(float* v, std::int64_t n, double w) const override {
    start_on_side_stream();
    weighted_sum(v, n, static_cast<float>(w), ncclFloat32, side_->get());
  }
  void device_start_sum_doubles(double* v, std::int64_t n, double w) const override {
    start_on_side_stream();
    weighted_sum(v, n, w, ncclFloat64, side_->get());
  }

public:
  void finish_device_sums() const override {
    side_done_->record(side_->get());
    GALNET_CUDA_CHECK(cudaStreamWaitEvent(cuda::stream(), side_done_->get(), 0));
  }

private:
  /// ncclAllReduce with NCCL's pre-multiplied sum (each rank's values × its own scalar, then
  /// summed), in place on `stream` (galnet's by default).
  template <class T>
  void weighted_sum(T* v, std::int64_t n, T weight, ncclDataType_t type, cudaStream_t stream = nullptr) const {
    ncclRedOp_t op{};
    nccl_check(ncclRedOpCreatePreMulSum(&op, &weight, type, ncclScalarHostImmediate, comm_), "ncclRedOpCreatePreMulSum");
    const ncclResult_t r =
        ncclAllReduce(v, v, static_cast<std::size_t>(n), type, op, comm_, stream ? stream : cuda::stream());
    (void)ncclRedOpDestroy(op, comm_);
    nccl_check(r, "ncclAllReduce");
  }
  void start_on_side_stream() const {
    queued_->record(cuda::stream());
    GALNET_CUDA_CHECK(cudaStreamWaitEvent(side_->get(), queued_->get(), 0));
  }

  const World& world_;
  ncclComm_t comm_ = nullptr;
  // Made once this rank's GPU is selected (the constructor's body).
  std::optional<cuda::Stream> side_;  ///< where started sums run
  mutable std::optional<cuda::Event> queued_, side_done_;
};

}  // namespace galnet::dist
