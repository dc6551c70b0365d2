// galnet/cuda.cuh — the CUDA backend with its kernels, for .cu files: galnet/cuda.hpp plus the
// ops::*<Cuda> specialisations that let galnet's layers and losses run on Tensor<T, Cuda>, and
// the optimizers' updates for Optimizer<T, Cuda>, and train::BatchUpload<Cuda> for fit().
#pragma once
#include "galnet/cuda.hpp"
#include "galnet/train/cuda.hpp"
#include "galnet/ops/cuda/activation.cuh"
#include "galnet/ops/cuda/batchnorm.cuh"
#include "galnet/ops/cuda/bf16.cuh"
#include "galnet/ops/cuda/bias.cuh"
#include "galnet/ops/cuda/conv2d.hpp"
#include "galnet/ops/cuda/dropout.cuh"
#include "galnet/ops/cuda/elementwise.cuh"
#include "galnet/ops/cuda/gemm.hpp"
#include "galnet/ops/cuda/permute.cuh"
#include "galnet/ops/cuda/pool2d.cuh"
#include "galnet/ops/cuda/squared_error.cuh"
#include "galnet/ops/cuda/topk.cuh"
#include "galnet/optim/cuda/updates.cuh"
