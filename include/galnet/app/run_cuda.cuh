// galnet/app/run_cuda.cuh — the --device cuda half of an image program: each program's cuda.cu includes
// its recipe.hpp and this file, and instantiates run_on_cuda: GALNET_EXAMPLE_CUDA(SFNetRecipe)
// main.cpp (plain C++) sees only the declaration in galnet/app/run.hpp, so it never compiles a kernel.
#pragma once
#include "galnet/app/run.hpp"
#include "galnet/cuda.cuh"

namespace galnet::app {

template <class Recipe>
void run_on_cuda(const PaperDefaults& P, Args& a, const std::optional<data::Normalization>& norm) {
  cuda::require_device(P.name);
  cuda::set_math_mode(a.bf16 ? cuda::MathMode::bf16 : a.tf32 ? cuda::MathMode::tf32 : cuda::MathMode::exact);
  run_on<Recipe, Cuda>(P, a, norm);
}

}  // namespace galnet::app

#define GALNET_EXAMPLE_CUDA(Recipe)                                                                 \
  template void galnet::app::run_on_cuda<galnet::app::Recipe>(const galnet::app::PaperDefaults&, galnet::app::Args&, \
                                                              const std::optional<galnet::data::Normalization>&);
