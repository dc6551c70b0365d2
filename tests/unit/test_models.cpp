// The four architectures: exact parameter counts, PyTorch key names, summaries, clear errors on
// bad input, no allocation in a steady-state step, learning and bit-identical reruns.
#include <doctest/doctest.h>

#include "../support.hpp"

#include <algorithm>
#include <filesystem>
#include <galnet/galnet.hpp>
#include <galnet/models.hpp>
#include <galnet/optim.hpp>

using namespace galnet;
using galnet::test::error_of;

namespace {
template <class L>
std::vector<std::string> keys(L& model) {
  std::vector<std::string> k;
  for (auto& [name, t] : nn::named_state(model)) k.push_back(name);
  return k;
}
bool has(const std::vector<std::string>& v, const std::string& k) {
  return std::find(v.begin(), v.end(), k) != v.end();
}
}  // namespace

TEST_CASE("exact trainable parameter counts of the four published models") {
  models::SpinCNN<float> spin;
  CHECK(nn::count_parameters(spin) == 5'994'145);
  models::SFNet<float> sfnet1(4);
  CHECK(nn::count_parameters(sfnet1) == 11'177'025);
  models::SFNet<float, Cpu, 4> sfnet4(4);
  CHECK(nn::count_parameters(sfnet4) == 11'178'564);
  models::WuBoada<float> wb;
  CHECK(nn::count_parameters(wb) == 21'813'057);
  models::LineEWMLP<float, Cpu, 12> with_l;
  CHECK(nn::count_parameters(with_l) == 17'473);
  models::LineEWMLP<float, Cpu, 11> without_l;
  CHECK(nn::count_parameters(without_l) == 17'409);
  models::LineEWNet<float, Cpu, true> ten_lines;
  CHECK(nn::count_parameters(ten_lines) == 174'730);
}

TEST_CASE("a model whose output count is set at run time is the fixed-count model, weights and outputs") {
  // The programs build SFNet and WuBoada with nn::kRuntimeFeatures outputs (one compiled model
  // for every --target count): the same parameters, the same seeded weights, the same outputs.
  auto same = [](auto& fixed, auto& runtime, const Shape& in) {
    CHECK(nn::count_parameters(fixed) == nn::count_parameters(runtime));
    const auto a = nn::named_state(fixed), b = nn::named_state(runtime);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].first == b[i].first);
      REQUIRE(a[i].second->shape() == b[i].second->shape());
      CHECK(std::equal(a[i].second->data(), a[i].second->data() + a[i].second->numel(), b[i].second->data()));
    }
    fixed.train(false), runtime.train(false);
    Tensor<float> x(in);
    for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>((i * 37) % 101) / 101.0f;
    const auto& y1 = fixed.forward(x);
    const auto& y2 = runtime.forward(x);
    REQUIRE(y1.shape() == y2.shape());
    CHECK(std::equal(y1.data(), y1.data() + y1.numel(), y2.data()));
  };
  manual_seed(5);
  models::SFNet<float, Cpu, 4, 8> sf4(3);
  manual_seed(5);
  models::SFNet<float, Cpu, nn::kRuntimeFeatures, 8> sfr(3, 4);
  CHECK(sfr.fc().out_features() == 4);
  same(sf4, sfr, Shape{2, 3, 32, 32});
  manual_seed(6);
  models::WuBoada<float, Cpu, 2, 8> wb2;
  manual_seed(6);
  models::WuBoada<float, Cpu, nn::kRuntimeFeatures, 8> wbr(2);
  same(wb2, wbr, Shape{2, 3, 32, 32});

  CHECK(error_of([] { models::SFNet<float, Cpu, 4, 8> m(3, 2); }).find("built for 2 outputs") != std::string::npos);
  CHECK(error_of([] { models::SFNet<float, Cpu, nn::kRuntimeFeatures, 8> m(3, 0); })
            .find("set_out_features(0): the output count must be positive") != std::string::npos);
  CHECK(error_of([&] { sfr.fc().set_out_features(2); }).find("the output count is set already") != std::string::npos);
  nn::LinearLayer<float, Cpu, 5, nn::kRuntimeFeatures, true> unset;
  CHECK(error_of([&] { unset.forward(Tensor<float>(Shape{1, 5})); }).find("set_out_features was never called") !=
        std::string::npos);
}

TEST_CASE("state-dict keys are torchvision's and the papers' own") {
  models::SFNet<float, Cpu, 1, 8> sfnet(4);
  const auto k = keys(sfnet);
  for (const char* key : {"conv1.weight", "bn1.weight", "bn1.running_mean", "bn1.running_var",
                          "layer1.0.conv1.weight", "layer1.1.bn2.bias", "layer2.0.downsample.0.weight",
                          "layer2.0.downsample.1.running_var", "layer4.1.conv2.weight", "fc.weight", "fc.bias"})
    CHECK_MESSAGE(has(k, key), key);
  CHECK_FALSE(has(k, "layer1.0.downsample.0.weight"));
  CHECK(k.size() == 102);  // torchvision resnet18: 122 entries less 20 num_batches_tracked

  models::WuBoada<float, Cpu, 1, 8> wb;
  const auto kw = keys(wb);
  CHECK(has(kw, "layer3.5.conv2.weight"));
  CHECK(has(kw, "head.2.running_mean"));
  CHECK(has(kw, "head.8.bias"));

  models::LineEWNet<float, Cpu, true> lines;
  const auto kl = keys(lines);
  CHECK(has(kl, "HALPHA.layers.0.weight"));
  CHECK(has(kl, "SII_6731.luminosity_scaler.scale"));
}

TEST_CASE("freezing the body leaves only the head trainable") {
  models::WuBoada<float> wb;
  nn::freeze(wb.body());
  CHECK(nn::count_parameters(wb) == 528'385);
  CHECK(nn::count_parameters(wb, false) == 21'813'057);
  const auto s = nn::summary(wb, Shape{1, 3, 128, 128});
  CHECK(s.trainable_params() == 528'385);
  nn::unfreeze(wb.body());
  CHECK(nn::count_parameters(wb) == 21'813'057);
}

TEST_CASE("summary: Keras-like table with output shapes and the trainable count") {
  models::SpinCNN<float> spin;
  const auto s = nn::summary(spin, Shape{1, 3, 80, 80});
  const std::string table = s.str();
  CHECK(table.find("Trainable params: 5,994,145") != std::string::npos);
  CHECK(table.find("[192, 15, 15]") != std::string::npos);
  CHECK(table.find("[43200]") != std::string::npos);
  models::SFNet<float> sfnet(4);
  const std::string t2 = nn::summary(sfnet, Shape{1, 3, 144, 144}).str();
  CHECK(t2.find("[512, 5, 5]") != std::string::npos);
  CHECK(t2.find("TopK(k=4)") != std::string::npos);
  CHECK(t2.find("Trainable params: 11,177,025") != std::string::npos);
}

TEST_CASE("bad input sizes and channels raise errors naming the layer and both shapes") {
  models::SpinCNN<float> spin;
  Tensor<float> wrong_size(Shape{1, 3, 64, 64}, 0.f);
  const std::string e1 = error_of([&] { spin.forward(wrong_size); });
  CHECK(e1.find("Linear(43200, 128)") != std::string::npos);
  CHECK(e1.find("23232") != std::string::npos);  // 11·11·192 features from a 64-px image
  CHECK(e1.find("expected 43200") != std::string::npos);

  Tensor<float> wrong_channels(Shape{1, 1, 80, 80}, 0.f);
  const std::string e2 = error_of([&] { spin.forward(wrong_channels); });
  CHECK(e2.find("Conv2d(3, 64") != std::string::npos);
  CHECK(e2.find("1 channels") != std::string::npos);

  models::SFNet<float, Cpu, 1, 8> sfnet(100);
  Tensor<float> img(Shape{1, 3, 64, 64}, 0.f);
  CHECK(error_of([&] { sfnet.forward(img); }).find("k = 100") != std::string::npos);

  nn::layer_t<nn::Linear<4, 2>, float> lin;
  Tensor<float> x(Shape{2, 4}, 1.f);
  lin.forward(x);
  Tensor<float> bad_dy(Shape{2, 3}, 1.f);
  CHECK(error_of([&] { lin.backward(bad_dy); }).find("output gradient") != std::string::npos);

  nn::MSELoss<float> mse;
  Tensor<float> p(Shape{2, 1}, 0.f), t(Shape{2, 1}, 0.f);
  t[1] = std::numeric_limits<float>::quiet_NaN();
  CHECK(error_of([&] { mse.forward(p, t); }).find("target element 1 is not finite") != std::string::npos);
}

TEST_CASE("a wrong weight file names every bad key") {
  models::LineEWMLP<float, Cpu, 12> mlp;
  const auto path = std::filesystem::temp_directory_path() / "galnet_test_mlp11.safetensors";
  models::LineEWMLP<float, Cpu, 11> other;
  io::save_state_dict(other, path);
  const std::string e = error_of([&] { io::load_state_dict(mlp, path); });
  CHECK(e.find("layers.0.weight") != std::string::npos);
  CHECK(e.find("[64, 12]") != std::string::npos);
  CHECK(e.find("[64, 11]") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("the published line-EW weights load strictly and predict finite EWs") {
  const auto path = galnet::test::data_dir() / "line_ew/line_ew_with_luminosity.safetensors";
  REQUIRE_MESSAGE(std::filesystem::exists(path), path.string(), " is part of the repository");
  models::LineEWNet<float, Cpu, true> net;
  io::LoadOptions opt;
  opt.ignore = [](const std::string&) { return false; };
  io::load_state_dict(net, io::SafetensorsFile::read(path), opt);
  net.eval();
  Tensor<float> x(Shape{2, 12}, 0.f);
  for (int j = 0; j < 11; ++j) x[j] = x[12 + j] = 0.02f * static_cast<float>(j % 3);
  x[11] = x[23] = 9.5f;
  const auto& y = net.forward(x);
  CHECK(y.shape() == Shape{2, 10});
  for (std::int64_t i = 0; i < y.numel(); ++i) CHECK(std::isfinite(y[i]));
}

TEST_CASE("a steady-state training step allocates nothing") {
  set_num_threads(2);
  models::SFNet<float, Cpu, 1, 8> model(4);
  nn::RMSELoss<float> loss;
  optim::SGD<float> opt(nn::parameters(model), {.lr = 0.01, .momentum = 0.9});
  Tensor<float> x(Shape{4, 3, 48, 48}, 0.3f), y(Shape{4, 1}, 1.f);
  for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>((i * 7919) % 97) / 97.f;
  auto step = [&] {
    opt.zero_grad();
    loss.forward(model.forward(x), y);
    model.backward(loss.backward());
    opt.step();
  };
  step();
  step();
  const auto before = allocation_count();
  step();
  step();
  CHECK(allocation_count() == before);
}

namespace {
using TinyCNN = nn::Sequential<nn::Conv2d<1, 8, 3, 1, 1>, nn::BatchNorm2d<8>, nn::ReLU, nn::MaxPool2d<2>,
                               nn::Conv2d<8, 8, 3, 1, 1>, nn::ReLU, nn::AdaptiveAvgPool2d<1>, nn::Flatten,
                               nn::Dropout<0.1>, nn::Linear<8, 1>>;

/// Synthetic task: the target is the brightness-weighted radius of a blob in a 12×12 image.
void make_batch(Generator& g, Tensor<float>& x, Tensor<float>& y) {
  const int n = static_cast<int>(x.dim(0));
  for (int i = 0; i < n; ++i) {
    const double r = 1.0 + 3.0 * g.uniform(), cx = 5.5 + g.uniform() - 0.5, cy = 5.5 + g.uniform() - 0.5;
    for (int a = 0; a < 12; ++a)
      for (int b = 0; b < 12; ++b) {
        const double d2 = (a - cy) * (a - cy) + (b - cx) * (b - cx);
        x[(i * 12 + a) * 12 + b] = static_cast<float>(std::exp(-d2 / (2 * r * r)) + 0.05 * g.normal());
      }
    y[i] = static_cast<float>((r - 2.5) / 0.9);
  }
}

std::vector<float> train_tiny(std::uint64_t seed, float& first_loss, float& last_loss) {
  manual_seed(seed);
  nn::layer_t<TinyCNN, float> model;
  auto opt = optim::Adam<float>(nn::parameters(model), {.lr = 3e-3});
  nn::MSELoss<float> mse;
  Generator data(seed + 1);
  Tensor<float> x(Shape{32, 1, 12, 12}), y(Shape{32, 1});
  double running = 0;
  for (int it = 0; it < 300; ++it) {
    make_batch(data, x, y);
    opt.zero_grad();
    const float l = mse.forward(model.forward(x), y);
    model.backward(mse.backward());
    opt.step();
    running = it == 0 ? l : 0.9 * running + 0.1 * l;
    if (it == 0) first_loss = l;
  }
  last_loss = static_cast<float>(running);
  std::vector<float> w;
  for (auto* p : nn::parameters(model)) w.insert(w.end(), p->value.data(), p->value.data() + p->value.numel());
  return w;
}
}  // namespace

TEST_CASE("learning: a small CNN fits a synthetic regression, and reruns are bit-identical") {
  set_num_threads(2);
  float first = 0, last = 0, first2 = 0, last2 = 0;
  const auto w1 = train_tiny(17, first, last);
  const auto w2 = train_tiny(17, first2, last2);
  MESSAGE("tiny CNN loss ", first, " -> ", last);
  CHECK(last < 0.3f * first);
  REQUIRE(w1.size() == w2.size());
  CHECK(std::memcmp(w1.data(), w2.data(), w1.size() * sizeof(float)) == 0);
}

TEST_CASE("fused CPU inference (ResNet blocks and stem, Sequential's conv + ReLU) gives the layered result bit for bit, and gradients") {
  // SFNet/8 (ResNet-18 body, every block kind) and WuBoada/8 (ResNet-34 body + head) in eval mode,
  // with non-trivial running statistics so that batch norm is not the identity; SpinCNN/8 (a
  // Sequential whose convolutions take the ReLU after them as their epilogue).
  auto run = [](auto& model, const Shape& in) {
    int k = 0;
    model.visit("", [&](const std::string& name, Tensor<float>& t, nn::Parameter<float>*) {
      if (name.find("running_mean") != std::string::npos)
        for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = 0.05f * static_cast<float>((k++ % 9) - 4);
      if (name.find("running_var") != std::string::npos)
        for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = 0.5f + 0.1f * static_cast<float>(k++ % 7);
    });
    model.eval();
    Tensor<float> x(in);
    Generator g(21);
    for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(g.uniform());
    const Shape out = model.output_shape(in);
    Tensor<float> dy(out, 0.25f);
    nn::set_fused_inference(false);
    const Tensor<float> y_layered = model.forward(x);
    const Tensor<float> dx_layered = model.backward(dy);
    nn::set_fused_inference(true);
    const Tensor<float> y_fused = model.forward(x);
    const Tensor<float> dx_fused = model.backward(dy);  // re-runs the layered forward first
    for (std::int64_t i = 0; i < y_fused.numel(); ++i) CHECK_MESSAGE(y_fused[i] == y_layered[i], "output ", i);
    for (std::int64_t i = 0; i < dx_fused.numel(); i += 97) CHECK_MESSAGE(dx_fused[i] == dx_layered[i], "dx ", i);
  };
  models::SFNet<float, Cpu, 1, 8> sfnet(4);
  sfnet.set_input_grad(true);
  run(sfnet, Shape{3, 3, 64, 64});
  models::WuBoada<float, Cpu, 1, 8> wb;
  wb.set_input_grad(true);
  run(wb, Shape{2, 3, 64, 64});
  models::SpinCNN<float, Cpu, 8> spin;
  spin.set_input_grad(true);
  run(spin, Shape{3, 3, 80, 80});
}

TEST_CASE("layers are built in order, as PyTorch builds a model: a seed gives the first layers the same weights") {
  manual_seed(7);
  nn::layer_t<nn::Linear<4, 3>, float> lone;
  manual_seed(7);
  nn::layer_t<nn::Sequential<nn::Linear<4, 3>, nn::ReLU, nn::Linear<3, 2>>, float> seq;
  CHECK(seq.get<0>().weight().value.to_vector() == lone.weight().value.to_vector());
  // SFNet's body is drawn before its fc, as when the model held them as members in that order.
  manual_seed(11);
  models::ResNetBody<float, Cpu, 8> body;
  manual_seed(11);
  models::SFNet<float, Cpu, 1, 8> sfnet(4);
  CHECK(sfnet.body().get<"conv1">().weight().value.to_vector() == body.get<"conv1">().weight().value.to_vector());
  CHECK(sfnet.body().get<"layer4">().blocks() == 2);
}
