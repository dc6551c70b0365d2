// galnet/nn/gradient_hook.hpp — "this parameter's gradient is final for this backward pass".
//
// Data-parallel training starts summing a bucket of gradients over the ranks as soon as every
// gradient in it is final, while the backward pass goes on through earlier layers
// (dist::GradientAverager::begin/finish; PyTorch DDP does the same from autograd hooks). The
// layers that own parameters (Conv2d, Linear, BatchNorm) call gradient_ready(p) right after
// accumulating p's gradient. With no hook installed the call is one thread-local load.
#pragma once

namespace galnet::nn {

class GradientReadyHook {
public:
  /// `parameter` (an nn::Parameter's address) holds its final gradient for this backward pass.
  virtual void gradient_ready(const void* parameter) = 0;

protected:
  GradientReadyHook() = default;
  GradientReadyHook(const GradientReadyHook&) = default;
  GradientReadyHook& operator=(const GradientReadyHook&) = default;
  ~GradientReadyHook() = default;
};

namespace detail {
inline thread_local GradientReadyHook* gradient_ready_hook = nullptr;
}  // namespace detail

/// Installs `hook` for backward passes on this thread (nullptr: none); returns the previous one.
inline GradientReadyHook* set_gradient_ready_hook(GradientReadyHook* hook) {
  GradientReadyHook* previous = detail::gradient_ready_hook;
  detail::gradient_ready_hook = hook;
  return previous;
}

/// Called by a layer once `p`'s gradient is accumulated (see above).
template <class Param>
void gradient_ready(const Param& p) {
  if (GradientReadyHook* h = detail::gradient_ready_hook) h->gradient_ready(&p);
}

}  // namespace galnet::nn
