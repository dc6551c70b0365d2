// galnet/eval/detail/plot_canvas.hpp — the drawing kit under galnet/eval/plot.hpp: a cairo
// canvas written atomically as PNG, text, tick labels that do not crowd, frames, legends,
// colours (the axis arithmetic is plot_axis.hpp). Internal: the figures in plot.hpp are the
// public interface.
#pragma once

#if !defined(GALNET_WITH_CAIRO)
#error "galnet/eval/detail/plot_canvas.hpp needs cairo: link galnet::plot"
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
#include "galnet/eval/detail/plot_axis.hpp"
#include "galnet/data/image.hpp"
#include "galnet/eval/metrics.hpp"
#include "galnet/core/atomic_file.hpp"

namespace galnet::eval {

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
    galnet::AtomicFile f(path, who_);
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

/// `v` with `decimals` places, "nan" spelled out.
inline std::string metric_text(double v, int decimals) { return std::isfinite(v) ? fixed(v, decimals) : "n/a"; }

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

}  // namespace galnet::eval
