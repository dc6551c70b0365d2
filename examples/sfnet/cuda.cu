// sfnet/cuda.cu — `sfnet … --device cuda`: the program's subcommands on Tensor<float, Cuda>,
// compiled by nvcc. Kept apart from main.cpp because Eigen does not vectorise CPU code under
// nvcc: the CPU path stays plain C++.
#include "recipe.hpp"
#include <galnet/app/run_cuda.cuh>

GALNET_EXAMPLE_CUDA(SFNetRecipe)
