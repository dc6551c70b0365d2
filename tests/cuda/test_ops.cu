// The rest of the layers, the losses and the optimizers on the GPU against the CPU: top-k
// (exact: the same kept set, ties and NaN included), dropout (the same counter-based mask),
// Keras-order flatten (exact), MSE/RMSE/weighted MSE (value, gradient, the non-finite target
// error), and SGD/Adam/AdamW/RAdam/ranger steps and gradient clipping from identical gradients.
#include <galnet/cuda.cuh>
#include <galnet/nn/dropout.hpp>
#include <galnet/nn/flatten.hpp>
#include <galnet/nn/linear.hpp>
#include <galnet/nn/loss.hpp>
#include <galnet/nn/topk.hpp>
#include <galnet/optim.hpp>

#include "cuda_test.hpp"

using namespace galnet;
using galnet::test::check_layer;
using galnet::test::max_rel_diff;
using galnet::test::wave;

TEST_CASE("cuda: top-k keeps exactly the CPU's entries, ties and NaN included") {
  GALNET_REQUIRE_GPU();
  check_layer<nn::TopK<4>, float>(Shape{6, 512}, true, 0.0);
  check_layer<nn::TopK<1>, double>(Shape{3, 37}, true, 0.0);
  // Ties (a row of equal values keeps the lowest indices) and NaN (ranked first).
  auto x = wave<float>(Shape{2, 16}, 0.3, 0.1);
  for (int i = 0; i < 16; ++i) x[i] = 1.0f;
  x[16 + 5] = NAN;
  nn::layer_t<nn::TopK<3>, float, Cpu> cpu;
  nn::layer_t<nn::TopK<3>, float, Cuda> gpu;
  cpu.forward(x);
  gpu.forward(cuda::to_device(x));
  const auto mc = cpu.mask();
  const auto mg = cuda::to_host(gpu.mask());
  for (std::int64_t i = 0; i < mc.numel(); ++i) CHECK_MESSAGE(mc[i] == mg[i], "mask element ", i);
  CHECK(mg[0] == 1);
  CHECK(mg[2] == 1);
  CHECK(mg[3] == 0);
  CHECK(mg[16 + 5] == 1);
}

TEST_CASE("cuda: dropout drops the same elements as the CPU for the same generator state") {
  GALNET_REQUIRE_GPU();
  nn::layer_t<nn::Dropout<0.5>, float, Cpu> cpu;
  nn::layer_t<nn::Dropout<0.5>, float, Cuda> gpu;
  Generator gc(42), gg(42);
  cpu.set_generator(&gc);
  gpu.set_generator(&gg);
  const auto x = wave<float>(Shape{4, 1000}, 0.01, 0.3, 1.0, 2.0);  // all positive: a zero means dropped
  const auto dy = wave<float>(Shape{4, 1000}, 0.02, 0.1);
  for (int step = 0; step < 2; ++step) {
    const auto yc = cpu.forward(x);
    const auto yg = cuda::to_host(gpu.forward(cuda::to_device(x)));
    CHECK(max_rel_diff(yc, yg) == 0.0);
    CHECK(max_rel_diff(cpu.backward(dy), cuda::to_host(gpu.backward(cuda::to_device(dy)))) == 0.0);
    std::int64_t dropped = 0;
    for (std::int64_t i = 0; i < yc.numel(); ++i) dropped += yc[i] == 0.0f;
    CHECK(dropped > 1800);  // ≈ 2000 of 4000
    CHECK(dropped < 2200);
  }
  cpu.eval();
  gpu.eval();
  CHECK(max_rel_diff(x, cuda::to_host(gpu.forward(cuda::to_device(x)))) == 0.0);
}

TEST_CASE("cuda: Keras-order flatten permutes exactly as the CPU") {
  GALNET_REQUIRE_GPU();
  check_layer<nn::FlattenChannelsLast, float>(Shape{3, 5, 4, 6}, true, 0.0);
  check_layer<nn::Flatten, float>(Shape{3, 5, 4, 6}, true, 0.0);
}

TEST_CASE("cuda: MSE, RMSE and weighted MSE match the CPU, and reject a non-finite target") {
  GALNET_REQUIRE_GPU();
  const auto p = wave<float>(Shape{64, 4}, 0.37, 0.2, 0.3, 8.9);
  const auto y = wave<float>(Shape{64, 4}, 0.11, 0.9, 0.2, 8.9);
  const auto w = wave<float>(Shape{64, 4}, 0.05, 0.4, 0.5, 1.0);
  const auto pd = cuda::to_device(p), yd = cuda::to_device(y), wd = cuda::to_device(w);
  {
    nn::MSELoss<float> c;
    nn::MSELoss<float, Cuda> g;
    CHECK(g.forward(pd, yd) == doctest::Approx(c.forward(p, y)).epsilon(1e-6));
    CHECK(max_rel_diff(c.backward(), cuda::to_host(g.backward())) < 1e-6);
  }
  {
    nn::RMSELoss<float> c;
    nn::RMSELoss<float, Cuda> g;
    CHECK(g.forward(pd, yd) == doctest::Approx(c.forward(p, y)).epsilon(1e-6));
    CHECK(max_rel_diff(c.backward(), cuda::to_host(g.backward())) < 1e-6);
  }
  {
    nn::WeightedMSELoss<float> c;
    nn::WeightedMSELoss<float, Cuda> g;
    CHECK(g.forward(pd, yd, wd) == doctest::Approx(c.forward(p, y, w)).epsilon(1e-6));
    CHECK(max_rel_diff(c.backward(), cuda::to_host(g.backward())) < 1e-6);
  }
  auto bad = y;
  bad[77] = NAN;
  bad[130] = INFINITY;
  nn::MSELoss<float, Cuda> g;
  CHECK_THROWS_WITH(g.forward(pd, cuda::to_device(bad)), doctest::Contains("target element 77 is not finite"));
}

namespace {
/// Three steps of the optimizer made by `make` on a Linear(32 → 16) on each device, from the same
/// weights and the same gradients; returns the largest relative difference of the weights.
template <class Make>
double optimizer_parity(Make make, double clip = 0) {
  using Spec = nn::Linear<32, 16>;
  nn::layer_t<Spec, float, Cpu> cpu;
  nn::layer_t<Spec, float, Cuda> gpu;
  auto pc = nn::parameters(cpu);
  auto pg = nn::parameters(gpu);
  for (std::size_t i = 0; i < pc.size(); ++i) pg[i]->value.copy_from(cuda::to_device(pc[i]->value));
  auto oc = make(pc);
  auto og = make(pg);
  for (int step = 0; step < 3; ++step) {
    for (std::size_t i = 0; i < pc.size(); ++i) {
      const auto g = wave<float>(pc[i]->grad.shape(), 0.13 + 0.07 * step, 0.3 * static_cast<double>(i), 0.5);
      pc[i]->grad.copy_from(g);
      pg[i]->grad.copy_from(cuda::to_device(g));
    }
    if (clip > 0) {
      const double nc = optim::clip_grad_norm(pc, clip), ng = optim::clip_grad_norm(pg, clip);
      CHECK(ng == doctest::Approx(nc).epsilon(1e-12));
    }
    oc.step();
    og.step();
  }
  double worst = 0;
  for (std::size_t i = 0; i < pc.size(); ++i)
    worst = std::max(worst, max_rel_diff(pc[i]->value, cuda::to_host(pg[i]->value)));
  return worst;
}
}  // namespace

TEST_CASE("cuda: SGD, Adam, AdamW, RAdam and ranger step as on the CPU, clipping agrees") {
  GALNET_REQUIRE_GPU();
  const double sgd = optimizer_parity([]<class D>(std::vector<nn::Parameter<float, D>*> ps) {
    return optim::SGD<float, D>(ps, {.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 1e-4});
  });
  const double adam = optimizer_parity([]<class D>(std::vector<nn::Parameter<float, D>*> ps) {
    return optim::Adam<float, D>(ps, {.lr = 1e-3, .weight_decay = 1e-4});
  });
  const double adamw = optimizer_parity([]<class D>(std::vector<nn::Parameter<float, D>*> ps) {
    return optim::AdamW<float, D>(ps, {.lr = 1e-3});
  });
  const double radam = optimizer_parity([]<class D>(std::vector<nn::Parameter<float, D>*> ps) {
    return optim::RAdam<float, D>(ps, {.lr = 1e-3, .weight_decay = 1e-2});
  });
  const double ranger = optimizer_parity([](auto ps) { return optim::ranger(ps, {.lr = 4e-3}); }, 0.5);
  MESSAGE("SGD ", sgd, ", Adam ", adam, ", AdamW ", adamw, ", RAdam ", radam, ", ranger + clipping ", ranger);
  CHECK(sgd < 1e-6);
  CHECK(adam < 1e-6);
  CHECK(adamw < 1e-6);
  CHECK(radam < 1e-6);
  CHECK(ranger < 1e-6);
}
