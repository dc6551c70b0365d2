// galnet/eval/plot_lr_find.hpp — the learning-rate range test's figure, as fastai draws it:
// loss (raw and smoothed) against a logarithmic learning-rate axis, with the suggested rates
// marked. Cairo, like the other figures (see plot.hpp); written atomically.
//
// Contract: lrs, raw and smoothed have one value per batch (at least two, lrs positive);
// non-finite losses are skipped; the loss axis spans the smoothed curve's finite values (the raw
// points may leave it: after divergence they would flatten the rest); each named suggestion
// with a finite, in-range rate becomes a dashed vertical line in the legend.
#pragma once
#include <utility>

#include "galnet/eval/plot.hpp"

namespace galnet::eval {

inline constexpr int kLRFindWidth = 1000, kLRFindHeight = 640;

inline void plot_lr_find(const std::filesystem::path& path, std::span<const double> lrs, std::span<const double> raw,
                         std::span<const double> smoothed,
                         const std::vector<std::pair<std::string, double>>& suggestions) {
  namespace P = detail::plot;
  const std::string who = "galnet::eval::plot_lr_find: '" + path.string() + "': ";
  const std::size_t n = lrs.size();
  GALNET_CHECK(n >= 2, who, "need at least two learning rates, got ", n);
  GALNET_CHECK(raw.size() == n && smoothed.size() == n, who, "give one raw and one smoothed loss per learning rate");
  for (double v : lrs) GALNET_CHECK(std::isfinite(v) && v > 0, who, "a learning rate is ", v);
  std::vector<double> finite;
  for (double v : smoothed)
    if (std::isfinite(v)) finite.push_back(v);
  GALNET_CHECK(!finite.empty(), who, "no finite loss to plot");
  const auto [mn, mx] = std::minmax_element(finite.begin(), finite.end());
  const bool ylog = P::wants_log(finite);
  const P::Axis ya = P::make_axis(*mn, *mx, ylog, ylog ? 0.04 : 0.06);
  const P::Axis xa = P::make_axis(lrs.front(), lrs.back(), true, 0.02);

  P::Canvas canvas(kLRFindWidth, kLRFindHeight, who);
  cairo_t* cr = canvas.cr();
  const double H = kLRFindHeight;
  const P::Layout layout = P::panel_layout(cr, kLRFindWidth, H, xa, ya);
  const P::Panel& panel = layout.panel;
  const double top = panel.y0, ph = panel.h;

  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_save(cr);
  panel.clip(cr);
  P::set_rgb(cr, P::kBlue, 0.35);
  for (std::size_t i = 0; i < n; ++i)
    if (ya.contains(raw[i])) {
      P::dot(cr, panel.px(lrs[i]), panel.py(raw[i]), 2.6);
      cairo_fill(cr);
    }
  P::set_rgb(cr, P::kBlue);
  cairo_set_line_width(cr, 2.6);
  P::polyline(cr, panel, lrs, smoothed);
  const P::Rgb colours[] = {P::kOrange, P::kGreen, P::kInk};
  std::vector<P::LegendRow> rows;
  rows.push_back({"smoothed loss", [](cairo_t* c, double x, double y) {
                    P::set_rgb(c, P::kBlue);
                    cairo_set_line_width(c, 2.6);
                    cairo_move_to(c, x - 16, y);
                    cairo_line_to(c, x + 16, y);
                    cairo_stroke(c);
                  }});
  for (std::size_t s = 0; s < suggestions.size(); ++s) {
    const auto& [name, lr] = suggestions[s];
    if (!xa.contains(lr)) continue;
    const P::Rgb c = colours[s % 3];
    P::set_rgb(cr, c);
    cairo_set_line_width(cr, 2.0);
    const double dash[] = {8, 6};
    cairo_set_dash(cr, dash, 2, 0);
    const double x = std::round(panel.px(lr)) + 0.5;
    cairo_move_to(cr, x, top);
    cairo_line_to(cr, x, top + ph);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    char label[96];
    std::snprintf(label, sizeof label, "%s %.2g", name.c_str(), lr);
    rows.push_back({label, [c](cairo_t* cc, double x0, double y0) {
                      P::set_rgb(cc, c);
                      cairo_set_line_width(cc, 2.0);
                      const double d[] = {6, 4};
                      cairo_set_dash(cc, d, 2, 0);
                      cairo_move_to(cc, x0 - 16, y0);
                      cairo_line_to(cc, x0 + 16, y0);
                      cairo_stroke(cc);
                      cairo_set_dash(cc, nullptr, 0, 0);
                    }});
  }
  cairo_restore(cr);
  P::draw_axes(cr, layout, H, "learning rate", "loss");
  P::legend(cr, panel, rows, false, false);
  canvas.save(path);
}

}  // namespace galnet::eval
