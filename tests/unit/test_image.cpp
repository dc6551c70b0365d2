// Image I/O (round trips, a real SDSS cutout, every kind of bad input), to_chw, and resizing /
// centre cropping checked against torch.nn.functional.interpolate and torchvision
// (numbers from tools/reference_image.py).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "galnet/core/rng.hpp"
#include "galnet/data/image.hpp"

#include "../support.hpp"

#ifdef STBI_INCLUDE_STB_IMAGE_H
#error "galnet/data/image.hpp leaked stb_image.h's include guard"
#endif
#ifdef STB_IMAGE_IMPLEMENTATION
#error "galnet/data/image.hpp leaked STB_IMAGE_IMPLEMENTATION"
#endif


namespace fs = std::filesystem;
using namespace galnet::data;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("galnet_test_image_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

Image pattern_image(int h, int w, int c) {
  Image img{h, w, c, {}};
  img.pixels.resize(img.size());
  for (std::size_t i = 0; i < img.pixels.size(); ++i)
    img.pixels[i] = static_cast<std::uint8_t>((i * 37 + i / 7) % 256);
  return img;
}

Image smooth_image(int h, int w) {  // JPEG-friendly: smooth gradients
  Image img{h, w, 3, {}};
  img.pixels.resize(img.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      img.at(y, x, 0) = static_cast<std::uint8_t>(4 * x + 40);
      img.at(y, x, 1) = static_cast<std::uint8_t>(3 * y + 60);
      img.at(y, x, 2) = static_cast<std::uint8_t>(100 + 50 * std::sin(0.2 * (x + y)));
    }
  return img;
}

void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The error message of read_image(path), or "" if it succeeds.
std::string read_error(const fs::path& p, int want = 0) {
  try {
    (void)read_image(p, want);
  } catch (const galnet::Error& e) {
    return e.what();
  }
  return "";
}

const fs::path kCutout =
    galnet::test::data_dir() / "sdss-metallicity-sample/images/1237648704043942146.jpg";

}  // namespace

TEST_CASE("image: PNG round trips are exact for grey, RGB and RGBA") {
  TempDir dir;
  for (int c : {1, 3, 4}) {
    const Image img = pattern_image(7, 5, c);
    const fs::path p = dir.path / ("x" + std::to_string(c) + ".png");
    write_png(p, img);
    const Image back = read_image(p);
    CHECK(back.height == 7);
    CHECK(back.width == 5);
    CHECK(back.channels == (c == 4 ? 3 : c));  // alpha is dropped
    for (int y = 0; y < 7; ++y)
      for (int x = 0; x < 5; ++x)
        for (int k = 0; k < back.channels; ++k) REQUIRE(back.at(y, x, k) == img.at(y, x, k));
  }
  // grey replicated to RGB; RGB to grey with stb's luma ((77 r + 150 g + 29 b) >> 8)
  const Image grey = read_image(dir.path / "x1.png", 3);
  CHECK(grey.channels == 3);
  CHECK(grey.at(2, 3, 0) == grey.at(2, 3, 2));
  const Image rgb = pattern_image(7, 5, 3);
  const Image luma = read_image(dir.path / "x3.png", 1);
  CHECK(luma.channels == 1);
  CHECK(luma.at(4, 1, 0) == ((77 * rgb.at(4, 1, 0) + 150 * rgb.at(4, 1, 1) + 29 * rgb.at(4, 1, 2)) >> 8));
  // no temporary files are left behind
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path)) ++files;
  CHECK(files == 3);
}

TEST_CASE("image: JPEG round trips are close") {
  TempDir dir;
  const Image img = smooth_image(32, 40);
  for (int q : {95, 75}) {
    write_jpeg(dir.path / "x.jpg", img, q);
    const Image back = read_image(dir.path / "x.jpg");
    REQUIRE(back.height == 32);
    REQUIRE(back.width == 40);
    REQUIRE(back.channels == 3);
    double sum = 0, worst = 0;
    for (std::size_t i = 0; i < img.pixels.size(); ++i) {
      const double d = std::abs(double(back.pixels[i]) - img.pixels[i]);
      sum += d;
      worst = std::max(worst, d);
    }
    MESSAGE("JPEG quality ", q, ": mean |error| ", sum / img.pixels.size(), ", max ", worst);
    CHECK(sum / img.pixels.size() < (q == 95 ? 1.5 : 3.0));
    CHECK(worst < (q == 95 ? 12 : 30));
  }
  Image grey{16, 16, 1, std::vector<std::uint8_t>(256)};
  for (int i = 0; i < 256; ++i) grey.pixels[i] = static_cast<std::uint8_t>(8 * (i % 16) + 4 * (i / 16));
  write_jpeg(dir.path / "g.jpg", grey, 95);
  const Image g3 = read_image(dir.path / "g.jpg");  // stb writes every JPEG as 3 components
  CHECK(g3.channels == 3);
  CHECK(std::abs(int(g3.at(5, 9, 0)) - int(g3.at(5, 9, 2))) <= 1);
  const Image g = read_image(dir.path / "g.jpg", 1);
  CHECK(g.channels == 1);
  CHECK(std::abs(int(g.at(5, 9, 0)) - int(grey.at(5, 9, 0))) <= 4);
}

TEST_CASE("image: a real SDSS gri cutout reads as 128x128x3") {
  REQUIRE_MESSAGE(fs::exists(kCutout), kCutout.string(), " is part of the repository");
  const Image img = read_image(kCutout);
  CHECK(img.height == 128);
  CHECK(img.width == 128);
  CHECK(img.channels == 3);
  std::vector<float> chw(img.size());
  to_chw(img, chw.data());
  double mean = 0;
  float lo = 1, hi = 0;
  for (float v : chw) {
    mean += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  mean /= chw.size();
  CHECK(lo >= 0.0f);
  CHECK(hi <= 1.0f);
  CHECK(hi > 0.5f);  // a galaxy in the middle of a dark sky
  CHECK(mean > 0.005);
  CHECK(mean < 0.5);
  // centre brighter than the corner, in every band
  for (int c = 0; c < 3; ++c) CHECK(img.at(64, 64, c) > img.at(2, 2, c));
  // decode_image on the same bytes gives the same pixels
  const std::vector<std::uint8_t> bytes = read_bytes(kCutout);
  CHECK(decode_image(bytes, "cutout").pixels == img.pixels);
}

TEST_CASE("image: bad input is reported with the file name and the reason") {
  TempDir dir;
  auto expect = [](const std::string& msg, const fs::path& p, const std::string& reason) {
    INFO("message: ", msg);
    CHECK(msg.find(p.filename().string()) != std::string::npos);
    CHECK(msg.find(reason) != std::string::npos);
  };
  expect(read_error(dir.path / "missing.jpg"), "missing.jpg", "no such file");
  expect(read_error(dir.path), dir.path.filename(), "is a directory");

  write_bytes(dir.path / "empty.png", {});
  expect(read_error(dir.path / "empty.png"), "empty.png", "empty (0 bytes)");

  std::vector<std::uint8_t> noise(300);
  galnet::Generator g(7);
  for (auto& b : noise) b = static_cast<std::uint8_t>(g.below(256));
  noise[0] = 0x13;
  write_bytes(dir.path / "noise.jpg", noise);
  expect(read_error(dir.path / "noise.jpg"), "noise.jpg", "not a JPEG or PNG image: it starts with bytes 13");

  const std::string html = "<html><body>404 Not Found</body></html>\n";
  write_bytes(dir.path / "page.jpg", std::vector<std::uint8_t>(html.begin(), html.end()));
  expect(read_error(dir.path / "page.jpg"), "page.jpg",
         "not a JPEG or PNG image: it looks like text: \"<html><body>404");

  // a JPEG that is all header and no image
  write_bytes(dir.path / "bare.jpg", {0xFF, 0xD8, 0xFF, 0xD9});
  expect(read_error(dir.path / "bare.jpg"), "bare.jpg", "corrupt JPEG header");

  // a PNG whose header claims 100000 x 3 pixels
  write_png(dir.path / "small.png", pattern_image(2, 3, 3));
  std::vector<std::uint8_t> png = read_bytes(dir.path / "small.png");
  png[20] = 0x00, png[21] = 0x01, png[22] = 0x86, png[23] = 0xA0;  // IHDR height = 100000
  write_bytes(dir.path / "huge.png", png);
  expect(read_error(dir.path / "huge.png"), "huge.png", "absurd PNG dimensions: 3 wide x 100000 high");

  // a PNG chunk claiming 2 GB (stb 2.27 would try to allocate it)
  png = read_bytes(dir.path / "small.png");
  png[33] = 0x7F, png[34] = 0xFF, png[35] = 0x00, png[36] = 0x00;  // the chunk after IHDR
  write_bytes(dir.path / "liar.png", png);
  expect(read_error(dir.path / "liar.png"), "liar.png", "declares 2147418112 bytes");

  // truncated PNG
  png = read_bytes(dir.path / "small.png");
  png.resize(png.size() / 2);
  write_bytes(dir.path / "cut.png", png);
  expect(read_error(dir.path / "cut.png"), "cut.png", "truncated PNG");

  // truncated JPEG: the real cutout cut in half (or a generated one if the data are absent)
  std::vector<std::uint8_t> jpg;
  if (fs::exists(kCutout)) {
    jpg = read_bytes(kCutout);
  } else {
    write_jpeg(dir.path / "smooth.jpg", smooth_image(64, 64));
    jpg = read_bytes(dir.path / "smooth.jpg");
  }
  jpg.resize(jpg.size() / 2);
  write_bytes(dir.path / "half.jpg", jpg);
  expect(read_error(dir.path / "half.jpg"), "half.jpg", "truncated JPEG: no end-of-image marker (FF D9)");

  // corrupt JPEG scan data with an intact end marker: stb's own reason is passed on
  jpg.resize(jpg.size() / 4);
  jpg.insert(jpg.end(), {0xFF, 0xD9});
  write_bytes(dir.path / "corrupt.jpg", jpg);
  const std::string corrupt = read_error(dir.path / "corrupt.jpg");
  INFO("corrupt: ", corrupt);
  CHECK(corrupt.find("corrupt") != std::string::npos);

  // bad want_channels, and decode_image names its source
  write_png(dir.path / "ok.png", pattern_image(2, 2, 3));
  expect(read_error(dir.path / "ok.png", 2), "ok.png", "want_channels must be 0, 1 or 3");
  try {
    (void)decode_image(std::vector<std::uint8_t>{1, 2, 3}, "archive.tar:img/42.jpg");
    FAIL("decode_image accepted 3 bytes");
  } catch (const galnet::Error& e) {
    CHECK(std::string(e.what()).find("archive.tar:img/42.jpg") != std::string::npos);
  }
}

TEST_CASE("image: write errors name the file and leave the target intact") {
  TempDir dir;
  const fs::path nowhere = dir.path / "no_such_dir" / "x.png";
  CHECK_THROWS_WITH_AS(write_png(nowhere, pattern_image(2, 2, 3)), doctest::Contains("no_such_dir/x.png"),
                       galnet::Error);
  Image bad = pattern_image(4, 4, 3);
  bad.pixels.pop_back();
  write_png(dir.path / "keep.png", pattern_image(2, 2, 3));
  CHECK_THROWS_WITH_AS(write_png(dir.path / "keep.png", bad), doctest::Contains("keep.png"), galnet::Error);
  CHECK(read_image(dir.path / "keep.png").height == 2);
  CHECK_THROWS_WITH_AS(write_jpeg(dir.path / "q.jpg", pattern_image(2, 2, 3), 0),
                       doctest::Contains("quality"), galnet::Error);
  CHECK_THROWS_WITH_AS(write_jpeg(dir.path / "a.jpg", pattern_image(2, 2, 4)),
                       doctest::Contains("1 or 3 channels"), galnet::Error);
}

TEST_CASE("image: to_chw and from_chw") {
  const Image img = pattern_image(3, 4, 3);
  std::vector<float> chw(img.size());
  to_chw(img, chw.data());
  CHECK(chw[1 * 12 + 2 * 4 + 3] == doctest::Approx(img.at(2, 3, 1) / 255.0).epsilon(1e-6));
  to_chw(img, chw.data(), 1.0f);
  CHECK(chw[2 * 12 + 1 * 4 + 0] == float(img.at(1, 0, 2)));
  CHECK(from_chw(chw.data(), 3, 3, 4, 1.0f).pixels == img.pixels);
}

// ---- resizing against torch.nn.functional.interpolate (tools/reference_image.py) ----

namespace {
std::vector<float> ramp(int h, int w) {  // pixel k = ((k * 37) % 64) / 8
  std::vector<float> v(static_cast<std::size_t>(h) * w);
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<float>((k * 37) % 64) / 8.0f;
  return v;
}
void check_resize(int in, int out, Interp mode, const std::vector<float>& want) {
  const std::vector<float> x = ramp(in, in);
  std::vector<float> y(static_cast<std::size_t>(out) * out);
  resize(x.data(), 1, in, in, y.data(), out, out, mode);
  REQUIRE(want.size() == y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    INFO(interp_name(mode), " ", in, "->", out, " element ", i);
    CHECK(y[i] == doctest::Approx(want[i]).epsilon(2e-6));
  }
}
}  // namespace

TEST_CASE("resize: 8x8 -> 5x5 matches torch interpolate (align_corners=False)") {
  check_resize(8, 5, Interp::nearest, {0,     4.625f, 5.875f, 2.5f,   3.75f,  5,     1.625f, 2.875f, 7.5f,
                                       0.75f, 7,      3.625f, 4.875f, 1.5f,   2.75f, 4,      0.625f, 1.875f,
                                       6.5f,  7.75f,  6,      2.625f, 3.875f, 0.5f,  1.75f});
  check_resize(8, 5, Interp::bilinear,
               {2.16750002f, 2.84750009f, 4.48750019f, 5.88750029f, 2.16749978f, 3.44749999f, 3.80749965f,
                6.0875001f,  1.80749941f, 3.44749928f, 4.48750019f, 2.6875f,     3.6875f,     4.6875f,
                5.6875f,     2.6474998f,  3.00749946f, 4.88750029f, 1.00749922f, 2.64749908f, 4.56750011f,
                5.24749947f, 2.88750029f, 3.24749947f, 4.56749964f});
  check_resize(8, 5, Interp::bicubic,
               {2.13508201f, 2.74067068f, 4.38381386f, 6.27254438f, 1.94785798f,  3.32980156f, 3.72239995f,
                7.02856159f, 1.1957413f,  3.44062686f, 4.82490778f, 2.61193585f,  3.171875f,   5.43899822f,
                6.23546934f, 2.62476277f, 2.5154469f,  5.66299963f, 0.550118983f, 2.55151653f, 4.67158175f,
                5.62757301f, 2.48662734f, 3.32216716f, 4.75689316f});
  check_resize(8, 5, Interp::area,
               {2.8125f,     3.75f,       4.6875f,     4.29166651f, 2.5625f,     4.3125f,     4.13888884f,
                4.85416651f, 3.79166675f, 4.0625f,     3.8125f,     2.75f,       3.6875f,     4.625f,
                5.5625f,     3.3125f,     4.02777767f, 3.85416675f, 3.68055558f, 4.39583349f, 4.8125f,
                4.41666651f, 2.6875f,     3.625f,      4.5625f});
}

TEST_CASE("resize: 5x5 -> 8x8 matches torch interpolate (align_corners=False)") {
  check_resize(
      5, 8, Interp::nearest,
      {0,      0,      4.625f, 4.625f, 1.25f,  5.875f, 5.875f, 2.5f,   0,      0,      4.625f, 4.625f, 1.25f,
       5.875f, 5.875f, 2.5f,   7.125f, 7.125f, 3.75f,  3.75f,  0.375f, 5,      5,      1.625f, 7.125f, 7.125f,
       3.75f,  3.75f,  0.375f, 5,      5,      1.625f, 6.25f,  6.25f,  2.875f, 2.875f, 7.5f,   4.125f, 4.125f,
       0.75f,  5.375f, 5.375f, 2,      2,      6.625f, 3.25f,  3.25f,  7.875f, 5.375f, 5.375f, 2,      2,
       6.625f, 3.25f,  3.25f,  7.875f, 4.5f,   4.5f,   1.125f, 1.125f, 5.75f,  2.375f, 2.375f, 7});
  check_resize(
      5, 8, Interp::bilinear,
      {0,          2.0234375f, 4.4140625f, 2.3046875f, 2.6953125f, 5.5859375f, 3.9765625f, 2.5f,
       3.1171875f, 3.609375f,  4.03125f,   1.921875f,  2.3125f,    5.203125f,  3.59375f,   2.1171875f,
       7.0703125f, 5.59375f,   3.515625f,  1.71875f,   2.109375f,  4.6875f,    3.046875f,  1.5703125f,
       6.5234375f, 5.046875f,  3.28125f,   4.609375f,  5,          4.453125f,  2.5f,       1.0234375f,
       5.9765625f, 4.5f,       2.890625f,  5.78125f,   6.171875f,  4.0625f,    3.359375f,  2.9765625f,
       5.4296875f, 3.953125f,  2.34375f,   5.234375f,  5.625f,     3.515625f,  5.625f,     7.4296875f,
       4.8828125f, 3.40625f,   1.796875f,  4.6875f,    5.078125f,  2.96875f,   5.359375f,  7.3828125f,
       4.5f,       3.0234375f, 1.4140625f, 4.3046875f, 4.6953125f, 2.5859375f, 4.9765625f, 7});
  check_resize(
      5, 8, Interp::bicubic,
      {-1.15975094f, 1.91816235f, 4.74698973f, 2.07587171f,   2.47945404f,  5.85622406f,  4.40530396f,
       2.26791382f,  3.02289891f, 3.96772146f, 4.15420532f,   0.949979961f, 1.56410003f,  5.43569708f,
       4.07081032f,  1.8812561f,  7.72138548f, 6.02563858f,   3.36071467f,  0.910988867f, 1.77250254f,
       4.84462023f,  3.3273325f,  1.21055329f, 7.31223011f,   5.15316486f,  3.14447021f,  4.72600031f,
       5.6347208f,   4.66699934f, 1.92030513f, -0.223134294f, 6.25463104f,  4.04567814f,  2.71278524f,
       6.76840019f,  7.4944396f,  4.08584833f, 2.88142943f,   2.68399286f,  5.76543427f,  3.62626982f,
       2.17827606f,  5.571877f,   6.03286982f, 3.33448243f,   5.46331596f,  7.94711828f,  5.1187439f,
       2.98135376f,  1.53043365f, 4.9072032f,  5.31565428f,   2.64365077f,  5.41336918f,  8.44075394f,
       4.73208618f,  2.59469628f, 1.14377594f, 4.52054548f,   4.96152496f,  2.28360724f,  4.65837049f,
       7.34812975f});
  check_resize(
      5, 8, Interp::area,
      {0,       2.3125f, 4.625f,  2.9375f, 3.5625f, 5.875f,  4.1875f, 2.5f,    3.5625f, 3.875f,  4.1875f,
       2.5f,    3.125f,  5.4375f, 3.75f,   2.0625f, 7.125f,  5.4375f, 3.75f,   2.0625f, 2.6875f, 5,
       3.3125f, 1.625f,  6.6875f, 5,       3.3125f, 3.625f,  4.25f,   4.5625f, 2.875f,  1.1875f, 5.8125f,
       4.125f,  2.4375f, 4.75f,   5.375f,  3.6875f, 4,       4.3125f, 5.375f,  3.6875f, 2,       4.3125f,
       4.9375f, 3.25f,   5.5625f, 7.875f,  4.9375f, 3.25f,   1.5625f, 3.875f,  4.5f,    2.8125f, 5.125f,
       7.4375f, 4.5f,    2.8125f, 1.125f,  3.4375f, 4.0625f, 2.375f,  4.6875f, 7});
}

TEST_CASE("resize: same size is a copy, channels are independent, bad sizes throw") {
  const std::vector<float> x = ramp(6, 7);
  std::vector<float> two(2 * 42);
  for (int i = 0; i < 42; ++i) two[i] = x[i], two[42 + i] = 3 * x[i] + 1;
  for (Interp m : {Interp::nearest, Interp::bilinear, Interp::area, Interp::bicubic}) {
    std::vector<float> y(2 * 42);
    resize(two.data(), 2, 6, 7, y.data(), 6, 7, m);
    CHECK(y == two);
    std::vector<float> z(2 * 12);
    resize(two.data(), 2, 6, 7, z.data(), 3, 4, m);
    for (int i = 0; i < 12; ++i) CHECK(z[12 + i] == doctest::Approx(3 * z[i] + 1).epsilon(1e-6));
  }
  std::vector<float> y(4);
  CHECK_THROWS_AS(resize(x.data(), 1, 6, 7, y.data(), 0, 4, Interp::area), galnet::Error);
}

TEST_CASE("center_crop: torchvision's offsets (Python round, half to even)") {
  // {in_h, in_w, out_h, out_w, top, left} from torchvision.transforms.functional.center_crop
  const int cases[][6] = {{160, 160, 144, 144, 8, 8},
                          {7, 9, 4, 4, 2, 2},
                          {9, 6, 4, 3, 2, 2},
                          {10, 5, 7, 2, 2, 2},
                          {8, 8, 5, 5, 2, 2}};
  for (const auto& k : cases) {
    CHECK(center_crop_offset(k[0], k[2]) == k[4]);
    CHECK(center_crop_offset(k[1], k[3]) == k[5]);
    std::vector<float> x(static_cast<std::size_t>(2 * k[0] * k[1]));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
    std::vector<float> y(static_cast<std::size_t>(2 * k[2] * k[3]));
    center_crop(x.data(), 2, k[0], k[1], y.data(), k[2], k[3]);
    CHECK(y[0] == static_cast<float>(k[4] * k[1] + k[5]));
    CHECK(y.back() == static_cast<float>(k[0] * k[1] + (k[4] + k[2] - 1) * k[1] + k[5] + k[3] - 1));
  }
  std::vector<float> x(16), y(25);
  CHECK_THROWS_WITH_AS(center_crop(x.data(), 1, 4, 4, y.data(), 5, 5), doctest::Contains("cannot crop 5x5"),
                       galnet::Error);
}
