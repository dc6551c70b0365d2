// FITS catalogs (galnet/data/fits_table.hpp, built only with CFITSIO): tables written by astropy
// (tests/fixtures/catalog_astropy.*, tools/fits_fixtures.py) read with every value as astropy
// holds it, and galnet's own tables read back exactly.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include "../support.hpp"
#include "galnet/data/fits.hpp"
#include "galnet/data/fits_table.hpp"
#include "galnet/data/table_io.hpp"

namespace {
namespace fs = std::filesystem;
using galnet::data::Catalog;
using galnet::test::error_of;

bool has(const std::string& msg, const std::string& part) { return msg.find(part) != std::string::npos; }

fs::path scratch(const std::string& name) {
  return fs::temp_directory_path() / ("galnet_fits_table_" + std::to_string(std::random_device{}()) + "_" + name);
}
}  // namespace

TEST_CASE("fits table: astropy's table reads with every value as astropy holds it") {
  const fs::path path = galnet::test::fixture_dir() / "catalog_astropy.fits";
  if (!fs::exists(path)) GALNET_SKIP("no ", path.string(), " (tools/fits_fixtures.py writes it)");
  const Catalog cat = galnet::data::read_fits_catalog(path);
  REQUIRE(cat.size() == 4);
  // 64-bit ids exact: these two differ in the last digit, beyond a double's 53 bits.
  CHECK(cat.id(0) == "1237666408439775234");
  CHECK(cat.id(1) == "1237666408439775235");
  CHECK(cat.id(2) == "9223372036854775807");
  CHECK(cat.id(3) == "-5");
  CHECK(cat.index_of("1237666408439775235") == 1u);
  // Unsigned integers through TZERO, at their extremes.
  CHECK(cat.text(0, "uid") == "18446744073709551615");
  CHECK(cat.text(1, "uid") == "9223372036854775808");
  CHECK(cat.text(1, "u8") == "255");
  CHECK(cat.text(1, "u16") == "65535");
  CHECK(cat.text(2, "u16") == "32768");
  CHECK(cat.text(0, "i32") == "-2147483648");
  CHECK(cat.text(0, "u32") == "4294967295");
  // Doubles as the same double; float32 as the shortest text of the same float; NaN empty.
  CHECK(cat.value(0, "ra") == 150.000001234567);
  CHECK(cat.value(2, "ra") == -1e-300);
  CHECK(cat.value(3, "ra") == 359.9999999999999);
  CHECK(cat.text(0, "oh_p50") == "8.91");
  CHECK(static_cast<float>(cat.value(0, "oh_p50")) == 8.91f);
  CHECK(std::isnan(cat.value(1, "oh_p50")));
  // A masked integer (TNULL) is empty, so NaN; the others are the values.
  CHECK(cat.text(1, "bptclass").empty());
  CHECK(std::isnan(cat.value(1, "bptclass")));
  CHECK(cat.value(3, "bptclass") == -1);
  // Strings without trailing blanks, commas and quotes as they are; booleans 1 and 0.
  CHECK(cat.text(0, "name") == "NGC 4414");
  CHECK(cat.text(1, "name") == "a,b");
  CHECK(cat.text(2, "name").empty());
  CHECK(cat.text(3, "name") == "x\"y");
  CHECK(cat.value(0, "is_sf") == 1);
  CHECK(cat.value(1, "is_sf") == 0);
  // A vector column in elements; the complex column is not read, and asking for it says why.
  CHECK(cat.value(2, "flux_2") == 1e10);
  CHECK(cat.value(3, "flux_0") == 7.25);
  CHECK(!cat.has_column("flux"));
  const auto e = error_of([&] { (void)cat.numeric("spec_c"); });
  CHECK(has(e, "no column \"spec_c\""));
  CHECK(has(e, "columns of the FITS table not read: 'spec_c' (complex)"));
  // Rows are named as the table numbers them.
  const auto bad = error_of([&] { (void)cat.labels({"oh_p50"}); });
  CHECK(has(bad, "row 2, column \"oh_p50\""));
}

TEST_CASE("fits table: astropy's ECSV ('#' lines, then CSV) gives the FITS table's values") {
  const fs::path fits = galnet::test::fixture_dir() / "catalog_astropy.fits";
  const fs::path ecsv = galnet::test::fixture_dir() / "catalog_astropy.ecsv";
  if (!fs::exists(fits) || !fs::exists(ecsv)) GALNET_SKIP("no catalog_astropy.fits/.ecsv (tools/fits_fixtures.py)");
  const Catalog a = galnet::data::read_table(fits), b = galnet::data::read_table(ecsv);
  REQUIRE(a.size() == b.size());
  for (std::size_t r = 0; r < a.size(); ++r) {
    CHECK(a.id(r) == b.id(r));
    CHECK(a.text(r, "name") == b.text(r, "name"));
    for (const char* col : {"ra", "oh_p50", "bptclass"}) {
      const double x = a.value(r, col), y = b.value(r, col);
      CHECK(((std::isnan(x) && std::isnan(y)) || x == y));
    }
  }
  CHECK(b.where(0) == "line 12");  // ten comment lines and the header come first
}

TEST_CASE("fits table: galnet's table reads back field for field, integer ids as int64, atomically") {
  const Catalog src = Catalog::parse_csv(
      "objID,oh,note,count,zeros\n"
      "1237666408439775234,8.91,ok,3,007\n"
      "9223372036854775807,,\"a,b\",-4,12\n"
      "-17,1e-300,,0,0\n",
      "mem.csv");
  const fs::path path = scratch("out.fits");
  galnet::data::write_fits_catalog(path, src);
  const Catalog back = galnet::data::read_table(path);
  REQUIRE(back.size() == 3);
  for (std::size_t r = 0; r < 3; ++r) {
    CHECK(back.id(r) == src.id(r));
    CHECK(back.text(r, "note") == src.text(r, "note"));
    CHECK(back.text(r, "count") == src.text(r, "count"));
    CHECK(back.value(r, "zeros") == src.value(r, "zeros"));  // numbers as the same doubles
  }
  CHECK(back.value(0, "oh") == 8.91);
  CHECK(std::isnan(back.value(1, "oh")));
  CHECK(back.value(2, "oh") == 1e-300);
  // The id column is K (int64): ids beyond 2^53 stay exact through FITS readers such as astropy.
  int status = 0, type = 0;
  fitsfile* f = nullptr;
  fits_open_table(&f, path.c_str(), READONLY, &status);
  LONGLONG repeat = 0, width = 0;
  fits_get_coltypell(f, 1, &type, &repeat, &width, &status);
  CHECK(type == TLONGLONG);
  fits_get_coltypell(f, 3, &type, &repeat, &width, &status);
  CHECK(type == TSTRING);
  fits_close_file(f, &status);
  CHECK(status == 0);
  // Ids that are not canonical integers ("007") stay text, as written.
  galnet::data::write_fits_catalog(path, Catalog::parse_csv("objID,x\n007,1\n12,2\n", "ids.csv"));
  CHECK(galnet::data::read_table(path).id(0) == "007");
  // write_table: FITS by name, CSV otherwise; a failure leaves the earlier file as it was.
  galnet::data::write_table(path, "objID,x\n1,2\n");
  CHECK(galnet::data::read_table(path).size() == 1);
  const auto e = error_of([&] { galnet::data::write_table(path, "objID,x\n1,2\n1,3\n"); });
  CHECK(has(e, "duplicate objID \"1\""));
  CHECK(galnet::data::read_table(path).value(0, "x") == 2);
  fs::remove(path);
}

TEST_CASE("fits table: a FITS file without a table, and a file that is not FITS, are named") {
  const fs::path image = scratch("image.fits");
  galnet::data::write_fits(image, {1, 2, 2, {1, 2, 3, 4}});
  CHECK(has(error_of([&] { (void)galnet::data::read_fits_catalog(image); }),
            "no table: none of its 1 HDU(s) is a binary or ASCII table"));
  CHECK(has(error_of([&] { (void)galnet::data::read_fits_catalog(scratch("none.fits")); }), "no such file"));
  fs::remove(image);
}

TEST_CASE("fits table: scaled integers read as doubles, wide ASCII-table integers refused, skipped columns named") {
  const fs::path path = scratch("odd.fits");
  int status = 0;
  fitsfile* f = nullptr;
  fits_create_file(&f, path.c_str(), &status);
  // A binary table: objID as variable-length (not read), a 16-bit column scaled by 0.01 from 1e6.
  {
    char* ttype[] = {const_cast<char*>("objID"), const_cast<char*>("flux"), const_cast<char*>("id2")};
    char* tform[] = {const_cast<char*>("1PK"), const_cast<char*>("1I"), const_cast<char*>("1K")};
    fits_create_tbl(f, BINARY_TBL, 2, 3, ttype, tform, nullptr, "T", &status);
    double scale = 0.01, zero = 1e6;
    fits_write_key(f, TDOUBLE, "TSCAL2", &scale, nullptr, &status);
    fits_write_key(f, TDOUBLE, "TZERO2", &zero, nullptr, &status);
    fits_set_tscale(f, 2, scale, zero, &status);
    double flux[] = {1000000.01, 1000000.5};
    fits_write_col(f, TDOUBLE, 2, 1, 1, 2, flux, &status);
    long long ids[] = {5, 6};
    fits_write_col(f, TLONGLONG, 3, 1, 1, 2, ids, &status);
    long long v[] = {1};
    fits_write_col(f, TLONGLONG, 1, 1, 1, 1, v, &status);
    fits_write_col(f, TLONGLONG, 1, 2, 1, 1, v, &status);
  }
  fits_close_file(f, &status);
  REQUIRE(status == 0);
  const auto e = error_of([&] { (void)galnet::data::read_fits_catalog(path); });
  CHECK(has(e, "no id column \"objID\""));
  CHECK(has(e, "columns of the FITS table not read: 'objID' (variable-length)"));
  const Catalog cat = galnet::data::read_fits_catalog(path, {.id_column = "id2"});
  CHECK(cat.text(0, "flux") == "1000000.01");  // the scaled value as a double, not rounded to a float
  CHECK(cat.value(1, "flux") == 1000000.5);

  // An ASCII table whose integers are wider than a double holds exactly is refused, naming them.
  const fs::path ascii = scratch("ascii.fits");
  fits_create_file(&f, ascii.c_str(), &status);
  {
    char* ttype[] = {const_cast<char*>("objID")};
    char* tform[] = {const_cast<char*>("I20")};
    fits_create_tbl(f, ASCII_TBL, 1, 1, ttype, tform, nullptr, "A", &status);
    long long id[] = {1237648720693755918LL};
    fits_write_col(f, TLONGLONG, 1, 1, 1, 1, id, &status);
  }
  fits_close_file(f, &status);
  REQUIRE(status == 0);
  CHECK(has(error_of([&] { (void)galnet::data::read_fits_catalog(ascii); }),
            "column 'objID' of this ASCII table holds integers of up to 20 digits"));
  fs::remove(path);
  fs::remove(ascii);
}

TEST_CASE("fits table: a derived column is written with its values, a compressed name is refused") {
  const Catalog base = Catalog::parse_csv("objID,x\n1,10\n2,100\n", "mem.csv");
  const Catalog derived = base.with_column("log_x", {1.0, 2.0});
  const fs::path path = scratch("derived.fits");
  galnet::data::write_fits_catalog(path, derived);
  const Catalog back = galnet::data::read_table(path);
  CHECK(back.value(0, "log_x") == 1.0);
  CHECK(back.value(1, "log_x") == 2.0);
  fs::remove(path);
  CHECK(has(error_of([&] { galnet::data::write_table(scratch("p.fits.gz"), "objID,x\n1,2\n"); }),
            "galnet writes uncompressed FITS"));
  CHECK(!fs::exists(scratch("p.fits.gz")));
}
