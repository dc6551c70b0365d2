// galnet/data/table_io.hpp — catalogs in and out, CSV or FITS, decided by the file:
//   read_table(path, options): a FITS table (data/fits_table.hpp) where the file starts as FITS
//     does (or is gzip-compressed), else CSV (Catalog::read_csv);
//   write_table(path, csv, options): the CSV text as it is, or as a FITS binary table where the
//     name ends in .fits, .fit or .fts (a compressed name, .fits.gz, is refused); either
//     atomically. check_table_path says beforehand whether it can.
// FITS needs CFITSIO: where the build lacks it (GALNET_WITH_CFITSIO undefined) a FITS file is an
// error that says so. galnet::fits defines it for every translation unit of a target alike.
#pragma once
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "galnet/core/atomic_file.hpp"
#include "galnet/data/catalog.hpp"
#if defined(GALNET_WITH_CFITSIO)
#include "galnet/data/fits_table.hpp"
#endif

namespace galnet::data {

/// Whether this build reads and writes FITS tables.
#if defined(GALNET_WITH_CFITSIO)
inline constexpr bool kFitsSupport = true;
#else
inline constexpr bool kFitsSupport = false;
#endif

namespace detail {
inline std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}
}  // namespace detail

/// True for a name ending in .fits, .fit or .fts (any case): write_table writes FITS there.
inline bool is_fits_table_name(const std::filesystem::path& path) {
  const std::string ext = detail::lower(path.extension().string());
  return ext == ".fits" || ext == ".fit" || ext == ".fts";
}

/// True for a compressed FITS name (.fits.gz, .fits.fz, …), which write_table refuses.
inline bool is_compressed_fits_name(const std::filesystem::path& path) {
  const std::string ext = detail::lower(path.extension().string());
  return (ext == ".gz" || ext == ".fz") && is_fits_table_name(path.stem());
}

namespace detail {
/// True where the file starts as FITS ("SIMPLE  =") or gzip does.
inline bool starts_as_fits(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char b[9] = {};
  in.read(b, 9);
  const auto got = in.gcount();
  return (got == 9 && std::string_view(b, 9) == "SIMPLE  =") ||
         (got >= 2 && static_cast<unsigned char>(b[0]) == 0x1F && static_cast<unsigned char>(b[1]) == 0x8B);
}
[[noreturn]] inline void no_fits(const std::filesystem::path& path) {
  fail("galnet::data: '", path.string(), "' is a FITS file, but this program was built without CFITSIO "
       "(Debian: apt-get install libcfitsio-dev, then build again)");
}
}  // namespace detail

/// Checks, before any work, that write_table can write `table` (empty: nothing to check): FITS
/// where the build has it, in a folder that exists; errors start with `who`.
inline void check_table_path(const std::string& who, const std::filesystem::path& table) {
  if (table.empty()) return;
  GALNET_CHECK(!is_compressed_fits_name(table), who, " '", table.string(), "': galnet writes uncompressed FITS; "
               "give a .fits name (and compress the file afterwards)");
  GALNET_CHECK(kFitsSupport || !is_fits_table_name(table), who, " '", table.string(), "': FITS tables need CFITSIO, "
               "which this build lacks (Debian: apt-get install libcfitsio-dev, then build again); give a .csv name");
  const std::filesystem::path folder = table.parent_path();
  std::error_code ec;
  GALNET_CHECK(folder.empty() || std::filesystem::is_directory(folder, ec), who, " '", table.string(), "': the folder '",
               folder.string(), "' does not exist");
}

/// A catalog from a FITS table or a CSV file (see the header).
inline Catalog read_table(const std::filesystem::path& path, CsvOptions options = {}) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec) || !detail::starts_as_fits(path))
    return Catalog::read_csv(path, std::move(options));
#if defined(GALNET_WITH_CFITSIO)
  return read_fits_catalog(path, std::move(options));
#else
  detail::no_fits(path);
#endif
}

/// Writes the CSV text `csv` to `path` as it is, or as a FITS table for a .fits or .fit name.
inline void write_table(const std::filesystem::path& path, std::string_view csv, [[maybe_unused]] CsvOptions options = {}) {
  check_table_path("galnet::data::write_table:", path);
  if (!is_fits_table_name(path)) return galnet::write_file_atomically(path, csv);
#if defined(GALNET_WITH_CFITSIO)
  write_fits_catalog(path, Catalog::parse_csv(csv, path.string(), std::move(options)));
#else
  detail::no_fits(path);
#endif
}

}  // namespace galnet::data
