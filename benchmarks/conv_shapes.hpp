// The distinct convolution shapes of the models, for bench_kernels (CPU) and bench_cuda (GPU):
// SpinCNN (B=32, 80 px) and the ResNet-18 body (B=64, 144 px). Args: batch N, in channels C,
// out channels O, spatial size HW, kernel K, stride S, padding P.
#pragma once
#include <benchmark/benchmark.h>

inline void conv_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "C", "O", "HW", "K", "S", "P"});
  b->Args({32, 3, 64, 80, 6, 1, 0})->Args({32, 64, 96, 75, 5, 1, 0})->Args({32, 96, 128, 35, 2, 1, 0});
  b->Args({32, 128, 192, 17, 2, 1, 0})->Args({32, 192, 192, 16, 2, 1, 0});
  b->Args({64, 3, 64, 144, 7, 2, 3})->Args({64, 64, 64, 36, 3, 1, 1})->Args({64, 64, 128, 36, 3, 2, 1});
  b->Args({64, 128, 128, 18, 3, 1, 1})->Args({64, 128, 256, 18, 3, 2, 1})->Args({64, 256, 256, 9, 3, 1, 1});
  b->Args({64, 256, 512, 9, 3, 2, 1})->Args({64, 512, 512, 5, 3, 1, 1})->Args({64, 64, 128, 36, 1, 2, 0});
}
/// The shapes among them that take a CPU Winograd path by default: 3×3 stride 1 (F(2×2, 3×3),
/// galnet/ops/cpu/winograd.hpp) and SpinCNN's 5×5 (F(2, 5) along rows in the forward and
/// data-gradient passes, winograd_rows.hpp).
inline void winograd_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "C", "O", "HW", "K", "S", "P"});
  b->Args({32, 64, 96, 75, 5, 1, 0});
  b->Args({64, 64, 64, 36, 3, 1, 1})->Args({64, 128, 128, 18, 3, 1, 1})->Args({64, 256, 256, 9, 3, 1, 1});
  b->Args({64, 512, 512, 5, 3, 1, 1});
}
