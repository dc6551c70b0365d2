// galnet/data/detail/csv_scan.hpp — the CSV reading under data::Catalog: an RFC 4180 scanner
// over a mutable buffer (quoted fields unescaped in place), field cells, and number parsing.
#pragma once
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "galnet/core/error.hpp"

namespace galnet::data {

namespace detail {

inline bool is_blank(char c, char delimiter) { return (c == ' ' || c == '\t') && c != delimiter; }

inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Reads a whole field as a number. Surrounding blanks are ignored; "", NA, N/A, n/a, <NA>, NULL,
/// null, None and nan (any case) are NaN; inf/infinity are allowed; an out-of-range magnitude
/// becomes ±inf (or ±0 for a large negative exponent), as Python's float() does.
inline bool parse_number(std::string_view s, double& out) {
  s = trim_blanks(s);
  if (s.empty() || s == "NA" || s == "N/A" || s == "n/a" || s == "<NA>" || s == "NULL" ||
      s == "null" || s == "None") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (s.front() == '+') {
    s.remove_prefix(1);
    if (s.empty() || s.front() == '-' || s.front() == '+') return false;
  }
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, out);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) {
    const auto e = s.find_last_of("eE");
    const bool tiny = e != std::string_view::npos && e + 1 < s.size() && s[e + 1] == '-';
    const double magnitude = tiny ? 0.0 : std::numeric_limits<double>::infinity();
    out = s.front() == '-' ? -magnitude : magnitude;
    return true;
  }
  return ec == std::errc{};
}

/// A field's unescaped text inside the catalog's text buffer (offset < 1 TiB, length < 16 MiB).
struct Cell {
  std::uint64_t offset : 40;
  std::uint64_t length : 24;
};

/// One pass of an RFC 4180 reader over a mutable buffer; quoted fields are unescaped in place.
class CsvScanner {
public:
  CsvScanner(std::string& buf, const std::string& source, char delimiter, char comment = '\0')
      : buf_(buf), source_(source), delim_(delimiter), comment_(comment) {
    if (buf_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // UTF-8 byte-order mark
    stop_[static_cast<unsigned char>(delim_)] = stop_['\n'] = stop_['\r'] = true;
  }

  /// From here on no line is a comment (the header has been read).
  void end_comments() { comment_ = '\0'; }

  /// Skips blank and comment lines; at the end of the input returns false. Otherwise appends
  /// the fields of one record to `out`, sets `line` to the 1-based line it starts on and returns
  /// true.
  bool next_record(std::vector<Cell>& out, std::size_t& line) {
    const std::size_t n = buf_.size();
    for (;;) {
      std::size_t p = pos_;
      while (p < n && is_blank(buf_[p], delim_)) ++p;
      if (p == n) {
        pos_ = n;
        return false;
      }
      if (comment_ != '\0' && buf_[p] == comment_) {
        while (p < n && buf_[p] != '\n' && buf_[p] != '\r') ++p;
        pos_ = p;
        if (p == n) return false;
        end_line();
        continue;
      }
      if (buf_[p] != '\n' && buf_[p] != '\r') break;
      pos_ = p;
      end_line();
    }
    line = line_;
    for (;;) {
      read_field(out);
      if (pos_ == n) return true;
      if (buf_[pos_] == delim_) {
        ++pos_;
        continue;
      }
      end_line();
      return true;
    }
  }

private:
  void end_line() {
    pos_ += (buf_[pos_] == '\r' && pos_ + 1 < buf_.size() && buf_[pos_ + 1] == '\n') ? 2 : 1;
    ++line_;
  }
  void push(std::vector<Cell>& out, std::size_t offset, std::size_t length) const {
    GALNET_CHECK(length < (std::size_t{1} << 24) && offset < (std::uint64_t{1} << 40),
                 "galnet::data::Catalog: ", source_, ": line ", line_,
                 ": field longer than 16 MiB or file larger than 1 TiB");
    out.push_back(Cell{offset & ((std::uint64_t{1} << 40) - 1), length & 0xFFFFFF});
  }
  void read_field(std::vector<Cell>& out) {
    const std::size_t n = buf_.size();
    std::size_t p = pos_;
    while (p < n && is_blank(buf_[p], delim_)) ++p;
    if (p == n || buf_[p] != '"') {  // unquoted: up to the delimiter or line end, kept verbatim
      p = pos_;
      while (p < n && !stop_[static_cast<unsigned char>(buf_[p])]) ++p;
      push(out, pos_, p - pos_);
      pos_ = p;
      return;
    }
    const std::size_t opened_on = line_;
    std::size_t write = p, read = p + 1;
    for (;;) {
      GALNET_CHECK(read < n, "galnet::data::Catalog: ", source_, ": line ", opened_on,
                   ": unterminated quoted field (a '\"' opened here is never closed)");
      const char c = buf_[read];
      if (c == '"') {
        if (read + 1 < n && buf_[read + 1] == '"') {
          buf_[write++] = '"';
          read += 2;
          continue;
        }
        ++read;
        break;
      }
      if (c == '\n' || (c == '\r' && (read + 1 == n || buf_[read + 1] != '\n'))) ++line_;
      buf_[write++] = c;
      ++read;
    }
    push(out, p, write - p);
    while (read < n && is_blank(buf_[read], delim_)) ++read;
    GALNET_CHECK(read == n || stop_[static_cast<unsigned char>(buf_[read])],
                 "galnet::data::Catalog: ", source_, ": line ", line_, ": unexpected character '",
                 buf_[read], "' after the closing quote of a quoted field");
    pos_ = read;
  }

  std::string& buf_;
  const std::string& source_;
  char delim_, comment_;
  std::size_t pos_ = 0, line_ = 1;
  std::array<bool, 256> stop_{};
};

/// At most 60 characters of `s`, for error messages.
inline std::string excerpt(std::string_view s) {
  return s.size() <= 60 ? std::string(s) : std::string(s.substr(0, 57)) + "...";
}

}  // namespace detail

}  // namespace galnet::data
