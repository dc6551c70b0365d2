// galnet/galnet.hpp — the CPU core: tensors, layers, losses, composition, the process-wide
// switches, safetensors weights. Opt-in umbrellas: galnet/optim.hpp (optimizers, schedules),
// galnet/io.hpp (catalogs, images, loaders, checkpoints), galnet/train.hpp, galnet/eval.hpp,
// galnet/dist.hpp, galnet/models.hpp (the four papers' networks); optional parts, each with its
// own target: galnet/cuda.hpp and galnet/cuda.cuh, galnet/mpi.hpp, galnet/nccl.hpp,
// galnet/fits.hpp, galnet/plot.hpp.
#pragma once

#include "galnet/core/device.hpp"
#include "galnet/core/error.hpp"
#include "galnet/core/options.hpp"
#include "galnet/core/parallel.hpp"
#include "galnet/core/rng.hpp"
#include "galnet/core/shape.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/nn/activation.hpp"
#include "galnet/nn/basic_block.hpp"
#include "galnet/nn/batchnorm.hpp"
#include "galnet/nn/conv2d.hpp"
#include "galnet/nn/dropout.hpp"
#include "galnet/nn/flatten.hpp"
#include "galnet/nn/init.hpp"
#include "galnet/nn/linear.hpp"
#include "galnet/nn/loss.hpp"
#include "galnet/nn/module.hpp"
#include "galnet/nn/pooling.hpp"
#include "galnet/nn/sequential.hpp"
#include "galnet/nn/topk.hpp"
#include "galnet/io/safetensors.hpp"
#include "galnet/io/state_dict.hpp"
