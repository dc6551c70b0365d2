// FITS reading (galnet/data/fits.hpp, built only with CFITSIO): the files are written here with
// CFITSIO itself — 2-D images, a 3-plane cube, single-band g, r, i files, scaled integers, blank
// pixels, extensions, compressed files — then read back with galnet; every error names the file.
#include <doctest/doctest.h>

#include <fitsio.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "galnet/core/atomic_file.hpp"
#include "galnet/data/fits.hpp"
#include "galnet/data/mock_survey.hpp"

namespace {

namespace fs = std::filesystem;
using galnet::data::FitsImage;
using galnet::data::FitsOptions;
using galnet::data::NanPolicy;

/// A scratch folder, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("galnet_fits_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& name) const { return path / name; }
};

void ok(int status, const char* what) {
  if (status == 0) return;
  char text[FLEN_STATUS + 1] = {};
  fits_get_errstatus(status, text);
  throw std::runtime_error(std::string("test FITS writer: ") + what + ": " + text);
}

using Extra = std::function<void(fitsfile*, int&)>;

/// Writes `data` (CFITSIO type `datatype`) as an image of BITPIX `bitpix` and axes `axes` into a
/// new file; `header` runs after the image HDU is created (keywords, scaling), `before` before
/// it (an empty primary array, tables), `name` may carry CFITSIO syntax (".gz", "[compress]").
template <class T>
void write_fits(const std::string& name, int bitpix, std::vector<long> axes, int datatype, std::vector<T> data,
                const Extra& header = {}, const Extra& before = {}) {
  fs::remove(fs::path(name.substr(0, name.find('['))));
  fitsfile* f = nullptr;
  int status = 0;
  ok(fits_create_file(&f, name.c_str(), &status), "create");
  if (before) before(f, status);
  ok(status, "before");
  ok(fits_create_img(f, bitpix, static_cast<int>(axes.size()), axes.data(), &status), "create_img");
  if (header) header(f, status);
  ok(status, "header");
  if (!data.empty())
    ok(fits_write_img(f, datatype, 1, static_cast<LONGLONG>(data.size()), data.data(), &status), "write_img");
  ok(fits_close_file(f, &status), "close");
}

void write_float(const fs::path& p, std::vector<long> axes, std::vector<float> data, const Extra& header = {},
                 const Extra& before = {}) {
  write_fits(p.string(), FLOAT_IMG, std::move(axes), TFLOAT, std::move(data), header, before);
}

/// An empty primary array (NAXIS = 0), for files whose image is an extension.
const Extra empty_primary = [](fitsfile* f, int& status) { fits_create_img(f, FLOAT_IMG, 0, nullptr, &status); };
/// An empty primary array followed by a one-column binary table.
const Extra primary_and_table = [](fitsfile* f, int& status) {
  fits_create_img(f, FLOAT_IMG, 0, nullptr, &status);
  char ttype[] = "FLUX", tform[] = "1E", tunit[] = "nmgy", extname[] = "CATALOG";
  char* types[] = {ttype};
  char* forms[] = {tform};
  char* units[] = {tunit};
  fits_create_tbl(f, BINARY_TBL, 0, 1, types, forms, units, extname, &status);
};

std::vector<float> ramp(int n, float base = 0.0f) {
  std::vector<float> v(n);
  for (int k = 0; k < n; ++k) v[k] = base + static_cast<float>(k);
  return v;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const galnet::Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool has(const std::string& msg, const std::string& part) { return msg.find(part) != std::string::npos; }

/// dir / "f{k}.fits".
fs::path nth(const TempDir& dir, int k) {
  std::string name = "f";
  name += std::to_string(k);
  name += ".fits";
  return dir / name;
}

std::size_t open_fds() {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = fs::directory_iterator("/proc/self/fd", ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("fits: a 2-D image reads as one channel, x along NAXIS1 and y along NAXIS2") {
  TempDir dir;
  std::vector<float> v(12);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) v[y * 4 + x] = static_cast<float>(10 * y + x) + 0.25f;
  write_float(dir / "img.fits", {4, 3}, v);
  const FitsImage img = galnet::data::read_fits(dir / "img.fits");
  CHECK(img.channels == 1);
  CHECK(img.height == 3);
  CHECK(img.width == 4);
  REQUIRE(img.planes.size() == 12);
  CHECK(img.planes == v);
  CHECK(img.at(0, 2, 3) == 23.25f);

  SUBCASE("flip_y puts the last FITS row first") {
    const FitsImage f = galnet::data::read_fits(dir / "img.fits", {.flip_y = true});
    CHECK(f.at(0, 0, 0) == 20.25f);
    CHECK(f.at(0, 1, 2) == 12.25f);
    CHECK(f.at(0, 2, 3) == 3.25f);
  }
  SUBCASE("brackets in a file name are literal, not CFITSIO syntax") {
    fitsfile* f = nullptr;
    int status = 0;
    const fs::path odd = dir / "cut[1].fits";
    ok(fits_create_diskfile(&f, odd.c_str(), &status), "create");
    long axes[2] = {4, 3};
    ok(fits_create_img(f, FLOAT_IMG, 2, axes, &status), "create_img");
    ok(fits_write_img(f, TFLOAT, 1, 12, v.data(), &status), "write_img");
    ok(fits_close_file(f, &status), "close");
    CHECK(galnet::data::read_fits(odd).planes == v);
  }
  SUBCASE("a cube with NAXIS3 = 1 is one channel") {
    write_float(dir / "one.fits", {4, 3, 1}, v);
    const FitsImage one = galnet::data::read_fits(dir / "one.fits");
    CHECK(one.channels == 1);
    CHECK(one.planes == v);
  }
}

TEST_CASE("fits: a 3-plane cube reads as 3 channels in the stored (g, r, i) order") {
  TempDir dir;
  std::vector<float> v(3 * 2 * 5);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 5; ++x) v[(c * 2 + y) * 5 + x] = static_cast<float>(100 * c + 10 * y + x);
  write_float(dir / "cube.fits", {5, 2, 3}, v);
  const FitsImage img = galnet::data::read_fits(dir / "cube.fits");
  CHECK(img.channels == 3);
  CHECK(img.height == 2);
  CHECK(img.width == 5);
  CHECK(img.planes == v);
  CHECK(img.at(2, 1, 4) == 214.0f);

  const FitsImage flipped = galnet::data::read_fits(dir / "cube.fits", {.flip_y = true});
  CHECK(flipped.at(1, 0, 3) == 113.0f);
  CHECK(flipped.at(1, 1, 3) == 103.0f);
}

TEST_CASE("fits: read_fits_gri stacks three single-band files as channels g, r, i") {
  TempDir dir;
  write_float(dir / "g.fits", {3, 2}, ramp(6, 0));
  write_float(dir / "r.fits", {3, 2}, ramp(6, 100));
  write_fits((dir / "i.fits").string(), SHORT_IMG, {3, 2}, TSHORT, std::vector<short>{200, 201, 202, 203, 204, 205});
  const FitsImage img = galnet::data::read_fits_gri(dir / "g.fits", dir / "r.fits", dir / "i.fits");
  CHECK(img.channels == 3);
  CHECK(img.height == 2);
  CHECK(img.width == 3);
  std::vector<float> want = ramp(6, 0);
  for (float base : {100.0f, 200.0f})
    for (float x : ramp(6, base)) want.push_back(x);
  CHECK(img.planes == want);
}

TEST_CASE("fits: every BITPIX reads as float, with BSCALE and BZERO applied") {
  TempDir dir;
  SUBCASE("16-bit with BSCALE = 0.5, BZERO = 100") {
    write_fits((dir / "scaled.fits").string(), SHORT_IMG, {4, 1}, TSHORT, std::vector<short>{-4, 0, 2, 10},
               [](fitsfile* f, int& status) {
                 fits_write_key_dbl(f, "BSCALE", 0.5, -10, "physical = raw * BSCALE + BZERO", &status);
                 fits_write_key_dbl(f, "BZERO", 100.0, -10, nullptr, &status);
                 fits_set_bscale(f, 1.0, 0.0, &status);  // the values above are written raw
               });
    CHECK(galnet::data::read_fits(dir / "scaled.fits").planes == std::vector<float>{98, 100, 101, 105});
  }
  SUBCASE("unsigned 16-bit (BZERO = 32768)") {
    write_fits((dir / "u16.fits").string(), USHORT_IMG, {4, 1}, TUSHORT,
               std::vector<unsigned short>{0, 1, 40000, 65535});
    CHECK(galnet::data::read_fits(dir / "u16.fits").planes == std::vector<float>{0, 1, 40000, 65535});
  }
  SUBCASE("8-bit, 32-bit and 64-bit float") {
    write_fits((dir / "u8.fits").string(), BYTE_IMG, {3, 1}, TBYTE, std::vector<unsigned char>{0, 7, 255});
    CHECK(galnet::data::read_fits(dir / "u8.fits").planes == std::vector<float>{0, 7, 255});
    write_fits((dir / "i32.fits").string(), LONG_IMG, {3, 1}, TINT, std::vector<int>{-70000, 0, 1 << 20});
    CHECK(galnet::data::read_fits(dir / "i32.fits").planes == std::vector<float>{-70000, 0, 1 << 20});
    write_fits((dir / "f64.fits").string(), DOUBLE_IMG, {3, 1}, TDOUBLE, std::vector<double>{-1.5, 0.125, 3e10});
    CHECK(galnet::data::read_fits(dir / "f64.fits").planes == std::vector<float>{-1.5f, 0.125f, 3e10f});
  }
}

TEST_CASE("fits: blank pixels are an error naming the file and the count, or zero on request") {
  TempDir dir;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  write_float(dir / "nan.fits", {3, 2}, {1, nan, 3, 4, nan, 6});
  const std::string msg = error_of([&] { (void)galnet::data::read_fits(dir / "nan.fits"); });
  CHECK(has(msg, "galnet::data::read_fits"));
  CHECK(has(msg, (dir / "nan.fits").string()));
  CHECK(has(msg, "2 blank (NaN or BLANK) pixel(s) of 6"));
  CHECK(galnet::data::read_fits(dir / "nan.fits", {.nan_policy = NanPolicy::zero}).planes ==
        std::vector<float>{1, 0, 3, 4, 0, 6});

  // Integer data: the BLANK keyword marks the blank value.
  write_fits((dir / "blank.fits").string(), SHORT_IMG, {4, 1}, TSHORT, std::vector<short>{5, -32768, 7, 8},
             [](fitsfile* f, int& status) {
               long blank = -32768;
               fits_write_key(f, TLONG, "BLANK", &blank, "undefined pixel value", &status);
             });
  CHECK(has(error_of([&] { (void)galnet::data::read_fits(dir / "blank.fits"); }), "1 blank (NaN or BLANK) pixel(s)"));
  CHECK(galnet::data::read_fits(dir / "blank.fits", {.nan_policy = NanPolicy::zero}).planes ==
        std::vector<float>{5, 0, 7, 8});

  // In read_fits_gri the message names the band and its file.
  write_float(dir / "g.fits", {3, 2}, ramp(6));
  const std::string gri = error_of(
      [&] { (void)galnet::data::read_fits_gri(dir / "g.fits", dir / "nan.fits", dir / "g.fits"); });
  CHECK(has(gri, "r band '" + (dir / "nan.fits").string() + "'"));
  CHECK(has(gri, "2 blank"));
}

TEST_CASE("fits: the image may be the first IMAGE extension, after an empty primary and tables") {
  TempDir dir;
  write_float(dir / "ext.fits", {2, 2}, {1, 2, 3, 4}, {}, empty_primary);
  CHECK(galnet::data::read_fits(dir / "ext.fits").planes == std::vector<float>{1, 2, 3, 4});
  write_float(dir / "table_then_image.fits", {2, 2}, {5, 6, 7, 8}, {}, primary_and_table);
  CHECK(galnet::data::read_fits(dir / "table_then_image.fits").planes == std::vector<float>{5, 6, 7, 8});
}

TEST_CASE("fits: gzip-compressed files and tile-compressed images") {
  TempDir dir;
  write_float(dir / "img.fits.gz", {3, 2}, ramp(6, 1));
  REQUIRE(fs::exists(dir / "img.fits.gz"));
  CHECK(galnet::data::read_fits(dir / "img.fits.gz").planes == ramp(6, 1));

  write_fits((dir / "tiles.fits").string() + "[compress GZIP]", SHORT_IMG, {4, 3}, TSHORT,
             std::vector<short>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  const FitsImage tiles = galnet::data::read_fits(dir / "tiles.fits");
  CHECK(tiles.width == 4);
  CHECK(tiles.height == 3);
  CHECK(tiles.planes == ramp(12));
}

TEST_CASE("fits: errors name the file and the reason") {
  TempDir dir;
  auto read = [](const fs::path& p) { return error_of([&] { (void)galnet::data::read_fits(p); }); };

  SUBCASE("no such file, with CFITSIO's status text") {
    const std::string msg = read(dir / "missing.fits");
    CHECK(has(msg, "galnet::data::read_fits: '" + (dir / "missing.fits").string() + "'"));
    CHECK(has(msg, "no such file"));
    CHECK(has(msg, "CFITSIO status 104: could not open the named file"));
  }
  SUBCASE("a directory") { CHECK(has(read(dir.path), "is a directory")); }
  SUBCASE("not FITS: short and long text, an empty file") {
    std::ofstream(dir / "short.txt") << "objID,ra,dec\n1,2,3\n";
    std::ofstream(dir / "long.txt") << std::string(6000, 'x');
    std::ofstream(dir / "empty.fits").close();
    for (const char* name : {"short.txt", "long.txt", "empty.fits"}) {
      const std::string msg = read(dir / name);
      CAPTURE(msg);
      CHECK(has(msg, (dir / name).string()));
      CHECK(has(msg, name == std::string("empty.fits") ? "not a FITS file: the file is empty"
                                                       : "not a FITS file: it does not start with 'SIMPLE  ='"));
      CHECK(has(msg, "(CFITSIO status "));  // 107, 108 or 252 depending on the size
    }
  }
  SUBCASE("no image HDU") {
    write_fits((dir / "none.fits").string(), FLOAT_IMG, {}, TFLOAT, std::vector<float>{});
    CHECK(has(read(dir / "none.fits"), "no image HDU: none of its 1 HDU(s)"));
    // A table only, after an empty primary: written by hand (no image HDU to create).
    fitsfile* f = nullptr;
    int status = 0;
    ok(fits_create_diskfile(&f, (dir / "table.fits").c_str(), &status), "create");
    primary_and_table(f, status);
    ok(fits_close_file(f, &status), "close");
    const std::string msg = read(dir / "table.fits");
    CHECK(has(msg, (dir / "table.fits").string()));
    CHECK(has(msg, "no image HDU: none of its 2 HDU(s)"));
  }
  SUBCASE("wrong NAXIS") {
    write_float(dir / "1d.fits", {5}, ramp(5));
    CHECK(has(read(dir / "1d.fits"), "wrong NAXIS in the primary array: NAXIS = 1 (5); expected"));
    write_float(dir / "2planes.fits", {2, 2, 2}, ramp(8));
    CHECK(has(read(dir / "2planes.fits"), "NAXIS = 3 (2 x 2 x 2); expected a 2-D image or a 3-D cube with NAXIS3 = 3"));
    write_float(dir / "4d.fits", {2, 2, 3, 2}, ramp(24), {}, empty_primary);
    const std::string msg = read(dir / "4d.fits");
    CHECK(has(msg, (dir / "4d.fits").string()));
    CHECK(has(msg, "wrong NAXIS in image HDU 2: NAXIS = 4 (2 x 2 x 3 x 2)"));
  }
  SUBCASE("truncated data") {
    write_float(dir / "cut.fits", {64, 64}, ramp(64 * 64));
    fs::resize_file(dir / "cut.fits", 2880 + 5000);
    const std::string msg = read(dir / "cut.fits");
    CHECK(has(msg, (dir / "cut.fits").string()));
    CHECK(has(msg, "truncated: the data of the primary array (64 x 64 x 1 values of BITPIX -32) end at byte 19264"));
    CHECK(has(msg, "the file has 7880 bytes"));
  }
  SUBCASE("a corrupt gzip file reports CFITSIO's status") {
    write_float(dir / "img.fits.gz", {16, 16}, ramp(256));
    fs::resize_file(dir / "img.fits.gz", fs::file_size(dir / "img.fits.gz") / 2);
    const std::string msg = read(dir / "img.fits.gz");
    CHECK(has(msg, (dir / "img.fits.gz").string()));
    CHECK(has(msg, "CFITSIO status"));
  }
  SUBCASE("read_fits_gri: mismatched shapes, a cube as a band, a missing band") {
    write_float(dir / "g.fits", {3, 2}, ramp(6));
    write_float(dir / "r.fits", {2, 3}, ramp(6));
    write_float(dir / "cube.fits", {3, 2, 3}, ramp(18));
    auto gri = [&](const char* g, const char* r, const char* i) {
      return error_of([&] { (void)galnet::data::read_fits_gri(dir / g, dir / r, dir / i); });
    };
    const std::string shapes = gri("g.fits", "r.fits", "g.fits");
    CHECK(has(shapes, "galnet::data::read_fits_gri: r band '" + (dir / "r.fits").string() + "'"));
    CHECK(has(shapes, "band shapes differ: r is 2 x 3 (NAXIS1 x NAXIS2) but g '" + (dir / "g.fits").string() +
                          "' is 3 x 2"));
    const std::string cube = gri("g.fits", "g.fits", "cube.fits");
    CHECK(has(cube, "i band '" + (dir / "cube.fits").string() + "'"));
    CHECK(has(cube, "expected a single-band image, found 3 planes"));
    const std::string missing = gri("g.fits", "g.fits", "nope.fits");
    CHECK(has(missing, "i band '" + (dir / "nope.fits").string() + "': no such file"));
  }
}

TEST_CASE("fits: files are closed, after errors too") {
  TempDir dir;
  if (!fs::exists("/proc/self/fd")) return;
  write_float(dir / "good.fits", {2, 2}, ramp(4));
  write_float(dir / "nan.fits", {2, 1}, {1, std::numeric_limits<float>::quiet_NaN()});
  write_float(dir / "1d.fits", {5}, ramp(5));
  write_float(dir / "cut.fits", {64, 64}, ramp(64 * 64));
  fs::resize_file(dir / "cut.fits", 2880 + 100);
  std::ofstream(dir / "text.fits") << "not fits";
  const std::size_t before = open_fds();
  for (int k = 0; k < 50; ++k) {
    (void)galnet::data::read_fits(dir / "good.fits");
    for (const char* bad : {"nan.fits", "1d.fits", "cut.fits", "text.fits", "missing.fits"})
      CHECK_THROWS_AS((void)galnet::data::read_fits(dir / bad), galnet::Error);
  }
  CHECK(open_fds() == before);
}

TEST_CASE("fits: different files read concurrently") {
  TempDir dir;
  constexpr int files = 4;
  for (int k = 0; k < files; ++k) write_float(nth(dir, k), {32, 32}, ramp(1024, 1000.0f * k));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < files; ++k)
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 25; ++rep) {
        try {
          const FitsImage img = galnet::data::read_fits(nth(dir, k));
          if (img.planes != ramp(1024, 1000.0f * k)) ++wrong;
        } catch (...) {
          ++wrong;
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
}

TEST_CASE("fits: to_chw copies, reorders bands and applies Lupton's asinh stretch") {
  using galnet::data::AsinhStretch;
  FitsImage img{3, 1, 5, {}};
  // Pixels (g, r, i): (1, 2, 3), (100, 200, 300), (-1, 2, 5), (-3, 1, 1), (0.5, 0.5, 0.5).
  img.planes = {1, 100, -1, -3, 0.5f, 2, 200, 2, 1, 0.5f, 3, 300, 5, 1, 0.5f};
  std::vector<float> out(15);

  galnet::data::to_chw(img, out.data());
  CHECK(out == img.planes);
  galnet::data::to_chw(img, out.data(), {.bands_as_rgb = true});
  CHECK(std::vector<float>(out.begin(), out.begin() + 5) == std::vector<float>{3, 300, 5, 1, 0.5f});
  CHECK(std::vector<float>(out.begin() + 10, out.end()) == std::vector<float>{1, 100, -1, -3, 0.5f});

  // Reference values from astropy's AsinhMapping (Q = 8, stretch = 5, minimum = 0) / 255, before
  // rounding to uint8: out_c = x_c * asinh(I * Q / stretch) * 0.1 / asinh(0.1 Q) / I, I = mean x.
  galnet::data::to_chw(img, out.data(), {.asinh = AsinhStretch{}});
  auto px = [&](int p) { return std::vector<double>{out[p], out[5 + p], out[10 + p]}; };
  const double f2 = std::asinh(2.0 * 8 / 5) * 0.1 / std::asinh(0.8) / 2;  // I = 2
  CHECK(px(0)[0] == doctest::Approx(1 * f2).epsilon(1e-6));
  CHECK(px(0)[1] == doctest::Approx(2 * f2).epsilon(1e-6));
  CHECK(px(0)[2] == doctest::Approx(3 * f2).epsilon(1e-6));
  CHECK(px(0)[2] == doctest::Approx(0.3848666).epsilon(1e-6));
  // Saturated: divided by the largest channel, so the hue (the ratios) is kept.
  CHECK(px(1)[0] == doctest::Approx(1.0 / 3).epsilon(1e-6));
  CHECK(px(1)[1] == doctest::Approx(2.0 / 3).epsilon(1e-6));
  CHECK(px(1)[2] == doctest::Approx(1.0).epsilon(1e-6));
  // A negative band is clipped to 0 on its own; I <= 0 gives black.
  CHECK(px(2)[0] == 0.0);
  CHECK(px(2)[1] == doctest::Approx(2 * f2).epsilon(1e-6));
  CHECK(px(3) == std::vector<double>{0, 0, 0});
  // I = 0.1 * stretch maps to 0.1 whatever Q is.
  for (double q : {0.5, 8.0, 100.0}) {
    galnet::data::to_chw(img, out.data(), {.asinh = AsinhStretch{.Q = q}});
    CHECK(px(4)[1] == doctest::Approx(0.1).epsilon(1e-6));
  }
  // minimum and scale act before the stretch; bands_as_rgb reverses the stretched channels.
  FitsImage grey{1, 1, 2, {0.5f, 10.5f}};
  std::vector<float> g(2);
  galnet::data::to_chw(grey, g.data(), {.asinh = AsinhStretch{.stretch = 2, .minimum = {0.5, 0, 0}, .scale = {2, 1, 1}}});
  CHECK(g[0] == 0.0f);
  CHECK(g[1] == doctest::Approx(std::asinh(20.0 * 8 / 2) * 0.1 / std::asinh(0.8) / 20 * 20).epsilon(1e-6));
  // NaN (a user-built image; read_fits never returns one) becomes 0 under the stretch.
  FitsImage with_nan{1, 1, 1, {std::numeric_limits<float>::quiet_NaN()}};
  galnet::data::to_chw(with_nan, g.data(), {.asinh = AsinhStretch{}});
  CHECK(g[0] == 0.0f);
  galnet::data::to_chw(img, out.data(), {.asinh = AsinhStretch{}, .bands_as_rgb = true});
  CHECK(out[0] == doctest::Approx(3 * f2).epsilon(1e-6));
  CHECK(out[10] == doctest::Approx(1 * f2).epsilon(1e-6));
}

TEST_CASE("fits: to_chw rejects inconsistent images and bad stretch parameters") {
  std::vector<float> out(16);
  CHECK(has(error_of([&] { galnet::data::to_chw(FitsImage{2, 1, 1, {1, 2}}, out.data()); }),
            "1 or 3 channels expected, got 2"));
  CHECK(has(error_of([&] { galnet::data::to_chw(FitsImage{1, 2, 2, {1, 2}}, out.data()); }),
            "the image holds 2 values but 1 x 2 x 2 needs 4"));
  CHECK(has(error_of([&] {
              galnet::data::to_chw(FitsImage{1, 1, 1, {1}}, out.data(),
                                   {.asinh = galnet::data::AsinhStretch{.Q = 0}});
            }),
            "finite Q > 0 and stretch > 0"));
}

TEST_CASE("fits: write_fits writes what read_fits reads, top row last with flip_y, atomically") {
  TempDir dir;
  FitsImage cube{3, 2, 3, {}};
  for (int k = 0; k < 18; ++k) cube.planes.push_back(0.5f * static_cast<float>(k) - 2.0f);
  galnet::data::write_fits(dir / "cube.fits", cube);
  CHECK(galnet::data::read_fits(dir / "cube.fits").planes == cube.planes);
  // flip_y: row 0 (the top) is written last, so it is FITS row 2 and reads back first with flip_y.
  galnet::data::write_fits(dir / "flipped.fits", cube, {.flip_y = true});
  const FitsImage stored = galnet::data::read_fits(dir / "flipped.fits");
  CHECK(stored.at(1, 1, 2) == cube.at(1, 0, 2));
  CHECK(stored.at(2, 0, 0) == cube.at(2, 1, 0));
  CHECK(galnet::data::read_fits(dir / "flipped.fits", {.flip_y = true}).planes == cube.planes);
  FitsImage grey{1, 1, 2, {7.0f, -1.0f}};
  galnet::data::write_fits(dir / "grey.fits", grey);
  CHECK(galnet::data::read_fits(dir / "grey.fits").channels == 1);
  // A failed write names the file and leaves the earlier file as it was.
  CHECK(has(error_of([&] { galnet::data::write_fits(dir / "cube.fits", FitsImage{2, 1, 1, {1, 2}}); }),
            "1 or 3 channels expected, got 2"));
  CHECK(galnet::data::read_fits(dir / "cube.fits").planes == cube.planes);
  CHECK(has(error_of([&] { galnet::data::write_fits(dir / "no/such/dir/x.fits", grey); }), "no/such/dir/x.fits"));
}

TEST_CASE("fits: cutouts through CatalogImageSource are the colour images their stretch makes") {
  namespace data = galnet::data;
  TempDir dir;
  fs::create_directories(dir / "fits");
  fs::create_directories(dir / "png");
  std::string csv = "objID,oh_p50\n";
  for (int i = 0; i < 3; ++i) {
    const auto g = data::mock::draw_galaxy(3, static_cast<std::uint64_t>(i));
    const std::string id = std::to_string(g.obj_id);
    data::write_fits(dir / "fits" / (id + ".fits"), {3, 40, 40, data::mock::render_bands(g, 40, 0.3, 11)}, {.flip_y = true});
    data::Image png{40, 40, 3, data::mock::render(g, 40, 0.3, 11)};
    data::write_png(dir / "png" / (id + ".png"), png);
    csv += id + "," + std::to_string(g.oh) + "\n";
  }
  galnet::write_file_atomically(dir / "cat.csv", csv);
  const auto cat = data::Catalog::read_csv(dir / "cat.csv");
  auto images = [&](const std::string& ext, data::CutoutReader reader) {
    data::CatalogImageSource src(cat, {.images = dir / (ext == ".png" ? "png" : "fits"), .extension = ext,
                                       .targets = {"oh_p50"}, .crop = 32, .reader = std::move(reader)});
    src.train(false);
    std::vector<float> all(3 * 3 * 32 * 32);
    float target = 0;
    galnet::Generator gen(1);
    for (int i = 0; i < 3; ++i) src.load(static_cast<std::size_t>(i), all.data() + i * 3 * 32 * 32, &target, gen);
    return all;
  };
  auto max_diff = [](const std::vector<float>& a, const std::vector<float>& b) {
    double m = 0;
    for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::abs(static_cast<double>(a[k]) - b[k]));
    return m;
  };
  const auto png = images(".png", {});
  // The mock's own stretch: the FITS cube gives the PNG's colours before their rounding to 8 bits
  // — the same orientation (top row first) and channels (R, G, B = i, r, g).
  const auto fits = images(".fits", data::fits_cutout_reader({.asinh = data::mock::kMockStretch}));
  CHECK(max_diff(fits, png) <= 0.5 / 255 + 1e-6);
  CHECK(max_diff(fits, png) > 0);  // floats, not 8-bit values
  // Another stretch gives other colours; no stretch gives the fluxes.
  CHECK(max_diff(images(".fits", data::fits_cutout_reader()), png) > 0.1);
  const auto flux = images(".fits", data::fits_cutout_reader({.asinh = std::nullopt}));
  const auto g0 = data::mock::draw_galaxy(3, 0);
  const auto bands = data::mock::render_bands(g0, 40, 0.3, 11);  // g, r, i planes, top row first
  CHECK(flux[0 * 1024 + 0] == bands[2 * 1600 + 4 * 40 + 4]);     // R = i at crop (0, 0) = cutout (4, 4)
  CHECK(flux[2 * 1024 + 31 * 32 + 5] == bands[0 * 1600 + 35 * 40 + 9]);  // B = g
  // A single-band file gives a grey image: its band in all three channels.
  data::write_fits(dir / "fits" / (cat.id(0) + ".fits"), {1, 40, 40, std::vector<float>(bands.begin(), bands.begin() + 1600)},
                   {.flip_y = true});
  const auto grey = images(".fits", data::fits_cutout_reader({.asinh = std::nullopt}));
  CHECK(grey[0 * 1024 + 3 * 32 + 7] == bands[(3 + 4) * 40 + 11]);
  CHECK(grey[1 * 1024 + 3 * 32 + 7] == grey[0 * 1024 + 3 * 32 + 7]);
  CHECK(grey[2 * 1024 + 3 * 32 + 7] == grey[0 * 1024 + 3 * 32 + 7]);
  CHECK(has(error_of([] { (void)data::fits_cutout_reader({.asinh = data::AsinhStretch{.stretch = -1}}); }),
            "finite Q > 0 and stretch > 0"));
}
