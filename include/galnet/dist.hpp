// galnet/dist.hpp — data-parallel training without a transport (opt-in): the communicator
// interface, shards of a dataset, gradient averaging in buckets. Transports are optional parts:
// galnet/mpi.hpp (galnet::mpi), galnet/nccl.hpp (galnet::nccl).
#pragma once
#include "galnet/dist/communicator.hpp"
#include "galnet/dist/gradients.hpp"
#include "galnet/dist/shard.hpp"
