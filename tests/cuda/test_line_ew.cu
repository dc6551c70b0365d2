// The fused line-EW kernel (ops/cuda/line_ew.cuh, models/line_ew_cuda.cuh) on the published
// weights: the packing and the kernel's arithmetic are checked on the host (so also without a
// GPU) against the float32 network; on a GPU the kernel must reproduce that arithmetic.
#include <galnet/io/state_dict.hpp>
#include <galnet/models/line_ew_cuda.cuh>
#include <galnet/models/line_ew_predictor.hpp>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda_test.hpp"

using namespace galnet;

namespace {
/// The published network (with or without luminosity) in float32, eval mode.
template <bool Lum>
void load_published(models::LineEWNet<float, Cpu, Lum>& net) {
  io::load_state_dict(net, io::SafetensorsFile::read(models::find_line_ew_weights(Lum)));
  net.eval();
}
/// n rows of features spread over ±2.5 of line 0's scalers: the range of a survey's galaxies.
template <bool Lum>
Tensor<float> features(models::LineEWNet<float, Cpu, Lum>& net, std::int64_t n) {
  constexpr int in = models::LineEWNet<float, Cpu, Lum>::inputs;
  Tensor<float> x(Shape{n, in});
  for (std::int64_t i = 0; i < n; ++i)
    for (int j = 0; j < in; ++j)
      x[i * in + j] = net.input_mean(0, j) +
                      2.5f * net.input_scale(0, j) * static_cast<float>(std::sin(0.37 * static_cast<double>(i * in + j) + 0.1));
  return x;
}
/// Every line's kernel arithmetic on the host for the rows of x: [n, 10].
std::vector<float> reference(const ops::LineEWPack& pack, const Tensor<float>& x) {
  const std::int64_t n = x.dim(0), in = x.dim(1);
  std::vector<float> y(static_cast<std::size_t>(n * 10));
  for (std::int64_t i = 0; i < n; ++i)
    for (int l = 0; l < 10; ++l) y[static_cast<std::size_t>(i * 10 + l)] = ops::line_ew_reference(pack, l, &x[i * in]);
  return y;
}
/// Largest |a − b| over the largest |b|.
double rel_to_max(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    d = std::max(d, std::abs(static_cast<double>(a[k]) - b[k]));
    m = std::max(m, std::abs(static_cast<double>(b[k])));
  }
  return d / m;
}
// bfloat16 operands (2⁻⁹ relative each) through three layers: the documented tolerance against
// the float32 network, relative to the largest output.
constexpr double kBf16Tolerance = 2e-2;
}  // namespace

TEST_CASE("cuda host: line-EW packing puts each weight, bias and scaler where the kernel reads it") {
  models::LineEWNet<float> net;
  load_published(net);
  const auto pack = models::LineEWCuda<true>::pack(net);
  namespace k = ops::line_ew_cuda;
  REQUIRE(pack.lines == 10);
  REQUIRE(pack.inputs == 12);
  REQUIRE(pack.bytes.size() == 10u * k::kLineBytes);
  for (int l : {0, 9}) {
    const auto layers = net.line(l).dense();
    const auto* w = reinterpret_cast<const __nv_bfloat16*>(pack.bytes.data() + static_cast<std::size_t>(l) * k::kLineBytes);
    const auto* f = reinterpret_cast<const float*>(pack.bytes.data() + static_cast<std::size_t>(l) * k::kLineBytes + k::kWeights * 2);
    CHECK(__bfloat162float(w[k::kW1 + 5 * k::kLd1 + 7]) == k::bf16_round(layers[0].w[5 * 12 + 7]));
    CHECK(__bfloat162float(w[k::kW1 + 5 * k::kLd1 + 12]) == 0.f);  // the input padding
    CHECK(__bfloat162float(w[k::kW2 + 100 * k::kLd2 + 63]) == k::bf16_round(layers[1].w[100 * 64 + 63]));
    CHECK(__bfloat162float(w[k::kW3 + 63 * k::kLd3 + 127]) == k::bf16_round(layers[2].w[63 * 128 + 127]));
    CHECK(f[k::kB2 + 127] == layers[1].b[127]);
    CHECK(f[k::kW4 + 63] == layers[3].w[63]);
    CHECK(f[k::kB4] == layers[3].b[0]);
    CHECK(f[k::kMean + 11] == net.input_mean(l, 11));
    CHECK(f[k::kInvScale + 3] == 1.f / net.input_scale(l, 3));
  }
}

TEST_CASE_TEMPLATE("cuda host: the kernel's bfloat16 arithmetic stays within its tolerance of the float32 network",
                   Lum, std::true_type, std::false_type) {
  models::LineEWNet<float, Cpu, Lum::value> net;
  load_published(net);
  const auto pack = models::LineEWCuda<Lum::value>::pack(net);
  const auto x = features(net, 500);
  const double err = rel_to_max(reference(pack, x), net.forward(x).to_vector());
  MESSAGE("bf16 kernel arithmetic vs float32 network (" << std::string(Lum::value ? "with" : "without")
                                                         << " luminosity): " << err << " of the largest |arcsinh(EW)|");
  CHECK(err < kBf16Tolerance);
  CHECK(err > 0);  // the reference really rounds to bfloat16
}

TEST_CASE_TEMPLATE("cuda: the fused line-EW kernel reproduces its host reference and the float32 network", Lum,
                   std::true_type, std::false_type) {
  GALNET_REQUIRE_GPU();
  models::LineEWNet<float, Cpu, Lum::value> net;
  load_published(net);
  models::LineEWCuda<Lum::value> gpu(net);
  const auto pack = models::LineEWCuda<Lum::value>::pack(net);
  for (std::int64_t n : {1, 15, 16, 129, 3001}) {  // a galaxy, part and whole warp tiles, many blocks
    CAPTURE(n);
    const auto x = features(net, n);
    const auto yd = cuda::to_host(gpu.forward(cuda::to_device(x)));
    REQUIRE(yd.shape() == Shape{n, 10});
    // Same operands; float32 sums in another order and __expf may move an intermediate across a
    // bfloat16 rounding boundary: a few bfloat16 ulps at most.
    CHECK(rel_to_max(yd.to_vector(), reference(pack, x)) < 4e-3);
    CHECK(rel_to_max(yd.to_vector(), net.forward(x).to_vector()) < kBf16Tolerance);
  }
}

TEST_CASE_TEMPLATE("cuda: predict_on_cuda gives LineEW::predict's statuses and its EWs to the kernel's precision", Lum,
                   std::true_type, std::false_type) {
  GALNET_REQUIRE_GPU();
  const models::LineEW model(models::find_line_ew_weights(Lum::value));
  // 3001 rows around a typical galaxy's continuum, every 97th with a negative flux and every
  // 89th with z = 0 (flagged alike by both paths); tiles of 1000 rows cut them anywhere.
  const std::size_t n = 3001;
  std::vector<double> f(n * 12), z(n), cpu(n * 10), gpu(n * 10);
  for (std::size_t i = 0; i < n; ++i) {
    for (int j = 0; j < 12; ++j) f[i * 12 + j] = 5.0 * (1.0 + 0.3 * std::sin(0.7 * static_cast<double>(i) + j));
    z[i] = 0.05 + 0.2 * (0.5 + 0.5 * std::cos(0.3 * static_cast<double>(i)));
    if (i % 97 == 3) f[i * 12 + 4] = -1.0;
    if (i % 89 == 5) z[i] = 0.0;
  }
  std::vector<models::LineEW::RowStatus> st_cpu(n), st_gpu(n);
  const std::size_t bad_cpu = model.predict(f, z, cpu, st_cpu);
  const std::size_t bad_gpu = models::predict_on_cuda(model, f, z, gpu, st_gpu, 1000);
  CHECK(bad_gpu == bad_cpu);
  CHECK(bad_cpu > 50);
  CHECK(st_gpu == st_cpu);
  // arcsinh(EW) is what the network outputs: compare there, relative to the largest.
  std::vector<float> y_cpu, y_gpu;
  for (std::size_t k = 0; k < n * 10; ++k)
    if (st_cpu[k / 10] == models::LineEW::RowStatus::ok) {
      y_cpu.push_back(static_cast<float>(std::asinh(cpu[k])));
      y_gpu.push_back(static_cast<float>(std::asinh(gpu[k])));
    } else {
      CHECK(std::isnan(gpu[k]));
    }
  const double err = rel_to_max(y_gpu, y_cpu);
  MESSAGE("predict_on_cuda vs predict: " << err << " of the largest |arcsinh(EW)|");
  CHECK(err < kBf16Tolerance);
}

TEST_CASE("cuda: LineEWCuda refuses features of the wrong width, naming the shape") {
  GALNET_REQUIRE_GPU();
  models::LineEWNet<float> net;
  load_published(net);
  models::LineEWCuda<true> gpu(net);
  const Tensor<float, Cuda> x(Shape{4, 11});
  CHECK_THROWS_WITH_AS(gpu.forward(x), doctest::Contains("expected features [N, 12], got [4, 11]"), Error);
}
