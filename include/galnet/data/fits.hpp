// galnet/data/fits.hpp — FITS images through CFITSIO (optional): cutouts read and written, and
// converted to float CHW for the networks.
//
// Contract
//   - Optional: compiled only where the build defines GALNET_WITH_CFITSIO, which the CMake
//     target galnet::fits does (it exists when CMake found CFITSIO: pkg-config `cfitsio`, else
//     fitsio.h + libcfitsio). Link your target with galnet::fits, not galnet::galnet alone.
//     Not part of any umbrella header.
//   - FitsImage holds floats in CHW order: planes[(c * height + y) * width + x], with x along
//     NAXIS1 and y along NAXIS2. Rows stay in FITS storage order (row 0 = the first row in the
//     file, the bottom one as ds9 shows it) unless FitsOptions::flip_y, which puts the top row
//     first, as in JPEG cutouts.
//   - read_fits(path): the first HDU holding a non-empty image — the primary array, else the
//     first IMAGE extension (tile-compressed images count; tables are skipped). NAXIS = 2 gives
//     1 channel; NAXIS = 3 with NAXIS3 = 3 gives 3 channels in the order stored (g, r, i for a
//     gri cube); NAXIS3 = 1 is read as 1 channel. Any other NAXIS is an error.
//   - read_fits_gri(g, r, i): three single-band images (each as read_fits, 1 channel) stacked
//     as channels 0, 1, 2 = g, r, i; their shapes must agree.
//   - Every BITPIX is read as float (TFLOAT): CFITSIO applies BSCALE/BZERO (so unsigned 16-bit
//     data, BZERO = 32768, reads right). Blank pixels — NaN in float data, BLANK in integer
//     data — follow FitsOptions::nan_policy: NanPolicy::error (default) throws naming the file
//     and the count; NanPolicy::zero replaces them by 0. ±Inf is not blank and passes through.
//   - Every failure throws galnet::Error naming the function, the file and the reason, with
//     CFITSIO's status code and text (fits_get_errstatus) where CFITSIO failed: no such file, a
//     directory, not FITS (does not start with SIMPLE), unreadable or truncated, no image HDU,
//     wrong NAXIS, absurd size (a side over kMaxFitsSide or more than kMaxFitsValues floats,
//     checked before allocating; an uncompressed file must also hold all the data its header
//     announces), blank pixels, a band that is not single-band, mismatched band shapes.
//   - Files are opened read-only with fits_open_diskfile (no CFITSIO extended-filename syntax,
//     so a '[' in a path is literal; gzip-compressed files are read) and always closed,
//     error or not (RAII). Reading different files from several threads is safe where CFITSIO
//     is reentrant (fits_is_reentrant(); Debian's is).
//   - to_chw(fits, dst, opt): copies the planes into dst (channels * height * width floats),
//     as is (raw flux) or through the asinh stretch of data/asinh_stretch.hpp (Lupton et al.
//     2004, astropy's make_lupton_rgb parameters), which gives floats in [0, 1] — the range of
//     to_chw for 8-bit images, so the same Normalization applies. bands_as_rgb writes a
//     3-channel image in reverse order (i, r, g): the R, G, B of SDSS colour JPEGs, for a model
//     trained on JPEG cutouts. The stretch maps NaN to 0; the copy keeps it.
//   - write_fits(path, img, opt): a float32 image or cube, written atomically (a failed write
//     leaves an earlier file as it was); flip_y writes row 0 last.
//   - fits_cutout_reader(opt): FITS cutouts {objID}.fits for CatalogImageSource (its
//     ImageSourceOptions::reader): top row first, g, r, i shown as SDSS colour JPEGs show them,
//     stretched as FitsCutoutOptions says.
//   - Installed galnet: find_package(galnet) defines galnet::fits only where it finds CFITSIO
//     on the user's machine too (galnetFits.cmake); find_package(galnet COMPONENTS fits)
//     requires it.
#pragma once

#ifndef GALNET_WITH_CFITSIO
#error "galnet/data/fits.hpp needs CFITSIO: link your target with galnet::fits (target_link_libraries(app PRIVATE galnet::fits)), which galnet defines when CMake finds CFITSIO (Debian: apt-get install libcfitsio-dev), or define GALNET_WITH_CFITSIO and link cfitsio yourself"
#else

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/data/asinh_stretch.hpp"
#include "galnet/data/detail/cfitsio.hpp"
#include "galnet/data/image_source.hpp"

namespace galnet::data {

/// An image read from FITS: floats in CHW order, planes[(c * height + y) * width + x].
struct FitsImage {
  int channels = 0, height = 0, width = 0;
  std::vector<float> planes;  // CHW

  [[nodiscard]] std::size_t size() const {
    return static_cast<std::size_t>(channels) * static_cast<std::size_t>(height) *
           static_cast<std::size_t>(width);
  }
  [[nodiscard]] bool empty() const { return planes.empty(); }
  [[nodiscard]] float at(int c, int y, int x) const {
    return planes[(static_cast<std::size_t>(c) * height + y) * width + x];
  }
};

/// What to do with blank pixels (NaN, or BLANK in integer data).
enum class NanPolicy {
  error,  ///< throw galnet::Error naming the file and the number of blank pixels
  zero,   ///< replace them by 0
};

struct FitsOptions {
  NanPolicy nan_policy = NanPolicy::error;
  bool flip_y = false;  ///< true: row 0 is the last FITS row (the top as ds9 shows it), as in JPEGs
};

/// Largest accepted side and value count (3 x 8192 x 8192 is fine).
inline constexpr long long kMaxFitsSide = 1 << 16;
inline constexpr long long kMaxFitsValues = 1LL << 28;

namespace detail::fits {

/// Reads the first non-empty image HDU of `path` as floats; `who` prefixes every message.
inline FitsImage read_one(const std::filesystem::path& path, const FitsOptions& opt, const std::string& who) {
  std::error_code ec;
  auto [file, plain] = open_readonly(path, who);
  int status = 0;

  // The first HDU holding a non-empty image.
  int naxis = 0;
  LONGLONG naxes[9] = {};
  int found = 0, hdus = 0;
  for (int hdu = 1;; ++hdu) {
    int type = 0;
    if (fits_movabs_hdu(file.get(), hdu, &type, &status) != 0) {
      if (status == END_OF_FILE) break;
      fail(who, "cannot read HDU ", hdu, " (", status_text(status), ")");
    }
    hdus = hdu;
    if (type != IMAGE_HDU) continue;
    int n = 0;
    if (fits_get_img_dim(file.get(), &n, &status) != 0)
      fail(who, "cannot read the image header of HDU ", hdu, " (", status_text(status), ")");
    if (n <= 0) continue;
    LONGLONG dims[9] = {};
    if (fits_get_img_sizell(file.get(), std::min(n, 9), dims, &status) != 0)
      fail(who, "cannot read the image size of HDU ", hdu, " (", status_text(status), ")");
    bool nonempty = true;
    for (int k = 0; k < std::min(n, 9); ++k) nonempty = nonempty && dims[k] > 0;
    if (!nonempty) continue;
    found = hdu;
    naxis = n;
    std::copy(dims, dims + 9, naxes);
    break;
  }
  GALNET_CHECK(found != 0, who, "no image HDU: none of its ", hdus,
               " HDU(s) is an image with NAXIS > 0 and no zero axis (tables are not read)");
  const std::string where_s = found == 1 ? std::string("the primary array") : "image HDU " + std::to_string(found);

  const bool cube = naxis == 3 && (naxes[2] == 3 || naxes[2] == 1);
  if (naxis != 2 && !cube) {
    std::string dims;
    for (int k = 0; k < std::min(naxis, 9); ++k) dims += (k ? " x " : "") + std::to_string(naxes[k]);
    fail(who, "wrong NAXIS in ", where_s, ": NAXIS = ", naxis, " (", dims,
         "); expected a 2-D image or a 3-D cube with NAXIS3 = 3 (or 1)");
  }
  const LONGLONG w = naxes[0], h = naxes[1], c = naxis == 3 ? naxes[2] : 1;
  GALNET_CHECK(w <= kMaxFitsSide && h <= kMaxFitsSide && w * h * c <= kMaxFitsValues, who, "absurd size in ",
               where_s, ": ", w, " x ", h, " x ", c, " (at most ", kMaxFitsSide, " per side and ", kMaxFitsValues,
               " values)");

  // An uncompressed file must hold the data its header announces (checked before allocating).
  int bitpix = 0;
  fits_get_img_type(file.get(), &bitpix, &status);
  const int compressed = fits_is_compressed_image(file.get(), &status);
  if (status != 0) fail(who, "cannot read the image type of ", where_s, " (", status_text(status), ")");
  if (plain && !compressed) {
    LONGLONG head = 0, data = 0, end = 0;
    fits_get_hduaddrll(file.get(), &head, &data, &end, &status);
    const std::uintmax_t bytes = std::filesystem::file_size(path, ec);
    const LONGLONG need = data + w * h * c * (std::abs(bitpix) / 8);
    if (status == 0 && !ec && static_cast<LONGLONG>(bytes) < need)
      fail(who, "truncated: the data of ", where_s, " (", w, " x ", h, " x ", c, " values of BITPIX ", bitpix,
           ") end at byte ", need, " but the file has ", bytes, " bytes");
    status = 0;
  }

  FitsImage img;
  img.channels = static_cast<int>(c);
  img.height = static_cast<int>(h);
  img.width = static_cast<int>(w);
  img.planes.resize(img.size());
  LONGLONG first[3] = {1, 1, 1};
  float blank = std::numeric_limits<float>::quiet_NaN();
  int any_blank = 0;
  if (fits_read_pixll(file.get(), TFLOAT, first, static_cast<LONGLONG>(img.size()), &blank, img.planes.data(),
                      &any_blank, &status) != 0)
    fail(who, "cannot read the pixels of ", where_s, " (", status_text(status), ")");

  std::size_t blanks = 0;
  for (float& v : img.planes)
    if (std::isnan(v)) {
      ++blanks;
      v = 0.0f;
    }
  if (blanks > 0 && opt.nan_policy == NanPolicy::error)
    fail(who, blanks, " blank (NaN or BLANK) pixel(s) of ", img.size(), " in ", where_s,
         "; set FitsOptions::nan_policy = NanPolicy::zero to replace them by 0");

  if (opt.flip_y) {
    const std::size_t row = static_cast<std::size_t>(w);
    for (int ch = 0; ch < img.channels; ++ch) {
      float* p = img.planes.data() + static_cast<std::size_t>(ch) * h * w;
      for (LONGLONG y = 0; y < h / 2; ++y)
        std::swap_ranges(p + y * row, p + (y + 1) * row, p + (h - 1 - y) * row);
    }
  }
  return img;
}

}  // namespace detail::fits

// ---- reading ----

/// A 2-D image (1 channel) or a 3-plane cube (3 channels, as stored) from the first image HDU.
inline FitsImage read_fits(const std::filesystem::path& path, const FitsOptions& opt = {}) {
  return detail::fits::read_one(path, opt, "galnet::data::read_fits: " + detail::fits::quoted(path) + ": ");
}

/// Three single-band files stacked as channels g, r, i; their shapes must agree.
inline FitsImage read_fits_gri(const std::filesystem::path& g, const std::filesystem::path& r,
                               const std::filesystem::path& i, const FitsOptions& opt = {}) {
  const std::filesystem::path* paths[3] = {&g, &r, &i};
  static constexpr const char* band[3] = {"g", "r", "i"};
  FitsImage out;
  for (int b = 0; b < 3; ++b) {
    const std::string who =
        std::string("galnet::data::read_fits_gri: ") + band[b] + " band " + detail::fits::quoted(*paths[b]) + ": ";
    FitsImage one = detail::fits::read_one(*paths[b], opt, who);
    GALNET_CHECK(one.channels == 1, who, "expected a single-band image, found ", one.channels,
                 " planes (NAXIS3 = ", one.channels, ")");
    if (b == 0) {
      out.channels = 3;
      out.height = one.height;
      out.width = one.width;
      out.planes.resize(out.size());
    } else {
      GALNET_CHECK(one.height == out.height && one.width == out.width, who,
                   "band shapes differ: ", band[b], " is ", one.width, " x ", one.height, " (NAXIS1 x NAXIS2) but g ",
                   detail::fits::quoted(g), " is ", out.width, " x ", out.height);
    }
    std::copy(one.planes.begin(), one.planes.end(),
              out.planes.begin() + static_cast<std::ptrdiff_t>(b) * out.height * out.width);
  }
  return out;
}

// ---- conversion ----

struct FitsChwOptions {
  std::optional<AsinhStretch> asinh;  ///< none: the values (flux) are copied as they are
  bool bands_as_rgb = false;          ///< 3 channels written i, r, g (SDSS colour JPEG R, G, B)
};

/// FitsImage -> float CHW (dst holds channels * height * width floats).
inline void to_chw(const FitsImage& img, float* dst, const FitsChwOptions& opt = {}) {
  const char* who = "galnet::data::to_chw(FitsImage): ";
  GALNET_CHECK(img.channels == 1 || img.channels == 3, who, "1 or 3 channels expected, got ", img.channels);
  GALNET_CHECK(img.height > 0 && img.width > 0 && img.planes.size() == img.size(), who, "the image holds ",
               img.planes.size(), " values but ", img.channels, " x ", img.height, " x ", img.width, " needs ",
               img.size());
  const std::size_t plane = static_cast<std::size_t>(img.height) * img.width;
  if (opt.asinh) return asinh_stretch(img.planes.data(), img.channels, plane, dst, *opt.asinh, opt.bands_as_rgb);
  for (int ch = 0; ch < img.channels; ++ch)
    std::copy(img.planes.begin() + static_cast<std::ptrdiff_t>(ch * plane),
              img.planes.begin() + static_cast<std::ptrdiff_t>((ch + 1) * plane),
              dst + (opt.bands_as_rgb && img.channels == 3 ? 2 - ch : ch) * plane);
}

// ---- writing ----

/// Writes a float32 image (1 channel: NAXIS = 2; 3: a cube, NAXIS3 = 3) to `path` atomically;
/// with opt.flip_y, row 0 of `img` (the top, as in JPEGs) is written last, as ds9 shows the top.
inline void write_fits(const std::filesystem::path& path, const FitsImage& img, const FitsOptions& opt = {}) {
  const std::string who = "galnet::data::write_fits: " + detail::fits::quoted(path) + ": ";
  GALNET_CHECK(img.channels == 1 || img.channels == 3, who, "1 or 3 channels expected, got ", img.channels);
  GALNET_CHECK(img.height > 0 && img.width > 0 && img.planes.size() == img.size(), who, "the image holds ",
               img.planes.size(), " values but ", img.channels, " x ", img.height, " x ", img.width, " needs ",
               img.size());
  std::vector<float> rows(img.planes);
  if (opt.flip_y)
    for (int c = 0; c < img.channels; ++c)
      for (int y = 0; y < img.height; ++y)
        std::copy_n(img.planes.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(c) * img.height + y) * img.width),
                    img.width,
                    rows.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(c) * img.height + img.height - 1 - y) * img.width));
  detail::fits::MemoryWriter out(path, who);
  long axes[3] = {img.width, img.height, img.channels};
  int status = 0;
  fits_create_img(out.get(), FLOAT_IMG, img.channels == 3 ? 3 : 2, axes, &status);
  out.check(status, "cannot write the header");
  fits_write_img(out.get(), TFLOAT, 1, static_cast<LONGLONG>(rows.size()), rows.data(), &status);
  out.check(status, "cannot write the pixels");
  out.commit();
}

// ---- cutouts for CatalogImageSource ----

struct FitsCutoutOptions {
  std::optional<AsinhStretch> asinh = AsinhStretch{};  ///< none: fluxes as they are (normalise them)
  NanPolicy nan_policy = NanPolicy::error;
};

/// A CutoutReader (data/image_source.hpp) of FITS cutouts: read_fits with the top row first (as
/// in JPEGs), a g, r, i cube (or one band, repeated in all three channels), to_chw with
/// bands_as_rgb (the R, G, B = i, r, g of SDSS colour JPEGs) and the asinh stretch.
inline CutoutReader fits_cutout_reader(FitsCutoutOptions opt = {}) {
  if (opt.asinh) {  // checked once, here, rather than at every galaxy
    const float probe = 1.0f;
    float out = 0;
    asinh_stretch(&probe, 1, 1, &out, *opt.asinh);
  }
  return [opt](const std::filesystem::path& path) {
    const FitsImage img = read_fits(path, {.nan_policy = opt.nan_policy, .flip_y = true});
    FloatCutout c{img.height, img.width, std::vector<float>(img.size() * (img.channels == 1 ? 3 : 1))};
    const std::size_t plane = static_cast<std::size_t>(img.height) * img.width;
    to_chw(img, c.chw.data(), {.asinh = opt.asinh, .bands_as_rgb = true});
    if (img.channels == 1)
      for (int ch = 1; ch < 3; ++ch) std::copy_n(c.chw.begin(), plane, c.chw.begin() + static_cast<std::ptrdiff_t>(ch * plane));
    return c;
  };
}

}  // namespace galnet::data

#endif  // GALNET_WITH_CFITSIO
