// galnet/nn/init.hpp — weight initialisers, drawn from a galnet::Generator.
//
// PyTorch's default for Conv2d/Linear (kaiming_uniform with a = √5: U(±1/√fan_in), bias the
// same), torchvision ResNet's kaiming_normal (fan_out, ReLU gain), Keras' glorot_uniform, and a
// plain normal (Khederlarian's N(0, 0.1²)).
#pragma once
#include <cmath>

#include "galnet/core/rng.hpp"
#include "galnet/core/tensor.hpp"

namespace galnet::nn::init {

template <class T>
void uniform(Tensor<T, Cpu>& t, double lo, double hi, Generator& g = default_generator()) {
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(lo + (hi - lo) * g.uniform());
}
template <class T>
void normal(Tensor<T, Cpu>& t, double mean, double std, Generator& g = default_generator()) {
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(mean + std * g.normal());
}
/// PyTorch's default for Conv2d and Linear weights and biases: U(−1/√fan_in, 1/√fan_in).
template <class T>
void pytorch_default(Tensor<T, Cpu>& t, std::int64_t fan_in, Generator& g = default_generator()) {
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  uniform(t, -bound, bound, g);
}
/// torchvision ResNet convolutions: N(0, 2/fan_out), fan_out = out_channels·k·k.
template <class T>
void kaiming_normal_fan_out(Tensor<T, Cpu>& t, Generator& g = default_generator()) {
  const double fan_out = static_cast<double>(t.dim(0) * t.shape().numel_from(2));
  normal(t, 0.0, std::sqrt(2.0 / fan_out), g);
}
/// Keras' glorot_uniform: U(±√(6/(fan_in + fan_out))).
template <class T>
void glorot_uniform(Tensor<T, Cpu>& t, std::int64_t fan_in, std::int64_t fan_out,
                    Generator& g = default_generator()) {
  const double limit = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  uniform(t, -limit, limit, g);
}

}  // namespace galnet::nn::init
