// galnet/nn/init.hpp — weight initialisers, drawn from a galnet::Generator.
//
// PyTorch's default for Conv2d/Linear (kaiming_uniform with a = √5: U(±1/√fan_in), bias the
// same), torchvision ResNet's kaiming_normal (fan_out, ReLU gain), Keras' glorot_uniform, and a
// plain normal (Khederlarian's N(0, 0.1²)). Any device: values are drawn on the host in the
// same order, so a seed gives the same weights on the CPU and the GPU.
#pragma once
#include <cmath>
#include <type_traits>
#include <vector>

#include "galnet/core/rng.hpp"
#include "galnet/core/tensor.hpp"

namespace galnet::nn::init {

namespace detail {
/// Draws t.numel() values with draw() on the host, in order, and stores them in t (uploading
/// for a GPU tensor): the same generator state gives the same weights on every device.
template <class T, class D, class Draw>
void fill_drawn(Tensor<T, D>& t, Draw&& draw) {
  if constexpr (std::is_same_v<D, Cpu>) {
    for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(draw());
  } else {
    std::vector<T> host(static_cast<std::size_t>(t.numel()));
    for (auto& v : host) v = static_cast<T>(draw());
    t.upload(host.data());
  }
}
}  // namespace detail

template <class T, class D>
void uniform(Tensor<T, D>& t, double lo, double hi, Generator& g = default_generator()) {
  detail::fill_drawn(t, [&] { return lo + (hi - lo) * g.uniform(); });
}
template <class T, class D>
void normal(Tensor<T, D>& t, double mean, double std, Generator& g = default_generator()) {
  detail::fill_drawn(t, [&] { return mean + std * g.normal(); });
}
/// PyTorch's default for Conv2d and Linear weights and biases: U(−1/√fan_in, 1/√fan_in).
template <class T, class D>
void pytorch_default(Tensor<T, D>& t, std::int64_t fan_in, Generator& g = default_generator()) {
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  uniform(t, -bound, bound, g);
}
/// torchvision ResNet convolutions: N(0, 2/fan_out), fan_out = out_channels·k·k.
template <class T, class D>
void kaiming_normal_fan_out(Tensor<T, D>& t, Generator& g = default_generator()) {
  const double fan_out = static_cast<double>(t.dim(0) * t.shape().numel_from(2));
  normal(t, 0.0, std::sqrt(2.0 / fan_out), g);
}
/// Keras' glorot_uniform: U(±√(6/(fan_in + fan_out))).
template <class T, class D>
void glorot_uniform(Tensor<T, D>& t, std::int64_t fan_in, std::int64_t fan_out,
                    Generator& g = default_generator()) {
  const double limit = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  uniform(t, -limit, limit, g);
}

}  // namespace galnet::nn::init
