// GPU benchmarks, timed with CUDA events (manual time: the span between two events on galnet's
// stream, so host overhead between launches counts only as far as it delays the GPU): GEMM, the
// models' convolution shapes (forward, data and weight gradients), batch norm, ReLU and SELU,
// pooling, dropout, the loss, the fused optimizer updates over a whole model, top-k, a batch's
// host → device copy (pinned and pageable), a train step and inference pass of each CNN at
// the papers' batch sizes, and the fused line-EW kernel (all ten lines, bf16 tensor cores). Float32 exact mode (no
// TF32) unless a case's `mode` argument says 1 (TF32) or 2 (bf16 mixed precision, as PyTorch's
// autocast). Without a GPU every case reports "no CUDA device" and skips.
//   build/bin/bench_cuda --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <chrono>

#include <galnet/cuda.cuh>
#include <galnet/data/loader.hpp>
#include <galnet/models.hpp>
#include <galnet/models/line_ew_cuda.cuh>
#include <galnet/nn/loss.hpp>
#include <galnet/optim.hpp>

#include "conv_shapes.hpp"

using namespace galnet;

namespace {
bool have_gpu(benchmark::State& state) {
  if (cuda::device_count() > 0) return true;
  state.SkipWithError("no CUDA device visible");
  for (auto _ : state) {
  }
  return false;
}

/// Sets the math mode named by argument `index` (0 exact, 1 tf32, 2 bf16) for the case's scope.
struct ModeArg {
  ModeArg(benchmark::State& state, int index) {
    const auto m = state.range(index);
    cuda::set_math_mode(m == 2 ? cuda::MathMode::bf16 : m == 1 ? cuda::MathMode::tf32 : cuda::MathMode::exact);
    state.SetLabel(m == 2 ? "bf16" : m == 1 ? "tf32" : "exact");
  }
  ModeArg(const ModeArg&) = delete;
  ModeArg& operator=(const ModeArg&) = delete;
  ~ModeArg() { cuda::set_math_mode(cuda::MathMode::exact); }
};

/// Runs `step` once to warm up (cuDNN algorithm choice, allocator), then times each iteration
/// between two CUDA events.
template <class Step>
void timed(benchmark::State& state, Step&& step) {
  step();
  cuda::synchronize();
  cuda::Event start, stop;
  for (auto _ : state) {
    start.record(cuda::stream());
    step();
    stop.record(cuda::stream());
    stop.synchronize();
    state.SetIterationTime(stop.since(start) / 1000.0);
  }
}

Tensor<float, Cuda> device_tensor(const Shape& s, float scale) {
  Tensor<float> h(s);
  Generator g(5);
  for (std::int64_t i = 0; i < h.numel(); ++i) h[i] = static_cast<float>(scale * (g.uniform() - 0.5));
  return cuda::to_device(h);
}

void gflops(benchmark::State& state, double flop_per_iteration) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flop_per_iteration * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate,
                         benchmark::Counter::kIs1000);
}

void BM_CudaGemm(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const std::int64_t n = state.range(0);
  const ModeArg mode(state, 1);
  auto a = device_tensor(Shape{n, n}, 1), b = device_tensor(Shape{n, n}, 1), c = device_tensor(Shape{n, n}, 0);
  timed(state, [&] { ops::Gemm<Cuda>::run<float>(false, false, n, n, n, 1.f, a.data(), b.data(), 0.f, c.data()); });
  gflops(state, 2.0 * n * n * n);
}

template <int Which>  // 0 forward, 1 data gradient, 2 weight gradient
void BM_CudaConv(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const auto r = [&](int i) { return state.range(i); };
  const std::int64_t n = r(0), c = r(1), o = r(2), hw = r(3), k = r(4), s = r(5), p = r(6);
  const std::int64_t out = (hw + 2 * p - k) / s + 1;
  ops::Conv2dGeometry g{n, c, hw, hw, o, k, k, s, p, out, out};
  auto x = device_tensor(Shape{n, c, hw, hw}, 1), w = device_tensor(Shape{o, c, k, k}, 0.1f);
  auto y = device_tensor(Shape{n, o, out, out}, 1), dx = device_tensor(x.shape(), 0), dw = device_tensor(w.shape(), 0);
  ops::Conv2dOp<float, Cuda> conv;
  timed(state, [&] {
    if constexpr (Which == 0) conv.forward(g, x.data(), w.data(), nullptr, y.data());
    if constexpr (Which == 1) conv.backward_data(g, y.data(), w.data(), dx.data());
    if constexpr (Which == 2) conv.backward_weight(g, x.data(), y.data(), dw.data(), nullptr);
  });
  gflops(state, 2.0 * n * o * out * out * c * k * k);
}


void BM_CudaBatchNorm2d(benchmark::State& state) {
  if (!have_gpu(state)) return;
  nn::layer_t<nn::BatchNorm2d<64>, float, Cuda> bn;
  auto x = device_tensor(Shape{64, 64, 36, 36}, 1), dy = device_tensor(x.shape(), 1);
  bn.train();
  timed(state, [&] {
    bn.forward(x);
    bn.backward(dy);
  });
  state.SetBytesProcessed(state.iterations() * x.numel() * 4 * 5);  // read x twice, dy twice, write y, dx
}

/// A layer's forward and backward on `in` (training mode); bytes = the tensors each pass
/// reads and writes, `passes_bytes` × the input's size.
template <class Spec>
void layer_pass(benchmark::State& state, const Shape& in, double passes_bytes) {
  if (!have_gpu(state)) return;
  nn::layer_t<Spec, float, Cuda> layer;
  auto x = device_tensor(in, 1), dy = device_tensor(layer.output_shape(in), 1);
  layer.train();
  timed(state, [&] {
    layer.forward(x);
    layer.backward(dy);
  });
  state.SetBytesProcessed(static_cast<std::int64_t>(passes_bytes * static_cast<double>(state.iterations() * x.numel() * 4)));
}
// SFNet's layer-1 activations (B = 64 at 144 px: 64 × 64 × 36 × 36); forward reads x and writes
// y, backward reads x (or y) and dy and writes dx.
void BM_CudaReLU(benchmark::State& state) { layer_pass<nn::ReLU>(state, Shape{64, 64, 36, 36}, 5); }
void BM_CudaSELU(benchmark::State& state) { layer_pass<nn::SELU>(state, Shape{64, 64, 36, 36}, 5); }
// The ResNet stem's pool on SFNet's batch; the output is a quarter of the input.
void BM_CudaMaxPool3x3s2(benchmark::State& state) {
  layer_pass<nn::MaxPool2d<3, 2, 1>>(state, Shape{64, 64, 72, 72}, 1 + 0.25 * 3 + 1);
}
// fastai's head pool on Wu & Boada's batch (B = 128, ResNet-34's 4 × 4 × 512 map).
void BM_CudaConcatPool(benchmark::State& state) {
  layer_pass<nn::AdaptiveConcatPool2d<1>>(state, Shape{128, 512, 4, 4}, 2);
}
// SpinCNN's first dropout (after its 6 × 6 stem: 64 × 75 × 75 per galaxy) at B = 32, and
// fastai's head at B = 128.
void BM_CudaDropout(benchmark::State& state) {
  layer_pass<nn::Dropout<0.5>>(state, Shape{state.range(0), state.range(1)}, 6);
}

void BM_CudaRMSELoss(benchmark::State& state) {
  if (!have_gpu(state)) return;
  nn::RMSELoss<float, Cuda> loss;
  auto pred = device_tensor(Shape{state.range(0), 4}, 1), target = device_tensor(pred.shape(), 1);
  // forward computes the value and the gradient; the value returns to the host, which is the
  // training step's one synchronisation.
  timed(state, [&] { benchmark::DoNotOptimize(loss.forward(pred, target)); });
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

/// One optimizer step over every parameter of SFNet (11.2 M); argument 0 picks the update:
/// 0 SGD with momentum, 1 Adam, 2 ranger (RAdam inside Lookahead, k = 6).
void BM_CudaOptimizerStep(benchmark::State& state) {
  if (!have_gpu(state)) return;
  models::SFNet<float, Cuda> model(4);
  auto params = nn::parameters(model);
  std::int64_t n = 0;
  for (auto* p : params) {
    p->grad.copy_from(device_tensor(p->grad.shape(), 1e-3f));
    n += p->value.numel();
  }
  const auto run = [&](auto& opt, const char* label, double streams) {
    state.SetLabel(label);
    timed(state, [&] { opt.step(); });
    state.SetItemsProcessed(state.iterations() * n);  // parameters updated per second
    state.SetBytesProcessed(static_cast<std::int64_t>(streams * 4 * static_cast<double>(n * state.iterations())));
  };
  // Float32 streams per parameter: read p, g (+ state), write p (+ state).
  if (state.range(0) == 0) {
    optim::SGD<float, Cuda> opt(params, {.lr = 0.1, .momentum = 0.9});
    run(opt, "SGD momentum", 5);
  } else if (state.range(0) == 1) {
    optim::Adam<float, Cuda> opt(params, {.lr = 1e-3});
    run(opt, "Adam", 7);
  } else {
    auto opt = optim::ranger(params, {.lr = 0.02});
    run(opt, "ranger", 7);
  }
}

/// SFNet's input batch (64 × 3 × 144 × 144, 16 MB) handed to the GPU as fit() does: from a
/// pin_memory loader's page-locked batch (argument 1) or from ordinary memory through the
/// staging buffer (0, which adds the host memcpy).
void BM_CudaBatchUpload(benchmark::State& state) {
  if (!have_gpu(state)) return;
  Tensor<float> host(Shape{64, 3, 144, 144}, 0.5f);
  if (state.range(0) == 1) host.use_host_memory(pinned_host_memory());
  host.fill(0.5f);
  state.SetLabel(state.range(0) == 1 ? "pinned" : "pageable");
  train::BatchUpload<Cuda> upload;
  // Wall-clock time with the copy finished: the host memcpy of the staged path counts too.
  upload(host);
  cuda::synchronize();
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    upload(host);
    cuda::synchronize();
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  state.SetBytesProcessed(state.iterations() * host.numel() * 4);
}

/// All ten line-EW MLPs over n galaxies in one launch (ops/cuda/line_ew.cuh); items are line
/// predictions (n × 10), the target ≥ 3e9 per second. n = 1 is one galaxy's latency.
void BM_CudaLineEW(benchmark::State& state) {
  if (!have_gpu(state)) return;
  models::LineEWNet<float> net;  // the initialiser's weights: the cost does not depend on them
  models::LineEWCuda<true> gpu(net);
  const auto x = device_tensor(Shape{state.range(0), 12}, 4);
  timed(state, [&] { gpu.forward(x); });
  state.SetItemsProcessed(state.iterations() * state.range(0) * 10);
  gflops(state, 2.0 * 17'216 * 10 * static_cast<double>(state.range(0)));  // MACs per line: 12·64 + 64·128 + 128·64 + 64
}

void BM_CudaTopK(benchmark::State& state) {
  if (!have_gpu(state)) return;
  nn::layer_t<nn::TopK<4>, float, Cuda> topk;
  auto x = device_tensor(Shape{state.range(0), 512}, 1);
  timed(state, [&] { topk.forward(x); });
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

template <class Model, class Opt>
void train_step(benchmark::State& state, Model& model, Opt& opt, const Shape& in, int outputs, double gflop) {
  auto x = device_tensor(in, 1), y = device_tensor(Shape{in[0], outputs}, 1);
  nn::RMSELoss<float, Cuda> loss;
  model.train();
  timed(state, [&] {
    opt.zero_grad();
    loss.forward(model.forward(x), y);
    model.backward(loss.backward());
    opt.step();
  });
  state.SetItemsProcessed(state.iterations() * in[0]);
  gflops(state, 3 * gflop * 1e9 * static_cast<double>(in[0]));
}

template <class Model>
void inference(benchmark::State& state, Model& model, const Shape& in, double gflop) {
  auto x = device_tensor(in, 1);
  model.eval();
  timed(state, [&] { model.forward(x); });
  state.SetItemsProcessed(state.iterations() * in[0]);
  gflops(state, gflop * 1e9 * static_cast<double>(in[0]));
}

// Forward cost per sample (MODELS.md, 1 MAC = 2 FLOP); SFNet at its 144-px crop.
constexpr double kSpinGflop = 1.87, kSfnetGflop = 1.58, kWuBoadaGflop = 2.39;

void BM_CudaSpinCNN_TrainStep(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const ModeArg mode(state, 0);
  models::SpinCNN<float, Cuda> model;
  optim::Adam<float, Cuda> opt(nn::parameters(model), {.lr = 1e-3});
  train_step(state, model, opt, Shape{32, 3, 80, 80}, 1, kSpinGflop);
}
void BM_CudaSFNet_TrainStep(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const ModeArg mode(state, 0);
  models::SFNet<float, Cuda> model(4);
  auto opt = optim::ranger(nn::parameters(model), {.lr = 0.02});
  train_step(state, model, opt, Shape{64, 3, 144, 144}, 1, kSfnetGflop);
}
void BM_CudaWuBoada_TrainStep(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const ModeArg mode(state, 0);
  models::WuBoada<float, Cuda> model;
  optim::SGD<float, Cuda> opt(nn::parameters(model), {.lr = 0.1, .momentum = 0.9});
  train_step(state, model, opt, Shape{128, 3, 128, 128}, 1, kWuBoadaGflop);
}
void BM_CudaSFNet_Inference(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const ModeArg mode(state, 0);
  models::SFNet<float, Cuda> model(4);
  inference(state, model, Shape{64, 3, 144, 144}, kSfnetGflop);
}
void BM_CudaWuBoada_Inference(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const ModeArg mode(state, 0);
  models::WuBoada<float, Cuda> model;
  inference(state, model, Shape{128, 3, 128, 128}, kWuBoadaGflop);
}
void BM_CudaSpinCNN_Inference(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const ModeArg mode(state, 0);
  models::SpinCNN<float, Cuda> model;
  inference(state, model, Shape{32, 3, 80, 80}, kSpinGflop);
}
}  // namespace

BENCHMARK(BM_CudaGemm)->ArgNames({"n", "mode"})->ArgsProduct({{1024, 4096}, {0, 1, 2}})->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaConv<0>)->Name("BM_CudaConv_Forward")->Apply(conv_shapes)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaConv<1>)->Name("BM_CudaConv_BackwardData")->Apply(conv_shapes)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaConv<2>)->Name("BM_CudaConv_BackwardWeight")->Apply(conv_shapes)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaBatchNorm2d)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaReLU)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaSELU)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaMaxPool3x3s2)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaConcatPool)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaDropout)->ArgNames({"n", "features"})->Args({32, 64 * 75 * 75})->Args({128, 1024})->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaRMSELoss)->Arg(64)->Arg(4096)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaOptimizerStep)->ArgName("update")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaBatchUpload)->ArgName("pinned")->DenseRange(0, 1)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaLineEW)->ArgName("n")->Arg(1)->Arg(4096)->Arg(1 << 20)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaTopK)->Arg(64)->Arg(4096)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaSpinCNN_TrainStep)->ArgName("mode")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaSFNet_TrainStep)->ArgName("mode")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaWuBoada_TrainStep)->ArgName("mode")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaSpinCNN_Inference)->ArgName("mode")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaWuBoada_Inference)->ArgName("mode")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaSFNet_Inference)->ArgName("mode")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
