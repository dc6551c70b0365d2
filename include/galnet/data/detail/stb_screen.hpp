// galnet/data/detail/stb_screen.hpp — screens JPEG and PNG bytes for stb_image 2.27 defects.
//
// JPEG: stb_image 2.27 (Debian 12's libstb) trusts the symbol counts of a Huffman table (DHT):
// a table declaring more than 256 codes overruns stbi__huffman's size[257] and values[256]
// (heap corruption; fixed upstream in 2.28 by a "bad DHT header" check). galnet cannot patch the
// system header, so it walks the JPEG's marker segments exactly as stb 2.27 does — skipping
// stray bytes between header segments, sizing segments by length or content as stb does, and
// scanning entropy-coded data for the next marker — and rejects any DHT stb would read with over
// 256 codes. Where stb would fail anyway the walk stops and stb reports its own error, except
// for DHT/DQT segments whose length disagrees with their content, where stb gives no reason and
// galnet names the segment. (The other 2.27 defect fuzzing found, Huffman tables read from
// uninitialised memory, is handled by the zeroing allocator in stb.hpp.)
//
// PNG: stb 2.27 allocates an IDAT chunk's declared length (up to 2 GiB) before checking that the
// data are there, so galnet first walks the chunks and rejects one longer than the file. stb also
// passes a null pointer to memcpy (with length 0) for a zero-length IDAT chunk before any image
// data — harmless in practice but undefined behaviour that sanitizers flag; empty IDAT chunks
// carry no data, so galnet drops them from a copy of the bytes (only when a file has one).
#pragma once
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace galnet::data::detail::jpeg_check {

class Walker {
public:
  explicit Walker(std::span<const std::uint8_t> b) : b_(b) {}

  /// "" when stb may decode the bytes, else the reason to reject them.
  std::string screen() {
    if (get_marker() != 0xD8) return {};  // no SOI: stb fails
    int m = get_marker();
    while (!(m == 0xC0 || m == 0xC1 || m == 0xC2)) {  // header: up to a frame stb supports
      if (!process_marker(m)) return reason_;
      m = get_marker();
      while (m == kNone) {  // stb skips stray bytes between header segments
        if (eof()) return {};
        m = get_marker();
      }
    }
    skip(get16() - 2);  // frame header (stb fails unless its length matches its content)
    m = get_marker();
    while (m != 0xD9) {  // image: scans and tables up to EOI
      if (m == 0xDA) {
        skip(get16() - 2);
        pending_ = next_marker_after_scan();
        if (pending_ == kNone) return {};  // stb fails at the end of the data
      } else if (m == 0xDC) {
        skip(4);  // DNL
      } else if (!process_marker(m)) {
        return reason_;
      }
      m = get_marker();
    }
    return {};
  }

private:
  static constexpr int kNone = 0xFF;

  bool eof() const { return pos_ >= b_.size(); }
  int get8() { return eof() ? 0 : b_[pos_++]; }  // stb returns 0 past the end without advancing
  int get16() {
    const int hi = get8();
    return (hi << 8) | get8();
  }
  void skip(long n) {
    const std::size_t left = eof() ? 0 : b_.size() - pos_;
    if (n < 0 || static_cast<std::size_t>(n) >= left)
      pos_ = b_.size();  // stb: a negative skip ends the data
    else
      pos_ += static_cast<std::size_t>(n);
  }
  int get_marker() {
    if (pending_ != kNone) {
      const int x = pending_;
      pending_ = kNone;
      return x;
    }
    int x = get8();
    if (x != 0xFF) return kNone;
    while (x == 0xFF) x = get8();
    return x;
  }
  /// The marker that ends an entropy-coded segment: an FF run followed by a byte other than 00 and
  /// RST0..7 (stb passes stuffed zeros and restart markers, or fails on them).
  int next_marker_after_scan() {
    while (!eof()) {
      if (get8() != 0xFF) continue;
      int x = get8();
      while (x == 0xFF) x = get8();
      if (x != 0 && !(x >= 0xD0 && x <= 0xD7)) return x;
    }
    return kNone;
  }
  /// Mirrors stbi__process_marker; false when stb would fail (reason_ says why galnet rejects).
  bool process_marker(int m) {
    if (m == 0xDD) {  // DRI
      if (get16() != 4) return false;
      skip(2);
      return true;
    }
    if (m == 0xDB) {  // DQT
      long L = get16() - 2;
      while (L > 0) {
        const int q = get8(), p = q >> 4, t = q & 15;
        if (p > 1 || t > 3) return false;
        skip(p ? 128 : 64);
        L -= p ? 129 : 65;
      }
      if (L != 0) reason_ = "corrupt JPEG: a quantisation table segment (DQT) disagrees with its length";
      return L == 0;
    }
    if (m == 0xC4) {  // DHT
      long L = get16() - 2;
      while (L > 0) {
        const int q = get8();
        if ((q >> 4) > 1 || (q & 15) > 3) return false;
        int n = 0;
        for (int i = 0; i < 16; ++i) n += get8();
        if (n > 256) {
          reason_ = "corrupt JPEG: a Huffman table declares " + std::to_string(n) + " codes (at most 256)";
          return false;
        }
        skip(n);
        L -= 17 + n;
      }
      if (L != 0) reason_ = "corrupt JPEG: a Huffman table segment (DHT) disagrees with its length";
      return L == 0;
    }
    if ((m >= 0xE0 && m <= 0xEF) || m == 0xFE) {  // APPn, COM
      const long L = get16();
      if (L < 2) return false;
      skip(L - 2);
      return true;
    }
    return false;  // no marker, or one stb does not know: it fails
  }

  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
  int pending_ = kNone;
  std::string reason_;
};

/// "" when `jpeg` is safe to hand to stb_image 2.27, else why galnet rejects it.
inline std::string screen(std::span<const std::uint8_t> jpeg) { return Walker(jpeg).screen(); }

}  // namespace galnet::data::detail::jpeg_check

namespace galnet::data::detail::png_check {

inline std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

/// Walks the chunks of `png` by their lengths from byte 8 to IEND, as stb does. Returns "" and
/// the offsets of zero-length IDAT chunks in `empty_idat`, or the reason to reject the file: a
/// chunk longer than the data left (stb 2.27 would allocate the declared size, up to 2 GiB, before
/// noticing), or chunks that do not lead to an IEND chunk.
inline std::string walk_chunks(std::span<const std::uint8_t> png, std::vector<std::size_t>& empty_idat) {
  auto is = [](const std::uint8_t* t, const char* name) { return std::equal(t, t + 4, name); };
  std::size_t pos = 8;
  while (pos + 12 <= png.size()) {
    const std::uint32_t len = be32(&png[pos]);
    const std::uint8_t* type = &png[pos + 4];
    if (len > png.size() - pos - 12) {
      std::string name;
      for (int i = 0; i < 4; ++i) name += std::isalpha(type[i]) ? static_cast<char>(type[i]) : '?';
      return "corrupt PNG: chunk '" + name + "' at byte " + std::to_string(pos) + " declares " +
             std::to_string(len) + " bytes but only " + std::to_string(png.size() - pos - 12) + " remain";
    }
    if (is(type, "IEND")) return {};
    if (len == 0 && is(type, "IDAT")) empty_idat.push_back(pos);
    pos += 12 + len;
  }
  return "corrupt PNG: its chunks do not lead to the IEND chunk at its end";
}

/// `png` without the chunks at `offsets` (each 12 bytes: an empty chunk).
inline std::vector<std::uint8_t> drop_empty_chunks(std::span<const std::uint8_t> png,
                                                   const std::vector<std::size_t>& offsets) {
  std::vector<std::uint8_t> out;
  out.reserve(png.size());
  std::size_t from = 0;
  for (std::size_t off : offsets) {
    out.insert(out.end(), png.begin() + static_cast<std::ptrdiff_t>(from),
               png.begin() + static_cast<std::ptrdiff_t>(off));
    from = off + 12;
  }
  out.insert(out.end(), png.begin() + static_cast<std::ptrdiff_t>(from), png.end());
  return out;
}

}  // namespace galnet::data::detail::png_check
