// galnet/eval/detail/plot_marks.hpp — the marks several figures share: many points as
// translucent dots or a 2-D density, binned means with ±1σ bars, and their legend samples.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "galnet/eval/detail/plot_canvas.hpp"
#include "galnet/eval/metrics.hpp"

namespace galnet::eval {

/// Above this many points a scatter is shaded as a 2-D density instead of drawn as points.
inline constexpr std::size_t kDensityThreshold = 5000;

namespace detail::plot {

/// The points (x[i], y[i]) in the panel: translucent dots (overlaps darken), or for more than
/// kDensityThreshold a 110 x 110 density of log counts. Call with the panel clipped.
inline void scatter(cairo_t* cr, const Panel& panel, std::span<const double> x, std::span<const double> y) {
  const std::size_t n = x.size();
  if (n > kDensityThreshold) {
    const int g = 110;
    std::vector<std::int64_t> count(static_cast<std::size_t>(g) * g, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const double fx = panel.xa.frac(x[i]), fy = panel.ya.frac(y[i]);
      if (!(fx >= 0 && fx <= 1 && fy >= 0 && fy <= 1)) continue;
      const int cx = std::min(g - 1, static_cast<int>(fx * g)), cy = std::min(g - 1, static_cast<int>(fy * g));
      ++count[static_cast<std::size_t>(cy) * g + cx];
    }
    const double cmax = static_cast<double>(*std::max_element(count.begin(), count.end()));
    const double cw = panel.w / g, ch = panel.h / g;
    for (int cy = 0; cy < g; ++cy)
      for (int cx = 0; cx < g; ++cx) {
        const auto c = count[static_cast<std::size_t>(cy) * g + cx];
        if (c == 0) continue;
        set_rgb(cr, blues(cmax > 1 ? std::log(static_cast<double>(c)) / std::log(cmax) : 1.0));
        // Cells overlap by a hair so no white seams show between them.
        cairo_rectangle(cr, panel.x0 + cx * cw, panel.y0 + panel.h - (cy + 1) * ch, cw + 0.6, ch + 0.6);
        cairo_fill(cr);
      }
    return;
  }
  const double alpha = std::clamp(0.75 * std::sqrt(200.0 / static_cast<double>(std::max<std::size_t>(n, 1))), 0.12, 0.75);
  const double r = n < 500 ? 3.2 : (n < 2000 ? 2.6 : 2.1);
  set_rgb(cr, kBlue, alpha);
  for (std::size_t i = 0; i < n; ++i) {
    dot(cr, panel.px(x[i]), panel.py(y[i]), r);
    cairo_fill(cr);  // one fill per point, so overlaps darken like a density
  }
}

inline constexpr Rgb kBinEdge{0.55, 0.22, 0.0};

/// An orange dot with a dark edge: a binned mean.
inline void bin_dot(cairo_t* cr, double x, double y) {
  dot(cr, x, y, 6);
  set_rgb(cr, kOrange);
  cairo_fill_preserve(cr);
  set_rgb(cr, kBinEdge);
  cairo_set_line_width(cr, 1.4);
  cairo_stroke(cr);
}

/// Each non-empty bin's mean at its centre, with a ±1σ bar where it has a spread.
inline void binned_means(cairo_t* cr, const Panel& panel, const std::vector<Bin>& bins) {
  for (const Bin& b : bins) {
    if (b.count == 0) continue;
    const double x = panel.px(b.centre);
    if (b.count > 1 && b.std > 0) {
      const double y0 = panel.py(b.mean - b.std), y1 = panel.py(b.mean + b.std);
      set_rgb(cr, kBinEdge);
      cairo_set_line_width(cr, 2.0);
      cairo_move_to(cr, x, y0);
      cairo_line_to(cr, x, y1);
      cairo_move_to(cr, x - 5, y0);
      cairo_line_to(cr, x + 5, y0);
      cairo_move_to(cr, x - 5, y1);
      cairo_line_to(cr, x + 5, y1);
      cairo_stroke(cr);
    }
    bin_dot(cr, x, panel.py(b.mean));
  }
}

/// A dashed reference line from (x0, y0) to (x1, y1) in pixels (1:1, zero).
inline void reference_line(cairo_t* cr, double x0, double y0, double x1, double y1) {
  set_rgb(cr, kInk, 0.85);
  cairo_set_line_width(cr, 1.6);
  const double dash[] = {9, 6};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
}

/// Legend rows for reference_line and binned_means.
inline LegendRow reference_row(const std::string& text) {
  return {text, [](cairo_t* c, double x, double y) { reference_line(c, x - 16, y, x + 16, y); }};
}
inline LegendRow binned_row() {
  return {"binned mean \xC2\xB1 1\xCF\x83", [](cairo_t* c, double x, double y) {
            set_rgb(c, kBinEdge);
            cairo_set_line_width(c, 2.0);
            cairo_move_to(c, x, y - 9);
            cairo_line_to(c, x, y + 9);
            cairo_stroke(c);
            bin_dot(c, x, y);
          }};
}

/// A W x H figure's one panel on axes xa, ya: the panel's place (room for tick labels and axis
/// labels left and below) and its ticks.
struct Layout {
  Panel panel;
  std::vector<Tick> xt, yt;
  double pad, label_height;
};
inline Layout panel_layout(cairo_t* cr, double W, double H, const Axis& xa, const Axis& ya) {
  const double pad = 16, top = 22, right = 28;
  const double lab_h = axis_label_height(cr);
  const double bottom = pad + lab_h + 6 + x_tick_band();
  const double ph = H - top - bottom;
  auto yt = choose_ticks(cr, ya, ph, false, kTickFont);
  const double left = std::round(pad + lab_h + 8 + max_label_width(cr, yt, kTickFont) + 8);
  const double pw = W - left - right;
  auto xt = choose_ticks(cr, xa, pw, true, kTickFont);
  return {{left, top, pw, ph, xa, ya}, std::move(xt), std::move(yt), pad, lab_h};
}
/// The frame, ticks and axis labels of a panel_layout in a figure H pixels high.
inline void draw_axes(cairo_t* cr, const Layout& l, double H, const std::string& x_text, const std::string& y_text) {
  draw_frame(cr, l.panel, l.xt, l.yt, true);
  y_label(cr, l.panel, y_text, l.pad + 0.75 * l.label_height);
  x_label(cr, l.panel, x_text, H - l.pad - 0.25 * l.label_height);
}

}  // namespace detail::plot
}  // namespace galnet::eval
