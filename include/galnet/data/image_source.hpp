// galnet/data/image_source.hpp — CatalogImageSource: the samples of a catalog with cutouts
// {images}/{objID}{extension}, as the papers lay out their data; a SampleSource for DataLoader.
//
// load(i) decodes row i's image (JPEG or PNG, 3 channels; other formats, such as FITS, through
// ImageSourceOptions::reader, which gives floats in [0, 1]), checks or resizes it to
// `load_size`, centre-crops to `crop`, augments (training only, from the sample's generator),
// normalises, and copies the row's `targets` columns. Targets are checked once, at
// construction: a NaN or missing label throws naming the file, line, column and objID.
// A missing, unreadable or wrongly sized image throws galnet::Error naming the file; the
// DataLoader's policy decides whether that stops the epoch or skips the sample.
// With `cache`, decoded images stay in memory after their first load (bytes ≈ N·H·W·3, four
// times that for a reader's floats), so later epochs skip decoding. Thread-safe for concurrent
// load() calls.
// find_cutout_extension(catalog, folder) says which of kCutoutExtensions a folder's cutouts use,
// from the first rows' files; FITS ones need a reader (galnet/fits.hpp: fits_cutout_reader).
#pragma once
#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "galnet/data/augment.hpp"
#include "galnet/data/catalog.hpp"
#include "galnet/data/image.hpp"
#include "galnet/data/normalize.hpp"
#include "galnet/data/resize.hpp"

namespace galnet::data {

/// A cutout decoded to floats: 3 channels, CHW, in [0, 1] as to_chw gives an 8-bit image.
struct FloatCutout {
  int height = 0, width = 0;
  std::vector<float> chw;
};
/// Decodes a cutout file that read_image does not (FITS: galnet/fits.hpp's fits_cutout_reader).
using CutoutReader = std::function<FloatCutout(const std::filesystem::path&)>;

/// The cutout extensions find_cutout_extension tries, in order; the last four are FITS.
inline constexpr const char* kCutoutExtensions[] = {".jpg", ".jpeg", ".png", ".fits", ".fits.gz", ".fits.fz", ".fit"};

/// True for an extension of FITS files (.fits, .fit, .fts, .fits.gz, .fits.fz).
inline bool is_fits_extension(std::string_view ext) {
  return ext == ".fits" || ext == ".fit" || ext == ".fts" || ext == ".fits.gz" || ext == ".fits.fz";
}

struct ImageSourceOptions {
  std::filesystem::path images;          ///< folder holding {objID}{extension}
  std::string extension = ".jpg";
  std::vector<std::string> targets;      ///< catalog columns to regress (may be empty: prediction)
  int load_size = 0;                     ///< resize to this square size; 0: images must all share one size
  int crop = 0;                          ///< centre crop after resizing; 0: none
  Interp interp = Interp::bilinear;
  AugmentOptions augment;                ///< applied only while training()
  Normalization normalization = Normalization::unit();  ///< after scaling pixels to [0, 1]
  bool cache = false;
  CutoutReader reader;                   ///< decodes the files instead of read_image (FITS needs one)
};

/// The extension of the cutouts {folder}/{objID}{ext}: the first of kCutoutExtensions that a file
/// of the catalog's first rows has (up to 16 rows are tried, so a few missing cutouts do not
/// matter). Throws naming the folder, the files looked for and what else it holds.
inline std::string find_cutout_extension(const Catalog& catalog, const std::filesystem::path& folder) {
  namespace fs = std::filesystem;
  std::error_code ec;
  GALNET_CHECK(fs::is_directory(folder, ec), "CatalogImageSource: image folder '", folder.string(), "' does not exist");
  const std::size_t rows = std::min<std::size_t>(catalog.size(), 16);
  for (std::size_t r = 0; r < rows; ++r)
    for (const char* ext : kCutoutExtensions)
      if (fs::is_regular_file(folder / (catalog.id(r) + ext), ec)) return ext;
  std::string other;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    other = e.path().filename().string();
    break;
  }
  fail("CatalogImageSource: no cutout {objID}.jpg, .jpeg, .png, .fits, .fits.gz, .fits.fz or .fit in '", folder.string(), "' for the first ", rows,
       " galaxies of ", catalog.source(), rows > 0 ? " (e.g. " + catalog.id(0) + ".jpg)" : std::string(),
       other.empty() ? std::string("; the folder is empty") : "; it holds e.g. '" + other + "'");
}

class CatalogImageSource {
public:
  CatalogImageSource(const Catalog& catalog, ImageSourceOptions opt)
      : catalog_(catalog), opt_(std::move(opt)), cache_(opt_.cache ? catalog.size() : 0) {
    GALNET_CHECK(!catalog_.empty(), "CatalogImageSource: catalog '", catalog_.source(), "' has no rows");
    GALNET_CHECK(opt_.reader || !is_fits_extension(opt_.extension), "CatalogImageSource: the cutouts are FITS ({objID}",
                 opt_.extension, "), which need a reader: link galnet::fits and set ImageSourceOptions::reader = "
                 "data::fits_cutout_reader() (galnet/fits.hpp)");
    if (!opt_.targets.empty()) labels_ = catalog_.labels<float>(opt_.targets);
    GALNET_CHECK(std::filesystem::is_directory(opt_.images), "CatalogImageSource: image folder '",
                 opt_.images.string(), "' does not exist");
    // The stored size: given by load_size, or read from the first image.
    if (opt_.load_size > 0) {
      side_ = opt_.load_size;
    } else {
      const Cutout first = decode(0);
      GALNET_CHECK(first.height() == first.width(), "CatalogImageSource: '", path_of(0).string(), "' is ",
                   first.width(), "x", first.height(), "; cutouts must be square (or set load_size)");
      side_ = first.height();
    }
    out_ = opt_.crop > 0 ? opt_.crop : side_;
    GALNET_CHECK(out_ <= side_, "CatalogImageSource: crop ", opt_.crop, " is larger than the image size ", side_,
                 opt_.load_size > 0 ? std::string(" (load_size)") : " of '" + path_of(0).string() + "', the first cutout");
  }

  [[nodiscard]] std::size_t size() const { return catalog_.size(); }
  [[nodiscard]] Shape sample_shape() const { return Shape{3, out_, out_}; }
  [[nodiscard]] int target_count() const { return static_cast<int>(opt_.targets.size()); }
  [[nodiscard]] const Catalog& catalog() const { return catalog_; }
  [[nodiscard]] const ImageSourceOptions& options() const { return opt_; }
  [[nodiscard]] std::filesystem::path path_of(std::size_t i) const {
    return opt_.images / (std::string(catalog_.id(i)) + opt_.extension);
  }

  /// Augmentation on (training) or off (evaluation, prediction).
  void train(bool on) { training_ = on; }
  [[nodiscard]] bool training() const { return training_; }

  void load(std::size_t i, float* image, float* targets, Generator& g) {
    std::shared_ptr<const Cutout> img = cached(i);
    if (!img) {
      auto decoded = std::make_shared<const Cutout>(decode(i));
      if (opt_.load_size == 0)
        GALNET_CHECK(decoded->height() == side_ && decoded->width() == side_, "CatalogImageSource: '", path_of(i).string(),
                     "' is ", decoded->width(), "x", decoded->height(), ", but '", path_of(0).string(), "', the first cutout, is ",
                     side_, "x", side_, ": one of the two is not like the others (or set load_size to resize all)");
      img = decoded;
      if (opt_.cache) store(i, img);
    }
    thread_local std::vector<float> a, b;
    const int h = img->height(), w = img->width();
    a.resize(static_cast<std::size_t>(3) * h * w);
    if (opt_.reader) std::copy(img->floats.chw.begin(), img->floats.chw.end(), a.begin());
    else to_chw(img->bytes, a.data());
    if (h != side_ || w != side_) {
      b.resize(static_cast<std::size_t>(3) * side_ * side_);
      resize(a.data(), 3, h, w, b.data(), side_, side_, opt_.interp);
      std::swap(a, b);
    }
    float* src = a.data();
    if (out_ != side_) {
      b.resize(static_cast<std::size_t>(3) * out_ * out_);
      center_crop(a.data(), 3, side_, side_, b.data(), out_, out_);
      src = b.data();
    }
    if (training_) augment(opt_.augment, g, src, image, 3, out_, out_);
    else std::copy(src, src + 3 * out_ * out_, image);
    opt_.normalization.apply(image, 3, out_, out_);
    for (int t = 0; t < target_count(); ++t) targets[t] = labels_[static_cast<std::int64_t>(i) * target_count() + t];
  }

private:
  /// A decoded cutout: 8-bit pixels (read_image) or a reader's floats.
  struct Cutout {
    Image bytes;
    FloatCutout floats;
    [[nodiscard]] int height() const { return bytes.empty() ? floats.height : bytes.height; }
    [[nodiscard]] int width() const { return bytes.empty() ? floats.width : bytes.width; }
  };
  [[nodiscard]] Cutout decode(std::size_t i) const {
    Cutout c;
    if (!opt_.reader) {
      c.bytes = read_image(path_of(i), 3);
      return c;
    }
    c.floats = opt_.reader(path_of(i));
    const auto& f = c.floats;
    GALNET_CHECK(f.height > 0 && f.width > 0 &&
                     f.chw.size() == static_cast<std::size_t>(3) * static_cast<std::size_t>(f.height) * f.width,
                 "CatalogImageSource: the reader of '", path_of(i).string(), "' gave ", f.chw.size(), " values for a ",
                 f.width, "x", f.height, " cutout of 3 channels");
    return c;
  }
  std::shared_ptr<const Cutout> cached(std::size_t i) {
    if (!opt_.cache) return nullptr;
    std::lock_guard lock(mutex_);
    return cache_[i];
  }
  void store(std::size_t i, std::shared_ptr<const Cutout> img) {
    std::lock_guard lock(mutex_);
    cache_[i] = std::move(img);
  }

  const Catalog& catalog_;
  ImageSourceOptions opt_;
  Tensor<float> labels_;
  std::vector<std::shared_ptr<const Cutout>> cache_;
  std::mutex mutex_;
  int side_ = 0, out_ = 0;
  bool training_ = true;
};

}  // namespace galnet::data
