// Augmentation: the dihedral group, affine (against scipy.ndimage.affine_transform, the backend of
// Keras's ImageDataGenerator; numbers from tools/reference_image.py), fill modes, reproducible
// random augmentation and the papers' presets, TTA, and normalisation statistics.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include "galnet/core/rng.hpp"
#include "galnet/data/augment.hpp"

using namespace galnet::data;
using Img = std::vector<float>;

namespace {

Img pattern(int c, int h, int w) {  // asymmetric: pixel k = ((k * 37) % 64) / 8, plus 10 per channel
  Img v(static_cast<std::size_t>(c) * h * w);
  for (std::size_t k = 0; k < v.size(); ++k)
    v[k] =
        static_cast<float>((k % (static_cast<std::size_t>(h) * w)) * 37 % 64) / 8.0f + 10.0f * (k / (h * w));
  return v;
}
Img view(const Img& x, int c, int h, int w, int k) {
  Img y(x.size());
  dihedral(x.data(), y.data(), c, h, w, k);
  return y;
}
float at(const Img& x, int h, int w, int ch, int y, int xx) {
  return x[(static_cast<std::size_t>(ch) * h + y) * w + xx];
}

}  // namespace

TEST_CASE("dihedral: the 8 views are distinct and follow np.rot90 / flips") {
  const Img x = pattern(2, 5, 5);
  std::set<Img> views;
  for (int k = 0; k < 8; ++k) views.insert(view(x, 2, 5, 5, k));
  CHECK(views.size() == 8);
  // np.rot90([[a, b], [c, d]]) == [[b, d], [a, c]] (a quarter turn counter-clockwise)
  const Img m = {1, 2, 3, 4};
  CHECK(view(m, 1, 2, 2, 1) == Img{2, 4, 1, 3});
  CHECK(view(m, 1, 2, 2, 2) == Img{4, 3, 2, 1});
  CHECK(view(m, 1, 2, 2, 3) == Img{3, 1, 4, 2});
  CHECK(view(m, 1, 2, 2, 4) == Img{2, 1, 4, 3});  // left-right flip
  CHECK(view(m, 1, 2, 2, 6) == Img{3, 4, 1, 2});  // top-bottom flip
  Img f(x.size());
  flip_horizontal(x.data(), f.data(), 2, 5, 5);
  CHECK(f == view(x, 2, 5, 5, 4));
  flip_vertical(x.data(), f.data(), 2, 5, 5);
  CHECK(f == view(x, 2, 5, 5, 6));
}

TEST_CASE("dihedral: composition and inverses") {
  const Img x = pattern(1, 4, 4);
  for (int a = 0; a < 8; ++a) {
    CHECK(view(view(x, 1, 4, 4, a), 1, 4, 4, dihedral_inverse(a)) == x);
    CHECK(dihedral_compose(dihedral_inverse(a), a) == 0);
    for (int b = 0; b < 8; ++b)
      CHECK(view(view(x, 1, 4, 4, b), 1, 4, 4, a) == view(x, 1, 4, 4, dihedral_compose(a, b)));
  }
  // non-square images: half turns and flips only
  const Img r = pattern(1, 3, 5);
  CHECK(view(view(r, 1, 3, 5, 6), 1, 3, 5, 6) == r);
  CHECK(view(r, 1, 3, 5, 2) == view(view(r, 1, 3, 5, 4), 1, 3, 5, 6));
  Img y(r.size());
  CHECK_THROWS_WITH_AS(dihedral(r.data(), y.data(), 1, 3, 5, 1), doctest::Contains("square"), galnet::Error);
  CHECK_THROWS_AS(dihedral(r.data(), y.data(), 1, 3, 5, 8), galnet::Error);
}

TEST_CASE("affine: quarter and half turns equal the dihedral views, identity is a copy") {
  for (int n : {6, 7}) {
    const Img x = pattern(3, n, n);
    Img y(x.size());
    for (auto [angle, k] : {std::pair{90.0, 1}, {180.0, 2}, {270.0, 3}, {-90.0, 3}, {0.0, 0}}) {
      affine(x.data(), y.data(), 3, n, n, angle, 1.0, 0.0, 0.0, Fill::constant, -1);
      CHECK(y == view(x, 3, n, n, k));
    }
    // a hair off 90 degrees: the same away from the borders
    affine(x.data(), y.data(), 3, n, n, 90.0 + 1e-7, 1.0, 0.0, 0.0, Fill::nearest);
    const Img r = view(x, 3, n, n, 1);
    for (int ch = 0; ch < 3; ++ch)
      for (int i = 1; i < n - 1; ++i)
        for (int j = 1; j < n - 1; ++j)
          CHECK(at(y, n, n, ch, i, j) == doctest::Approx(at(r, n, n, ch, i, j)).epsilon(1e-5));
  }
}

TEST_CASE("affine: matches scipy.ndimage.affine_transform (Keras fill modes)") {
  // 5x6 image, angle 30, zoom 0.8, shift (0.1, -0.2), fill value -1 (tools/reference_image.py)
  const Img x = pattern(1, 5, 6);
  const std::pair<Fill, Img> cases[] = {
      {Fill::nearest, {0,           3.93903533f, 2.2133775f,  2.29940845f, 4.25627428f, 6.17888496f,
                       0.234375f,   2.3797771f,  2.20395702f, 2.63158065f, 3.5179384f,  3.90910562f,
                       4.29386908f, 6.63761908f, 5.67418262f, 5.20209451f, 3.27479306f, 1.73014012f,
                       6.53285508f, 3.87660508f, 5.08850121f, 3.14660447f, 1.28728843f, 3.83951512f,
                       4.41285724f, 6.75660724f, 7,           5.25597947f, 1.6024348f,  3.40337279f}},
      {Fill::reflect, {0.0751190802f, 3.93903533f, 2.2133775f,  2.29940845f, 4.25627428f, 6.17888496f,
                       0.234375f,     2.3797771f,  2.20395702f, 2.63158065f, 3.5179384f,  3.90910562f,
                       2.6710056f,    6.63761908f, 5.67418262f, 5.20209451f, 3.27479306f, 1.73014012f,
                       4.62112468f,   3.95694291f, 5.08850121f, 3.14660447f, 1.28728843f, 3.38276299f,
                       4.09048164f,   4.90516901f, 7,           5.32705135f, 5.04533967f, 2.94050246f}},
      {Fill::constant,
       {-1,          -1,          2.2133775f, 2.29940845f, 4.25627428f, -1, -1,          2.3797771f,
        2.20395702f, 2.63158065f, 3.5179384f, 3.90910562f, -1,          -1, 5.67418262f, 5.20209451f,
        3.27479306f, -1,          -1,         -1,          5.08850121f, -1, -1,          -1,
        -1,          -1,          -1,         -1,          -1,          -1}},
  };
  for (const auto& c : cases) {
    const Fill fill = c.first;
    const Img& want = c.second;
    Img y(x.size());
    affine(x.data(), y.data(), 1, 5, 6, 30.0, 0.8, 0.1, -0.2, fill, -1.0f);
    for (std::size_t i = 0; i < y.size(); ++i) {
      INFO("fill ", static_cast<int>(fill), " pixel ", i);
      CHECK(y[i] == doctest::Approx(want[i]).epsilon(1e-5));
    }
  }
}

TEST_CASE("affine: zoom, shift and the fill modes") {
  // zoom 2 about the centre halves the slope of a horizontal ramp
  const int n = 9;
  Img ramp(n * n);
  for (int i = 0; i < n * n; ++i) ramp[i] = static_cast<float>(i % n);
  Img y(ramp.size());
  affine(ramp.data(), y.data(), 1, n, n, 0, 2.0, 0, 0, Fill::nearest);
  for (int j = 0; j < n; ++j) CHECK(at(y, n, n, 0, 3, j) == doctest::Approx(4 + (j - 4) / 2.0));
  // shift right by 2 pixels: constant fills, nearest repeats the edge, reflect mirrors it (b a | a b c ...)
  affine(ramp.data(), y.data(), 1, n, n, 0, 1.0, 2.0 / n, 0, Fill::constant, -5);
  CHECK(at(y, n, n, 0, 4, 0) == -5);
  CHECK(at(y, n, n, 0, 4, 1) == -5);
  CHECK(at(y, n, n, 0, 4, 2) == 0);
  CHECK(at(y, n, n, 0, 4, 8) == 6);
  affine(ramp.data(), y.data(), 1, n, n, 0, 1.0, 2.0 / n, 0, Fill::nearest);
  CHECK(at(y, n, n, 0, 4, 0) == 0);
  CHECK(at(y, n, n, 0, 4, 1) == 0);
  affine(ramp.data(), y.data(), 1, n, n, 0, 1.0, 2.0 / n, 0, Fill::reflect);
  CHECK(at(y, n, n, 0, 4, 0) == 1);
  CHECK(at(y, n, n, 0, 4, 1) == 0);
  // shift down by one row with zoom 1 moves rows exactly
  affine(ramp.data(), y.data(), 1, n, n, 0, 1.0, 0, 1.0 / n, Fill::constant, 0);
  for (int j = 0; j < n; ++j) CHECK(at(y, n, n, 0, 5, j) == at(ramp, n, n, 0, 4, j));
  CHECK_THROWS_AS(affine(ramp.data(), y.data(), 1, n, n, 0, 0.0, 0, 0, Fill::nearest), galnet::Error);
  CHECK_THROWS_AS(affine(ramp.data(), y.data(), 1, n, n, NAN, 1.0, 0, 0, Fill::nearest), galnet::Error);
}

TEST_CASE("augment: reproducible from a seed, ranges respected, presets") {
  const Img x = pattern(3, 16, 16);
  for (const AugmentOptions& o : {wu_boada_augment(), sfnet_augment(), spin_cnn_augment()}) {
    Img a(x.size()), b(x.size());
    galnet::Generator g1(42), g2(42);
    for (int i = 0; i < 5; ++i) {
      augment(o, g1, x.data(), a.data(), 3, 16, 16);
      augment(o, g2, x.data(), b.data(), 3, 16, 16);
      CHECK(a == b);
    }
  }
  // spin CNN: draws stay in their ranges and change with the seed
  std::set<int> ks;
  double amin = 1e9, amax = -1e9, zmin = 1e9, zmax = -1e9, smax = 0;
  galnet::Generator g(1);
  for (int i = 0; i < 2000; ++i) {
    const AugmentDraw d = draw_augment(spin_cnn_augment(), g, 80, 80);
    amin = std::min(amin, d.angle_deg), amax = std::max(amax, d.angle_deg);
    zmin = std::min(zmin, d.zoom), zmax = std::max(zmax, d.zoom);
    smax = std::max({smax, std::abs(d.shift_x), std::abs(d.shift_y)});
    ks.insert(draw_augment(wu_boada_augment(), g, 128, 128).dihedral_k);
  }
  CHECK(amin >= -45);
  CHECK(amin < -44);
  CHECK(amax <= 45);
  CHECK(amax > 44);
  CHECK(zmin >= 0.75);
  CHECK(zmax <= 1.25);
  CHECK(zmax > 1.24);
  CHECK(smax <= 0.05);
  CHECK(ks.size() == 8);
  ks.clear();
  for (int i = 0; i < 200; ++i) ks.insert(draw_augment(wu_boada_augment(), g, 12, 16).dihedral_k);
  CHECK(ks == std::set<int>{0, 2, 4, 6});  // non-square: shape-preserving views only
  // SFNet: exactly one of the four flip combinations, each seen
  std::set<int> seen;
  for (int i = 0; i < 64; ++i) {
    Img y(x.size());
    augment(sfnet_augment(), g, x.data(), y.data(), 3, 16, 16);
    int which = -1;
    for (int k : {0, 2, 4, 6})
      if (y == view(x, 3, 16, 16, k)) which = k;
    CHECK(which >= 0);
    seen.insert(which);
  }
  CHECK(seen.size() == 4);
  // Wu & Boada: zooming in only, so the output stays within the input's range
  Img y(x.size());
  augment(wu_boada_augment(), g, x.data(), y.data(), 3, 16, 16);
  for (float v : y) CHECK((v >= 0 && v <= 27.875f));
  AugmentOptions bad;
  bad.zoom_min = 2, bad.zoom_max = 1;
  CHECK_THROWS_WITH_AS(augment(bad, g, x.data(), y.data(), 3, 16, 16), doctest::Contains("zoom"),
                       galnet::Error);
}

TEST_CASE("tta: the 8 dihedral views, fastai 0.7 style views and averaging") {
  const Img x = pattern(2, 6, 6);
  Img views(8 * x.size());
  tta_dihedral_views(x.data(), views.data(), 2, 6, 6);
  for (int k = 0; k < 8; ++k)
    CHECK(Img(views.begin() + k * 72, views.begin() + (k + 1) * 72) == view(x, 2, 6, 6, k));
  galnet::Generator g(3);
  Img fa(5 * x.size());
  tta_fastai(wu_boada_augment(), g, x.data(), fa.data(), 2, 6, 6);
  CHECK(Img(fa.begin(), fa.begin() + 72) == x);
  const float outs[] = {1, 10, 2, 20, 6, 60};  // 3 views x 2 outputs
  float mean[2];
  tta_average(outs, 3, 2, mean);
  CHECK(mean[0] == doctest::Approx(3));
  CHECK(mean[1] == doctest::Approx(30));
}

TEST_CASE("normalization: presets, apply / invert, tensors") {
  const Normalization in = Normalization::imagenet();
  CHECK(in.mean[1] == 0.456f);
  CHECK(in.std[2] == 0.225f);
  Img x = {0.485f, 1.0f, 0.456f, 0.0f, 0.406f, 0.5f};  // 3 channels x 1 x 2
  in.apply(x.data(), 3, 1, 2);
  CHECK(x[0] == doctest::Approx(0).scale(1));
  CHECK(x[1] == doctest::Approx((1 - 0.485) / 0.229));
  CHECK(x[3] == doctest::Approx(-0.456 / 0.224));
  in.invert(x.data(), 3, 1, 2);
  CHECK(x[5] == doctest::Approx(0.5));
  Img u = {0.25f, 0.75f};
  Normalization::unit().apply(u.data(), 1, 1, 2);
  CHECK(u == Img{0.25f, 0.75f});
  const auto t = in.to_tensors();
  REQUIRE(t.size() == 2);
  CHECK(t[0].first == "normalization.mean");
  CHECK(t[1].first == "normalization.std");
  const Normalization back = Normalization::from_tensors(t[0].second, t[1].second);
  CHECK(back.mean == in.mean);
  CHECK(back.std == in.std);
  CHECK_THROWS_AS(
      Normalization::from_tensors(t[0].second, galnet::Tensor<float>::from(galnet::Shape{3}, {1, 0, 1})),
      galnet::Error);
  CHECK_THROWS_AS(in.apply(x.data(), 4, 1, 1), galnet::Error);
}

TEST_CASE("RunningChannelStats: known data, merging, precision") {
  // channel 0 holds 1..12, channel 1 holds 2 * (1..12) + 1000, over two 1x2x3 images
  RunningChannelStats s(2), a(2), b(2);
  Img im1(12), im2(12);
  for (int i = 0; i < 6; ++i) {
    im1[i] = static_cast<float>(i + 1), im1[6 + i] = static_cast<float>(2 * (i + 1) + 1000);
    im2[i] = static_cast<float>(i + 7), im2[6 + i] = static_cast<float>(2 * (i + 7) + 1000);
  }
  s.add(im1.data(), 2, 2, 3);
  s.add(im2.data(), 2, 2, 3);
  CHECK(s.count() == 12);
  CHECK(s.mean(0) == doctest::Approx(6.5));
  CHECK(s.variance(0) == doctest::Approx(143.0 / 12));  // population variance of 1..12
  CHECK(s.variance(0, true) == doctest::Approx(13.0));
  CHECK(s.mean(1) == doctest::Approx(1013.0));
  CHECK(s.stddev(1) == doctest::Approx(2 * std::sqrt(143.0 / 12)));
  a.add(im2.data(), 2, 2, 3);
  b.add(im1.data(), 2, 2, 3);
  a.merge(b);
  CHECK(a.mean(1) == doctest::Approx(s.mean(1)).epsilon(1e-14));
  CHECK(a.variance(1) == doctest::Approx(s.variance(1)).epsilon(1e-12));
  // many images with a large offset: no catastrophic cancellation
  RunningChannelStats big(1);
  Img im(100);
  for (int n = 0; n < 1000; ++n) {
    for (int i = 0; i < 100; ++i) im[i] = 10000.0f + ((i + n) % 2 ? 0.5f : -0.5f);
    big.add(im.data(), 1, 10, 10);
  }
  CHECK(big.mean(0) == doctest::Approx(10000.0).epsilon(1e-12));
  CHECK(big.stddev(0) == doctest::Approx(0.5).epsilon(1e-9));
  const Normalization n = big.normalization();
  CHECK(n.mean[2] == 10000.0f);
  CHECK(n.std[0] == doctest::Approx(0.5));
  CHECK_THROWS_AS((void)RunningChannelStats(3).normalization(), galnet::Error);
  CHECK_THROWS_AS(s.add(im1.data(), 3, 2, 2), galnet::Error);
}
