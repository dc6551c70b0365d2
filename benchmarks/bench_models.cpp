// Whole-model train steps and inference passes at the papers' batch sizes (CPU, float32).
// Train step = zero_grad + forward + loss + backward + optimizer step, as in training.
// items_per_second is samples/s; FLOP/s counts 2 FLOP per multiply-add of the forward and
// twice that for the backward (the usual 3× forward for a train step).
#include <benchmark/benchmark.h>

#include <galnet/galnet.hpp>
#include <galnet/models.hpp>
#include <galnet/optim.hpp>

using namespace galnet;

namespace {
template <class Model>
void fill_input(Tensor<float>& x) {
  Generator g(3);
  for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(g.uniform());
}

/// Untimed calls before the timed ones, as compare_pytorch.py gives its frameworks: the first
/// call touches every buffer for the first time (page faults: a quarter of a Wu & Boada train
/// step), and at 1–10 s a call Google Benchmark would otherwise time that very call.
constexpr int kWarmup = 2;

template <class Model, class Opt>
void train_step(benchmark::State& state, Model& model, Opt& opt, const Shape& in, int outputs,
                double forward_gflop_per_sample) {
  Tensor<float> x(in), y(Shape{in[0], outputs}, 0.5f);
  fill_input<Model>(x);
  nn::RMSELoss<float> loss;
  model.train();
  auto step = [&] {
    opt.zero_grad();
    loss.forward(model.forward(x), y);
    model.backward(loss.backward());
    opt.step();
  };
  for (int i = 0; i < kWarmup; ++i) step();
  for (auto _ : state) step();
  state.SetItemsProcessed(state.iterations() * in[0]);
  state.counters["GFLOP/s"] = benchmark::Counter(3 * forward_gflop_per_sample * 1e9 * in[0] * state.iterations(),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

template <class Model>
void inference(benchmark::State& state, Model& model, const Shape& in, double forward_gflop_per_sample) {
  Tensor<float> x(in);
  fill_input<Model>(x);
  model.eval();
  for (int i = 0; i < kWarmup; ++i) model.forward(x);
  for (auto _ : state) benchmark::DoNotOptimize(model.forward(x).data());
  state.SetItemsProcessed(state.iterations() * in[0]);
  state.counters["GFLOP/s"] = benchmark::Counter(forward_gflop_per_sample * 1e9 * in[0] * state.iterations(),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

/// Second argument of the ResNet cases: 1 = Winograd for the 3×3 stride-1 convolutions (the
/// default), 0 = im2col + GEMM everywhere (the A/B of docs/performance.md).
struct WinogradScope {
  explicit WinogradScope(bool on) { ops::set_winograd(on); }
  ~WinogradScope() { ops::set_winograd(true); }
};
/// Second argument of the SpinCNN cases: 1 = the opt-in F(2×2, 5×5) for its 5×5 layer
/// (ops::set_winograd_5x5), 0 = the default (F(2, 5) along rows, forward and data gradient).
struct Winograd5x5Scope {
  explicit Winograd5x5Scope(bool on) { ops::set_winograd_5x5(on); }
  ~Winograd5x5Scope() { ops::set_winograd_5x5(false); }
};

// Forward cost per sample (MODELS.md, 1 MAC = 2 FLOP); SFNet at its 144-px crop.
constexpr double kSpinGflop = 1.87, kSfnetGflop = 1.58,
                 kWuBoadaGflop = 2.39;

void BM_SpinCNN_TrainStep(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const Winograd5x5Scope winograd(state.range(1) != 0);
  models::SpinCNN<float> model;
  optim::Adam<float> opt(nn::parameters(model), {.lr = 1e-3});
  train_step(state, model, opt, Shape{32, 3, 80, 80}, 1, kSpinGflop);
}
void BM_SFNet_TrainStep(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const WinogradScope winograd(state.range(1) != 0);
  models::SFNet<float> model(4);
  auto opt = optim::ranger(nn::parameters(model), {.lr = 0.1});
  train_step(state, model, opt, Shape{64, 3, 144, 144}, 1, kSfnetGflop);
}
void BM_WuBoada_TrainStep(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const WinogradScope winograd(state.range(1) != 0);
  models::WuBoada<float> model;
  optim::SGD<float> opt(nn::parameters(model), {.lr = 0.1, .momentum = 0.9});
  train_step(state, model, opt, Shape{128, 3, 128, 128}, 1, kWuBoadaGflop);
}
void BM_SpinCNN_Inference(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const Winograd5x5Scope winograd(state.range(1) != 0);
  models::SpinCNN<float> model;
  inference(state, model, Shape{32, 3, 80, 80}, kSpinGflop);
}
void BM_SFNet_Inference(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const WinogradScope winograd(state.range(1) != 0);
  models::SFNet<float> model(4);
  inference(state, model, Shape{64, 3, 144, 144}, kSfnetGflop);
}
void BM_WuBoada_Inference(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const WinogradScope winograd(state.range(1) != 0);
  models::WuBoada<float> model;
  inference(state, model, Shape{128, 3, 128, 128}, kWuBoadaGflop);
}
// One line prediction: Linear(12→64), (64→128), (128→64), (64→1) = 17,216 MACs.
constexpr double kLineFlop = 2.0 * (12 * 64 + 64 * 128 + 128 * 64 + 64);

void BM_LineEW_TenLines(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  models::LineEWNet<float> net;
  const std::int64_t batch = state.range(1);
  Tensor<float> x(Shape{batch, 12});
  fill_input<decltype(net)>(x);
  net.eval();  // the fused path (ops::SeluMlp) where the build has AVX-512 or AVX2
  for (auto _ : state) benchmark::DoNotOptimize(net.forward(x).data());
  state.SetItemsProcessed(state.iterations() * batch * 10);  // line predictions
  state.counters["GFLOP/s"] = benchmark::Counter(kLineFlop * 10 * static_cast<double>(batch * state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

// The float32 FMA peak of this machine in the same run, for the peak fractions quoted in
// docs/performance.md: independent chains of vector FMAs per thread, one thread per core, as
// many as the registers hold (GCC vector extensions: 16 chains of zmm under AVX-512; 12 of ymm
// under AVX2, whose 16 registers 16 chains of 64-byte vectors overflowed into memory).
#if defined(__AVX512F__)
constexpr int kPeakBytes = 64, kPeakChains = 16;
#else
constexpr int kPeakBytes = 32, kPeakChains = 12;
#endif
constexpr int kPeakLanes = kPeakBytes / 4;
using vfloat = float __attribute__((vector_size(kPeakBytes)));
float fma_chains(long iterations, float start) {
  vfloat a[kPeakChains];
  for (int i = 0; i < kPeakChains; ++i) a[i] = vfloat{} + (start + static_cast<float>(i) * 1e-7f);
  const vfloat m = vfloat{} + 0.9999999f, c = vfloat{} + 1e-7f;
  for (long k = 0; k < iterations; ++k) {
#pragma GCC unroll 16
    for (int i = 0; i < kPeakChains; ++i) a[i] = a[i] * m + c;
  }
  float s = 0;
  for (int i = 0; i < kPeakChains; ++i)
    for (int j = 0; j < kPeakLanes; ++j) s += a[i][j];
  return s;
}
void BM_FmaPeak(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  constexpr long kIterations = 1'000'000;
  for (auto _ : state) {
    float start = 1.0f, sink = 0;
    benchmark::DoNotOptimize(start);  // an input the compiler cannot know: no hoisting, no folding
#if defined(_OPENMP)
#pragma omp parallel for num_threads(threads) reduction(+ : sink)
#endif
    for (int t = 0; t < threads; ++t) sink += fma_chains(kIterations, start);
    benchmark::DoNotOptimize(sink);
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kPeakChains * kPeakLanes * kIterations * threads *
                                                     static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
}  // namespace

BENCHMARK(BM_SpinCNN_TrainStep)->Args({2, 0})->Args({2, 1})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(5);
BENCHMARK(BM_SFNet_TrainStep)->Args({2, 1})->Args({2, 0})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(10);
BENCHMARK(BM_WuBoada_TrainStep)->Args({2, 1})->Args({2, 0})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(10);
BENCHMARK(BM_SpinCNN_Inference)->Args({2, 0})->Args({2, 1})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SFNet_Inference)->Args({2, 1})->Args({2, 0})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WuBoada_Inference)->Args({2, 1})->Args({2, 0})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LineEW_TenLines)->Args({1, 1})->Args({2, 1})->Args({1, 4096})->Args({2, 4096})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_FmaPeak)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
