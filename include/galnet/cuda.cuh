// galnet/cuda.cuh — the CUDA backend with its kernels, for .cu files: galnet/cuda.hpp plus the
// ops::*<Cuda> specialisations that let galnet's layers run on Tensor<T, Cuda>.
#pragma once
#include "galnet/cuda.hpp"
#include "galnet/ops/cuda/activation.cuh"
#include "galnet/ops/cuda/batchnorm.cuh"
#include "galnet/ops/cuda/bias.cuh"
#include "galnet/ops/cuda/conv2d.hpp"
#include "galnet/ops/cuda/elementwise.cuh"
#include "galnet/ops/cuda/gemm.hpp"
#include "galnet/ops/cuda/pool2d.cuh"
