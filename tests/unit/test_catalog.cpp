// Tests for galnet/data/catalog.hpp: RFC 4180 parsing (quotes, CRLF, BOM, blank lines, blanks
// around numbers), exact 64-bit objIDs, NaN spellings, every error message (file name, reason,
// line and column where there is one), labels and finite_rows, select/filter, the SFNet sample
// cuts, seeded splits, and the real SDSS sample in ../shared.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "galnet/data/catalog.hpp"
#include "galnet/data/samples.hpp"
#include "galnet/data/split.hpp"

#include "../support.hpp"

namespace fs = std::filesystem;
using galnet::data::Catalog;
using galnet::data::CsvOptions;

namespace {

Catalog parse(std::string_view text, CsvOptions opt = {}) {
  return Catalog::parse_csv(text, "mem.csv", std::move(opt));
}

/// The message of the galnet::Error that `f` throws ("" and a failed check if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const galnet::Error& e) {
    return e.what();
  }
  FAIL_CHECK("expected a galnet::Error");
  return "";
}

#define CHECK_HAS(message, part) CHECK_MESSAGE((message).find(part) != std::string::npos, \
                                               "message: ", (message), "\n  lacks: ", (part))

struct TempFile {
  fs::path path;
  explicit TempFile(const std::string& contents, const std::string& name = "cat.csv") {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("galnet_cat_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + name);
    std::ofstream(path, std::ios::binary) << contents;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

}  // namespace

TEST_CASE("catalog: columns, exact 64-bit ids, text and numbers") {
  const auto cat = parse(
      "objID,oh_p50,z,name\n"
      "1237648704043942146,8.882136,0.05,a\n"
      "18446744073709551615,9.1, 0.1 ,b\n"
      "NGC 1300,8.5,-1e-3,c\n");
  CHECK(cat.size() == 3);
  CHECK_FALSE(cat.empty());
  CHECK(cat.columns() == std::vector<std::string>{"objID", "oh_p50", "z", "name"});
  CHECK(cat.has_column("z"));
  CHECK_FALSE(cat.has_column("Z"));
  CHECK(cat.column_index("name") == 3);
  CHECK(cat.id(0) == "1237648704043942146");
  CHECK(cat.id(1) == "18446744073709551615");
  CHECK(cat.id(2) == "NGC 1300");
  CHECK(cat.index_of("1237648704043942146") == 0u);
  CHECK(cat.index_of("NGC 1300") == 2u);
  CHECK_FALSE(cat.index_of("1237648704043942147").has_value());
  CHECK(cat.text(1, "z") == " 0.1 ");
  CHECK(cat.text(2, "name") == "c");
  CHECK(cat.value(0, "oh_p50") == 8.882136);
  CHECK(cat.value(1, "z") == 0.1);
  CHECK(cat.value(2, "z") == -1e-3);
  CHECK(cat.line(0) == 2);
  CHECK(cat.line(2) == 4);
  const auto& z = cat.numeric("z");
  CHECK(&z == &cat.numeric("z"));  // parsed once, cached
  CHECK_HAS(error_of([&] { (void)cat.text(3, "z"); }), "row 3 out of range");
  CHECK_HAS(error_of([&] { (void)cat.numeric("zz"); }), "no column \"zz\"");
}

TEST_CASE("catalog: RFC 4180 quoting, CRLF, BOM, blank lines") {
  const auto cat = parse(
      "\xEF\xBB\xBF"
      "objID,note,flux\r\n"
      "\"1\",\"a,b\",1.5\r\n"
      "\r\n"
      "2,\"say \"\"hi\"\"\",\" 2.5 \"\r\n"
      "3,\"two\r\nlines\",3\r\n"
      "4,,\"\"\r\n"
      "   \r\n"
      "5,x\"y,+7\r\n"
      "\r\n");
  CHECK(cat.columns().front() == "objID");  // the BOM is not part of the name
  REQUIRE(cat.size() == 5);
  CHECK(cat.id(0) == "1");
  CHECK(cat.text(0, "note") == "a,b");
  CHECK(cat.text(1, "note") == "say \"hi\"");
  CHECK(cat.text(2, "note") == "two\r\nlines");
  CHECK(cat.text(3, "note") == "");
  CHECK(cat.text(4, "note") == "x\"y");  // a quote inside an unquoted field is kept
  CHECK(cat.line(1) == 4);
  CHECK(cat.line(2) == 5);
  CHECK(cat.line(3) == 7);  // the quoted field spanned two lines
  CHECK(cat.line(4) == 9);
  const auto& flux = cat.numeric("flux");
  CHECK(flux[0] == 1.5);
  CHECK(flux[1] == 2.5);
  CHECK(flux[2] == 3.0);
  CHECK(std::isnan(flux[3]));
  CHECK(flux[4] == 7.0);
  // LF only, no final newline, blanks around names and quoted fields.
  const auto lf = parse(" objID , v \n a , \"4\" \n b,2");
  CHECK(lf.columns() == std::vector<std::string>{"objID", "v"});
  CHECK(lf.id(0) == "a");
  CHECK(lf.text(0, "v") == "4");
  CHECK(lf.value(0, "v") == 4.0);
  CHECK(lf.value(1, "v") == 2.0);
}

TEST_CASE("catalog: missing-value spellings, inf, out-of-range magnitudes") {
  const auto cat = parse(
      "objID,v\n1,\n2,nan\n3,NaN\n4,NA\n5,null\n6,inf\n7,-inf\n8,1e999\n9,-1e-999\n10,N/A\n"
      "11,None\n12,  -4.25e+2\t\n");
  const auto& v = cat.numeric("v");
  for (int i = 0; i < 5; ++i) CHECK(std::isnan(v[i]));
  CHECK(v[5] == std::numeric_limits<double>::infinity());
  CHECK(v[6] == -std::numeric_limits<double>::infinity());
  CHECK(v[7] == std::numeric_limits<double>::infinity());
  CHECK(v[8] == 0.0);
  CHECK(std::signbit(v[8]));
  CHECK(std::isnan(v[9]));
  CHECK(std::isnan(v[10]));
  CHECK(v[11] == -425.0);
}

TEST_CASE("catalog: non-numeric text names file, line, column and text") {
  for (const char* bad : {"abc", "1.5x", "1,5", "0x10", "--1", "+-1", "1 2"}) {
    const std::string csv = std::string("objID,a,flux\n1,x,1.0\n2,y,\"") + bad + "\"\n";
    const auto cat = parse(csv);
    const auto msg = error_of([&] { (void)cat.numeric("flux"); });
    CAPTURE(bad);
    CHECK_HAS(msg, "mem.csv");
    CHECK_HAS(msg, "line 3");
    CHECK_HAS(msg, "column \"flux\"");
    CHECK_HAS(msg, std::string("\"") + bad + "\"");
  }
}

TEST_CASE("catalog: a NUL or binary bytes in a field are shown escaped, the message whole") {
  // A NUL in an id cut a printed message short; raw binary reached the terminal.
  const char raw[] = "objID,v\n12\0" "34,1\n12\0" "34,2\n";
  const std::string nul_id(raw, sizeof raw - 1);
  auto msg = error_of([&] { parse(nul_id); });
  CHECK_HAS(msg, "duplicate objID \"12\\x0034\" on lines 2 and 3");
  const std::string binary = "objID,flux\n1,\x89PNG\x1b[31m\xff\n";
  msg = error_of([&] { (void)parse(binary).numeric("flux"); });
  CHECK_HAS(msg, "\"\\x89PNG\\x1b[31m\\xff\"");
  CHECK(msg.find('\0') == std::string::npos);
  CHECK(msg.find('\x1b') == std::string::npos);
  // Valid UTF-8 stays as it is; newlines and tabs too.
  CHECK(std::string(galnet::Error("1–1024 µm\tok\n").what()) == "1–1024 µm\tok\n");
  // Overlong forms, surrogates and a truncated sequence are not valid UTF-8.
  CHECK(std::string(galnet::Error("\xc0\xaf \xed\xa0\x80 \xe2\x80").what()) == "\\xc0\\xaf \\xed\\xa0\\x80 \\xe2\\x80");
}

TEST_CASE("catalog: malformed input is reported with the file and the reason") {
  CHECK_HAS(error_of([] { parse(""); }), "mem.csv: empty file");
  CHECK_HAS(error_of([] { parse("\xEF\xBB\xBF\r\n\n"); }), "empty file");
  auto msg = error_of([] { parse("objID,v\n"); });
  CHECK_HAS(msg, "mem.csv");
  CHECK_HAS(msg, "no rows");
  msg = error_of([] { parse("objID,v\n1,2\n2,3,4\n"); });
  CHECK_HAS(msg, "mem.csv: line 3: 3 field(s), expected 2");
  msg = error_of([] { parse("objID,v\n1,2\n2\n"); });
  CHECK_HAS(msg, "line 3: 1 field(s), expected 2");
  msg = error_of([] { parse("objID,v,w,v\n1,2,3,4\n"); });
  CHECK_HAS(msg, "mem.csv");
  CHECK_HAS(msg, "duplicate column name \"v\" (columns 2 and 4)");
  msg = error_of([] { parse("id,ra,dec\n1,2,3\n"); });
  CHECK_HAS(msg, "mem.csv");
  CHECK_HAS(msg, "no id column \"objID\"");
  CHECK_HAS(msg, "\"id\", \"ra\", \"dec\"");
  msg = error_of([] { parse("objID,v\n7,1\n8,2\n7,3\n"); });
  CHECK_HAS(msg, "mem.csv");
  CHECK_HAS(msg, "duplicate objID \"7\" on lines 2 and 4");
  msg = error_of([] { parse("objID,v\n1,2\n2,\"open\n3,4\n"); });
  CHECK_HAS(msg, "mem.csv: line 3: unterminated quoted field");
  msg = error_of([] { parse("objID,v\n1,\"a\"b\n"); });
  CHECK_HAS(msg, "line 2: unexpected character 'b' after the closing quote");
  msg = error_of([] { parse("objID,v\n,2\n"); });
  CHECK_HAS(msg, "line 2: empty objID");
  msg = error_of([] { parse("objID,v\n1,2\n", {.delimiter = '"'}); });
  CHECK_HAS(msg, "invalid delimiter");
}

TEST_CASE("catalog: options (delimiter, id column, duplicate ids)") {
  const auto tsv = parse("gal\tv\n\"a\tb\"\t1\nc\t2\n", {.id_column = "gal", .delimiter = '\t'});
  CHECK(tsv.id(0) == "a\tb");
  CHECK(tsv.value(1, "v") == 2.0);
  CHECK(tsv.id_column() == "gal");
  const auto semi = parse("objID;v\n1; 2,5 \n", {.delimiter = ';'});
  CHECK_HAS(error_of([&] { (void)semi.numeric("v"); }), "\" 2,5 \"");
  const auto dup = parse("objID,v\n7,1\n8,2\n7,3\n", {.allow_duplicate_ids = true});
  CHECK(dup.size() == 3);
  CHECK(dup.index_of("7") == 0u);
}

TEST_CASE("catalog: files (read_csv) and their errors") {
  const TempFile good("objID,oh_p50\r\n1237648704043942146,8.88\r\n1237667292122513532,8.95\r\n");
  const auto cat = Catalog::read_csv(good.path);
  CHECK(cat.size() == 2);
  CHECK(cat.source() == good.path.string());
  CHECK(cat.id(1) == "1237667292122513532");
  const fs::path missing = fs::temp_directory_path() / "galnet_no_such_catalog.csv";
  auto msg = error_of([&] { Catalog::read_csv(missing); });
  CHECK_HAS(msg, "galnet_no_such_catalog.csv");
  CHECK_HAS(msg, "does not exist");
  msg = error_of([&] { Catalog::read_csv(fs::temp_directory_path()); });
  CHECK_HAS(msg, "is a directory");
  const TempFile empty("", "empty.csv");
  msg = error_of([&] { Catalog::read_csv(empty.path); });
  CHECK_HAS(msg, empty.path.string());
  CHECK_HAS(msg, "empty file");
  const TempFile header_only("objID,oh_p50\n", "header.csv");
  msg = error_of([&] { Catalog::read_csv(header_only.path); });
  CHECK_HAS(msg, "header.csv");
  CHECK_HAS(msg, "no rows");
  const TempFile bad("objID,oh_p50\n1,8.8\n2,oops\n", "bad.csv");
  const auto bad_cat = Catalog::read_csv(bad.path);
  msg = error_of([&] { (void)bad_cat.numeric("oh_p50"); });
  CHECK_HAS(msg, "bad.csv: line 3, column \"oh_p50\": cannot read \"oops\"");
}

TEST_CASE("catalog: require_columns lists every missing column and those present") {
  const auto cat = parse("objID,a,b\n1,2,3\n");
  cat.require_columns({"a", "b"});
  const auto msg = error_of([&] { cat.require_columns({"a", "x", "y"}, "my_cut"); });
  CHECK_HAS(msg, "mem.csv");
  CHECK_HAS(msg, "missing column(s) \"x\", \"y\" needed by my_cut");
  CHECK_HAS(msg, "columns present: \"objID\", \"a\", \"b\"");
}

TEST_CASE("catalog: labels, finite_rows, select, filter") {
  const auto cat = parse("objID,oh_p50,mass\n10,8.5,10.1\n11,NaN,9.9\n12,9.0,inf\n13,8.7,10.5\n");
  const auto msg = error_of([&] { (void)cat.labels({"oh_p50", "mass"}); });
  CHECK_HAS(msg, "mem.csv: line 3, column \"oh_p50\", objID 11: label is not finite");
  const auto rows = cat.finite_rows({"oh_p50", "mass"});
  CHECK(rows == std::vector<std::size_t>{0, 3});
  const auto clean = cat.select(rows);
  REQUIRE(clean.size() == 2);
  CHECK(clean.id(1) == "13");
  CHECK(clean.index_of("13") == 1u);
  CHECK_FALSE(clean.index_of("11").has_value());
  CHECK(clean.line(1) == 5);  // lines of the file are kept
  const auto y = clean.labels({"oh_p50", "mass"});
  CHECK(y.shape() == galnet::Shape{2, 2});
  CHECK(y.at(0, 0) == doctest::Approx(8.5f));
  CHECK(y.at(1, 1) == doctest::Approx(10.5f));
  const auto yd = clean.labels<double>({"mass"});
  CHECK(yd.shape() == galnet::Shape{2, 1});
  CHECK(yd[1] == 10.5);
  // A sub-catalog selected before any numeric() call parses on its own, with the file's lines.
  const auto fresh = parse("objID,v\n1,1\n2,x\n3,3\n");
  const auto sub = fresh.select({2, 1});
  CHECK(sub.id(0) == "3");
  CHECK_HAS(error_of([&] { (void)sub.numeric("v"); }), "line 3, column \"v\"");
  CHECK_HAS(error_of([&] { (void)fresh.select({0, 3}); }), "row 3 out of range");
  const auto high = cat.filter([](const Catalog& c, std::size_t r) { return c.value(r, "oh_p50") > 8.6; });
  CHECK(high.size() == 2);
  CHECK(high.id(0) == "12");
  const auto none = cat.filter([](const Catalog&, std::size_t) { return false; });
  CHECK(none.empty());
  CHECK(none.labels({"mass"}).shape() == galnet::Shape{0, 1});
}

TEST_CASE("catalog: SFNet sample cuts") {
  const auto cat = parse(
      "objID,oh_p50,lgm_tot_p50,sfr_tot_p50,nii_6584_flux,nii_6584_flux_err,h_alpha_flux,"
      "h_alpha_flux_err,oiii_5007_flux,oiii_5007_flux_err,h_beta_flux,h_beta_flux_err\n"
      "1,8.9,10.2,0.1,40,10,100,10,40,10,40,10\n"       // passes both
      "2,-99.9,10.2,0.1,40,10,100,10,40,10,40,10\n"     // no metallicity
      "3,8.9,-1,0.1,30,10,100,10,40,10,40,10\n"         // no mass; [N II] S/N exactly 3
      "4,8.9,10.2,-99,40,10,100,10,40,0,40,10\n"        // sfr -99; [O III] err 0
      "5,nan,10.2,0.1,40,10,100,10,40,10,31,10\n");     // NaN; Hβ S/N 3.1
  const auto metal = galnet::data::sfnet_metallicity_cut(cat);
  CHECK(metal.size() == 1);
  CHECK(metal.id(0) == "1");
  CHECK(galnet::data::sfnet_bpt_rows(cat) == std::vector<std::size_t>{0, 1, 4});
  CHECK(galnet::data::sfnet_bpt_cut(cat).id(2) == "5");
  const auto thin = parse("objID,oh_p50,sfr_tot_p50,h_alpha_flux\n1,8.9,0.1,3\n");
  auto msg = error_of([&] { (void)galnet::data::sfnet_metallicity_cut(thin); });
  CHECK_HAS(msg, "missing column(s) \"lgm_tot_p50\" needed by sfnet_metallicity_cut");
  msg = error_of([&] { (void)galnet::data::sfnet_bpt_cut(thin); });
  CHECK_HAS(msg, "\"nii_6584_flux\", \"nii_6584_flux_err\", \"h_alpha_flux_err\"");
  CHECK_HAS(msg, "sfnet_bpt_cut");
}

TEST_CASE("catalog: with_column adds a numeric column that select() and labels() carry") {
  const auto cat = parse("objID,mass\n7,10.5\n8,9.5\n9,11.0\n");
  const auto wider = cat.with_column("twice", {21.0, 19.0, 22.0});
  CHECK(wider.columns() == std::vector<std::string>{"objID", "mass", "twice"});
  CHECK(wider.value(1, "twice") == 19.0);
  CHECK(wider.value(1, "mass") == 9.5);
  CHECK(wider.text(0, "twice").empty());
  CHECK(wider.index_of("9") == std::optional<std::size_t>{2});
  const auto sub = wider.select({2, 0});
  CHECK(sub.value(0, "twice") == 22.0);
  CHECK(sub.labels({"mass", "twice"})[3] == 21.0f);
  CHECK(!cat.has_column("twice"));  // the original is unchanged
  CHECK_HAS(error_of([&] { (void)cat.with_column("mass", {1, 2, 3}); }), "cannot add column \"mass\": it exists");
  CHECK_HAS(error_of([&] { (void)cat.with_column("x", {1, 2}); }), "column \"x\" has 2 values for 3 rows");
}

TEST_CASE("catalog: SFNet BPT targets are log10 line fluxes of the S/N > 3 sample") {
  const auto cat = parse(
      "objID,nii_6584_flux,nii_6584_flux_err,h_alpha_flux,h_alpha_flux_err,oiii_5007_flux,"
      "oiii_5007_flux_err,h_beta_flux,h_beta_flux_err\n"
      "1,40,10,100,10,40,10,40,10\n"
      "2,-5,10,100,10,40,10,40,10\n");  // negative [N II]: no log, and fails S/N
  const auto targets = galnet::data::sfnet_bpt_targets();
  CHECK(targets.front() == "log_nii_6584_flux");
  const auto derived = galnet::data::with_log_columns(cat, targets);
  CHECK(derived.value(0, "log_h_alpha_flux") == doctest::Approx(2.0));
  CHECK(derived.value(0, "log_nii_6584_flux") == doctest::Approx(std::log10(40.0)));
  CHECK(std::isnan(derived.value(1, "log_nii_6584_flux")));
  CHECK(derived.finite_rows(targets) == std::vector<std::size_t>{0});
  CHECK(galnet::data::sfnet_bpt_cut(derived).size() == 1);
  // Names that are not log_<existing column> are left for require_columns() to report.
  const auto same = galnet::data::with_log_columns(cat, {"log_no_such", "oh_p50"});
  CHECK(same.columns().size() == cat.columns().size());
}

TEST_CASE("catalog: split_by_column reads a catalog's own train/valid/test column, refusing other values") {
  using galnet::data::Catalog;
  using galnet::data::split_by_column;
  const auto cat = Catalog::parse_csv("objID,oh,split\n1,8.5,train\n2,8.6,Valid\n3,8.7,test\n4,8.8,TRAINING\n"
                                      "5,8.9,validation\n6,9.0,val\n7,9.1,train\n",
                                      "s.csv");
  const auto s = split_by_column(cat, "split");
  CHECK(s.train == std::vector<std::size_t>{0, 3, 6});
  CHECK(s.valid == std::vector<std::size_t>{1, 4, 5});
  CHECK(s.test == std::vector<std::size_t>{2});
  const auto bad = Catalog::parse_csv("objID,split\n1,train\n2,holdout\n", "b.csv");
  CHECK_HAS(error_of([&] { (void)split_by_column(bad, "split"); }), "b.csv: line 3, column \"split\": 'holdout' is not train, valid or test");
  const auto empty = Catalog::parse_csv("objID,split\n1,train\n2,\n", "e.csv");
  CHECK_HAS(error_of([&] { (void)split_by_column(empty, "split"); }), "line 3, column \"split\": '' is not");
  const auto no_train = Catalog::parse_csv("objID,split\n1,test\n2,valid\n", "n.csv");
  CHECK_HAS(error_of([&] { (void)split_by_column(no_train, "split"); }), "no row has \"split\" = train (1 valid, 1 test)");
  CHECK_HAS(error_of([&] { (void)split_by_column(cat, "fold"); }), "fold");
}

TEST_CASE("catalog: random_split is seeded, disjoint and complete") {
  using galnet::data::random_split;
  const auto a = random_split(400, 0.1, 0.2, 42);
  const auto b = random_split(400, 0.1, 0.2, 42);
  const auto c = random_split(400, 0.1, 0.2, 43);
  CHECK(a.train == b.train);
  CHECK(a.valid == b.valid);
  CHECK(a.test == b.test);
  CHECK(a.valid != c.valid);
  CHECK(a.valid.size() == 40);
  CHECK(a.test.size() == 80);
  CHECK(a.train.size() == 280);
  std::set<std::size_t> all(a.train.begin(), a.train.end());
  all.insert(a.valid.begin(), a.valid.end());
  all.insert(a.test.begin(), a.test.end());
  CHECK(all.size() == 400);
  CHECK(*all.rbegin() == 399);
  CHECK(std::is_sorted(a.valid.begin(), a.valid.end()));
  const auto odd = random_split(401, 0.1, 0.2, 1);  // sizes round up, as sklearn's test size
  CHECK(odd.valid.size() == 41);
  CHECK(odd.test.size() == 81);
  CHECK(odd.train.size() == 279);
  const auto whole = random_split(5, 0.0, 0.0, 1);
  CHECK(whole.train == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK_HAS(error_of([] { random_split(10, 0.6, 0.4, 1); }), "sum to less than 1");
  CHECK_HAS(error_of([] { random_split(10, -0.1, 0.1, 1); }), "must each lie in [0, 1)");
  CHECK_HAS(error_of([] { random_split(10, std::nan(""), 0.1, 1); }), "fractions");
  CHECK_HAS(error_of([] { random_split(0, 0.1, 0.1, 1); }), "n = 0");
  CHECK_HAS(error_of([] { random_split(2, 0.3, 0.3, 1); }), "no training rows");
}

TEST_CASE("catalog: a larger generated catalog round-trips") {
  std::string csv = "objID,a,b\n";
  for (int i = 0; i < 5000; ++i)
    csv += std::to_string(1237648704043942146ull + static_cast<unsigned long long>(i) * 7919) + "," +
           std::to_string(i) + ".5," + (i % 7 == 0 ? "" : std::to_string(-i)) + "\n";
  const auto cat = parse(csv);
  REQUIRE(cat.size() == 5000);
  CHECK(cat.id(4999) == std::to_string(1237648704043942146ull + 4999ull * 7919));
  CHECK(cat.index_of(cat.id(1234)) == 1234u);
  CHECK(cat.numeric("a")[4321] == 4321.5);
  CHECK(cat.finite_rows({"b"}).size() == 5000 - 715);
}

TEST_CASE("catalog: the real SDSS metallicity sample") {
  const fs::path file = galnet::test::data_dir() / "sdss-metallicity-sample/train.csv";
  REQUIRE_MESSAGE(fs::exists(file), file.string(), " is part of the repository");
  const auto cat = Catalog::read_csv(file);
  CHECK(cat.size() == 400);
  CHECK(cat.columns() == std::vector<std::string>{"objID", "oh_p50"});
  CHECK(cat.id(0) == "1237648704043942146");
  CHECK(cat.index_of("1237648704043942146") == 0u);
  const auto& oh = cat.numeric("oh_p50");
  double sum = 0;
  for (double v : oh) sum += v;
  CHECK(sum / 400 == doctest::Approx(8.901).epsilon(1e-3));
  const auto y = cat.labels({"oh_p50"});
  CHECK(y.shape() == galnet::Shape{400, 1});
  CHECK(y[0] == doctest::Approx(8.882136f));
  const auto split = galnet::data::random_split(cat.size(), 0.2, 0.0, 0);
  CHECK(cat.select(split.valid).size() == 80);
}

TEST_CASE("catalog: '#' comment lines before the header are skipped, and after it a '#' line is a row") {
  const auto c = Catalog::parse_csv("# SDSS CasJobs export\n  # written 2026-12-07\nobjID,x\n1,2\n\n3,#4\n", "c.csv");
  REQUIRE(c.size() == 2);
  CHECK(c.columns() == std::vector<std::string>{"objID", "x"});
  CHECK(c.where(0) == "line 4");
  CHECK(c.where(1) == "line 6");
  CHECK(c.text(1, "x") == "#4");  // a '#' inside a record is text
  // After the header nothing is dropped: a row whose id starts with '#' is kept, a note that is
  // not a row is an error naming its line.
  const auto hashed = Catalog::parse_csv("objID,x\n#1,2\n7,8\n", "hashed.csv");
  CHECK(hashed.id(0) == "#1");
  CHECK(error_of([] { (void)Catalog::parse_csv("objID,x\n1,2\n# a note\n", "note.csv"); })
            .find("line 3: 1 field(s), expected 2") != std::string::npos);
  // Off: '#' starts an ordinary header.
  const auto off = Catalog::parse_csv("#objID,x\n1,2\n", "off.csv", {.id_column = "#objID", .comment = '\0'});
  CHECK(off.id(0) == "1");
  CHECK(error_of([] { (void)Catalog::parse_csv("# only\n# comments\n", "empty.csv"); }).find("empty file") !=
        std::string::npos);
  CHECK(error_of([] { (void)Catalog::parse_csv("a;b\n", "x.csv", {.delimiter = ';', .comment = ';'}); })
            .find("invalid comment option") != std::string::npos);
}

TEST_CASE("catalog: Builder makes a catalog from fields with rows named as given, and an empty id_column is the first") {
  Catalog::Builder b("table.fits", {"objID", "x"});
  const std::vector<std::string_view> r1{"10", "1.5"}, r2{"11", "nope"};
  b.add_row(r1, 1);
  b.add_row(r2, 2);
  const Catalog c = std::move(b).finish();
  CHECK(c.size() == 2);
  CHECK(c.text(0, "x") == "1.5");
  CHECK(c.index_of("11") == 1u);
  CHECK(error_of([&] { (void)c.numeric("x"); }).find("table.fits: row 2, column \"x\": cannot read \"nope\"") !=
        std::string::npos);
  CHECK(c.select({1}).where(0) == "row 2");
  Catalog::Builder dup("t", {"objID"});
  const std::vector<std::string_view> same{"5"};
  dup.add_row(same, 1);
  dup.add_row(same, 2);
  CHECK(error_of([&] { (void)std::move(dup).finish(); }).find("duplicate objID \"5\" on rows 1 and 2") !=
        std::string::npos);
  CHECK(error_of([] { Catalog::Builder("t", {"a", "a"}); }).find("duplicate column name \"a\"") != std::string::npos);
  CHECK(error_of([] { Catalog::Builder("t", {"a"}); }).find("no id column \"objID\"") != std::string::npos);
  const auto first = Catalog::parse_csv("epoch,loss\n1,0.5\n2,0.25\n", "h.csv", {.id_column = ""});
  CHECK(first.id_column() == "epoch");
  CHECK(first.id(1) == "2");
}
