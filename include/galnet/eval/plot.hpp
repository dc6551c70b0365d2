// galnet/eval/plot.hpp — the papers' figures as PNG: predicted vs true values, training
// history, and montages of galaxy cutouts.
//
// Drawn with cairo (https://cairographics.org): a small, long-maintained C library for 2-D
// vector drawing with antialiasing, text (through fontconfig/FreeType) and PNG output, packaged
// everywhere (Debian: libcairo2-dev). It is an optional dependency: CMake defines the target
// galnet::plot (with GALNET_WITH_CAIRO=1) only where pkg-config finds cairo, and this header
// refuses to compile without it.
//
// Contract
//   - Every figure is rendered to an RGB image surface, encoded as PNG in memory and written
//     atomically (io::AtomicFile: readers see the old file or the whole new one). Every error is
//     a galnet::Error naming the function and the file.
//   - plot_pred_vs_true: kPredVsTrueSize² pixels. Points with a non-finite true value or
//     prediction are not drawn; at least one finite pair is needed. Both axes share one range
//     (the values' range, or the 0.1–99.9 % quantiles from 1000 points on, padded by 4 %);
//     more than kDensityThreshold points are drawn as a 2-D density (log counts) instead of
//     individual translucent points. Bins of the binned mean span the true values' range.
//   - plot_history: kHistoryWidth × kHistoryHeight pixels. epochs, train_loss and lr (if not
//     empty) have one value per epoch; valid_loss is empty or one per epoch, NaN where there was
//     no validation. Lines pass over non-finite values, and every finite value gets a marker
//     when there were any (or when there are at most 40). A y axis is logarithmic when its values are
//     positive and span more than a factor of 10. An empty lr drops the learning-rate panel.
//   - plot_montage: montage_size(rows, max row length, cell) pixels; a cutout (1 to 4 channels,
//     alpha ignored) is scaled to fit a cell keeping its aspect ratio; a null pointer leaves an
//     empty cell. Row labels may hold '\n' for several lines; long lines are shrunk, then cut
//     with "…".
#pragma once

#if !defined(GALNET_WITH_CAIRO)
#error "galnet/eval/plot.hpp needs cairo: link the CMake target galnet::plot (it exists when pkg-config finds cairo; Debian: apt-get install libcairo2-dev) or compile with -DGALNET_WITH_CAIRO=1 and link cairo"
#endif

#include <cairo.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/data/image.hpp"
#include "galnet/eval/metrics.hpp"
#include "galnet/io/atomic_file.hpp"

namespace galnet::eval {

/// Size of plot_pred_vs_true's square figure, in pixels.
inline constexpr int kPredVsTrueSize = 800;
/// Above this many points plot_pred_vs_true shades a 2-D density instead of drawing points.
inline constexpr std::size_t kDensityThreshold = 5000;
/// Size of plot_history's figure, in pixels.
inline constexpr int kHistoryWidth = 1000, kHistoryHeight = 760;
/// plot_montage's fixed parts, in pixels: outer margin, label column and gap between cells.
inline constexpr int kMontageMargin = 14, kMontageLabelWidth = 190, kMontageGap = 6;

/// Width and height of plot_montage's figure for `rows` rows of at most `cols` cutouts.
inline std::pair<int, int> montage_size(int rows, int cols, int cell = 128) {
  const int c = std::max(cols, 1);
  return {2 * kMontageMargin + kMontageLabelWidth + c * cell + (c - 1) * kMontageGap,
          2 * kMontageMargin + rows * cell + (rows - 1) * kMontageGap};
}

namespace detail::plot {

struct Rgb {
  double r, g, b;
};
// matplotlib's "tab10" colours, which the papers' figures use.
inline constexpr Rgb kBlue{0.122, 0.467, 0.706}, kOrange{1.0, 0.498, 0.055}, kGreen{0.173, 0.627, 0.173},
    kRed{0.839, 0.153, 0.157}, kInk{0.1, 0.1, 0.1}, kGrey{0.55, 0.55, 0.55};
inline constexpr const char* kFont = "DejaVu Sans";  // fontconfig falls back to any sans-serif

inline void set_rgb(cairo_t* cr, Rgb c, double alpha = 1.0) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

/// An RGB image surface and its context, written to PNG atomically by save().
class Canvas {
public:
  Canvas(int width, int height, std::string who) : who_(std::move(who)) {
    GALNET_CHECK(width > 0 && height > 0 && width <= 32767 && height <= 32767, who_, "a ", width, "x", height,
                 " figure is beyond cairo's limits (1 to 32767 pixels a side)");
    surface_ = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    const cairo_status_t s = cairo_surface_status(surface_);
    if (s != CAIRO_STATUS_SUCCESS) {
      cairo_surface_destroy(surface_);
      fail(who_, "cannot create a ", width, "x", height, " image: ", cairo_status_to_string(s));
    }
    cr_ = cairo_create(surface_);
    cairo_set_source_rgb(cr_, 1, 1, 1);
    cairo_paint(cr_);
    cairo_select_font_face(cr_, kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  }
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;
  ~Canvas() {
    cairo_destroy(cr_);
    cairo_surface_destroy(surface_);
  }
  cairo_t* cr() const { return cr_; }
  const std::string& who() const { return who_; }

  void save(const std::filesystem::path& path) {
    const cairo_status_t s = cairo_status(cr_);
    GALNET_CHECK(s == CAIRO_STATUS_SUCCESS, who_, "drawing failed: ", cairo_status_to_string(s));
    cairo_surface_flush(surface_);
    std::vector<unsigned char> png;
    const cairo_status_t w = cairo_surface_write_to_png_stream(surface_, &append, &png);
    GALNET_CHECK(w == CAIRO_STATUS_SUCCESS && !png.empty(), who_, "PNG encoding failed: ", cairo_status_to_string(w));
    io::AtomicFile f(path, who_);
    f.write(png.data(), png.size());
    f.commit();
  }

private:
  static cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
    try {
      auto* v = static_cast<std::vector<unsigned char>*>(closure);
      v->insert(v->end(), data, data + length);
      return CAIRO_STATUS_SUCCESS;
    } catch (...) {  // no exception may cross cairo's C frames
      return CAIRO_STATUS_WRITE_ERROR;
    }
  }
  std::string who_;
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
};

// ---- text ----

inline void font(cairo_t* cr, double size, bool bold = false) {
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

inline double text_width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

/// Height of capitals and digits in the current font (for vertical centring).
inline double cap_height(cairo_t* cr) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, "0", &e);
  return e.height;
}

/// Shows `s` with its baseline at y; halign 0 = left, 0.5 = centre, 1 = right of x.
inline void text(cairo_t* cr, const std::string& s, double x, double y, double halign = 0) {
  cairo_move_to(cr, x - halign * text_width(cr, s), y);
  cairo_show_text(cr, s.c_str());
}

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

inline double label_width(cairo_t* cr, const Label& l, double size) {
  cairo_set_font_size(cr, size);
  double w = text_width(cr, base_of(l));
  if (l.has_exp) {
    cairo_set_font_size(cr, size * 0.7);
    w += 1 + text_width(cr, minus_sign(std::to_string(l.exp)));
    cairo_set_font_size(cr, size);
  }
  return w;
}

inline void draw_label(cairo_t* cr, const Label& l, double size, double x, double baseline, double halign) {
  const double w = label_width(cr, l, size);
  double cx = x - halign * w;
  cairo_set_font_size(cr, size);
  const std::string base = base_of(l);
  text(cr, base, cx, baseline);
  if (l.has_exp) {
    cx += text_width(cr, base) + 1;
    cairo_set_font_size(cr, size * 0.7);
    text(cr, minus_sign(std::to_string(l.exp)), cx, baseline - 0.42 * size);
    cairo_set_font_size(cr, size);
  }
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

/// The preferred ticks whose labels do not crowd each other along `length` pixels.
inline std::vector<Tick> choose_ticks(cairo_t* cr, const Axis& a, double length, bool horizontal, double size,
                                      bool integer = false) {
  cairo_set_font_size(cr, size);
  auto fits = [&](const std::vector<Tick>& ticks) {
    double prev = -1e300;
    int labelled = 0;
    for (const Tick& t : ticks) {
      if (!t.labelled) continue;
      const double pos = a.frac(t.v) * length;
      const double extent = horizontal ? label_width(cr, t.label, size) : (t.label.has_exp ? 1.3 : 1.0) * size;
      const double gap = horizontal ? 0.9 * size : 0.8 * size;
      if (pos - extent / 2 < prev + gap) return false;
      prev = pos + extent / 2;
      ++labelled;
    }
    return labelled >= 2 || (labelled == 1 && ticks.size() <= 2);
  };
  std::vector<Tick> last;
  if (a.log) {
    const double decades = std::log10(a.hi) - std::log10(a.lo);
    if (decades < 2.2) {
      last = log_ticks(a, 1, true);
      if (fits(last)) return last;
    }
    for (int every = 1; every <= 12; ++every) {
      last = log_ticks(a, every, false);
      int labelled = 0;
      for (const Tick& t : last) labelled += t.labelled ? 1 : 0;
      if (labelled >= 2 && fits(last)) return last;
    }
    return last;
  }
  for (int target = 8; target >= 2; --target) {
    last = linear_ticks(a, target, integer);
    if (fits(last)) return last;
  }
  return last;
}

inline double max_label_width(cairo_t* cr, const std::vector<Tick>& ticks, double size) {
  double w = 0;
  for (const Tick& t : ticks)
    if (t.labelled) w = std::max(w, label_width(cr, t.label, size));
  return w;
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

/// A rectangle of the figure showing data on two axes.
struct Panel {
  double x0, y0, w, h;  // pixels: left, top, width, height
  Axis xa, ya;
  [[nodiscard]] double px(double x) const { return x0 + xa.frac(x) * w; }
  [[nodiscard]] double py(double y) const { return y0 + h - ya.frac(y) * h; }
  void clip(cairo_t* cr) const {
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_clip(cr);
  }
};

inline constexpr double kTickFont = 17, kAxisFont = 20, kTextFont = 17;
inline constexpr double kMajorTick = 9, kMinorTick = 5;

/// Frame, inward ticks on all four sides, and tick labels left and (if x_labels) below.
inline void draw_frame(cairo_t* cr, const Panel& p, const std::vector<Tick>& xt, const std::vector<Tick>& yt,
                       bool x_labels) {
  cairo_save(cr);
  set_rgb(cr, kInk);
  cairo_set_line_width(cr, 1.0);
  for (const Tick& t : xt) {
    const double x = std::round(p.px(t.v)) + 0.5, len = t.major ? kMajorTick : kMinorTick;
    cairo_move_to(cr, x, p.y0 + p.h);
    cairo_line_to(cr, x, p.y0 + p.h - len);
    cairo_move_to(cr, x, p.y0);
    cairo_line_to(cr, x, p.y0 + len);
  }
  for (const Tick& t : yt) {
    const double y = std::round(p.py(t.v)) + 0.5, len = t.major ? kMajorTick : kMinorTick;
    cairo_move_to(cr, p.x0, y);
    cairo_line_to(cr, p.x0 + len, y);
    cairo_move_to(cr, p.x0 + p.w, y);
    cairo_line_to(cr, p.x0 + p.w - len, y);
  }
  cairo_stroke(cr);
  cairo_set_line_width(cr, 1.5);
  cairo_rectangle(cr, p.x0, p.y0, p.w, p.h);
  cairo_stroke(cr);
  font(cr, kTickFont);
  const double ch = cap_height(cr);
  if (x_labels)
    for (const Tick& t : xt)
      if (t.labelled) draw_label(cr, t.label, kTickFont, p.px(t.v), p.y0 + p.h + 8 + ch + 0.2 * kTickFont, 0.5);
  for (const Tick& t : yt)
    if (t.labelled) draw_label(cr, t.label, kTickFont, p.x0 - 8, p.py(t.v) + ch / 2, 1.0);
  cairo_restore(cr);
}

/// Height taken below a panel by x tick labels (with their gap).
inline double x_tick_band() { return 8 + 1.35 * kTickFont; }

/// Font height of the axis labels.
inline double axis_label_height(cairo_t* cr) {
  font(cr, kAxisFont);
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  return fe.ascent + fe.descent;
}

/// The x label centred under the panel, its baseline at `baseline`.
inline void x_label(cairo_t* cr, const Panel& p, const std::string& s, double baseline) {
  font(cr, kAxisFont);
  set_rgb(cr, kInk);
  double size = kAxisFont;
  while (size > 10 && text_width(cr, s) > p.w) cairo_set_font_size(cr, size -= 1);
  text(cr, s, p.x0 + p.w / 2, baseline, 0.5);
}

/// The y label rotated, centred beside the panel, its baseline at x = `baseline_x`.
inline void y_label(cairo_t* cr, const Panel& p, const std::string& s, double baseline_x) {
  cairo_save(cr);
  font(cr, kAxisFont);
  set_rgb(cr, kInk);
  double size = kAxisFont;
  while (size > 10 && text_width(cr, s) > p.h) cairo_set_font_size(cr, size -= 1);
  cairo_translate(cr, baseline_x, p.y0 + p.h / 2);
  cairo_rotate(cr, -std::numbers::pi / 2);
  text(cr, s, 0, 0, 0.5);
  cairo_restore(cr);
}

/// A box with a white, slightly translucent fill and a thin grey border.
inline void box(cairo_t* cr, double x, double y, double w, double h) {
  cairo_save(cr);
  cairo_rectangle(cr, std::round(x) + 0.5, std::round(y) + 0.5, std::round(w), std::round(h));
  cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
  cairo_fill_preserve(cr);
  set_rgb(cr, kGrey);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  cairo_restore(cr);
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

/// `v` with `decimals` places, "nan" spelled out.
inline std::string metric_text(double v, int decimals) { return std::isfinite(v) ? fixed(v, decimals) : "n/a"; }

/// The `q` quantile (linear interpolation) of sorted values.
inline double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(pos));
  const std::size_t j = std::min(i + 1, sorted.size() - 1);
  return sorted[i] + (pos - static_cast<double>(i)) * (sorted[j] - sorted[i]);
}

/// matplotlib's "Blues" colour map at t in [0, 1].
inline Rgb blues(double t) {
  static constexpr std::array<Rgb, 5> stops{{{0.78, 0.86, 0.94}, {0.42, 0.68, 0.84}, {0.26, 0.57, 0.78},
                                             {0.13, 0.44, 0.71}, {0.03, 0.19, 0.42}}};
  t = std::clamp(t, 0.0, 1.0) * (stops.size() - 1);
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(t), stops.size() - 2);
  const double f = t - static_cast<double>(i);
  const Rgb a = stops[i], b = stops[i + 1];
  return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

/// Legend rows: a sample drawn by `sample(x, y)` (centred at x, y) and a text.
struct LegendRow {
  std::string text;
  std::function<void(cairo_t*, double, double)> sample;
};

/// A legend in the panel's corner (right/left, top/bottom), 14 px in from the frame.
inline void legend(cairo_t* cr, const Panel& p, const std::vector<LegendRow>& rows, bool right, bool top) {
  if (rows.empty()) return;
  font(cr, kTextFont);
  const double line = 1.55 * kTextFont, sample_w = 34, pad = 10, ch = cap_height(cr);
  double tw = 0;
  for (const auto& r : rows) tw = std::max(tw, text_width(cr, r.text));
  const double w = pad + sample_w + 8 + tw + pad, h = 2 * pad + line * static_cast<double>(rows.size()) - 0.4 * kTextFont;
  const double x = right ? p.x0 + p.w - 14 - w : p.x0 + 14;
  const double y = top ? p.y0 + 14 : p.y0 + p.h - 14 - h;
  box(cr, x, y, w, h);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double cy = y + pad + 0.5 * ch + 0.1 * kTextFont + line * static_cast<double>(i);
    cairo_save(cr);
    rows[i].sample(cr, x + pad + sample_w / 2, cy);
    cairo_restore(cr);
    set_rgb(cr, kInk);
    font(cr, kTextFont);
    text(cr, rows[i].text, x + pad + sample_w + 8, cy + ch / 2);
  }
}

/// A polyline through the finite points (non-finite ones are passed over: a loss recorded
/// every few epochs is still one line).
inline void polyline(cairo_t* cr, const Panel& p, std::span<const double> x, std::span<const double> y) {
  bool pen = false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool ok = std::isfinite(x[i]) && std::isfinite(y[i]) && (!p.ya.log || y[i] > 0) && (!p.xa.log || x[i] > 0);
    if (!ok) continue;
    if (pen)
      cairo_line_to(cr, p.px(x[i]), p.py(y[i]));
    else
      cairo_move_to(cr, p.px(x[i]), p.py(y[i]));
    pen = true;
  }
  cairo_stroke(cr);
}

inline void dot(cairo_t* cr, double x, double y, double r) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, x, y, r, 0, 2 * std::numbers::pi);
}

/// A cairo RGB surface holding `img` (grey replicated; alpha ignored).
inline cairo_surface_t* image_surface(const data::Image& img, const std::string& who) {
  GALNET_CHECK(img.height > 0 && img.width > 0 && img.channels >= 1 && img.channels <= 4 &&
                   img.pixels.size() == img.size(),
               who, "a ", img.height, "x", img.width, "x", img.channels, " image holding ", img.pixels.size(),
               " bytes cannot be drawn");
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, img.width, img.height);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    const auto st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    fail(who, "cannot create a ", img.width, "x", img.height, " image: ", cairo_status_to_string(st));
  }
  cairo_surface_flush(s);
  unsigned char* data = cairo_image_surface_get_data(s);
  const int stride = cairo_image_surface_get_stride(s);
  const int c = img.channels;
  for (int y = 0; y < img.height; ++y) {
    auto* row = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride);
    for (int x = 0; x < img.width; ++x) {
      const std::uint32_t r = img.at(y, x, 0);
      const std::uint32_t g = c >= 3 ? img.at(y, x, 1) : r, b = c >= 3 ? img.at(y, x, 2) : r;
      row[x] = 0xFF000000u | (r << 16) | (g << 8) | b;
    }
  }
  cairo_surface_mark_dirty(s);
  return s;
}

}  // namespace detail::plot

/// Predicted against true values: points (or their density), the 1:1 line, the mean prediction
/// with ±1σ in `bins` bins of the true value, and a box with n, RMSE, NMAD and bias from `m`.
/// `label` names the quantity ("12 + log(O/H)"); the axes read "true <label>" and
/// "predicted <label>".
inline void plot_pred_vs_true(const std::filesystem::path& path, std::span<const double> y,
                              std::span<const double> p, const std::string& label, const RegressionMetrics& m,
                              int bins = 15) {
  namespace P = detail::plot;
  const std::string who = "galnet::eval::plot_pred_vs_true: '" + path.string() + "': ";
  GALNET_CHECK(y.size() == p.size(), who, "true values and predictions differ in length (", y.size(), " vs ",
               p.size(), ")");
  GALNET_CHECK(bins >= 1, who, "bins must be at least 1, got ", bins);
  std::vector<double> yt, pt;
  for (std::size_t i = 0; i < y.size(); ++i)
    if (std::isfinite(y[i]) && std::isfinite(p[i])) {
      yt.push_back(y[i]);
      pt.push_back(p[i]);
    }
  GALNET_CHECK(!yt.empty(), who, "no rows with a finite true value and prediction to plot");
  const std::size_t n = yt.size();

  // One range for both axes: all values, or their 0.1–99.9 % quantiles for many points.
  std::vector<double> all(yt);
  all.insert(all.end(), pt.begin(), pt.end());
  std::sort(all.begin(), all.end());
  const bool robust = n >= 1000;
  const double lo = robust ? P::quantile(all, 0.001) : all.front();
  const double hi = robust ? P::quantile(all, 0.999) : all.back();
  const P::Axis axis = P::make_axis(lo, hi, false, 0.04);

  P::Canvas canvas(kPredVsTrueSize, kPredVsTrueSize, who);
  cairo_t* cr = canvas.cr();
  const double W = kPredVsTrueSize, H = kPredVsTrueSize, pad = 16, top = 22, right = 26;
  const double lab_h = P::axis_label_height(cr);
  const double bottom = pad + lab_h + 6 + P::x_tick_band();
  double side = H - top - bottom;
  std::vector<P::Tick> ticks = P::choose_ticks(cr, axis, side, false, P::kTickFont);
  double left = pad + lab_h + 8 + P::max_label_width(cr, ticks, P::kTickFont) + 8;
  side = std::min(W - left - right, H - top - bottom);
  // The same ticks on both axes, uncrowded horizontally too.
  ticks = P::choose_ticks(cr, axis, side, true, P::kTickFont);
  left = pad + lab_h + 8 + P::max_label_width(cr, ticks, P::kTickFont) + 8;
  side = std::min(W - left - right, H - top - bottom);
  const P::Panel panel{std::round(left), std::round(H - bottom - side), std::round(side), std::round(side), axis, axis};

  // Points, or a density for many.
  cairo_save(cr);
  panel.clip(cr);
  if (n > kDensityThreshold) {
    const int g = 110;
    std::vector<std::int64_t> count(static_cast<std::size_t>(g) * g, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const double fx = axis.frac(yt[i]), fy = axis.frac(pt[i]);
      if (fx < 0 || fx > 1 || fy < 0 || fy > 1) continue;
      const int cx = std::min(g - 1, static_cast<int>(fx * g)), cy = std::min(g - 1, static_cast<int>(fy * g));
      ++count[static_cast<std::size_t>(cy) * g + cx];
    }
    const double cmax = static_cast<double>(*std::max_element(count.begin(), count.end()));
    const double cell = panel.w / g;
    for (int cy = 0; cy < g; ++cy)
      for (int cx = 0; cx < g; ++cx) {
        const auto c = count[static_cast<std::size_t>(cy) * g + cx];
        if (c == 0) continue;
        P::set_rgb(cr, P::blues(cmax > 1 ? std::log(static_cast<double>(c)) / std::log(cmax) : 1.0));
        // Cells overlap by a hair so no white seams show between them.
        cairo_rectangle(cr, panel.x0 + cx * cell, panel.y0 + panel.h - (cy + 1) * cell, cell + 0.6, cell + 0.6);
        cairo_fill(cr);
      }
  } else {
    const double alpha = std::clamp(0.75 * std::sqrt(200.0 / static_cast<double>(n)), 0.12, 0.75);
    const double r = n < 500 ? 3.2 : (n < 2000 ? 2.6 : 2.1);
    P::set_rgb(cr, P::kBlue, alpha);
    for (std::size_t i = 0; i < n; ++i) {
      P::dot(cr, panel.px(yt[i]), panel.py(pt[i]), r);
      cairo_fill(cr);  // one fill per point, so overlaps darken like a density
    }
  }
  // The 1:1 line.
  P::set_rgb(cr, P::kInk, 0.85);
  cairo_set_line_width(cr, 1.6);
  const double dash[] = {9, 6};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_move_to(cr, panel.px(axis.lo), panel.py(axis.lo));
  cairo_line_to(cr, panel.px(axis.hi), panel.py(axis.hi));
  cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
  // Binned mean ± 1σ of the predictions in bins of the true value.
  const auto stats = binned_stats(yt, pt, bins);
  const P::Rgb edge{0.55, 0.22, 0.0};
  for (const Bin& b : stats) {
    if (b.count == 0) continue;
    const double x = panel.px(b.centre), ym = panel.py(b.mean);
    if (b.count > 1 && b.std > 0) {
      const double y0 = panel.py(b.mean - b.std), y1 = panel.py(b.mean + b.std);
      P::set_rgb(cr, edge);
      cairo_set_line_width(cr, 2.0);
      cairo_move_to(cr, x, y0);
      cairo_line_to(cr, x, y1);
      cairo_move_to(cr, x - 5, y0);
      cairo_line_to(cr, x + 5, y0);
      cairo_move_to(cr, x - 5, y1);
      cairo_line_to(cr, x + 5, y1);
      cairo_stroke(cr);
    }
    P::dot(cr, x, ym, 6);
    P::set_rgb(cr, P::kOrange);
    cairo_fill_preserve(cr);
    P::set_rgb(cr, edge);
    cairo_set_line_width(cr, 1.4);
    cairo_stroke(cr);
  }
  cairo_restore(cr);

  P::draw_frame(cr, panel, ticks, ticks, true);
  P::x_label(cr, panel, "true " + label, H - pad - 0.25 * lab_h);
  P::y_label(cr, panel, "predicted " + label, pad + 0.75 * lab_h);

  // Metrics box, top left.
  {
    // Three significant digits of the RMSE; the same places for NMAD and bias.
    const int dec = std::isfinite(m.rmse) && m.rmse > 0
                        ? std::clamp(2 - static_cast<int>(std::floor(std::log10(m.rmse))), 0, 8)
                        : 3;
    const std::vector<std::pair<std::string, std::string>> rows = {
        {"n", P::thousands(m.n)},
        {"RMSE", P::metric_text(m.rmse, dec)},
        {"NMAD", P::metric_text(m.nmad, dec)},
        {"bias", P::metric_text(m.bias, dec)}};
    P::font(cr, P::kTextFont);
    const double line = 1.45 * P::kTextFont, bpad = 11, ch = P::cap_height(cr);
    double kw = 0, vw = 0;
    for (const auto& [k, v] : rows) {
      kw = std::max(kw, P::text_width(cr, k));
      vw = std::max(vw, P::text_width(cr, v));
    }
    const double eq = P::text_width(cr, " = ");
    const double bw = 2 * bpad + kw + eq + vw, bh = 2 * bpad + line * (rows.size() - 1) + ch;
    const double bx = panel.x0 + 14, by = panel.y0 + 14;
    P::box(cr, bx, by, bw, bh);
    P::set_rgb(cr, P::kInk);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const double base = by + bpad + ch + line * static_cast<double>(i);
      P::text(cr, rows[i].first, bx + bpad, base);
      P::text(cr, " = ", bx + bpad + kw, base);
      P::text(cr, rows[i].second, bx + bpad + kw + eq, base);
    }
  }
  P::legend(cr, panel,
            {{"1:1",
              [](cairo_t* c, double x, double yy) {
                P::set_rgb(c, P::kInk, 0.85);
                cairo_set_line_width(c, 1.6);
                const double d[] = {9, 6};
                cairo_set_dash(c, d, 2, 0);
                cairo_move_to(c, x - 16, yy);
                cairo_line_to(c, x + 16, yy);
                cairo_stroke(c);
              }},
             {"binned mean \xC2\xB1 1\xCF\x83",
              [edge](cairo_t* c, double x, double yy) {
                P::set_rgb(c, edge);
                cairo_set_line_width(c, 2.0);
                cairo_move_to(c, x, yy - 9);
                cairo_line_to(c, x, yy + 9);
                cairo_stroke(c);
                P::dot(c, x, yy, 6);
                P::set_rgb(c, P::kOrange);
                cairo_fill_preserve(c);
                P::set_rgb(c, edge);
                cairo_set_line_width(c, 1.4);
                cairo_stroke(c);
              }}},
            true, false);
  canvas.save(path);
}

/// Training and validation loss per epoch (log scale over more than a decade) with a legend,
/// and the learning rate in a second panel below (none when `lr` is empty).
inline void plot_history(const std::filesystem::path& path, std::span<const double> epochs,
                         std::span<const double> train_loss, std::span<const double> valid_loss,
                         std::span<const double> lr) {
  namespace P = detail::plot;
  const std::string who = "galnet::eval::plot_history: '" + path.string() + "': ";
  const std::size_t n = epochs.size();
  GALNET_CHECK(n > 0, who, "no epochs to plot");
  GALNET_CHECK(train_loss.size() == n, who, "train_loss has ", train_loss.size(), " values for ", n, " epochs");
  GALNET_CHECK(valid_loss.empty() || valid_loss.size() == n, who, "valid_loss has ", valid_loss.size(),
               " values for ", n, " epochs (give one per epoch, NaN where there was none, or none)");
  GALNET_CHECK(lr.empty() || lr.size() == n, who, "lr has ", lr.size(), " values for ", n, " epochs");
  double elo = std::numeric_limits<double>::infinity(), ehi = -elo;
  bool integral = true;
  for (double e : epochs) {
    GALNET_CHECK(std::isfinite(e), who, "an epoch number is ", e);
    elo = std::min(elo, e);
    ehi = std::max(ehi, e);
    integral = integral && e == std::round(e);
  }
  std::vector<double> losses;
  for (double v : train_loss)
    if (std::isfinite(v)) losses.push_back(v);
  bool have_valid = false;
  for (double v : valid_loss)
    if (std::isfinite(v)) {
      losses.push_back(v);
      have_valid = true;
    }
  GALNET_CHECK(!losses.empty(), who, "no finite loss to plot");
  std::vector<double> lrs;
  for (double v : lr)
    if (std::isfinite(v)) lrs.push_back(v);
  const bool lr_panel = !lrs.empty();

  auto value_axis = [](const std::vector<double>& v) {
    const bool log = P::wants_log(v);
    const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
    return P::make_axis(*mn, *mx, log, log ? 0.04 : 0.06);
  };
  const P::Axis ly = value_axis(losses);
  const P::Axis xa = P::make_axis(elo, ehi, false, 0.02);

  P::Canvas canvas(kHistoryWidth, kHistoryHeight, who);
  cairo_t* cr = canvas.cr();
  const double W = kHistoryWidth, H = kHistoryHeight, pad = 16, top = 22, right = 28, between = 26;
  const double lab_h = P::axis_label_height(cr);
  const double bottom = pad + lab_h + 6 + P::x_tick_band();
  const double avail = H - top - bottom - (lr_panel ? between : 0);
  const double loss_h = std::round(lr_panel ? 0.66 * avail : avail), lr_h = std::round(avail - loss_h);
  const auto yt_loss = P::choose_ticks(cr, ly, loss_h, false, P::kTickFont);
  P::Axis lra;
  std::vector<P::Tick> yt_lr;
  if (lr_panel) {
    lra = value_axis(lrs);
    yt_lr = P::choose_ticks(cr, lra, lr_h, false, P::kTickFont);
  }
  const double tick_w = std::max(P::max_label_width(cr, yt_loss, P::kTickFont), P::max_label_width(cr, yt_lr, P::kTickFont));
  const double left = std::round(pad + lab_h + 8 + tick_w + 8);
  const double pw = W - left - right;
  const auto xt = P::choose_ticks(cr, xa, pw, true, P::kTickFont, integral);
  const P::Panel loss{left, top, pw, loss_h, xa, ly};

  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  auto series = [&](const P::Panel& pnl, std::span<const double> v, P::Rgb c) {
    cairo_save(cr);
    pnl.clip(cr);
    P::set_rgb(cr, c);
    cairo_set_line_width(cr, 2.4);
    P::polyline(cr, pnl, epochs, v);
    std::size_t finite = 0;
    for (double x : v) finite += std::isfinite(x) ? 1 : 0;
    if (finite <= 40 || finite < n)
      for (std::size_t i = 0; i < n; ++i)
        if (pnl.ya.contains(v[i])) {
          P::dot(cr, pnl.px(epochs[i]), pnl.py(v[i]), 3.6);
          cairo_fill(cr);
        }
    cairo_restore(cr);
  };
  series(loss, train_loss, P::kBlue);
  if (have_valid) series(loss, valid_loss, P::kOrange);
  P::draw_frame(cr, loss, xt, yt_loss, !lr_panel);
  P::y_label(cr, loss, "loss", pad + 0.75 * lab_h);
  auto line_sample = [](P::Rgb c) {
    return [c](cairo_t* cc, double x, double yy) {
      P::set_rgb(cc, c);
      cairo_set_line_width(cc, 2.4);
      cairo_move_to(cc, x - 16, yy);
      cairo_line_to(cc, x + 16, yy);
      cairo_stroke(cc);
    };
  };
  std::vector<P::LegendRow> rows = {{"train", line_sample(P::kBlue)}};
  if (have_valid) rows.push_back({"valid", line_sample(P::kOrange)});
  P::legend(cr, loss, rows, true, true);

  if (lr_panel) {
    const P::Panel lp{left, top + loss_h + between, pw, lr_h, xa, lra};
    series(lp, lr, P::kGreen);
    P::draw_frame(cr, lp, xt, yt_lr, true);
    P::y_label(cr, lp, "learning rate", pad + 0.75 * lab_h);
    P::x_label(cr, lp, "epoch", H - pad - 0.25 * lab_h);
  } else {
    P::x_label(cr, loss, "epoch", H - pad - 0.25 * lab_h);
  }
  canvas.save(path);
}

/// A grid of cutouts, one row per entry of `rows` with its label at the left (e.g. SFNet's
/// top-activating galaxies per feature). Each cutout is scaled to fit a `cell`-pixel square.
inline void plot_montage(const std::filesystem::path& path, const std::vector<std::vector<const data::Image*>>& rows,
                         const std::vector<std::string>& row_labels, int cell = 128) {
  namespace P = detail::plot;
  const std::string who = "galnet::eval::plot_montage: '" + path.string() + "': ";
  GALNET_CHECK(!rows.empty(), who, "no rows to draw");
  GALNET_CHECK(row_labels.size() == rows.size(), who, rows.size(), " rows but ", row_labels.size(), " row labels");
  GALNET_CHECK(cell >= 8 && cell <= 2048, who, "cell must be 8 to 2048 pixels, got ", cell);
  std::size_t cols = 1;
  for (const auto& r : rows) cols = std::max(cols, r.size());
  GALNET_CHECK(rows.size() <= 4096 && cols <= 4096, who, "too many cutouts: ", rows.size(), " rows x ", cols);
  const auto [W, H] = montage_size(static_cast<int>(rows.size()), static_cast<int>(cols), cell);
  P::Canvas canvas(W, H, who);
  cairo_t* cr = canvas.cr();

  const double label_x = kMontageMargin, label_w = kMontageLabelWidth - 12;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double y0 = kMontageMargin + static_cast<double>(r) * (cell + kMontageGap);
    // The label: lines shrunk to fit the column (down to 14 px), then cut with "…".
    std::vector<std::string> lines;
    for (std::size_t s = 0, e; s <= row_labels[r].size(); s = e + 1) {
      e = row_labels[r].find('\n', s);
      if (e == std::string::npos) e = row_labels[r].size();
      lines.push_back(row_labels[r].substr(s, e - s));
    }
    double size = std::min(19.0, std::max(11.0, cell / (1.45 * static_cast<double>(lines.size()))));
    P::font(cr, size, false);
    auto widest = [&] {
      double w = 0;
      for (const auto& l : lines) w = std::max(w, P::text_width(cr, l));
      return w;
    };
    while (size > 14 && widest() > label_w) cairo_set_font_size(cr, size -= 1);
    for (auto& l : lines) {
      if (P::text_width(cr, l) <= label_w) continue;
      // Cut whole UTF-8 characters until the text and the ellipsis fit.
      while (!l.empty() && P::text_width(cr, l + "\xE2\x80\xA6") > label_w) {
        l.pop_back();
        while (!l.empty() && (static_cast<unsigned char>(l.back()) & 0xC0) == 0x80) l.pop_back();
        if (!l.empty() && (static_cast<unsigned char>(l.back()) & 0xC0) == 0xC0) l.pop_back();
      }
      l += "\xE2\x80\xA6";
    }
    const double line = 1.3 * size, ch = P::cap_height(cr);
    const double block = ch + line * static_cast<double>(lines.size() - 1);
    P::set_rgb(cr, P::kInk);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i == 1) P::set_rgb(cr, {0.35, 0.35, 0.35});  // first line as a title, the rest quieter
      P::text(cr, lines[i], label_x, y0 + cell / 2.0 - block / 2 + ch + line * static_cast<double>(i));
    }

    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      const double x0 = kMontageMargin + kMontageLabelWidth + static_cast<double>(c) * (cell + kMontageGap);
      const data::Image* img = rows[r][c];
      if (img == nullptr) {
        cairo_rectangle(cr, x0 + 0.5, y0 + 0.5, cell - 1, cell - 1);
        cairo_set_source_rgb(cr, 0.94, 0.94, 0.94);
        cairo_fill(cr);
        continue;
      }
      cairo_surface_t* s =
          P::image_surface(*img, who + "row " + std::to_string(r) + ", cutout " + std::to_string(c) + ": ");
      cairo_save(cr);
      cairo_rectangle(cr, x0, y0, cell, cell);
      cairo_set_source_rgb(cr, 0, 0, 0);
      cairo_fill(cr);
      const double scale = std::min(static_cast<double>(cell) / img->width, static_cast<double>(cell) / img->height);
      const double dx = x0 + (cell - img->width * scale) / 2, dy = y0 + (cell - img->height * scale) / 2;
      cairo_translate(cr, dx, dy);
      cairo_scale(cr, scale, scale);
      cairo_set_source_surface(cr, s, 0, 0);
      cairo_pattern_t* pat = cairo_get_source(cr);
      cairo_pattern_set_extend(pat, CAIRO_EXTEND_PAD);
      cairo_pattern_set_filter(pat, scale >= 2 ? CAIRO_FILTER_BILINEAR : CAIRO_FILTER_GOOD);
      cairo_rectangle(cr, 0, 0, img->width, img->height);
      cairo_fill(cr);
      cairo_restore(cr);
      cairo_surface_destroy(s);
      cairo_rectangle(cr, x0 + 0.5, y0 + 0.5, cell - 1, cell - 1);
      cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
      cairo_set_line_width(cr, 1);
      cairo_stroke(cr);
    }
  }
  canvas.save(path);
}

}  // namespace galnet::eval
