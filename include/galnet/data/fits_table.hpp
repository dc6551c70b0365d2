// galnet/data/fits_table.hpp — catalogs as FITS tables through CFITSIO (optional: galnet::fits),
// the form SDSS CasJobs, astropy and TOPCAT export.
//
// Contract
//   - read_fits_catalog(path, options): the first table HDU (binary or ASCII) as a Catalog whose
//     columns are the table's, by name (TTYPEn), and whose rows count in messages as the table's
//     1-based rows ("row 36"). Each value becomes the field text a CSV export would hold:
//       integers (B, I, J, K; with TZERO, unsigned 8…64-bit) exactly, in decimal, so 64-bit
//       SDSS objIDs stay exact; logicals as 1 or 0;
//       E as the shortest text that reads back as the same float, D (and scaled integers) as
//       the same double;
//       strings without their trailing blanks.
//     Nulls (TNULL, NaN, an undefined logical) are empty fields: NaN as numbers, an error as ids.
//     A vector column NAME of n elements becomes NAME_0 … NAME_{n-1}. Bit, complex, string-array
//     and variable-length columns are not read; "no column" errors name them. ASCII tables
//     (rare; astropy and CasJobs write binary ones) pass through CFITSIO's double conversion:
//     an integer field wider than 15 digits is refused, and a blank field without TNULL reads 0.
//   - write_fits_catalog(path, catalog, extname): a binary table after an empty primary array,
//     written atomically. A column whose fields are all 64-bit integers written canonically
//     (no '+', no leading zeros) is K (int64), one whose fields are all numbers (empty: NaN) is D
//     (float64; not for the id column), any other is A (text of the longest field's width); so
//     the id column of integer objIDs is K, ids read back as written and numbers as the same
//     doubles.
//   - Every failure throws galnet::Error naming the function, the file and the reason, with
//     CFITSIO's status where it failed: no such file, not FITS, no table HDU, an unreadable column.
#pragma once

#ifndef GALNET_WITH_CFITSIO
#error "galnet/data/fits_table.hpp needs CFITSIO: link your target with galnet::fits"
#else

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/data/catalog.hpp"
#include "galnet/data/detail/cfitsio.hpp"

namespace galnet::data {

/// Most values a table may announce (rows x elements), checked before anything is allocated.
inline constexpr double kMaxTableValues = 1e10;

namespace detail::fits {

/// One table column's values as field texts, back to back: text.substr(ends[i-1], ends[i] - ends[i-1]).
struct ColumnText {
  std::string name, text;
  std::vector<std::size_t> ends;
  void push(std::string_view s) {
    text.append(s);
    ends.push_back(text.size());
  }
  [[nodiscard]] std::string_view at(std::size_t i) const {
    const std::size_t b = i == 0 ? 0 : ends[i - 1];
    return std::string_view(text).substr(b, ends[i] - b);
  }
};

template <class T>
std::string_view number_text(T v, char (&buf)[40]) {
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round trip for floating point
  return {buf, static_cast<std::size_t>(r.ptr - buf)};
}

/// Reads `n` x `repeat` values of column `col` as T (CFITSIO converts), nulls flagged.
template <class T>
void read_values(fitsfile* f, int datatype, int col, LONGLONG n, long repeat, std::vector<T>& v,
                 std::vector<char>& null, const std::string& who, const std::string& name) {
  const auto count = static_cast<std::size_t>(n) * static_cast<std::size_t>(repeat);
  v.assign(count, T{});
  null.assign(count, 0);
  int status = 0, any = 0;
  if (count > 0 && fits_read_colnull(f, datatype, col, 1, 1, static_cast<LONGLONG>(count), v.data(), null.data(), &any,
                                     &status) != 0)
    fail(who, "cannot read column '", name, "' (", status_text(status), ")");
}

}  // namespace detail::fits

/// The first table HDU of a FITS file as a Catalog (see the contract).
inline Catalog read_fits_catalog(const std::filesystem::path& path, CsvOptions options = {}) {
  using namespace detail::fits;
  const std::string who = "galnet::data::read_fits_catalog: " + quoted(path) + ": ";
  auto [file, plain] = open_readonly(path, who);
  fitsfile* f = file.get();
  int status = 0, found = 0, hdus = 0;
  for (int hdu = 1;; ++hdu) {
    int type = 0;
    if (fits_movabs_hdu(f, hdu, &type, &status) != 0) {
      if (status == END_OF_FILE) break;
      fail(who, "cannot read HDU ", hdu, " (", status_text(status), ")");
    }
    hdus = hdu;
    if (type == BINARY_TBL || type == ASCII_TBL) {
      found = hdu;
      break;
    }
  }
  GALNET_CHECK(found != 0, who, "no table: none of its ", hdus, " HDU(s) is a binary or ASCII table");
  int hdu_type = 0;
  fits_get_hdu_type(f, &hdu_type, &status);
  const bool ascii = hdu_type == ASCII_TBL;
  LONGLONG rows = 0;
  int cols = 0;
  fits_get_num_rowsll(f, &rows, &status);
  fits_get_num_cols(f, &cols, &status);
  if (status != 0) fail(who, "cannot read the table's size in HDU ", found, " (", status_text(status), ")");

  std::vector<ColumnText> columns;
  std::string skipped;
  std::vector<char> null;
  for (int col = 1; col <= cols; ++col) {
    char key[FLEN_KEYWORD] = {}, value[FLEN_VALUE] = {};
    fits_make_keyn("TTYPE", col, key, &status);
    if (fits_read_key(f, TSTRING, key, value, nullptr, &status) != 0) {
      status = 0;  // an unnamed column: named by its number, as astropy does
      std::snprintf(value, sizeof value, "col%d", col);
    }
    const std::string name = value;
    int type = 0;
    LONGLONG repeat = 0, width = 0;
    int stored = 0;  // the type on disk (a scaled integer column has an equivalent type TFLOAT or TDOUBLE)
    LONGLONG stored_repeat = 0, stored_width = 0;
    if (fits_get_eqcoltypell(f, col, &type, &repeat, &width, &status) != 0 ||
        fits_get_coltypell(f, col, &stored, &stored_repeat, &stored_width, &status) != 0)
      fail(who, "cannot read the type of column '", name, "' (", status_text(status), ")");
    GALNET_CHECK(repeat >= 0 && repeat <= (LONGLONG{1} << 24) &&
                     static_cast<double>(rows) * static_cast<double>(std::max<LONGLONG>(repeat, 1)) <= kMaxTableValues,
                 who, "column '", name, "' announces ", rows, " rows of ", repeat, " values: more than ",
                 kMaxTableValues, " values (a damaged header?)");
    const bool integer = type != TSTRING && type != TLOGICAL && type != TFLOAT && type != TDOUBLE && type > 0;
    GALNET_CHECK(!(ascii && integer && width > 15), who, "column '", name, "' of this ASCII table holds integers of up to ",
                 width, " digits, which CFITSIO reads through a double (exact to 15): write the table as a binary "
                 "table (astropy's default) to keep 64-bit ids exact");
    auto skip = [&](const char* what) { skipped += (skipped.empty() ? "'" : ", '") + name + "' (" + what + ")"; };
    if (type < 0) { skip("variable-length"); continue; }
    if (type == TBIT) { skip("bits"); continue; }
    if (type == TCOMPLEX || type == TDBLCOMPLEX) { skip("complex"); continue; }
    if (type == TSTRING && repeat > width) { skip("an array of strings"); continue; }
    char buf[40];
    if (type == TSTRING) {
      ColumnText c{name, {}, {}};
      std::vector<char> chars(static_cast<std::size_t>(rows) * static_cast<std::size_t>(width + 1));
      std::vector<char*> ptrs(static_cast<std::size_t>(rows));
      for (std::size_t r = 0; r < ptrs.size(); ++r) ptrs[r] = chars.data() + r * static_cast<std::size_t>(width + 1);
      int any = 0;
      char empty[] = "";
      if (rows > 0 && fits_read_col_str(f, col, 1, 1, rows, empty, ptrs.data(), &any, &status) != 0)
        fail(who, "cannot read column '", name, "' (", status_text(status), ")");
      for (char* p : ptrs) {
        std::string_view s(p);
        while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
        c.push(s);
      }
      columns.push_back(std::move(c));
      continue;
    }
    // Numbers: n columns NAME_0 … of a vector, one of a scalar.
    const auto n = static_cast<std::size_t>(std::max<LONGLONG>(repeat, 1));
    const std::size_t first = columns.size();
    for (std::size_t e = 0; e < n; ++e) columns.push_back({n == 1 ? name : name + "_" + std::to_string(e), {}, {}});
    auto emit = [&](auto& values, auto&& text_of) {
      for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r)
        for (std::size_t e = 0; e < n; ++e) {
          const std::size_t k = r * n + e;
          columns[first + e].push(null[k] ? std::string_view() : text_of(values[k]));
        }
    };
    if (type == TLOGICAL) {
      std::vector<char> v;
      read_values(f, TLOGICAL, col, rows, static_cast<long>(n), v, null, who, name);
      emit(v, [](char b) { return std::string_view(b ? "1" : "0"); });
    } else if (type == TULONGLONG) {
      std::vector<unsigned long long> v;
      read_values(f, TULONGLONG, col, rows, static_cast<long>(n), v, null, who, name);
      emit(v, [&](unsigned long long x) { return number_text(x, buf); });
    } else if (type == TFLOAT || type == TDOUBLE) {
      std::vector<double> v;
      read_values(f, TDOUBLE, col, rows, static_cast<long>(n), v, null, who, name);
      const bool single = type == TFLOAT && stored == TFLOAT;  // not a scaled integer: that is a double
      emit(v, [&](double x) {
        if (std::isnan(x)) return std::string_view();
        return single ? number_text(static_cast<float>(x), buf) : number_text(x, buf);
      });
    } else {  // every other integer type fits in 64 signed bits
      std::vector<long long> v;
      read_values(f, TLONGLONG, col, rows, static_cast<long>(n), v, null, who, name);
      emit(v, [&](long long x) { return number_text(x, buf); });
    }
  }

  std::vector<std::string> names;
  for (const auto& c : columns) names.push_back(c.name);
  Catalog::Builder b(path.string(), std::move(names), std::move(options), "row",
                     skipped.empty() ? std::string() : "columns of the FITS table not read: " + skipped);
  std::vector<std::string_view> fields(columns.size());
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) {
    for (std::size_t c = 0; c < columns.size(); ++c) fields[c] = columns[c].at(r);
    b.add_row(fields, r + 1);
  }
  return std::move(b).finish();
}

/// `cat` as a FITS binary table (see the contract), written atomically to `path`.
inline void write_fits_catalog(const std::filesystem::path& path, const Catalog& cat, const std::string& extname = "CATALOG") {
  using namespace detail::fits;
  const std::string who = "galnet::data::write_fits_catalog: " + quoted(path) + ": ";
  const auto& names = cat.columns();
  const std::size_t n = cat.size();
  enum class Kind { integer, number, text };
  std::vector<Kind> kinds;
  std::vector<std::string> forms;
  for (const auto& name : names) {
    Kind kind = Kind::integer;
    std::size_t widest = 1;
    for (std::size_t r = 0; r < n; ++r) {
      const std::string_view s = cat.text(r, name);
      widest = std::max(widest, s.size());
      long long i = 0;
      double d = 0;
      char buf[40];
      // An integer only where its text is the canonical one ("007" stays text: an id keeps its zeros).
      if (kind == Kind::integer && (std::from_chars(s.data(), s.data() + s.size(), i).ptr != s.data() + s.size() ||
                                    s.empty() || number_text(i, buf) != s))
        kind = Kind::number;
      if (kind == Kind::number && !detail::parse_number(s, d)) kind = Kind::text;
    }
    if (kind == Kind::number && name == cat.id_column()) kind = Kind::text;  // ids stay as written
    kinds.push_back(kind);
    forms.push_back(kind == Kind::integer ? "1K" : kind == Kind::number ? "1D" : std::to_string(widest) + "A");
  }
  MemoryWriter out(path, who);
  int status = 0;
  fits_create_img(out.get(), BYTE_IMG, 0, nullptr, &status);
  std::vector<char*> ttype, tform;
  for (std::size_t c = 0; c < names.size(); ++c) {
    ttype.push_back(const_cast<char*>(names[c].c_str()));
    tform.push_back(const_cast<char*>(forms[c].c_str()));
  }
  fits_create_tbl(out.get(), BINARY_TBL, static_cast<LONGLONG>(n), static_cast<int>(names.size()), ttype.data(),
                  tform.data(), nullptr, extname.c_str(), &status);
  out.check(status, "cannot write the table header");
  for (std::size_t c = 0; c < names.size(); ++c) {
    const int col = static_cast<int>(c) + 1;
    if (kinds[c] == Kind::integer) {
      std::vector<long long> v(n);
      for (std::size_t r = 0; r < n; ++r) {
        const std::string_view s = cat.text(r, names[c]);
        std::from_chars(s.data(), s.data() + s.size(), v[r]);
      }
      fits_write_col(out.get(), TLONGLONG, col, 1, 1, static_cast<LONGLONG>(n), v.data(), &status);
    } else if (kinds[c] == Kind::number) {  // numeric(): also a column added by with_column, which has no text
      std::vector<double> v = cat.numeric(names[c]);
      fits_write_col(out.get(), TDOUBLE, col, 1, 1, static_cast<LONGLONG>(n), v.data(), &status);
    } else {
      std::vector<std::string> v(n);
      std::vector<char*> p(n);
      for (std::size_t r = 0; r < n; ++r) {
        v[r] = std::string(cat.text(r, names[c]));
        p[r] = v[r].data();
      }
      fits_write_col(out.get(), TSTRING, col, 1, 1, static_cast<LONGLONG>(n), p.data(), &status);
    }
    out.check(status, "cannot write column '" + names[c] + "'");
  }
  out.commit();
}

}  // namespace galnet::data

#endif  // GALNET_WITH_CFITSIO
