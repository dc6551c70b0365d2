// Whole models on the GPU against the CPU: a full training step (forward, RMSE loss, backward,
// the paper's optimizer step) of SFNet (ResNet-18 + top-k, ranger) and SpinCNN (the Keras
// network with its five dropouts and channel-last flatten, Adam), from the same weights and the
// same random state; WuBoada's forward in eval mode; and GPU models and optimizers saved and
// restored through the same files as on the CPU. Exact mode (no TF32): the issue's
// tolerances, 1e-4 relative for anything that went through a convolution or GEMM.
#include <filesystem>
#include <galnet/cuda.cuh>
#include <galnet/io/checkpoint.hpp>
#include <galnet/models.hpp>
#include <galnet/nn/loss.hpp>
#include <galnet/optim.hpp>
#include <initializer_list>
#include <vector>

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
/// `tol`: 1e-4 in the exact mode; a fast mode passes its own.
template <class MC, class MG, class OC, class OG>
double train_step_parity(MC& cpu, MG& gpu, OC& oc, OG& og, const Shape& in, int steps, double adam_lr = 0,
                         double tol = 1e-4) {
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
    CHECK_MESSAGE(diff <= tol * scale + 2.5 * adam_lr, name, " differs by ", diff, " (largest value ", scale, ")");
  }
  auto gp = nn::parameters(gpu);
  i = 0;
  for (auto* p : nn::parameters(cpu)) {
    const double d = max_rel_diff(p->grad, cuda::to_host(gp[i++]->grad));
    CHECK_MESSAGE(d < tol, "a gradient differs by ", d);
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

namespace {
/// Two SpinCNN training steps (Adam, lr 1e-5, five dropouts, same seed) on each device in the
/// current math mode; train_step_parity's worst difference, every check at `tol`.
double spin_cnn_adam_parity(double tol) {
  manual_seed(8);
  models::SpinCNN<float, Cpu> cpu;
  models::SpinCNN<float, Cuda> gpu;
  copy_state(cpu, gpu);
  optim::Adam<float> oc(nn::parameters(cpu), {.lr = 1e-5});
  optim::Adam<float, Cuda> og(nn::parameters(gpu), {.lr = 1e-5});
  return train_step_parity(cpu, gpu, oc, og, Shape{4, 3, 80, 80}, 2, 1e-5, tol);
}
}  // namespace

TEST_CASE("cuda: a SpinCNN training step (Adam, dropout) matches the CPU") {
  GALNET_REQUIRE_GPU();
  const double worst = spin_cnn_adam_parity(1e-4);
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

TEST_CASE("cuda: GPU models and optimizers save and load through the CPU's files") {
  GALNET_REQUIRE_GPU();
  const auto dir = std::filesystem::temp_directory_path() / "galnet_cuda_io_test";
  std::filesystem::create_directories(dir);
  manual_seed(11);
  models::SpinCNN<float, Cuda, 8> gpu;
  models::SpinCNN<float, Cpu, 8> cpu;
  io::save_state_dict(gpu, dir / "model.safetensors");
  io::load_state_dict(cpu, dir / "model.safetensors");
  auto g = nn::state_dict(gpu);
  std::size_t i = 0;
  for (auto& [name, t] : nn::state_dict(cpu)) CHECK_MESSAGE(max_rel_diff(*t, cuda::to_host(*g[i++].second)) == 0.0, name);

  // A checkpoint written from the GPU restores model, Adam state and counters on the GPU.
  optim::Adam<float, Cuda> opt(nn::parameters(gpu), {.lr = 1e-3});
  for (auto* p : nn::parameters(gpu)) p->grad.copy_from(cuda::to_device(wave<float>(p->grad.shape(), 0.3, 0.1)));
  opt.step();
  io::save_checkpoint(dir / "ckpt.safetensors", gpu, opt, {.epoch = 1, .step = 1});
  models::SpinCNN<float, Cuda, 8> gpu2;
  optim::Adam<float, Cuda> opt2(nn::parameters(gpu2), {.lr = 1e-3});
  const auto p = io::load_checkpoint(dir / "ckpt.safetensors", gpu2, opt2);
  CHECK(p.epoch == 1);
  CHECK(opt2.steps() == 1);
  auto g2 = nn::state_dict(gpu2);
  i = 0;
  for (auto& [name, t] : nn::state_dict(gpu))
    CHECK_MESSAGE(max_rel_diff(cuda::to_host(*t), cuda::to_host(*g2[i++].second)) == 0.0, name);
  std::vector<Tensor<float>> s1, s2;
  opt.visit_state([&](const std::string&, Tensor<float, Cuda>& t) { s1.push_back(cuda::to_host(t)); });
  opt2.visit_state([&](const std::string&, Tensor<float, Cuda>& t) { s2.push_back(cuda::to_host(t)); });
  REQUIRE(s1.size() == s2.size());
  for (std::size_t k = 0; k < s1.size(); ++k) CHECK(max_rel_diff(s1[k], s2[k]) == 0.0);
  std::filesystem::remove_all(dir);
}

namespace {
/// WuBoada at 1/8 width in eval mode (convolutions, GEMMs and batch norm, and no top-k, whose
/// kept set could flip on a near-tie and turn a small difference into a jump): the relative
/// difference of the GPU's output from the CPU's in each math mode asked for, in that order.
std::vector<double> wu_boada_mode_differences(std::initializer_list<cuda::MathMode> modes) {
  test::MathModeScope exact_after(cuda::MathMode::exact);
  const auto x = wave<float>(Shape{4, 3, 64, 64}, 0.0137, 0.4, 0.5, 0.2);
  manual_seed(12);
  models::WuBoada<float, Cpu, 2, 8> cpu;
  models::WuBoada<float, Cuda, 2, 8> gpu;
  copy_state(cpu, gpu);
  cpu.eval();
  gpu.eval();
  const auto ref = cpu.forward(x);
  const auto xd = cuda::to_device(x);
  std::vector<double> d;
  for (const auto m : modes) {
    cuda::set_math_mode(m);
    d.push_back(max_rel_diff(ref, cuda::to_host(gpu.forward(xd))));
  }
  return d;
}
}  // namespace

TEST_CASE("cuda: the TF32 fast mode stays within its documented tolerance, exact mode comes back") {
  GALNET_REQUIRE_GPU();
  const auto d = wu_boada_mode_differences({cuda::MathMode::tf32, cuda::MathMode::exact});
  const double tf32 = d[0], exact = d[1];
  MESSAGE("WuBoada/8 eval forward vs CPU: TF32 ", tf32, ", exact ", exact);
  CHECK(tf32 < 2e-2);  // docs/cuda.md: TF32 mode within 2e-2 of float32 at a model's output
  CHECK(exact < 1e-4);
  CHECK(tf32 > exact);  // TF32 really engaged (sm_80 and later round to 10-bit mantissas)
}

TEST_CASE("cuda: the bf16 mixed-precision mode stays within its documented tolerance") {
  GALNET_REQUIRE_GPU();
  // WuBoada/8's eval forward, as the TF32 case: bfloat16 keeps 8 mantissa bits to TF32's 11.
  const double d = wu_boada_mode_differences({cuda::MathMode::bf16})[0];
  MESSAGE("WuBoada/8 eval forward vs CPU, bf16: ", d);
  CHECK(d < 5e-2);  // docs/cuda.md: bf16 mode within 5e-2 of float32 at a model's output
  CHECK(d > 1e-4);  // bfloat16 really engaged
  test::MathModeScope bf16(cuda::MathMode::bf16);
  // A SpinCNN training step: losses, outputs, gradients and weights after Adam within 5e-2.
  const double worst = spin_cnn_adam_parity(5e-2);
  MESSAGE("SpinCNN, 2 steps, bf16: worst relative difference ", worst);
  CHECK(worst < 5e-2);
}

TEST_CASE("cuda: every optimizer skips a body frozen before it was built, and trains it once unfrozen") {
  GALNET_REQUIRE_GPU();
  using Net = nn::Sequential<nn::Linear<3, 4>, nn::ReLU, nn::Linear<4, 2>>;
  auto check = [](const char* which, auto make) {
    INFO(which);
    nn::layer_t<Net, float, Cuda> model;
    auto& body = model.template get<0>();
    nn::freeze(body);
    auto params = nn::parameters(model);
    REQUIRE(params.size() == 4);
    auto opt = make(params);
    auto host = [](auto& layer) {
      std::vector<float> w;
      for (auto* p : nn::parameters(layer)) {
        const auto t = cuda::to_host(p->value).to_vector();
        w.insert(w.end(), t.begin(), t.end());
      }
      return w;
    };
    auto step = [&](int t) {
      for (auto* p : params) p->grad.copy_from(cuda::to_device(wave<float>(p->grad.shape(), 0.3 * t, 0.1)));
      opt.step();
    };
    const auto body0 = host(body), head0 = host(model.template get<2>());
    for (int t = 1; t <= 3; ++t) step(t);
    CHECK(host(body) == body0);
    CHECK(host(model.template get<2>()) != head0);
    nn::unfreeze(body);
    step(4);
    CHECK(host(body) != body0);
  };
  check("SGD", [](auto p) { return optim::SGD<float, Cuda>(p, {.lr = 0.1, .momentum = 0.9}); });
  check("Adam", [](auto p) { return optim::Adam<float, Cuda>(p, {.lr = 1e-2}); });
  check("AdamW", [](auto p) { return optim::AdamW<float, Cuda>(p, {.lr = 1e-2, .weight_decay = 0.01}); });
  check("RAdam", [](auto p) { return optim::RAdam<float, Cuda>(p, {.lr = 1e-2}); });
  check("ranger", [](auto p) { return optim::ranger(p, {.lr = 1e-2, .k = 2}); });
}
