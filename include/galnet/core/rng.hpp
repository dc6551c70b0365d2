// galnet/core/rng.hpp — seeded, reproducible random numbers.
//
// Generator is SplitMix64-seeded xoshiro256**: small state, fast, and its state is a plain array
// so checkpoints can save and restore it bit for bit. manual_seed() reseeds the default generator
// that layers (dropout, initialisation) draw from, as torch.manual_seed does.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>

#include "galnet/core/device.hpp"

namespace galnet {

/// The i-th output of SplitMix64 started at `key`: a counter-based generator, so element i's
/// random number needs none of the ones before it. A CUDA thread and a CPU loop thus draw the
/// same numbers (dropout masks equal on both devices). SplitMix64 passes BigCrush (Steele, Lea &
/// Flood 2014, "Fast splittable pseudorandom number generators").
GALNET_HOST_DEVICE inline std::uint64_t counter_u64(std::uint64_t key, std::uint64_t i) {
  std::uint64_t z = key + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Generator {
public:
  explicit Generator(std::uint64_t seed = 0x9E3779B97F4A7C15ull) { seed_with(seed); }

  void seed_with(std::uint64_t seed) {
    for (auto& s : state_) {
      seed += 0x9E3779B97F4A7C15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      s = z ^ (z >> 31);
    }
  }
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Standard normal (Box–Muller; one draw per call, deterministic).
  double normal() {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  /// Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) { return n ? next_u64() % n : 0; }

  using State = std::array<std::uint64_t, 4>;
  [[nodiscard]] State state() const { return state_; }
  void set_state(const State& s) { state_ = s; }

private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  State state_{};
};

inline Generator& default_generator() {
  static Generator g;
  return g;
}
inline void manual_seed(std::uint64_t seed) { default_generator().seed_with(seed); }

}  // namespace galnet
