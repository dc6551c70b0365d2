// galnet/data/image.hpp — JPEG/PNG images in and out, and conversion to float CHW.
//
// Contract
//   - Image holds 8-bit pixels in HWC order (row-major rows, interleaved channels); galnet's
//     readers produce 1 (grey) or 3 (RGB) channels.
//   - read_image / decode_image accept JPEG and PNG only (recognised by their signatures, not by
//     the file name). want_channels: 0 keeps the file's colour type (grey or grey+alpha -> 1,
//     RGB or RGBA -> 3), 1 converts to grey (stb's luma 0.299/0.587/0.114 in fixed point), 3 gives
//     RGB (grey replicated). Alpha is dropped, never premultiplied.
//   - Every failure throws galnet::Error naming the file (or source name) and the reason: no such
//     file, a directory, unreadable, empty, not a JPEG or PNG (with the first bytes, or the text
//     it starts with), truncated, corrupt (stb_image's reason), or absurd dimensions (a side over
//     kMaxImageSide or more than kMaxImagePixels pixels, checked from the header before any
//     pixel memory is allocated).
//   - Truncation: stb_image decodes some truncated JPEGs "successfully" (it pads missing data),
//     so a JPEG whose last two bytes — ignoring trailing zero padding — are not the end-of-image
//     marker FF D9 is reported as truncated, and likewise a PNG that does not end with its IEND
//     chunk. Files with other data appended after EOI/IEND are therefore rejected too. A JPEG cut
//     short and then re-terminated with FF D9 still decodes (stb fills the missing blocks).
//   - Malformed input never reaches the known memory-safety defects of stb_image 2.27 (Debian
//     12): see detail/stb_screen.hpp and detail/stb.hpp; tests/fuzz/fuzz_image.cpp fuzzes this.
//   - stb's JPEG writer always writes three components, so a grey image saved with write_jpeg
//     reads back as RGB with R = G = B unless want_channels = 1.
//   - write_png / write_jpeg encode in memory, write a temporary file beside the target and
//     rename it over the target, so the target is never half written; errors name the file.
//   - Decoding and encoding are thread-safe (stb's error string is thread-local and galnet sets no
//     global stb flags), so loader threads may decode concurrently.
//   - stb is compiled privately into each translation unit (see detail/stb.hpp).
#pragma once
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/atomic_file.hpp"
#include "galnet/data/detail/stb_screen.hpp"
#include "galnet/data/detail/stb.hpp"
#include "galnet/data/resize.hpp"

namespace galnet::data {

/// 8-bit pixels in HWC order: pixels[(y * width + x) * channels + c].
struct Image {
  int height = 0, width = 0, channels = 0;
  std::vector<std::uint8_t> pixels;  // HWC

  [[nodiscard]] std::size_t size() const {
    return static_cast<std::size_t>(height) * static_cast<std::size_t>(width) *
           static_cast<std::size_t>(channels);
  }
  [[nodiscard]] bool empty() const { return pixels.empty(); }
  std::uint8_t& at(int y, int x, int c) {
    return pixels[(static_cast<std::size_t>(y) * width + x) * channels + c];
  }
  [[nodiscard]] std::uint8_t at(int y, int x, int c) const {
    return pixels[(static_cast<std::size_t>(y) * width + x) * channels + c];
  }
};

/// Largest accepted side and pixel count (a 8192 x 8192 image is fine; 40000 x 40000 is not).
inline constexpr int kMaxImageSide = 1 << 15;
inline constexpr std::int64_t kMaxImagePixels = std::int64_t{1} << 26;
/// Largest accepted file (stb takes an int length).
inline constexpr std::uintmax_t kMaxImageFileBytes = std::uintmax_t{1} << 30;

namespace detail::image_io {

enum class ImageFormat { jpeg, png, unknown };

inline ImageFormat sniff_format(std::span<const std::uint8_t> b) {
  static constexpr std::uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ImageFormat::jpeg;
  if (b.size() >= 8 && std::equal(png_sig, png_sig + 8, b.begin())) return ImageFormat::png;
  return ImageFormat::unknown;
}

/// "starts with bytes 47 49 46 38 ..." or "looks like text: \"<html>...\"".
inline std::string describe_start(std::span<const std::uint8_t> b) {
  const std::size_t n = std::min<std::size_t>(b.size(), 16);
  bool text = n > 0;
  for (std::size_t i = 0; i < n; ++i)
    text = text && (std::isprint(b[i]) || b[i] == '\n' || b[i] == '\r' || b[i] == '\t');
  std::string s;
  if (text) {
    s = "it looks like text: \"";
    for (std::size_t i = 0; i < n; ++i) s += std::isprint(b[i]) ? static_cast<char>(b[i]) : ' ';
    return s + (b.size() > n ? "...\"" : "\"");
  }
  static constexpr char hex[] = "0123456789abcdef";
  s = "it starts with bytes";
  for (std::size_t i = 0; i < std::min<std::size_t>(n, 8); ++i) {
    s += ' ';
    s += hex[b[i] >> 4];
    s += hex[b[i] & 15];
  }
  return s;
}

/// The bytes without trailing zero padding.
inline std::span<const std::uint8_t> strip_zero_padding(std::span<const std::uint8_t> b) {
  std::size_t n = b.size();
  while (n > 0 && b[n - 1] == 0) --n;
  return b.first(n);
}

inline bool jpeg_has_eoi(std::span<const std::uint8_t> b) {
  b = strip_zero_padding(b);
  return b.size() >= 4 && b[b.size() - 2] == 0xFF && b[b.size() - 1] == 0xD9;
}

inline bool png_has_iend(std::span<const std::uint8_t> b) {
  static constexpr std::uint8_t iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  return b.size() >= 8 + 12 && std::equal(iend, iend + 12, b.end() - 12);
}

/// Frees stb's pixel buffer.
struct StbFree {
  void operator()(unsigned char* p) const { detail::stb::galnet_stbi_image_free(p); }
};

// The functions that touch stb's thread-local failure reason have internal linkage, like stb
// itself: every translation unit has its own stb, and an inline function with external linkage
// may be taken from another translation unit than the one whose stb it ran.

/// stb's reason for the last failure on this thread (see reset_stb_reason).
static inline std::string stb_reason() {
  const char* r = detail::stb::stbi__g_failure_reason;
  return r && *r ? r : "no reason given";
}
static inline void reset_stb_reason() { detail::stb::stbi__g_failure_reason = nullptr; }

/// stb's header reader for the format (the format-specific one, so that a failure's reason is the
/// JPEG or PNG reader's, not the last format stb tried).
static inline bool stb_info(std::span<const std::uint8_t> b, ImageFormat fmt, int& w, int& h, int& comp) {
  detail::stb::stbi__context ctx;
  detail::stb::stbi__start_mem(&ctx, b.data(), static_cast<int>(b.size()));
  reset_stb_reason();
  return fmt == ImageFormat::jpeg ? detail::stb::stbi__jpeg_info(&ctx, &w, &h, &comp) != 0
                                  : detail::stb::stbi__png_info(&ctx, &w, &h, &comp) != 0;
}

/// stb's decoder for the format with `channels` output channels (JPEG through its own loader:
/// stbi_load_from_memory tries PNG first, whose "bad png sig" would mask the JPEG reason).
static inline unsigned char* stb_load(std::span<const std::uint8_t> b, ImageFormat fmt, int& w, int& h,
                                      int& comp, int channels) {
  reset_stb_reason();
  const auto len = static_cast<int>(b.size());
  if (fmt == ImageFormat::png)
    return detail::stb::galnet_stbi_load_from_memory(b.data(), len, &w, &h, &comp, channels);
  detail::stb::stbi__context ctx;
  detail::stb::stbi__start_mem(&ctx, b.data(), len);
  detail::stb::stbi__result_info ri{};
  return static_cast<unsigned char*>(detail::stb::stbi__jpeg_load(&ctx, &w, &h, &comp, channels, &ri));
}

/// Decodes `bytes`; `who` prefixes every message ("galnet::data::read_image: 'x.jpg': ").
inline Image decode(std::span<const std::uint8_t> bytes, const std::string& who, int want) {
  GALNET_CHECK(want == 0 || want == 1 || want == 3, who, "want_channels must be 0, 1 or 3, got ", want);
  GALNET_CHECK(!bytes.empty(), who, "the file is empty (0 bytes)");
  GALNET_CHECK(bytes.size() <= kMaxImageFileBytes, who, "the file is too large (", bytes.size(),
               " bytes; at most ", kMaxImageFileBytes, ")");
  const ImageFormat fmt = sniff_format(bytes);
  GALNET_CHECK(fmt != ImageFormat::unknown, who, "not a JPEG or PNG image: ", describe_start(bytes));
  const char* kind = fmt == ImageFormat::jpeg ? "JPEG" : "PNG";
  if (fmt == ImageFormat::jpeg) {
    GALNET_CHECK(jpeg_has_eoi(bytes), who,
                 "truncated JPEG: no end-of-image marker (FF D9) at the end of its ", bytes.size(), " bytes");
    const std::string bad = jpeg_check::screen(bytes);
    GALNET_CHECK(bad.empty(), who, bad);
  } else {
    GALNET_CHECK(png_has_iend(bytes), who, "truncated PNG: it does not end with an IEND chunk (",
                 bytes.size(), " bytes)");
    std::vector<std::size_t> empty;
    const std::string bad = png_check::walk_chunks(bytes, empty);
    GALNET_CHECK(bad.empty(), who, bad);
    if (!empty.empty()) return decode(png_check::drop_empty_chunks(bytes, empty), who, want);
  }
  int w = 0, h = 0, comp = 0;
  if (!stb_info(bytes, fmt, w, h, comp))
    fail(who, "corrupt ", kind, " header (stb_image: ", stb_reason(), ")");
  GALNET_CHECK(w > 0 && h > 0 && w <= kMaxImageSide && h <= kMaxImageSide &&
                   static_cast<std::int64_t>(w) * h <= kMaxImagePixels,
               who, "absurd ", kind, " dimensions: ", w, " wide x ", h, " high (at most ", kMaxImageSide,
               " per side and ", kMaxImagePixels, " pixels)");
  GALNET_CHECK(comp >= 1 && comp <= 4, who, "unsupported ", kind, " channel count ", comp);
  const int out_c = want != 0 ? want : (comp <= 2 ? 1 : 3);
  int dw = 0, dh = 0, dc = 0;
  std::unique_ptr<unsigned char, StbFree> px(stb_load(bytes, fmt, dw, dh, dc, out_c));
  if (!px) fail(who, "corrupt ", kind, " (stb_image: ", stb_reason(), ")");
  GALNET_CHECK(dw == w && dh == h, who, "corrupt ", kind, ": header says ", w, "x", h,
               " but the decoder produced ", dw, "x", dh);
  Image img;
  img.height = h;
  img.width = w;
  img.channels = out_c;
  img.pixels.assign(px.get(), px.get() + img.size());
  return img;
}

// Appended rather than "'" + string: GCC warns falsely (-Wrestrict) on the inlined insert.
inline std::string quoted(const std::filesystem::path& p) {
  std::string q = "'";
  q += p.string();
  q += '\'';
  return q;
}

inline std::vector<std::uint8_t> read_file(const std::filesystem::path& path, const std::string& who) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  GALNET_CHECK(std::filesystem::exists(st), who, "no such file");
  GALNET_CHECK(!std::filesystem::is_directory(st), who, "is a directory, not an image file");
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  GALNET_CHECK(!ec, who, "cannot get the file size: ", ec.message());
  GALNET_CHECK(size <= kMaxImageFileBytes, who, "the file is too large (", size, " bytes)");
  std::ifstream in(path, std::ios::binary);
  GALNET_CHECK(in.good(), who, "cannot open the file: ", std::strerror(errno));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (size > 0) in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  GALNET_CHECK(size == 0 || static_cast<std::uintmax_t>(in.gcount()) == size, who, "read error after ",
               in.gcount(), " of ", size, " bytes");
  return bytes;
}

/// Writes `bytes` atomically (galnet::AtomicFile: temp file beside `path`, then rename).
inline void write_file_atomic(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes,
                              const std::string& who) {
  galnet::AtomicFile f(path, who);
  f.write(bytes.data(), bytes.size());
  f.commit();
}

inline void append_bytes(void* ctx, void* data, int n) {
  auto* v = static_cast<std::vector<std::uint8_t>*>(ctx);
  const auto* p = static_cast<const std::uint8_t*>(data);
  v->insert(v->end(), p, p + n);
}

inline void check_writable(const Image& img, const std::string& who, int max_side) {
  GALNET_CHECK(img.height > 0 && img.width > 0 && img.channels >= 1 && img.channels <= 4, who,
               "cannot write a ", img.height, "x", img.width, "x", img.channels,
               " image (sides must be positive, 1 to 4 channels)");
  GALNET_CHECK(img.height <= max_side && img.width <= max_side, who, "image ", img.height, "x", img.width,
               " is too large for the format (at most ", max_side, " per side)");
  GALNET_CHECK(img.pixels.size() == img.size(), who, "the image holds ", img.pixels.size(), " bytes but ",
               img.height, "x", img.width, "x", img.channels, " needs ", img.size());
}

}  // namespace detail::image_io

// ---- reading ----
// decode_image: JPEG or PNG bytes (e.g. from an archive) to an Image; `source_name` appears in
// every error message. read_image: the same for a file.

inline Image decode_image(std::span<const std::uint8_t> bytes, const std::string& source_name,
                          int want_channels = 0) {
  return detail::image_io::decode(bytes,
                                  "galnet::data::decode_image: '" + source_name + "': ", want_channels);
}

inline Image read_image(const std::filesystem::path& path, int want_channels = 0) {
  const std::string who = "galnet::data::read_image: " + detail::image_io::quoted(path) + ": ";
  const std::vector<std::uint8_t> bytes = detail::image_io::read_file(path, who);
  return detail::image_io::decode(bytes, who, want_channels);
}

// ---- writing ----
// write_png: lossless, 1 to 4 channels. write_jpeg: quality 1..100, 1 or 3 channels (stb writes
// baseline JPEG with 4:2:0 chroma subsampling at quality 90 and below, none above 90). Both are
// atomic (temporary file + rename) and leave an existing target intact on error.

inline void write_png(const std::filesystem::path& path, const Image& img) {
  const std::string who = "galnet::data::write_png: " + detail::image_io::quoted(path) + ": ";
  detail::image_io::check_writable(img, who, INT_MAX / 4);
  std::vector<std::uint8_t> out;
  const int ok =
      detail::stb::stbi_write_png_to_func(&detail::image_io::append_bytes, &out, img.width, img.height,
                                          img.channels, img.pixels.data(), img.width * img.channels);
  GALNET_CHECK(ok != 0 && !out.empty(), who, "PNG encoding failed (out of memory?)");
  detail::image_io::write_file_atomic(path, out, who);
}

inline void write_jpeg(const std::filesystem::path& path, const Image& img, int quality = 95) {
  const std::string who = "galnet::data::write_jpeg: " + detail::image_io::quoted(path) + ": ";
  GALNET_CHECK(quality >= 1 && quality <= 100, who, "quality must be in 1..100, got ", quality);
  detail::image_io::check_writable(img, who, 65535);
  GALNET_CHECK(img.channels == 1 || img.channels == 3, who, "JPEG needs 1 or 3 channels, got ", img.channels);
  std::vector<std::uint8_t> out;
  const int ok = detail::stb::stbi_write_jpg_to_func(&detail::image_io::append_bytes, &out, img.width,
                                                     img.height, img.channels, img.pixels.data(), quality);
  GALNET_CHECK(ok != 0 && !out.empty(), who, "JPEG encoding failed");
  detail::image_io::write_file_atomic(path, out, who);
}

// ---- conversion ----
// to_chw: HWC uint8 -> CHW float, dst[c][y][x] = pixel * scale (dst holds c*h*w floats).
// from_chw: the reverse, value / scale rounded to nearest and clamped to 0..255.

inline void to_chw(const Image& img, float* dst, float scale = 1.0f / 255) {
  GALNET_CHECK(img.pixels.size() == img.size(), "galnet::data::to_chw: the image holds ", img.pixels.size(),
               " bytes but ", img.height, "x", img.width, "x", img.channels, " needs ", img.size());
  const std::size_t plane = static_cast<std::size_t>(img.height) * img.width;
  const int c = img.channels;
  for (std::size_t p = 0; p < plane; ++p)
    for (int ch = 0; ch < c; ++ch) dst[ch * plane + p] = static_cast<float>(img.pixels[p * c + ch]) * scale;
}

inline Image from_chw(const float* src, int c, int h, int w, float scale = 1.0f / 255) {
  GALNET_CHECK(c >= 1 && c <= 4 && h > 0 && w > 0, "galnet::data::from_chw: invalid size ", c, "x", h, "x",
               w);
  Image img;
  img.height = h;
  img.width = w;
  img.channels = c;
  img.pixels.resize(img.size());
  const std::size_t plane = static_cast<std::size_t>(h) * w;
  for (std::size_t p = 0; p < plane; ++p)
    for (int ch = 0; ch < c; ++ch) {
      const float v = std::nearbyint(src[ch * plane + p] / scale);
      img.pixels[p * c + ch] = static_cast<std::uint8_t>(v >= 0.0f ? std::min(v, 255.0f) : 0.0f);  // NaN -> 0
    }
  return img;
}

}  // namespace galnet::data
