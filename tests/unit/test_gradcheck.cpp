// Finite-difference gradient checks, in double, of every layer (input and parameters).
#include <doctest/doctest.h>

#include <galnet/galnet.hpp>
#include <galnet/models.hpp>
#include <galnet/testing/gradcheck.hpp>

#include "../support.hpp"

using namespace galnet;
using galnet::test::error_of;
using testing::gradcheck;

namespace {
Tensor<double> random_input(const Shape& s, std::uint64_t seed = 7) {
  Generator g(seed);
  Tensor<double> t(s);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = g.normal();
  return t;
}
template <class L>
void check(L& layer, const Shape& in, testing::GradcheckOptions opt = {}) {
  const auto rep = gradcheck(layer, random_input(in), opt);
  INFO(rep.str());
  CHECK(rep.ok);
  CHECK(rep.checked > 0);
}
template <class Spec>
void check_spec(const Shape& in, testing::GradcheckOptions opt = {}) {
  nn::layer_t<Spec, double> layer;
  check(layer, in, opt);
}
}  // namespace

TEST_CASE("gradcheck Conv2d: stride, padding, bias, 1x1 and ResNet stem") {
  check_spec<nn::Conv2d<3, 4, 3, 2, 1>>(Shape{2, 3, 7, 7});
  check_spec<nn::Conv2d<3, 4, 3, 1, 1, false>>(Shape{2, 3, 5, 6});
  check_spec<nn::Conv2d<4, 5, 1, 1, 0>>(Shape{2, 4, 4, 4});
  check_spec<nn::Conv2d<4, 5, 1, 2, 0, false>>(Shape{3, 4, 6, 6});
  check_spec<nn::Conv2d<3, 2, 7, 2, 3, false>>(Shape{2, 3, 9, 9});
  check_spec<nn::Conv2d<2, 3, 6>>(Shape{2, 2, 8, 8});
}

TEST_CASE("gradcheck Conv2d on small maps, where samples share one GEMM (groups of 3 and 2)") {
  set_num_threads(2);  // 5 samples, 2 threads: groups of up to 3 samples
  check_spec<nn::Conv2d<4, 6, 3, 1, 1>>(Shape{5, 4, 4, 4});
  check_spec<nn::Conv2d<3, 5, 3, 2, 1, false>>(Shape{5, 3, 7, 7});
  set_num_threads(1);  // one thread: all five samples in one group
  check_spec<nn::Conv2d<4, 6, 3, 1, 1>>(Shape{5, 4, 4, 4});
  set_num_threads(2);
}

TEST_CASE("gradcheck BatchNorm2d and BatchNorm1d in train and eval mode") {
  nn::layer_t<nn::BatchNorm2d<3>, double> bn;
  Generator g(3);
  bn.visit("", [&](const std::string&, auto& t, auto*) {
    for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = 0.5 + g.uniform();
  });
  check(bn, Shape{4, 3, 3, 3});
  bn.eval();
  check(bn, Shape{4, 3, 3, 3});
  nn::layer_t<nn::BatchNorm1d<5>, double> bn1;
  check(bn1, Shape{6, 5});
  bn1.eval();
  check(bn1, Shape{6, 5});
}

TEST_CASE("gradcheck activations, pooling, flatten, top-k") {
  check_spec<nn::ReLU>(Shape{2, 3, 4, 4});
  check_spec<nn::SELU>(Shape{4, 7});
  check_spec<nn::MaxPool2d<3, 2, 1>>(Shape{2, 2, 7, 7});
  check_spec<nn::MaxPool2d<2>>(Shape{2, 2, 7, 7});
  check_spec<nn::AvgPool2d<2>>(Shape{2, 2, 6, 6});
  check_spec<nn::AvgPool2d<3, 2, 1>>(Shape{2, 2, 7, 7});
  check_spec<nn::AdaptiveAvgPool2d<1>>(Shape{2, 3, 5, 5});
  check_spec<nn::AdaptiveAvgPool2d<3>>(Shape{2, 2, 7, 7});
  check_spec<nn::AdaptiveMaxPool2d<3, 2>>(Shape{2, 2, 7, 5});
  check_spec<nn::AdaptiveConcatPool2d<1>>(Shape{2, 3, 4, 4});
  check_spec<nn::Flatten>(Shape{2, 3, 2, 2});
  check_spec<nn::FlattenChannelsLast>(Shape{2, 3, 2, 2});
  nn::layer_t<nn::TopK<3>, double> topk;
  check(topk, Shape{3, 10});
}

TEST_CASE("gradcheck Linear and Dropout (mask repeated by reseeding)") {
  check_spec<nn::Linear<5, 4>>(Shape{3, 5});
  check_spec<nn::Linear<5, 4, false>>(Shape{3, 5});
  nn::layer_t<nn::Dropout<0.3>, double> drop;
  Generator g;
  drop.set_generator(&g);
  testing::GradcheckOptions opt;
  opt.before_forward = [&] { g.seed_with(42); };
  check(drop, Shape{4, 6}, opt);
}

TEST_CASE("Dropout in eval mode hands back its input and output gradient themselves (no copy)") {
  nn::layer_t<nn::Dropout<0.3>, double> drop;
  drop.eval();
  Tensor<double> x(Shape{4, 6}, 1.5), dy(Shape{4, 6}, -2.0);
  CHECK(&drop.forward(x) == &x);
  CHECK(&drop.backward(dy) == &dy);
  CHECK(error_of([&] { drop.backward(Tensor<double>(Shape{3, 6})); }).find("output gradient") != std::string::npos);
  drop.train();
  CHECK(&drop.forward(x) != &x);
}

TEST_CASE("gradcheck BasicBlock with and without downsample, and a ResNet stage") {
  check_spec<nn::BasicBlock<2, 3, 2>>(Shape{2, 2, 6, 6});
  check_spec<nn::BasicBlock<3, 3, 1>>(Shape{2, 3, 5, 5});
  nn::ResNetStage<double, Cpu, 2, 2, 1> stage(2);
  check(stage, Shape{2, 2, 4, 4});
}

TEST_CASE("gradcheck a Sequential with the input gradient switched on") {
  nn::layer_t<nn::Sequential<nn::Conv2d<2, 3, 3, 1, 1>, nn::BatchNorm2d<3>, nn::ReLU,
                             nn::MaxPool2d<2>, nn::Flatten, nn::Linear<12, 2>>,
              double>
      seq;
  seq.set_input_grad(true);
  check(seq, Shape{3, 2, 4, 4});
}

TEST_CASE("gradcheck the model compositions (sampled elements)") {
  testing::GradcheckOptions opt;
  opt.max_per_tensor = 6;
  models::SFNet<double, Cpu, 2, 2> sfnet(3);
  sfnet.set_input_grad(true);
  check(sfnet, Shape{3, 3, 32, 32}, opt);

  models::LineEWNet<double, Cpu, true> lines;
  check(lines, Shape{3, 12}, opt);
}
