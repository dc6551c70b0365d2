// galnet/cuda.hpp — the CUDA backend's host side (link galnet::cuda): errors, the caching
// allocator behind Tensor<T, Cuda>, streams and library handles, host ↔ device transfers.
// Plain C++: a .cpp compiled by g++ may include it. Kernels come with galnet/cuda.cuh, which
// only .cu files include.
#pragma once
#include "galnet/cuda/error.hpp"
#include "galnet/cuda/memory.hpp"
#include "galnet/cuda/pinned.hpp"
#include "galnet/cuda/runtime.hpp"
#include "galnet/cuda/transfer.hpp"
