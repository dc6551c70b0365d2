// CatalogImageSource: catalog rows + cutouts into normalised tensors, and every bad input named.
#include <doctest/doctest.h>

#include "../support.hpp"

#include <atomic>
#include <filesystem>
#include <galnet/data/image_source.hpp>
#include <galnet/data/loader.hpp>
#include <galnet/data/mock_survey.hpp>
#include <galnet/core/atomic_file.hpp>

using namespace galnet;
using galnet::test::error_of;
namespace fs = std::filesystem;

namespace {
/// A folder with `n` 32-px cutouts and a catalog; returns its path.
fs::path make_survey(const std::string& name, int n, const std::string& extra_rows = "") {
  const fs::path dir = fs::temp_directory_path() / ("galnet_source_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir / "images");
  std::string csv = "objID,oh_p50,lgm_tot_p50\n";
  for (int i = 0; i < n; ++i) {
    const auto g = data::mock::draw_galaxy(9, static_cast<std::uint64_t>(i));
    data::Image img;
    img.height = img.width = 32;
    img.channels = 3;
    img.pixels = data::mock::render(g, 32, 0.5, static_cast<std::uint64_t>(i));
    data::write_png(dir / "images" / (std::to_string(g.obj_id) + ".png"), img);
    csv += std::to_string(g.obj_id) + "," + std::to_string(g.oh) + "," + std::to_string(g.lgm) + "\n";
  }
  galnet::write_file_atomically(dir / "train.csv", csv + extra_rows);
  return dir;
}
}  // namespace

TEST_CASE("CatalogImageSource: crop, targets, normalisation, augmentation only while training") {
  const auto dir = make_survey("ok", 6);
  const auto cat = data::Catalog::read_csv(dir / "train.csv");
  data::CatalogImageSource src(cat, {.images = dir / "images", .extension = ".png",
                                     .targets = {"oh_p50", "lgm_tot_p50"}, .crop = 24,
                                     .augment = data::wu_boada_augment(),
                                     .normalization = data::Normalization::imagenet()});
  CHECK(src.sample_shape() == Shape{3, 24, 24});
  CHECK(src.target_count() == 2);
  std::vector<float> img(3 * 24 * 24), a(img.size()), b(img.size()), tgt(2);
  Generator g1(1), g2(2);
  src.train(false);
  src.load(2, a.data(), tgt.data(), g1);
  src.load(2, b.data(), tgt.data(), g2);
  CHECK(a == b);  // no augmentation in eval mode
  CHECK(tgt[0] == doctest::Approx(cat.value(2, "oh_p50")));
  CHECK(tgt[1] == doctest::Approx(cat.value(2, "lgm_tot_p50")));
  // ImageNet normalisation: a black sky pixel maps to about -mean/std.
  CHECK(a[0] == doctest::Approx(-0.485f / 0.229f).epsilon(0.1));
  src.train(true);
  bool differs = false;
  for (std::uint64_t s = 0; s < 8 && !differs; ++s) {
    Generator g(s);
    src.load(2, b.data(), tgt.data(), g);
    differs = a != b;
  }
  CHECK(differs);
}

TEST_CASE("CatalogImageSource: resizing on load and the in-memory cache") {
  const auto dir = make_survey("cache", 4);
  const auto cat = data::Catalog::read_csv(dir / "train.csv");
  data::CatalogImageSource src(cat, {.images = dir / "images", .extension = ".png", .targets = {"oh_p50"},
                                     .load_size = 20, .cache = true});
  src.train(false);
  CHECK(src.sample_shape() == Shape{3, 20, 20});
  std::vector<float> a(3 * 20 * 20), b(a.size());
  float t;
  Generator g;
  src.load(1, a.data(), &t, g);
  fs::remove(src.path_of(1));  // served from memory from now on
  src.load(1, b.data(), &t, g);
  CHECK(a == b);
}

TEST_CASE("CatalogImageSource: bad input is named — missing file, wrong size, NaN label, no folder") {
  const auto dir = make_survey("bad", 5);
  {
    const auto cat = data::Catalog::read_csv(dir / "train.csv");
    data::CatalogImageSource src(cat, {.images = dir / "images", .extension = ".png", .targets = {"oh_p50"}});
    fs::remove(src.path_of(3));
    std::vector<float> img(3 * 32 * 32);
    float t;
    Generator g;
    const auto e = error_of([&] { src.load(3, img.data(), &t, g); });
    CHECK(e.find(src.path_of(3).filename().string()) != std::string::npos);
    CHECK(e.find("no such file") != std::string::npos);
    // A cutout of another size.
    data::Image small;
    small.height = small.width = 16;
    small.channels = 3;
    small.pixels.assign(16 * 16 * 3, 100);
    data::write_png(src.path_of(4), small);
    const auto e2 = error_of([&] { src.load(4, img.data(), &t, g); });
    CHECK(e2.find("16x16") != std::string::npos);
    // Both files are named: the size came from the first cutout, which may be the odd one out.
    CHECK(e2.find(src.path_of(0).filename().string() + "', the first cutout, is 32x32") != std::string::npos);
    // A crop larger than the cutouts names the file that set their size.
    const auto e3 = error_of([&] {
      data::CatalogImageSource big(cat, {.images = dir / "images", .extension = ".png", .crop = 64});
    });
    CHECK(e3.find("crop 64 is larger than the image size 32 of '") != std::string::npos);
    CHECK(e3.find(src.path_of(0).filename().string()) != std::string::npos);
    // The loader's skip policy leaves both out and counts them.
    data::DataLoader loader(src, {}, {.batch_size = 2, .on_error = data::BadSamplePolicy::skip});
    loader.start_epoch(0);
    data::Batch b;
    std::int64_t total = 0;
    while (loader.next(b)) total += b.size();
    CHECK(total == 3);
    CHECK(loader.skipped() == 2);
  }
  {
    const auto nan_dir = make_survey("nan", 3, "1237000000000000001,,9.5\n");
    const auto cat = data::Catalog::read_csv(nan_dir / "train.csv");
    const auto e = error_of([&] {
      data::CatalogImageSource src(cat, {.images = nan_dir / "images", .extension = ".png", .targets = {"oh_p50"}});
    });
    CHECK(e.find("train.csv") != std::string::npos);
    CHECK(e.find("1237000000000000001") != std::string::npos);
  }
  const auto cat = data::Catalog::read_csv(dir / "train.csv");
  CHECK(error_of([&] { data::CatalogImageSource src(cat, {.images = dir / "nowhere"}); }).find("nowhere") !=
        std::string::npos);
}

TEST_CASE("find_cutout_extension: the folder's own extension, PNG pixels exactly as written, a clear error") {
  const auto dir = make_survey("ext", 4);  // PNG cutouts
  const auto cat = data::Catalog::read_csv(dir / "train.csv");
  CHECK(data::find_cutout_extension(cat, dir / "images") == ".png");
  // PNG is lossless: the source hands the network the written pixels / 255.
  data::CatalogImageSource src(cat, {.images = dir / "images", .extension = ".png"});
  src.train(false);
  std::vector<float> img(3 * 32 * 32);
  Generator g(1);
  src.load(1, img.data(), nullptr, g);
  const auto written = data::read_image(src.path_of(1), 3);
  CHECK(img[0 * 32 * 32 + 5 * 32 + 7] == static_cast<float>(written.pixels[(5 * 32 + 7) * 3 + 0]) * (1.0f / 255));
  CHECK(img[2 * 32 * 32 + 16 * 32 + 16] == static_cast<float>(written.pixels[(16 * 32 + 16) * 3 + 2]) * (1.0f / 255));
  // The first galaxy's cutout missing: the next rows decide. JPEG beside PNG: .jpg comes first.
  fs::remove(dir / "images" / (cat.id(0) + ".png"));
  CHECK(data::find_cutout_extension(cat, dir / "images") == ".png");
  fs::copy_file(dir / "images" / (cat.id(1) + ".png"), dir / "images" / (cat.id(0) + ".jpg"));
  CHECK(data::find_cutout_extension(cat, dir / "images") == ".jpg");
  // No cutout of any known kind: the error names the folder, the file looked for and what is there.
  for (std::size_t r = 0; r < cat.size(); ++r) {
    fs::remove(dir / "images" / (cat.id(r) + ".png"));
    fs::remove(dir / "images" / (cat.id(r) + ".jpg"));
  }
  galnet::write_file_atomically(dir / "images" / "notes.txt", "x");
  const auto e = error_of([&] { (void)data::find_cutout_extension(cat, dir / "images"); });
  CHECK(e.find("no cutout {objID}.jpg, .jpeg, .png, .fits, .fits.gz, .fits.fz or .fit in '" + (dir / "images").string()) !=
        std::string::npos);
  CHECK(e.find("(e.g. " + cat.id(0) + ".jpg)") != std::string::npos);
  CHECK(e.find("it holds e.g. 'notes.txt'") != std::string::npos);
  CHECK(error_of([&] { (void)data::find_cutout_extension(cat, dir / "nowhere"); }).find("does not exist") !=
        std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("CatalogImageSource: a reader decodes other formats (FITS), without which a FITS folder is refused") {
  const auto dir = make_survey("reader", 3);
  const auto cat = data::Catalog::read_csv(dir / "train.csv");
  // .fits files found after the image formats: a folder of FITS cutouts names its extension.
  for (std::size_t r = 0; r < cat.size(); ++r)
    fs::rename(dir / "images" / (cat.id(r) + ".png"), dir / "images" / (cat.id(r) + ".fits"));
  CHECK(data::find_cutout_extension(cat, dir / "images") == ".fits");
  CHECK(data::is_fits_extension(".fits.gz"));
  CHECK(!data::is_fits_extension(".png"));
  const auto refused = error_of([&] { data::CatalogImageSource(cat, {.images = dir / "images", .extension = ".fits"}); });
  CHECK(refused.find("the cutouts are FITS ({objID}.fits), which need a reader") != std::string::npos);
  CHECK(refused.find("fits_cutout_reader") != std::string::npos);

  // A reader's floats reach the network as they are (then cropped and normalised), one call per
  // galaxy and no more with the cache; a reader giving the wrong count is named.
  std::atomic<int> calls{0};
  auto reader = [&calls](const fs::path& path) {
    ++calls;
    data::FloatCutout c{8, 8, std::vector<float>(3 * 8 * 8)};
    for (std::size_t k = 0; k < c.chw.size(); ++k) c.chw[k] = static_cast<float>(k) / 1000.0f;
    c.chw[0] = static_cast<float>(path.stem().string().size());  // which file: the id's length
    return c;
  };
  data::CatalogImageSource src(cat, {.images = dir / "images", .extension = ".fits", .crop = 6,
                                     .normalization = data::Normalization{{0.5f, 0.5f, 0.5f}, {2.0f, 2.0f, 2.0f}},
                                     .cache = true, .reader = reader});
  src.train(false);
  CHECK(src.sample_shape() == Shape{3, 6, 6});
  std::vector<float> img(3 * 6 * 6);
  Generator g(1);
  for (int rep = 0; rep < 2; ++rep) src.load(2, img.data(), nullptr, g);
  CHECK(calls == 2);  // the size probe at construction, then galaxy 2 once
  // Channel 1, row 0, column 0 of the 6-px centre crop is channel 1, row 1, column 1 of the 8-px cutout.
  CHECK(img[36] == doctest::Approx((static_cast<float>(64 + 8 + 1) / 1000.0f - 0.5f) / 2.0f));
  auto bad = [](const fs::path&) { return data::FloatCutout{8, 8, std::vector<float>(10)}; };
  CHECK(error_of([&] { data::CatalogImageSource(cat, {.images = dir / "images", .extension = ".fits", .reader = bad}); })
            .find("gave 10 values for a 8x8 cutout of 3 channels") != std::string::npos);
  fs::remove_all(dir);
}
