// galnet/mpi.hpp — MPI ranks for data-parallel training and prediction (optional part: link
// galnet::mpi).
#pragma once
#include "galnet/dist/mpi.hpp"
