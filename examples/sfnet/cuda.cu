// sfnet/cuda.cu — `sfnet … --device cuda`: the program's subcommands on Tensor<float, Cuda>,
// compiled by nvcc. Kept apart from main.cpp because Eigen does not vectorise CPU code under
// nvcc: the CPU path stays plain C++.
#include "recipe.hpp"
#include <galnet/app/run_cuda.cuh>

static_assert(galnet::app::SFNetRecipe::max_outputs == 4, "instantiate run_on_cuda below for every output count");
GALNET_EXAMPLE_CUDA(SFNetRecipe, 1)
GALNET_EXAMPLE_CUDA(SFNetRecipe, 2)
GALNET_EXAMPLE_CUDA(SFNetRecipe, 3)
GALNET_EXAMPLE_CUDA(SFNetRecipe, 4)
