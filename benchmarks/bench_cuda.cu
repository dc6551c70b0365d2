// GPU benchmarks, timed with CUDA events (manual time: the span between two events on galnet's
// stream, so host overhead between launches counts only as far as it delays the GPU): GEMM, the
// models' convolution shapes (forward, data and weight gradients), batch norm, top-k, and a
// train step and inference pass of each CNN at the papers' batch sizes. Float32 exact mode (no
// TF32) unless a case's `mode` argument says 1 (TF32) or 2 (bf16 mixed precision, as PyTorch's
// autocast). Without a GPU every case reports "no CUDA device" and skips.
//   build/bin/bench_cuda --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <galnet/cuda.cuh>
#include <galnet/models.hpp>
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
BENCHMARK(BM_CudaTopK)->Arg(64)->Arg(4096)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaSpinCNN_TrainStep)->ArgName("mode")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaSFNet_TrainStep)->ArgName("mode")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaWuBoada_TrainStep)->ArgName("mode")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaSpinCNN_Inference)->ArgName("mode")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaSFNet_Inference)->ArgName("mode")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
