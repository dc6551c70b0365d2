// galnet/nccl.hpp — NCCL between GPUs for data-parallel training (optional part: link
// galnet::nccl, with galnet::cuda).
#pragma once
#include "galnet/dist/nccl.hpp"
