// Kernels: GEMM, the convolution shapes of the models (forward, data and weight gradients) and
// the ResNet stem's max pooling.
#include <benchmark/benchmark.h>

#include <galnet/galnet.hpp>

#include "conv_shapes.hpp"

using namespace galnet;

namespace {
void BM_Gemm(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(1)));
  const std::int64_t n = state.range(0);
  Tensor<float> a(Shape{n, n}, 0.5f), b(Shape{n, n}, 0.25f), c(Shape{n, n});
  for (auto _ : state) {
    ops::gemm<float>(false, false, n, n, n, 1.f, a.data(), b.data(), 0.f, c.data());
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n * state.iterations(), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
}

/// Conv shape: batch, in channels, out channels, spatial size, kernel, stride, padding. The
/// GFLOP/s count direct convolution's multiplications, also for Winograd (which does fewer).
template <int Which, bool Winograd = true>  // 0 forward, 1 data gradient, 2 weight gradient
void BM_Conv(benchmark::State& state) {
  set_num_threads(2);
  ops::set_winograd(Winograd);
  const auto r = [&](int i) { return state.range(i); };
  const std::int64_t n = r(0), c = r(1), o = r(2), hw = r(3), k = r(4), s = r(5), p = r(6);
  const std::int64_t out = (hw + 2 * p - k) / s + 1;
  ops::Conv2dGeometry g{n, c, hw, hw, o, k, k, s, p, out, out};
  Tensor<float> x(Shape{n, c, hw, hw}, 0.1f), w(Shape{o, c, k, k}, 0.01f), y(Shape{n, o, out, out}, 0.2f);
  Tensor<float> dx(x.shape()), dw(w.shape(), 0.f), db(Shape{o}, 0.f);
  ops::Conv2dWorkspace<float> ws;
  for (auto _ : state) {
    if constexpr (Which == 0) ops::conv2d_forward(g, x.data(), w.data(), static_cast<const float*>(nullptr), y.data(), ws);
    if constexpr (Which == 1) ops::conv2d_backward_data(g, y.data(), w.data(), dx.data(), ws);
    if constexpr (Which == 2) ops::conv2d_backward_weight(g, x.data(), y.data(), dw.data(), db.data(), ws);
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * o * out * out * c * k * k * state.iterations(),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  ops::set_winograd(true);
}

/// The ResNet stem's 3×3/2 max pooling (padding 1) at the papers' batches: SFNet 64 × 64 × 72²;
/// with the arg-max (training) or without (inference: the separable path).
void BM_MaxPool2d(benchmark::State& state) {
  set_num_threads(2);
  const std::int64_t n = state.range(0), c = 64, hw = state.range(1), out = (hw + 2 - 3) / 2 + 1;
  ops::Pool2dGeometry g{n, c, hw, hw, out, out, 3, 2, 1, false};
  Tensor<float> x(Shape{n, c, hw, hw}), y(Shape{n, c, out, out});
  Generator gen(1);
  for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(gen.uniform());
  std::vector<std::int32_t> arg(static_cast<std::size_t>(y.numel()));
  for (auto _ : state) {
    ops::maxpool2d_forward(g, x.data(), y.data(), state.range(2) ? arg.data() : nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * (x.numel() + 2 * y.numel()) * 4);
}
}  // namespace

BENCHMARK(BM_Gemm)->Args({512, 1})->Args({512, 2})->Args({2048, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv<0>)->Name("BM_Conv_Forward")->Apply(conv_shapes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv<1>)->Name("BM_Conv_BackwardData")->Apply(conv_shapes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv<2>)->Name("BM_Conv_BackwardWeight")->Apply(conv_shapes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv<0, false>)->Name("BM_Conv_Forward_Im2col")->Apply(winograd_shapes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv<1, false>)->Name("BM_Conv_BackwardData_Im2col")->Apply(winograd_shapes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv<2, false>)->Name("BM_Conv_BackwardWeight_Im2col")->Apply(winograd_shapes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MaxPool2d)->ArgNames({"N", "HW", "argmax"})->Args({64, 72, 1})->Args({64, 72, 0})->Args({128, 64, 1})->Args({128, 64, 0})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
