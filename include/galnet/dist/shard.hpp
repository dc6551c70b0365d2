// galnet/dist/shard.hpp — a rank's share of n items (no MPI needed: galnet/dist/mpi.hpp and the
// example programs' sharded predict both use it).
#pragma once
#include <cstdint>
#include <utility>

namespace galnet::dist {

/// Rank `rank` of `ranks`'s contiguous share [begin, end) of n items: shares differ by at most
/// one item, lower ranks first; concatenated in rank order they are 0 … n − 1.
[[nodiscard]] inline std::pair<std::int64_t, std::int64_t> shard(std::int64_t n, int rank, int ranks) {
  return {n * rank / ranks, n * (rank + 1) / ranks};
}

}  // namespace galnet::dist
