// galnet/ops/cpu/winograd_transforms.hpp — the matrices of Winograd F(2×2, K×K) for K = 3, 5,
// and combine<>(), which applies one row of such a matrix with its coefficients folded in.
//
// Toom–Cook (Lavin & Gray 2016): for a 2×2 output tile of a K×K correlation, with the
// α × α input patch d (α = K + 1) and the filter g,
//     y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A,   Bᵀ: α × α,  G: α × K,  Aᵀ: 2 × α;
// the weight gradient is the transposed algorithm, dg = Gᵀ[(A dy Aᵀ) ⊙ (Bᵀ d B)]G.
// K = 3 interpolates at 0, ±1, ∞ (coefficients 0, ±1, ±½: F(2×2, 3×3)'s error stays close to
// im2col's). K = 5 at 0, 1, −1, 2, −½, ∞: of the point sets 0, ±1, ±2; 0, ±1, ±½; 0, ±1, 2, −½;
// 0, ±1, ½, −2, this one gives the least float32 error against float64
// (tests/unit/test_winograd.cpp measures it).
// The matrices were derived with exact rational arithmetic (sympy) and checked against the
// direct correlation; G's fifteenths are the only coefficients float does not hold exactly,
// and they touch the weights only.
#pragma once
#include <cstdint>

#include "galnet/core/unrolled.hpp"

namespace galnet::ops::winograd {

template <int K>
struct Transform;

template <>
struct Transform<3> {
  static constexpr int k = 3, alpha = 4;
  /// Tiles per chunk of the convolution (whole tile rows, at least one): V and M of a
  /// 64-channel layer then take 1 MiB each, inside L2; smaller chunks narrow the GEMMs by more
  /// than the L2 misses they save.
  static constexpr std::int64_t chunk_tiles = 256;
  static constexpr double bt[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
  static constexpr double g[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  static constexpr double at[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
};

template <>
struct Transform<5> {
  static constexpr int k = 5, alpha = 6;
  /// Tiles per chunk: wider GEMMs outweigh keeping V and M in L2 (SpinCNN's 64 → 96-channel
  /// layer), up to 512; beyond that nothing more is gained.
  static constexpr std::int64_t chunk_tiles = 512;
  static constexpr double bt[6][6] = {{1, 1.5, -2, -1.5, 1, 0},  {0, -1, -2.5, -0.5, 1, 0},
                                      {0, 1, 0.5, -2.5, 1, 0},   {0, -0.5, -1, 0.5, 1, 0},
                                      {0, 2, -1, -2, 1, 0},      {0, 1, 1.5, -2, -1.5, 1}};
  static constexpr double g[6][5] = {{1, 0, 0, 0, 0},
                                     {-1. / 3, -1. / 3, -1. / 3, -1. / 3, -1. / 3},
                                     {1. / 3, -1. / 3, 1. / 3, -1. / 3, 1. / 3},
                                     {1. / 15, 2. / 15, 4. / 15, 8. / 15, 16. / 15},
                                     {-16. / 15, 8. / 15, -4. / 15, 2. / 15, -1. / 15},
                                     {0, 0, 0, 0, 1}};
  static constexpr double at[2][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -0.5, 1}};
};

/// Σ_j M(Row, j)·load(j) for j < N, M a constexpr table given as coef(i, j): unrolled, zero
/// terms dropped and ±1 folded at compile time. The sum starts at −0, which x + (−0) = x makes
/// free, so the terms are added in the order j = 0, 1, … with no rounding of their own.
template <class T, int N, class Coef, int Row, class Load>
GALNET_FORCE_INLINE inline T combine(Load&& load) {
  T acc = T(-0.0);
  unrolled<N>([&](auto j) GALNET_FORCE_INLINE {
    constexpr double c = Coef::at(Row, j);
    if constexpr (c == 1) acc += load(j);
    else if constexpr (c == -1) acc -= load(j);
    else if constexpr (c != 0) acc += T(c) * load(j);
  });
  return acc;
}

/// A coefficient table of a Transform as combine<> reads it (Transposed: its transpose).
template <const auto& M, bool Transposed = false>
struct Table {
  static constexpr double at(int i, int j) { return Transposed ? M[j][i] : M[i][j]; }
};

}  // namespace galnet::ops::winograd
