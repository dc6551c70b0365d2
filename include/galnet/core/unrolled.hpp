// galnet/core/unrolled.hpp — unrolled<N>(f): f(std::integral_constant<int, i>{}) for i = 0..N-1,
// unrolled in the source, and GALNET_FORCE_INLINE.
//
// Why: loops over a few accumulators left to the compiler's unroller kept them in memory (the
// GEMM micro-kernel spilled its registers), and coefficients read from constexpr tables fold
// only where the index is a constant (the Winograd transforms). In a large translation unit
// GCC's inlining budget otherwise keeps small lambdas out of line, so the lambdas given to
// unrolled are forced inline too (`[&](auto i) GALNET_FORCE_INLINE { … }`).
#pragma once
#include <type_traits>
#include <utility>

#if defined(__GNUC__) || defined(__clang__)
#define GALNET_FORCE_INLINE __attribute__((always_inline))
#else
#define GALNET_FORCE_INLINE
#endif

namespace galnet {

template <int N, class F>
GALNET_FORCE_INLINE inline void unrolled(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) GALNET_FORCE_INLINE {
    (f(std::integral_constant<int, I>{}), ...);
  }(std::make_integer_sequence<int, N>{});
}

}  // namespace galnet
