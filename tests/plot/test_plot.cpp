// The figures (galnet/eval/plot.hpp, built only with cairo): each is read back as a PNG with
// galnet's own reader and checked for size, content and — for perfect predictions — that the
// points lie on the diagonal. With GALNET_PLOT_SAMPLES=<folder> in the environment the figures
// are also left there to be looked at.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numbers>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "galnet/data/image.hpp"
#include "galnet/eval/metrics.hpp"
#include "galnet/eval/plot.hpp"
#include "galnet/eval/plot_bpt.hpp"
#include "galnet/eval/plot_residuals.hpp"
#include "galnet/eval/plot_sweep.hpp"
#include "../support.hpp"

// fontconfig (under cairo's text) keeps process-wide caches that it never frees; under
// LeakSanitizer (scripts/sanitize.sh) they would read as leaks of this program.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace {

namespace fs = std::filesystem;
using galnet::data::Image;
using galnet::data::read_image;
namespace ev = galnet::eval;

/// A scratch folder, removed with everything in it.
struct Scratch {
  fs::path dir;
  Scratch() {
    static std::atomic<int> counter{0};
    dir = fs::temp_directory_path() / ("galnet_plot_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

/// Copies `file` into $GALNET_PLOT_SAMPLES (if set) for a human to look at.
void keep_sample(const fs::path& file) {
  if (const char* d = std::getenv("GALNET_PLOT_SAMPLES"); d != nullptr && *d != '\0') {
    fs::create_directories(d);
    fs::copy_file(file, fs::path(d) / file.filename(), fs::copy_options::overwrite_existing);
  }
}

/// The variance of all channel values: 0 for a blank image.
double pixel_variance(const Image& img) {
  double s = 0, ss = 0;
  for (auto v : img.pixels) {
    s += v;
    ss += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(img.pixels.size());
  return ss / n - (s / n) * (s / n);
}

/// A clearly blue pixel (points and density cells; not the black, grey or orange marks).
bool blue(const Image& img, int y, int x) {
  const int r = img.at(y, x, 0), g = img.at(y, x, 1), b = img.at(y, x, 2);
  return b - r > 25 && b >= g && std::max({r, g, b}) - std::min({r, g, b}) > 25;
}

bool png_signature(const fs::path& f) {
  std::ifstream in(f, std::ios::binary);
  char sig[8] = {};
  in.read(sig, 8);
  return in.gcount() == 8 && std::string(sig, 8) == std::string("\x89PNG\r\n\x1a\n", 8);
}

struct Sample {
  std::vector<double> y, p;
};

/// Metallicity-like values: y in [8.1, 9.3] and p = y + noise shrinking toward the mean.
Sample metallicity(std::size_t n, unsigned seed, double noise) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nrm(0.0, 1.0);
  Sample s;
  for (std::size_t i = 0; i < n; ++i) {
    const double y = std::clamp(8.85 + 0.2 * nrm(rng) - 0.1 * std::abs(nrm(rng)), 8.1, 9.3);
    s.y.push_back(y);
    s.p.push_back(8.8 + 0.8 * (y - 8.8) + noise * nrm(rng));
  }
  return s;
}

/// Checks that every blue pixel is on the anti-diagonal line px + py = const of the square
/// panel (y = p maps there because both axes share one range), within `tol` pixels, and that
/// the blue pixels stretch along much of it.
void check_on_diagonal(const Image& img, double tol) {
  std::vector<int> sums;
  int xmin = img.width, xmax = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      if (blue(img, y, x)) {
        sums.push_back(x + y);
        xmin = std::min(xmin, x);
        xmax = std::max(xmax, x);
      }
  REQUIRE(sums.size() > 500);
  std::sort(sums.begin(), sums.end());
  const int median = sums[sums.size() / 2];
  // |x + y - c| / sqrt(2) is the distance from the line x + y = c.
  const double far = std::max(std::abs(sums.front() - median), std::abs(sums.back() - median)) / std::sqrt(2.0);
  CHECK(far <= tol);
  CHECK(xmax - xmin > img.width / 2);
}

}  // namespace

TEST_CASE("plot_pred_vs_true writes a PNG of the expected size with content") {
  Scratch s;
  const Sample d = metallicity(800, 1, 0.06);
  const auto m = ev::regression_metrics(d.y, d.p);
  const fs::path f = s.dir / "pred_vs_true.png";
  ev::plot_pred_vs_true(f, d.y, d.p, "12 + log(O/H)", m);
  REQUIRE(fs::exists(f));
  CHECK(png_signature(f));
  const Image img = read_image(f);
  CHECK(img.width == ev::kPredVsTrueSize);
  CHECK(img.height == ev::kPredVsTrueSize);
  CHECK(img.channels == 3);
  CHECK(pixel_variance(img) > 100);
  keep_sample(f);
  // No temporary files are left beside it.
  CHECK(std::distance(fs::directory_iterator(s.dir), fs::directory_iterator()) == 1);
}

TEST_CASE("plot_pred_vs_true puts perfect predictions on the diagonal (points and density)") {
  Scratch s;
  SUBCASE("points") {
    std::vector<double> y;
    for (int i = 0; i < 400; ++i) y.push_back(8.2 + 1.1 * i / 399.0);
    const fs::path f = s.dir / "perfect_points.png";
    ev::plot_pred_vs_true(f, y, y, "12 + log(O/H)", ev::regression_metrics(y, y));
    const Image img = read_image(f, 3);
    keep_sample(f);
    check_on_diagonal(img, 6.0);  // point radius 3.2 plus antialiasing
  }
  SUBCASE("density") {
    const Sample d = metallicity(20000, 2, 0.0);
    const fs::path f = s.dir / "perfect_density.png";
    ev::plot_pred_vs_true(f, d.y, d.y, "12 + log(O/H)", ev::regression_metrics(d.y, d.y));
    const Image img = read_image(f, 3);
    check_on_diagonal(img, 8.0);  // density cells are about 6 pixels wide
  }
}

TEST_CASE("plot_pred_vs_true: many noisy points as a density, missing values skipped") {
  Scratch s;
  Sample d = metallicity(30000, 3, 0.08);
  d.y[5] = std::numeric_limits<double>::quiet_NaN();
  d.p[7] = std::numeric_limits<double>::infinity();
  const fs::path f = s.dir / "pred_vs_true_density.png";
  std::vector<double> y2(d.y), p2(d.p);
  p2[7] = 9.0;  // regression_metrics rejects a non-finite prediction; the plot skips it
  ev::plot_pred_vs_true(f, d.y, d.p, "12 + log(O/H)", ev::regression_metrics(y2, p2), 12);
  const Image img = read_image(f);
  CHECK(img.width == ev::kPredVsTrueSize);
  CHECK(pixel_variance(img) > 100);
  keep_sample(f);
}

TEST_CASE("plot_pred_vs_true: errors name the file and leave an existing file intact") {
  Scratch s;
  const std::vector<double> y = {1, 2, 3}, p = {1, 2}, nan3(3, std::numeric_limits<double>::quiet_NaN());
  const fs::path f = s.dir / "bad.png";
  { std::ofstream(f) << "old"; }
  const std::string e1 = galnet::test::error_of([&] { ev::plot_pred_vs_true(f, y, p, "x", {}); });
  CHECK(e1.find("plot_pred_vs_true: '" + f.string() + "'") != std::string::npos);
  CHECK(e1.find("differ in length (3 vs 2)") != std::string::npos);
  CHECK(galnet::test::error_of([&] { ev::plot_pred_vs_true(f, y, nan3, "x", {}); }).find("no rows with a finite") !=
        std::string::npos);
  std::ifstream in(f);
  std::string old;
  in >> old;
  CHECK(old == "old");
  const fs::path nowhere = s.dir / "no_such_dir" / "a.png";
  const std::string e2 = galnet::test::error_of([&] { ev::plot_pred_vs_true(nowhere, y, y, "x", {}); });
  CHECK(e2.find(nowhere.string()) != std::string::npos);
  CHECK(e2.find("cannot create") != std::string::npos);
}

TEST_CASE("plot_history: loss curves (log scale), legend and learning-rate panel") {
  Scratch s;
  std::vector<double> epochs, train, valid, lr;
  const int n = 30;
  for (int e = 1; e <= n; ++e) {
    epochs.push_back(e);
    train.push_back(0.6 * std::exp(-0.15 * e) + 0.012);
    valid.push_back(0.55 * std::exp(-0.12 * e) + 0.02 + 0.004 * std::sin(e));
    // One-cycle: up for 30 %, then cosine down to lr_max / 1e4.
    const double t = (e - 1.0) / (n - 1.0), lr_max = 0.1;
    lr.push_back(t < 0.3 ? lr_max / 25 + (lr_max - lr_max / 25) * (1 - std::cos(std::numbers::pi * t / 0.3)) / 2
                         : lr_max / 1e4 + (lr_max - lr_max / 1e4) * (1 + std::cos(std::numbers::pi * (t - 0.3) / 0.7)) / 2);
  }
  const fs::path f = s.dir / "history.png";
  ev::plot_history(f, epochs, train, valid, lr);
  const Image img = read_image(f);
  CHECK(img.width == ev::kHistoryWidth);
  CHECK(img.height == ev::kHistoryHeight);
  CHECK(pixel_variance(img) > 100);
  // The three curves' colours are all there.
  int blues = 0, oranges = 0, greens = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const int r = img.at(y, x, 0), g = img.at(y, x, 1), b = img.at(y, x, 2);
      blues += b > 150 && r < 80;
      oranges += r > 220 && g > 100 && g < 160 && b < 60;
      greens += g > 130 && r < 80 && b < 80;
    }
  CHECK(blues > 300);
  CHECK(oranges > 300);
  CHECK(greens > 300);
  keep_sample(f);

  SUBCASE("without validation or learning rate, one loss missing") {
    std::vector<double> tr(train);
    tr[10] = std::numeric_limits<double>::quiet_NaN();
    const std::vector<double> none(n, std::numeric_limits<double>::quiet_NaN());
    const fs::path g = s.dir / "history_train_only.png";
    ev::plot_history(g, epochs, tr, none, {});
    const Image img2 = read_image(g);
    keep_sample(g);
    CHECK(img2.width == ev::kHistoryWidth);
    CHECK(pixel_variance(img2) > 50);
  }
  SUBCASE("a single epoch and a flat loss") {
    const fs::path g = s.dir / "history_one.png";
    const std::vector<double> e1 = {1}, l1 = {0.5};
    ev::plot_history(g, e1, l1, l1, l1);
    keep_sample(g);
    CHECK(read_image(g).height == ev::kHistoryHeight);
  }
  SUBCASE("errors") {
    const std::vector<double> short_lr(3, 0.1);
    CHECK(galnet::test::error_of([&] { ev::plot_history(f, epochs, train, valid, short_lr); })
              .find("lr has 3 values for 30 epochs") != std::string::npos);
  }
}

TEST_CASE("plot_montage: one labelled row of cutouts per feature") {
  Scratch s;
  // Synthetic galaxies: coloured elliptical blobs on a dark sky, 1 and 3 channels, two sizes.
  auto galaxy = [](int size, int channels, double angle, double q, unsigned seed) {
    Image img{size, size, channels, {}};
    img.pixels.resize(img.size());
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0, 4);
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) {
        const double dx = x - size / 2.0, dy = y - size / 2.0;
        const double u = dx * std::cos(angle) + dy * std::sin(angle), v = -dx * std::sin(angle) + dy * std::cos(angle);
        const double rr = std::sqrt(u * u + (v / q) * (v / q)) / (size / 10.0);
        const double flux = 235 * std::exp(-rr);
        for (int c = 0; c < channels; ++c) {
          const double tint = channels == 3 ? (c == 0 ? 1.0 : c == 1 ? 0.85 : 0.7) : 1.0;
          img.at(y, x, c) = static_cast<std::uint8_t>(std::clamp(12 + flux * tint + noise(rng), 0.0, 255.0));
        }
      }
    return img;
  };
  std::vector<Image> store;
  store.reserve(20);
  for (int i = 0; i < 14; ++i) store.push_back(galaxy(i % 4 == 3 ? 64 : 144, i == 5 ? 1 : 3, 0.4 * i, 0.35 + 0.05 * i, 10u + i));
  store.push_back(Image{40, 90, 3, std::vector<std::uint8_t>(40 * 90 * 3, 90)});  // wide: letterboxed
  std::vector<std::vector<const Image*>> rows = {
      {&store[0], &store[1], &store[2], &store[3], &store[4], &store[5]},
      {&store[6], &store[7], nullptr, &store[8], &store[9]},
      {&store[10], &store[11], &store[12], &store[13], &store[14], &store[2]}};
  const std::vector<std::string> labels = {"feature 0\nweight +0.31", "feature 1\nweight \xE2\x88\x92" "0.12",
                                           "a very long label that must be shortened to fit\nfeature 2"};
  const fs::path f = s.dir / "montage.png";
  ev::plot_montage(f, rows, labels);
  const Image img = read_image(f);
  const auto [w, h] = ev::montage_size(3, 6);
  CHECK(img.width == w);
  CHECK(img.height == h);
  CHECK(pixel_variance(img) > 500);
  // The centre of the first cutout is the bright galaxy core; the label column has dark text.
  const int cx = ev::kMontageMargin + ev::kMontageLabelWidth + 64, cy = ev::kMontageMargin + 64;
  CHECK(img.at(cy, cx, 0) > 180);
  int dark = 0;
  for (int y = ev::kMontageMargin; y < ev::kMontageMargin + 128; ++y)
    for (int x = ev::kMontageMargin; x < ev::kMontageMargin + ev::kMontageLabelWidth - 10; ++x)
      dark += img.at(y, x, 0) < 100;
  CHECK(dark > 50);
  keep_sample(f);

  CHECK(galnet::test::error_of([&] { ev::plot_montage(f, rows, {"one"}); }).find("3 rows but 1 row labels") !=
        std::string::npos);
  Image broken{10, 10, 3, {}};
  rows[1][0] = &broken;
  const std::string e = galnet::test::error_of([&] { ev::plot_montage(f, rows, labels); });
  CHECK(e.find("row 1, cutout 0") != std::string::npos);
  CHECK(e.find(f.string()) != std::string::npos);
  CHECK(read_image(f).width == w);  // the earlier figure is still there, whole
}

TEST_CASE("plot_bpt: true and predicted ratios side by side, both demarcations, unlabelled rows") {
  Scratch s;
  // Galaxies along the star-forming sequence and an AGN branch, predictions slightly off.
  std::vector<double> truth, pred;
  std::mt19937 rng(5);
  std::normal_distribution<double> nrm(0.0, 1.0);
  for (int i = 0; i < 300; ++i) {
    const double x = i % 3 == 0 ? -0.4 + 0.6 * i / 300.0 : -1.4 + 1.2 * i / 300.0;
    const double y = i % 3 == 0 ? 0.5 + 0.8 * (x + 0.4) : ev::kauffmann03(x) - 0.25;
    const double ha = 1.5 + 0.1 * nrm(rng), hb = ha - 0.46;
    for (double dx : {0.0, 0.05 * nrm(rng)}) {
      auto& out = dx == 0.0 ? truth : pred;
      out.insert(out.end(), {x + dx + ha, ha, y + hb + 0.05 * nrm(rng) * (dx != 0.0), hb});
    }
  }
  const fs::path f = s.dir / "bpt.png";
  ev::plot_bpt(f, truth, pred);
  keep_sample(f);
  const Image img = read_image(f);
  CHECK(img.width == ev::kBptWidth);
  CHECK(img.height == ev::kBptHeight);
  // Grey points (true) in the left half, blue (predicted) only in the right, red (Kewley) in both.
  int blue_left = 0, blue_right = 0, red_left = 0, red_right = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const int r = img.at(y, x, 0), g = img.at(y, x, 1), b = img.at(y, x, 2);
      const bool red = r > 180 && g < 90 && b < 90;
      (x < img.width / 2 ? blue_left : blue_right) += blue(img, y, x) ? 1 : 0;
      (x < img.width / 2 ? red_left : red_right) += red ? 1 : 0;
    }
  CHECK(blue_left == 0);
  CHECK(blue_right > 500);
  CHECK(red_left > 100);
  CHECK(red_right > 100);
  // Unlabelled rows (truth all NaN): the right panel alone has points.
  std::vector<double> none(truth.size(), std::numeric_limits<double>::quiet_NaN());
  ev::plot_bpt(s.dir / "bpt_unlabelled.png", none, pred);
  CHECK(pixel_variance(read_image(s.dir / "bpt_unlabelled.png")) > 100);
  CHECK(galnet::test::error_of([&] { ev::plot_bpt(s.dir / "x.png", pred, none); }).find("no row with finite predicted") !=
        std::string::npos);
}

/// Rows and columns holding a clearly orange pixel (binned means and sweep markers), outside
/// the top-right corner where a legend shows its sample.
std::vector<std::pair<int, int>> orange_pixels(const Image& img) {
  std::vector<std::pair<int, int>> at;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      if (x > img.width - 300 && y < 130) continue;
      const int r = img.at(y, x, 0), g = img.at(y, x, 1), b = img.at(y, x, 2);
      if (r > 200 && g > 100 && g < 160 && b < 60) at.emplace_back(y, x);
    }
  return at;
}

TEST_CASE("plot_residuals: zero residuals lie on the zero line, the bins' means on it too") {
  Scratch s;
  std::vector<double> mass, zero;
  for (int i = 0; i < 300; ++i) mass.push_back(8.5 + 3.0 * i / 299.0), zero.push_back(0.0);
  const fs::path f = s.dir / "residuals_zero.png";
  ev::plot_residuals(f, mass, zero, "log M*", "predicted \xE2\x88\x92 true 12 + log(O/H)", 6);
  const Image img = read_image(f, 3);
  CHECK(img.width == ev::kResidualsWidth);
  CHECK(img.height == ev::kResidualsHeight);
  keep_sample(f);
  // Every blue point on one row (within a dot's radius), spread across the panel.
  int ymin = img.height, ymax = 0, xmin = img.width, xmax = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      if (blue(img, y, x)) ymin = std::min(ymin, y), ymax = std::max(ymax, y), xmin = std::min(xmin, x), xmax = std::max(xmax, x);
  CHECK(ymax - ymin <= 8);
  CHECK(xmax - xmin > img.width / 2);
  // The six bins' orange dots sit on that row too, at six distinct places along it.
  const auto dots = orange_pixels(img);
  REQUIRE(!dots.empty());
  std::set<int> columns;
  for (const auto& [y, x] : dots) {
    CHECK(std::abs(y - (ymin + ymax) / 2) <= 8);
    columns.insert(x / 40);
  }
  CHECK(columns.size() >= 6);
}

TEST_CASE("plot_residuals: a residual growing with the property rises across the panel, and errors are named") {
  Scratch s;
  std::vector<double> x, r;
  for (int i = 0; i < 200; ++i) x.push_back(i), r.push_back(0.01 * i - 1.0);
  const fs::path f = s.dir / "residuals_trend.png";
  ev::plot_residuals(f, x, r, "x", "residual", 4);
  const Image img = read_image(f, 3);
  auto dots = orange_pixels(img);
  REQUIRE(!dots.empty());
  std::sort(dots.begin(), dots.end(), [](auto a, auto b) { return a.second < b.second; });
  CHECK(dots.front().first > dots.back().first + 100);  // left dots lower on the image than right ones
  const std::vector<double> nan2(2, std::numeric_limits<double>::quiet_NaN());
  CHECK(galnet::test::error_of([&] { ev::plot_residuals(f, nan2, nan2, "x", "y"); }).find("no galaxy with a finite") !=
        std::string::npos);
  CHECK(galnet::test::error_of([&] { ev::plot_residuals(f, x, nan2, "x", "y"); }).find("differ in length (200 vs 2)") !=
        std::string::npos);
}

TEST_CASE("plot_sweep: one marker per run, in order of the setting, on a log axis if asked") {
  Scratch s;
  const std::vector<double> k = {8, 1, 4, 2}, rmse = {0.08, 0.11, 0.09, 0.10};  // falling with k
  const fs::path f = s.dir / "sweep.png";
  ev::plot_sweep(f, k, rmse, "k", "RMSE", true);
  const Image img = read_image(f, 3);
  CHECK(img.width == ev::kSweepWidth);
  keep_sample(f);
  // Four markers equally spaced on the log axis (1, 2, 4, 8), each lower than the one before.
  auto dots = orange_pixels(img);
  REQUIRE(!dots.empty());
  std::sort(dots.begin(), dots.end(), [](auto a, auto b) { return a.second < b.second; });
  std::vector<std::pair<double, double>> centres;  // clusters of orange columns
  std::vector<std::pair<int, int>> cluster;
  auto flush = [&] {
    if (cluster.empty()) return;
    double sy = 0, sx = 0;
    for (auto [y, x] : cluster) sy += y, sx += x;
    centres.emplace_back(sx / cluster.size(), sy / cluster.size());
    cluster.clear();
  };
  for (const auto& d : dots) {
    if (!cluster.empty() && d.second - cluster.back().second > 3) flush();
    cluster.push_back(d);
  }
  flush();
  REQUIRE(centres.size() == 4);
  const double gap = centres[1].first - centres[0].first;
  CHECK(std::abs(centres[2].first - centres[1].first - gap) < 3);
  CHECK(std::abs(centres[3].first - centres[2].first - gap) < 3);
  for (int i = 1; i < 4; ++i) CHECK(centres[i].second > centres[i - 1].second);  // lower RMSE: lower on the panel
  CHECK(galnet::test::error_of([&] { ev::plot_sweep(f, std::vector<double>{0.0}, std::vector<double>{1.0}, "k", "RMSE", true); })
            .find("settings > 0") != std::string::npos);
}
