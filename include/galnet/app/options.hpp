// galnet/app/options.hpp — validators for the programs' numeric options. CLI11 puts the option's name in
// front of each message; these add the range and the value given.
#pragma once
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>

namespace galnet::app {

/// A finite number in [lo, hi] (CLI::Range lets "nan" through: every comparison with NaN is false).
inline CLI::Validator number_in(double lo, double hi) {
  std::ostringstream range;
  range << "[" << lo << ", " << hi << "]";
  return CLI::Validator(
      [lo, hi, r = range.str()](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        return !s.empty() && end && *end == '\0' && std::isfinite(v) && v >= lo && v <= hi
                   ? std::string()
                   : "must be a number in " + r + ", got " + s;
      },
      range.str());
}

/// A finite number > 0.
inline CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        return !s.empty() && end && *end == '\0' && std::isfinite(v) && v > 0 ? std::string()
                                                                               : "must be a finite number > 0, got " + s;
      },
      "> 0");
}

}  // namespace galnet::app
