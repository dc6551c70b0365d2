// An astronomer's MPI program against an installed galnet: the ranks agree on rank 0's weights.
#include <galnet/dist/mpi.hpp>
#include <galnet/galnet.hpp>
#include <galnet/models.hpp>
#include <iostream>

int main(int argc, char** argv) {
  galnet::dist::World world(&argc, &argv);
  galnet::manual_seed(1 + static_cast<std::uint64_t>(world.rank()));
  galnet::models::LineEWMLP<float> mlp;
  galnet::dist::broadcast_state(mlp, world);
  if (world.root()) std::cout << "galnet::mpi: " << world.size() << " rank(s)\n";
}
