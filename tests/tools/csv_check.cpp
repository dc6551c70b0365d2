// csv_check — numeric checks on the CSV (or FITS table) outputs of the programs, for the end-to-end
// tests (which are cmake scripts, and cmake has no floating-point arithmetic). Rows are matched by
// the first column (objID, epoch), in any order.
//   csv_check close A.csv COL_A B.csv COL_B REL [F]   every row: |F·a − b| ≤ REL · max(|F·a|, |b|),
//                                                     or both empty (NaN)
//   csv_check mean FILE.csv COL REL COL1 COL2 …   every row: COL is the mean of COL1… within REL
//   csv_check diff A.csv COL B.csv COL1 COL2 TOL     every row: |a − (b1 − b2)| ≤ TOL, or all empty
//   csv_check same A.csv COL_A B.csv COL_B        every row: the same text in both
//   csv_check rows FILE N                          FILE has N rows
//   csv_check pearson A.csv COL_A B.csv COL_B R REL   Pearson r of the two columns over the ids
//                                                     of A with both values finite is R within REL
//                                                     (two passes: mean first, then the sums)
// Prints what it compared; exits 1 naming the first row that fails, 2 on bad usage or input.
#include <galnet/data/table_io.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace {
using galnet::data::Catalog;

bool within(double a, double b, double rel) { return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)); }

Catalog read(const std::string& path) {  // the first column names the rows
  return galnet::data::read_table(path, {.id_column = ""});
}

/// For each row of a, its row in b (matched by id); empty, after saying which id, if one is missing.
std::optional<std::vector<std::size_t>> match_rows(const Catalog& a, const Catalog& b) {
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < a.size(); ++r) {
    const auto j = b.index_of(a.id(r));
    if (!j) {
      std::fprintf(stderr, "csv_check: %s is in the first file only\n", a.id(r).c_str());
      return std::nullopt;
    }
    rows.push_back(*j);
  }
  return rows;
}

int close(const Catalog& a, const std::string& ca, const Catalog& b, const std::string& cb, double rel, double f) {
  if (a.size() != b.size()) {
    std::fprintf(stderr, "csv_check: %zu rows against %zu\n", a.size(), b.size());
    return 1;
  }
  const auto &x = a.numeric(ca), &y = b.numeric(cb);
  const auto rows = match_rows(a, b);
  if (!rows) return 1;
  for (std::size_t r = 0; r < a.size(); ++r) {
    const std::size_t j = (*rows)[r];
    if (!within(f * x[r], y[j], rel) && !(std::isnan(x[r]) && std::isnan(y[j]))) {
      std::fprintf(stderr, "csv_check: %s: %g x %s = %.9g, %s = %.9g, not within %g relative\n", a.id(r).c_str(), f,
                   ca.c_str(), f * x[r], cb.c_str(), y[j], rel);
      return 1;
    }
  }
  std::printf("csv_check: %zu rows of %g x %s and %s agree within %g\n", a.size(), f, ca.c_str(), cb.c_str(), rel);
  return 0;
}

int mean(const Catalog& c, const std::string& col, double rel, const std::vector<std::string>& of) {
  const auto& m = c.numeric(col);
  for (std::size_t r = 0; r < c.size(); ++r) {
    double s = 0;
    for (const auto& o : of) s += c.numeric(o)[r];
    s /= static_cast<double>(of.size());
    if (!within(m[r], s, rel)) {
      std::fprintf(stderr, "csv_check: row %zu (%s): %s = %.9g but the mean of the %zu columns is %.9g\n", r + 1,
                   c.id(r).c_str(), col.c_str(), m[r], of.size(), s);
      return 1;
    }
  }
  std::printf("csv_check: %s is the mean of %zu columns on all %zu rows, within %g\n", col.c_str(), of.size(), c.size(), rel);
  return 0;
}
int diff(const Catalog& a, const std::string& ca, const Catalog& b, const std::string& c1, const std::string& c2,
         double tol) {
  const auto &x = a.numeric(ca), &y1 = b.numeric(c1), &y2 = b.numeric(c2);
  const auto rows = match_rows(a, b);
  if (!rows) return 1;
  for (std::size_t r = 0; r < a.size(); ++r) {
    const std::size_t j = (*rows)[r];
    const double want = y1[j] - y2[j];
    if (!(std::abs(x[r] - want) <= tol) && !(std::isnan(x[r]) && std::isnan(want))) {
      std::fprintf(stderr, "csv_check: %s: %s = %.9g, %s - %s = %.9g, not within %g\n", a.id(r).c_str(), ca.c_str(),
                   x[r], c1.c_str(), c2.c_str(), want, tol);
      return 1;
    }
  }
  std::printf("csv_check: %zu rows of %s are %s - %s within %g\n", a.size(), ca.c_str(), c1.c_str(), c2.c_str(), tol);
  return 0;
}

int pearson(const Catalog& a, const std::string& ca, const Catalog& b, const std::string& cb, double r, double rel) {
  const auto &x = a.numeric(ca), &y = b.numeric(cb);
  const auto rows = match_rows(a, b);
  if (!rows) return 1;
  std::vector<double> xs, ys;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (const std::size_t j = (*rows)[i]; std::isfinite(x[i]) && std::isfinite(y[j])) xs.push_back(x[i]), ys.push_back(y[j]);
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) mx += xs[i], my += ys[i];
  mx /= static_cast<double>(xs.size()), my /= static_cast<double>(xs.size());
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < xs.size(); ++i)
    sxy += (xs[i] - mx) * (ys[i] - my), sxx += (xs[i] - mx) * (xs[i] - mx), syy += (ys[i] - my) * (ys[i] - my);
  const double got = sxy / std::sqrt(sxx * syy);
  if (!within(got, r, rel)) {
    std::fprintf(stderr, "csv_check: Pearson r of %s and %s over %zu rows is %.9g, not %.9g within %g\n", ca.c_str(),
                 cb.c_str(), xs.size(), got, r, rel);
    return 1;
  }
  std::printf("csv_check: Pearson r of %s and %s over %zu rows is %.9g, as expected\n", ca.c_str(), cb.c_str(), xs.size(), got);
  return 0;
}
/// Every row: the text of COL_A equals that of COL_B.
int same(const Catalog& a, const std::string& ca, const Catalog& b, const std::string& cb) {
  const auto rows = match_rows(a, b);
  if (!rows) return 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a.text(i, ca) != b.text((*rows)[i], cb)) {
      std::fprintf(stderr, "csv_check: %s: %s is '%s' but %s is '%s'\n", a.id(i).c_str(), ca.c_str(),
                   std::string(a.text(i, ca)).c_str(), cb.c_str(), std::string(b.text((*rows)[i], cb)).c_str());
      return 1;
    }
  std::printf("csv_check: %s and %s agree on all %zu rows\n", ca.c_str(), cb.c_str(), a.size());
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if ((a.size() == 6 || a.size() == 7) && a[0] == "close")
      return close(read(a[1]), a[2], read(a[3]), a[4], std::stod(a[5]), a.size() == 7 ? std::stod(a[6]) : 1.0);
    if (a.size() == 7 && a[0] == "diff") return diff(read(a[1]), a[2], read(a[3]), a[4], a[5], std::stod(a[6]));
    if (a.size() == 7 && a[0] == "pearson")
      return pearson(read(a[1]), a[2], read(a[3]), a[4], std::stod(a[5]), std::stod(a[6]));
    if (a.size() == 5 && a[0] == "same") return same(read(a[1]), a[2], read(a[3]), a[4]);
    if (a.size() == 3 && a[0] == "rows") {
      const auto n = read(a[1]).size();
      std::printf("csv_check: %s has %zu rows\n", a[1].c_str(), n);
      return n == static_cast<std::size_t>(std::stoll(a[2])) ? 0 : 1;
    }
    if (a.size() >= 5 && a[0] == "mean")
      return mean(read(a[1]), a[2], std::stod(a[3]), std::vector<std::string>(a.begin() + 4, a.end()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "csv_check: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "usage: csv_check close A.csv COL_A B.csv COL_B REL [FACTOR] | mean FILE.csv COL REL COL1 COL2 ... | "
                       "diff A.csv COL B.csv COL1 COL2 TOL | pearson A.csv COL_A B.csv COL_B R REL | same A.csv COL_A B.csv COL_B | "
                       "rows FILE N\n");
  return 2;
}
