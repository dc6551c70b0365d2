// line_ew/cuda.cu — `line_ew predict --device cuda`: the ten networks by the fused GPU kernel
// (models::predict_on_cuda), compiled by nvcc. Kept apart from main.cpp, which stays plain C++.
#include <galnet/cuda/runtime.hpp>
#include <galnet/models/line_ew_cuda.cuh>

void require_gpu(const char* who) { galnet::cuda::require_device(who); }

std::size_t predict_on_gpu(const galnet::models::LineEW& model, std::span<const double> fluxes,
                           std::span<const double> z, std::span<double> ew,
                           std::span<galnet::models::LineEW::RowStatus> status) {
  return galnet::models::predict_on_cuda(model, fluxes, z, ew, status);
}
