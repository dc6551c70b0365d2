// tiny_cnn — the demo: a small CNN learns to measure the size of a galaxy-like blob.
//
// Each 24×24 image holds one noisy Sérsic-like (here Gaussian) blob of random radius, centre
// and brightness; the network regresses the radius. The loss printed each epoch should fall
// from about 1 (the target variance) to a few hundredths.
//   tiny_cnn [--epochs N] [--seed S] [--threads T]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <galnet/galnet.hpp>
#include <galnet/optim.hpp>
#include <string>

using namespace galnet;

using TinyCNN = nn::Sequential<
    nn::Conv2d<1, 16, 3, 1, 1>, nn::BatchNorm2d<16>, nn::ReLU, nn::MaxPool2d<2>,   // 24 → 12
    nn::Conv2d<16, 32, 3, 1, 1>, nn::BatchNorm2d<32>, nn::ReLU, nn::MaxPool2d<2>,  // 12 → 6
    nn::Conv2d<32, 32, 3, 1, 1>, nn::ReLU, nn::AdaptiveAvgPool2d<1>, nn::Flatten,
    nn::Linear<32, 16>, nn::ReLU, nn::Linear<16, 1>>;

/// Fills a batch: images x [N, 1, 24, 24] and standardised radii y [N, 1].
void make_batch(Generator& g, Tensor<float>& x, Tensor<float>& y) {
  const std::int64_t n = x.dim(0), s = x.dim(2);
  for (std::int64_t i = 0; i < n; ++i) {
    const double r = 1.5 + 4.5 * g.uniform();
    const double cx = s / 2.0 + 4 * (g.uniform() - 0.5), cy = s / 2.0 + 4 * (g.uniform() - 0.5);
    const double flux = 0.5 + g.uniform();
    for (std::int64_t a = 0; a < s; ++a)
      for (std::int64_t b = 0; b < s; ++b) {
        const double d2 = (a - cy) * (a - cy) + (b - cx) * (b - cx);
        x[(i * s + a) * s + b] = static_cast<float>(flux * std::exp(-d2 / (2 * r * r)) + 0.05 * g.normal());
      }
    y[i] = static_cast<float>((r - 3.75) / 1.3);
  }
}

int main(int argc, char** argv) {
  int epochs = 8, threads = 2;
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--epochs") epochs = std::atoi(argv[i + 1]);
    else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--threads") threads = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "tiny_cnn: unknown option %s\nusage: tiny_cnn [--epochs N] [--seed S] [--threads T]\n", a.c_str());
      return 2;
    }
  }
  set_num_threads(threads);
  manual_seed(seed);

  nn::layer_t<TinyCNN, float> model;
  std::printf("%s", nn::summary(model, Shape{1, 1, 24, 24}).str().c_str());
  constexpr int batch = 64, steps_per_epoch = 40;
  auto opt = optim::Adam<float>(nn::parameters(model), {.lr = 3e-3});
  optim::OneCycle schedule({.total_steps = epochs * steps_per_epoch});
  nn::MSELoss<float> mse;

  Generator data(seed + 1), valid_data(12345);
  Tensor<float> x(Shape{batch, 1, 24, 24}), y(Shape{batch, 1});
  Tensor<float> vx(Shape{256, 1, 24, 24}), vy(Shape{256, 1});
  make_batch(valid_data, vx, vy);

  for (int epoch = 0, step = 0; epoch < epochs; ++epoch) {
    model.train();
    double train_loss = 0;
    for (int s = 0; s < steps_per_epoch; ++s, ++step) {
      make_batch(data, x, y);
      schedule.apply(opt, step);
      opt.zero_grad();
      train_loss += mse.forward(model.forward(x), y);
      model.backward(mse.backward());
      opt.step();
    }
    model.eval();
    const double valid_loss = mse.forward(model.forward(vx), vy);
    std::printf("epoch %2d  train MSE %.4f  valid MSE %.4f\n", epoch + 1, train_loss / steps_per_epoch, valid_loss);
  }
  return 0;
}
