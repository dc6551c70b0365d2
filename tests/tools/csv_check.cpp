// csv_check — numeric checks on the CSV outputs of the programs, for the end-to-end tests (which
// are cmake scripts, and cmake has no floating-point arithmetic). Rows are matched by the first
// column (objID, epoch), in any order.
//   csv_check close A.csv COL_A B.csv COL_B REL [F]   every row: |F·a − b| ≤ REL · max(|F·a|, |b|),
//                                                     or both empty (NaN)
//   csv_check mean FILE.csv COL REL COL1 COL2 …   every row: COL is the mean of COL1… within REL
// Prints what it compared; exits 1 naming the first row that fails, 2 on bad usage or input.
#include <galnet/data/catalog.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {
using galnet::data::Catalog;

bool within(double a, double b, double rel) { return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)); }

Catalog read(const std::string& path) {  // the first column names the rows
  std::ifstream in(path);
  std::string first;
  std::getline(in, first, ',');
  return Catalog::read_csv(path, {.id_column = first});
}

int close(const Catalog& a, const std::string& ca, const Catalog& b, const std::string& cb, double rel, double f) {
  if (a.size() != b.size()) {
    std::fprintf(stderr, "csv_check: %zu rows against %zu\n", a.size(), b.size());
    return 1;
  }
  const auto &x = a.numeric(ca), &y = b.numeric(cb);
  for (std::size_t r = 0; r < a.size(); ++r) {
    const auto j = b.index_of(a.id(r));
    if (!j) {
      std::fprintf(stderr, "csv_check: %s is in the first file only\n", a.id(r).c_str());
      return 1;
    }
    if (!within(f * x[r], y[*j], rel) && !(std::isnan(x[r]) && std::isnan(y[*j]))) {
      std::fprintf(stderr, "csv_check: %s: %g x %s = %.9g, %s = %.9g, not within %g relative\n", a.id(r).c_str(), f,
                   ca.c_str(), f * x[r], cb.c_str(), y[*j], rel);
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
}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if ((a.size() == 6 || a.size() == 7) && a[0] == "close")
      return close(read(a[1]), a[2], read(a[3]), a[4], std::stod(a[5]), a.size() == 7 ? std::stod(a[6]) : 1.0);
    if (a.size() >= 5 && a[0] == "mean")
      return mean(read(a[1]), a[2], std::stod(a[3]), std::vector<std::string>(a.begin() + 4, a.end()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "csv_check: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "usage: csv_check close A.csv COL_A B.csv COL_B REL [FACTOR] | mean FILE.csv COL REL COL1 COL2 ...\n");
  return 2;
}
