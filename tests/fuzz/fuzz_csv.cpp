// libFuzzer target for galnet/data/catalog.hpp: any bytes either parse or throw galnet::Error;
// a parsed catalog survives numeric() on every column, labels/finite_rows on the first numeric
// one, select/filter, index_of on every id and a split. Any other exception, a crash or a
// sanitizer report is a bug. The first byte picks the options: bits 0-2 the delimiter
// (0 ',', 1 ';', 2 tab, 3 space, 4 '|', 5 '"' which must be refused), bit 6 id column "a",
// bit 7 allow duplicate ids; the rest is the CSV text.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I/usr/include/eigen3 \
//     tests/fuzz/fuzz_csv.cpp -o /tmp/fuzz_csv && /tmp/fuzz_csv tests/fuzz/corpus/csv -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "galnet/data/catalog.hpp"
#include "galnet/data/split.hpp"

using galnet::data::Catalog;

namespace {

void exercise(const Catalog& cat) {
  if (cat.size() == 0 || cat.columns().empty()) std::abort();  // parse promises rows and columns
  std::string first_numeric;
  for (const auto& c : cat.columns()) {
    try {
      const auto& v = cat.numeric(c);
      if (v.size() != cat.size()) std::abort();
      if (first_numeric.empty()) first_numeric = c;
    } catch (const galnet::Error&) {
    }
    (void)cat.text(cat.size() - 1, c);
  }
  for (std::size_t r = 0; r < cat.size(); ++r) {
    const auto found = cat.index_of(cat.id(r));
    if (!found || cat.id(*found) != cat.id(r)) std::abort();
  }
  if (first_numeric.empty()) return;
  try {
    (void)cat.labels({first_numeric});
  } catch (const galnet::Error&) {
  }
  const auto finite = cat.select(cat.finite_rows({first_numeric}));
  if (!finite.empty()) {
    const auto y = finite.labels<double>({first_numeric});
    if (y.numel() != static_cast<std::int64_t>(finite.size())) std::abort();
  }
  const auto half = cat.filter([](const Catalog&, std::size_t r) { return r % 2 == 0; });
  (void)half.numeric(first_numeric);  // cached values were carried over
  try {
    const auto split = galnet::data::random_split(cat.size(), 0.25, 0.25, cat.size());
    (void)cat.select(split.train);
  } catch (const galnet::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  galnet::data::CsvOptions options;
  static constexpr char kDelimiters[8] = {',', ';', '\t', ' ', '|', '"', ',', ','};
  options.delimiter = kDelimiters[data[0] & 7];
  options.allow_duplicate_ids = (data[0] & 0x80) != 0;
  if (data[0] & 0x40) options.id_column = "a";
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    exercise(Catalog::parse_csv(text, "fuzz.csv", options));
  } catch (const galnet::Error& e) {
    if (std::string_view(e.what()).find("fuzz.csv") == std::string_view::npos) std::abort();
  }
  return 0;
}
