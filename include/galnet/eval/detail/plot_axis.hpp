// galnet/eval/detail/plot_axis.hpp — the arithmetic of plot axes under galnet/eval/plot.hpp:
// ranges, nice tick values (linear and log) and their labels, number formatting, quantiles.
// No drawing (that is plot_canvas.hpp). Internal.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace galnet::eval::detail::plot {

/// A number label: `text`, then "×10" and a raised exponent when has_exp (just "10" and the
/// exponent when text is empty, "−10" and the exponent when it is "−").
struct Label {
  std::string text;
  bool has_exp = false;
  int exp = 0;
};

inline std::string minus_sign(std::string s) {  // typographic minus
  if (!s.empty() && s[0] == '-') s = "\xE2\x88\x92" + s.substr(1);
  return s;
}

inline std::string base_of(const Label& l) {
  if (!l.has_exp) return l.text;
  if (l.text.empty() || l.text == "\xE2\x88\x92") return l.text + "10";  // "10^e", "−10^e"
  return l.text + "\xC3\x97" "10";
}

// ---- axes and ticks ----

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  [[nodiscard]] double frac(double v) const {
    return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
  }
  [[nodiscard]] bool contains(double v) const {
    const double eps = 1e-9 * (log ? 1.0 : (hi - lo));
    return std::isfinite(v) && (!log || v > 0) && (log ? frac(v) >= -1e-9 && frac(v) <= 1 + 1e-9
                                                        : v >= lo - eps && v <= hi + eps);
  }
};

struct Tick {
  double v;
  bool major;
  bool labelled;
  Label label;
};

/// Decimal places that write multiples of `step` exactly (0.25 -> 2, 5 -> 0).
inline int decimals_for(double step) {
  for (int d = 0; d < 12; ++d) {
    const double s = step * std::pow(10.0, d);
    if (std::abs(s - std::round(s)) < 1e-6 * std::max(1.0, s)) return d;
  }
  return 12;
}

inline std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find_first_not_of("-0.") == std::string::npos) s = s.substr(s[0] == '-' ? 1 : 0);  // "-0.0" -> "0.0"
  return minus_sign(s);
}

/// Ticks at nice multiples (1, 2, 2.5, 5 × 10^k) of a step giving about `target` ticks.
inline std::vector<Tick> linear_ticks(const Axis& a, int target, bool integer) {
  const double raw = (a.hi - a.lo) / std::max(target, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw * (1 - 1e-9)) {
      step = m * mag;
      break;
    }
  if (integer) step = std::max(1.0, std::round(step));
  std::vector<Tick> ticks;
  const auto k0 = static_cast<long long>(std::ceil(a.lo / step - 1e-9));
  const auto k1 = static_cast<long long>(std::floor(a.hi / step + 1e-9));
  double vmax = 0;
  for (long long k = k0; k <= k1; ++k) vmax = std::max(vmax, std::abs(static_cast<double>(k) * step));
  // Like matplotlib: plain decimals from 1e-4 to 1e6, else each label as m×10^e.
  const bool sci = vmax > 0 && (vmax >= 1e6 || vmax < 1e-4);
  const int dec = decimals_for(step);
  for (long long k = k0; k <= k1; ++k) {
    const double v = static_cast<double>(k) * step;
    Tick t{v, true, true, {}};
    if (std::abs(v) < 1e-9 * step) {
      t.label.text = "0";
    } else if (sci) {
      int e = static_cast<int>(std::floor(std::log10(std::abs(v))));
      double mant = v / std::pow(10.0, e);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", mant);
      if (std::abs(std::stod(buf)) >= 10) {  // 9.9999999 rounded up
        ++e;
        std::snprintf(buf, sizeof buf, "%.6g", v / std::pow(10.0, e));
      }
      t.label = {minus_sign(buf), true, e};
      if (t.label.text == "1") t.label.text.clear();  // "10^e"
      else if (t.label.text == "\xE2\x88\x92" "1") t.label.text = "\xE2\x88\x92";  // "−10^e"
    } else {
      t.label.text = fixed(v, dec);
    }
    ticks.push_back(t);
  }
  return ticks;
}

/// Decades (every `every`-th labelled) with unlabelled minor ticks at 2..9; `label_25` also
/// labels 2× and 5× (for short ranges).
inline std::vector<Tick> log_ticks(const Axis& a, int every, bool label_25) {
  std::vector<Tick> ticks;
  const int k0 = static_cast<int>(std::floor(std::log10(a.lo))) - 1;
  const int k1 = static_cast<int>(std::ceil(std::log10(a.hi))) + 1;
  for (int k = k0; k <= k1; ++k)
    for (int m = 1; m <= 9; ++m) {
      const double v = m * std::pow(10.0, k);
      if (!a.contains(v)) continue;
      Tick t{v, m == 1, false, {}};
      if (m == 1 && ((k % every) + every) % every == 0) t = {v, true, true, {"", true, k}};
      if (label_25 && (m == 2 || m == 5)) t = {v, false, true, {std::to_string(m), true, k}};
      ticks.push_back(t);
    }
  // Plain decimals ("0.02", "500") when every label is between 0.001 and 10000.
  bool plain = true;
  for (const Tick& t : ticks)
    if (t.labelled) plain = plain && t.label.exp >= -3 && t.label.exp <= 3;
  if (plain)
    for (Tick& t : ticks)
      if (t.labelled) {
        const int m = t.label.text.empty() ? 1 : std::stoi(t.label.text);
        t.label = {fixed(m * std::pow(10.0, t.label.exp), std::max(0, -t.label.exp)), false, 0};
      }
  return ticks;
}

/// A linear axis over [lo, hi] padded by `pad` of the span (±10 % when lo == hi), or a
/// logarithmic one padded by `pad` of the decades.
inline Axis make_axis(double lo, double hi, bool log, double pad) {
  Axis a;
  a.log = log;
  if (log) {
    double l = std::log10(lo), h = std::log10(hi);
    if (h - l < 1e-12) {
      l -= 0.5;
      h += 0.5;
    }
    const double d = (h - l) * pad;
    a.lo = std::pow(10.0, l - d);
    a.hi = std::pow(10.0, h + d);
    return a;
  }
  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(hi))) {  // one value: ±10 % of it (±0.5 about 0)
    const double w = hi != 0 ? std::abs(hi) * 0.1 : 0.5;
    lo -= w;
    hi += w;
  } else {
    const double d = (hi - lo) * pad;
    lo -= d;
    hi += d;
  }
  a.lo = lo;
  a.hi = hi;
  return a;
}

/// Whether positive values spanning more than a factor 10 ask for a log axis.
inline bool wants_log(const std::vector<double>& v) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (double x : v) {
    if (!std::isfinite(x)) continue;
    if (x <= 0) return false;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  return hi > 0 && hi / lo > 10;
}

/// 1234567 -> "1,234,567".
inline std::string thousands(std::int64_t n) {
  std::string s = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return n < 0 ? "\xE2\x88\x92" + out : out;
}

/// The `q` quantile (linear interpolation) of sorted values.
inline double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(pos));
  const std::size_t j = std::min(i + 1, sorted.size() - 1);
  return sorted[i] + (pos - static_cast<double>(i)) * (sorted[j] - sorted[i]);
}

}  // namespace galnet::eval::detail::plot
