// Whole models on the GPU against the CPU: a full training step (forward, RMSE loss, backward,
// the paper's optimizer step) of SFNet (ResNet-18 + top-k, ranger) and SpinCNN (the Keras
// network with its five dropouts and channel-last flatten, Adam), from the same weights and the
// same random state; and WuBoada's forward in eval mode. Exact mode (no TF32): the issue's
// tolerances, 1e-4 relative for anything that went through a convolution or GEMM.
#include <galnet/cuda.cuh>
#include <galnet/models.hpp>
#include <galnet/nn/loss.hpp>
#include <galnet/optim.hpp>

#include "cuda_test.hpp"

using namespace galnet;
using galnet::test::max_rel_diff;
using galnet::test::wave;

namespace {
/// Copies every parameter and buffer of `cpu` into `gpu` by state-dict name.
template <class MC, class MG>
void copy_state(MC& cpu, MG& gpu) {
  auto g = nn::state_dict(gpu);
  auto c = nn::state_dict(cpu);
  REQUIRE(g.size() == c.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    REQUIRE(c[i].first == g[i].first);
    g[i].second->copy_from(cuda::to_device(*c[i].second));
  }
}

/// `steps` training steps on each device from the same state, the same batch and the same
/// generator seed (dropout keys); returns the worst relative difference over the losses, the
/// outputs and every parameter gradient of the last step (each must be < 1e-4), and checks every
/// parameter and buffer after it. `adam_lr`: Adam moves an element whose gradient is ~0 by up to
/// ±lr whatever its sign, and float noise may flip that sign; such elements may differ by 2.5 lr.
template <class MC, class MG, class OC, class OG>
double train_step_parity(MC& cpu, MG& gpu, OC& oc, OG& og, const Shape& in, int steps, double adam_lr = 0) {
  const auto x = wave<float>(in, 0.0137, 0.4, 0.5, 0.2);
  const Shape out = cpu.output_shape(in);
  const auto y = wave<float>(out, 0.7, 0.1, 0.2, 8.9);
  const auto xd = cuda::to_device(x), yd = cuda::to_device(y);
  nn::RMSELoss<float> lc;
  nn::RMSELoss<float, Cuda> lg;
  cpu.train();
  gpu.train();
  double worst = 0;
  for (int s = 0; s < steps; ++s) {
    manual_seed(100 + s);
    oc.zero_grad();
    const auto& pc = cpu.forward(x);
    const double loss_c = lc.forward(pc, y);
    cpu.backward(lc.backward());
    oc.step();
    manual_seed(100 + s);
    og.zero_grad();
    const auto& outg = gpu.forward(xd);
    const auto pg = cuda::to_host(outg);
    const double loss_g = lg.forward(outg, yd);
    gpu.backward(lg.backward());
    og.step();
    worst = std::max({worst, std::abs(loss_c - loss_g) / std::abs(loss_c), max_rel_diff(pc, pg)});
  }
  auto g = nn::state_dict(gpu);
  std::size_t i = 0;
  for (auto& [name, t] : nn::state_dict(cpu)) {
    const auto h = cuda::to_host(*g[i++].second);
    double scale = 0, diff = 0;
    for (std::int64_t j = 0; j < t->numel(); ++j) {
      scale = std::max(scale, std::abs(double((*t)[j])));
      diff = std::max(diff, std::abs(double((*t)[j]) - double(h[j])));
    }
    CHECK_MESSAGE(diff <= 1e-4 * scale + 2.5 * adam_lr, name, " differs by ", diff, " (largest value ", scale, ")");
  }
  auto gp = nn::parameters(gpu);
  i = 0;
  for (auto* p : nn::parameters(cpu)) {
    const double d = max_rel_diff(p->grad, cuda::to_host(gp[i++]->grad));
    CHECK_MESSAGE(d < 1e-4, "a gradient differs by ", d);
    worst = std::max(worst, d);
  }
  return worst;
}
}  // namespace

TEST_CASE("cuda: an SFNet training step (ranger) matches the CPU") {
  GALNET_REQUIRE_GPU();
  manual_seed(7);
  models::SFNet<float, Cpu, 4> cpu(4);
  models::SFNet<float, Cuda, 4> gpu(4);
  copy_state(cpu, gpu);
  auto oc = optim::ranger(nn::parameters(cpu), {.lr = 1e-4});
  auto og = optim::ranger(nn::parameters(gpu), {.lr = 1e-4});
  const double worst = train_step_parity(cpu, gpu, oc, og, Shape{4, 3, 64, 64}, 2);
  MESSAGE("SFNet, 2 steps: worst relative difference ", worst);
  CHECK(worst < 1e-4);
}

TEST_CASE("cuda: a SpinCNN training step (Adam, dropout) matches the CPU") {
  GALNET_REQUIRE_GPU();
  manual_seed(8);
  models::SpinCNN<float, Cpu> cpu;
  models::SpinCNN<float, Cuda> gpu;
  copy_state(cpu, gpu);
  optim::Adam<float> oc(nn::parameters(cpu), {.lr = 1e-5});
  optim::Adam<float, Cuda> og(nn::parameters(gpu), {.lr = 1e-5});
  const double worst = train_step_parity(cpu, gpu, oc, og, Shape{4, 3, 80, 80}, 2, 1e-5);
  MESSAGE("SpinCNN, 2 steps: worst relative difference ", worst);
  CHECK(worst < 1e-4);
}

TEST_CASE("cuda: WuBoada (ResNet-34 + fastai head) predicts as the CPU in eval mode") {
  GALNET_REQUIRE_GPU();
  manual_seed(9);
  models::WuBoada<float, Cpu, 2> cpu;
  models::WuBoada<float, Cuda, 2> gpu;
  copy_state(cpu, gpu);
  cpu.eval();
  gpu.eval();
  const auto x = wave<float>(Shape{3, 3, 64, 64}, 0.011, 0.3);
  const double d = max_rel_diff(cpu.forward(x), cuda::to_host(gpu.forward(cuda::to_device(x))));
  MESSAGE("WuBoada eval forward: ", d);
  CHECK(d < 1e-4);
}
