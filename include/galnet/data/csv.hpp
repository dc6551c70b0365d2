// galnet/data/csv.hpp — writing CSV that galnet's reader (data::Catalog) and any RFC 4180
// reader give back exactly.
#pragma once
#include <string>
#include <string_view>

namespace galnet::data {

/// A CSV field, quoted when it holds a delimiter, quote or line break, or starts or ends with a
/// space (which readers, galnet's included, trim from unquoted fields); quotes are doubled.
inline std::string csv_field(std::string_view s) {
  const bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!s.empty() && (s.front() == ' ' || s.back() == ' ' || s.front() == '\t' || s.back() == '\t'));
  if (!quote) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

}  // namespace galnet::data
