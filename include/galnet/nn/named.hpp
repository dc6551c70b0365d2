// galnet/nn/named.hpp — Named<"key", Spec>: a layer spec whose child key in a Sequential is
// "key" (torchvision's conv1, layer1, fc, …) instead of its index.
//
// Named<"", Spec> lends its children's keys to the parent as they are: a ResNet body inside an
// SFNet keeps conv1.weight, layer1.0.conv1.weight, … . Sequential::get<"key">() finds a child by
// its key. Everything else (channels, the layer type) is Spec's.
#pragma once
#include <algorithm>
#include <cstddef>
#include <string_view>

namespace galnet::nn {

/// A string usable as a template argument (C++20): Named<"layer1", …>, get<"fc">().
template <std::size_t N>
struct FixedString {
  char chars[N]{};
  constexpr FixedString(const char (&s)[N]) { std::copy_n(s, N, chars); }  // NOLINT: implicit by design
  [[nodiscard]] constexpr std::string_view view() const { return {chars, N - 1}; }
};

template <FixedString Key, class Spec>
struct Named : Spec {
  static constexpr std::string_view key = Key.view();
};

namespace detail {
/// The key a spec gives its layer in a Sequential: Named's, or none (the index is used).
template <class Spec>
concept HasKey = requires { Spec::key; };
}  // namespace detail

}  // namespace galnet::nn
