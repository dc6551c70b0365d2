// galnet/train.hpp — the training loop (opt-in): fit() with checkpoints, resume, data-parallel
// ranks and hooks; the learning-rate finder; progress bars. The CUDA batch hand-off is
// galnet/train/cuda.hpp (in galnet/cuda.cuh).
#pragma once
#include "galnet/train/fit.hpp"
#include "galnet/train/lr_find.hpp"
#include "galnet/train/progress.hpp"
