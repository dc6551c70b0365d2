// Batch norm with its tail (ops::BatchNormTail, BatchNormLayer::forward(x, residual, relu)): the
// residual add and ReLU fused into the normalising pass, the ReLU's mask into backward, equal
// bit for bit to the layered passes (batch norm, add, ReLU; ReLU backward, batch norm backward),
// in training and eval, for float and double.
#include <doctest/doctest.h>

#include <galnet/core/rng.hpp>
#include <galnet/nn/activation.hpp>
#include <galnet/nn/batchnorm.hpp>
#include <galnet/ops/cpu/elementwise.hpp>

using namespace galnet;

namespace {
template <class T>
Tensor<T> random(const Shape& s, std::uint64_t seed, double offset = 0) {
  Generator g(seed);
  Tensor<T> t(s);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(offset + g.normal());
  return t;
}
template <class T>
bool same(const Tensor<T>& a, const Tensor<T>& b) {
  if (a.shape() != b.shape()) return false;
  for (std::int64_t i = 0; i < a.numel(); ++i)
    if (!(a[i] == b[i])) return false;
  return true;
}

/// The fused layer against batch norm + add + ReLU as separate layers, forward and backward.
template <class T>
void check_tail(bool training, bool with_residual, const Shape& shape) {
  constexpr int C = 3;
  nn::BatchNormLayer<T, Cpu, C, true> fused, layered;
  nn::ReLULayer<T, Cpu> relu;
  for (auto* bn : {&fused, &layered}) {  // non-trivial parameters and running statistics
    Generator g(5);
    bn->visit("", [&](const std::string&, auto& t, auto*) {
      for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<T>(0.5 + g.uniform());
    });
    bn->train(training);
    bn->set_input_grad(true);
  }
  const Tensor<T> x = random<T>(shape, 1, 0.3), residual = random<T>(shape, 2), dy = random<T>(shape, 3);

  const Tensor<T>& y = fused.forward(x, with_residual ? &residual : nullptr, true);
  const Tensor<T>& normed = layered.forward(x);
  Tensor<T> sum(shape);
  if (with_residual) ops::Elementwise<Cpu>::add(sum.numel(), normed.data(), residual.data(), sum.data());
  else sum = normed;
  const Tensor<T>& want_y = relu.forward(sum);
  CHECK(same(y, want_y));
  CHECK(same(fused.running_mean(), layered.running_mean()));
  CHECK(same(fused.running_var(), layered.running_var()));

  const Tensor<T> dx = fused.backward(dy);
  const Tensor<T> want_dx = layered.backward(relu.backward(dy));
  CHECK(same(dx, want_dx));
  CHECK(same(fused.weight().grad, layered.weight().grad));
  CHECK(same(fused.bias().grad, layered.bias().grad));

  // The gradient that reaches the residual: dy masked by the ReLU, as ReLU backward gives it.
  CHECK(same(fused.residual_gradient(), relu.backward(dy)));
}
}  // namespace

TEST_CASE("batch norm with a residual-add and ReLU tail equals the layered passes bit for bit") {
  for (bool training : {true, false})
    for (bool with_residual : {true, false}) {
      INFO("training ", training, " residual ", with_residual);
      check_tail<float>(training, with_residual, Shape{4, 3, 5, 7});   // rows of 35: vector tails
      check_tail<double>(training, with_residual, Shape{2, 3, 6, 6});
      check_tail<float>(training, with_residual, Shape{64, 3, 24, 24});  // large enough to thread
    }
}

TEST_CASE("batch norm's tail rejects a residual of another shape, residual_gradient needs the ReLU") {
  nn::BatchNormLayer<float, Cpu, 3, true> bn;
  const Tensor<float> x(Shape{2, 3, 4, 4}, 1.f), r(Shape{2, 3, 4, 5}, 1.f);
  CHECK_THROWS_WITH_AS(bn.forward(x, &r, true), doctest::Contains("residual"), Error);
  bn.forward(x);
  CHECK_THROWS_WITH_AS((void)bn.residual_gradient(), doctest::Contains("ReLU"), Error);
}
