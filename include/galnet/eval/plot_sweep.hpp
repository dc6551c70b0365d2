// galnet/eval/plot_sweep.hpp — a metric against a setting varied from run to run (SFNet's RMSE
// against the number of active features k, Wu & Boada's against the cutouts' resolution): a
// line through the runs with a marker per run. Cairo, like the other figures (see plot.hpp);
// written atomically.
//
// Contract: x and y have one value per run (at least one; finite; x positive for a log axis);
// runs are joined in order of x; `log_x` for settings in powers (k = 1, 2, 4, …).
#pragma once
#include <numeric>

#include "galnet/eval/plot.hpp"

namespace galnet::eval {

inline constexpr int kSweepWidth = 900, kSweepHeight = 600;

inline void plot_sweep(const std::filesystem::path& path, std::span<const double> x, std::span<const double> y,
                       const std::string& x_text, const std::string& y_text, bool log_x = false) {
  namespace P = detail::plot;
  const std::string who = "galnet::eval::plot_sweep: '" + path.string() + "': ";
  GALNET_CHECK(!x.empty() && x.size() == y.size(), who, "give one value per run (", x.size(), " settings, ", y.size(),
               " values)");
  for (std::size_t i = 0; i < x.size(); ++i)
    GALNET_CHECK(std::isfinite(x[i]) && std::isfinite(y[i]) && (!log_x || x[i] > 0), who, "run ", i + 1, " is (",
                 x[i], ", ", y[i], "): every setting and value must be finite", log_x ? ", settings > 0" : "");
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> xs, ys;
  for (auto i : order) xs.push_back(x[i]), ys.push_back(y[i]);
  const auto [ylo, yhi] = std::minmax_element(ys.begin(), ys.end());
  const P::Axis xa = P::make_axis(xs.front(), xs.back(), log_x, log_x ? 0.08 : 0.06);
  const P::Axis ya = P::make_axis(*ylo, *yhi, false, 0.12);

  P::Canvas canvas(kSweepWidth, kSweepHeight, who);
  cairo_t* cr = canvas.cr();
  const P::Layout layout = P::panel_layout(cr, kSweepWidth, kSweepHeight, xa, ya);
  const P::Panel& panel = layout.panel;
  cairo_save(cr);
  panel.clip(cr);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  P::set_rgb(cr, P::kBlue);
  cairo_set_line_width(cr, 2.4);
  P::polyline(cr, panel, xs, ys);
  for (std::size_t i = 0; i < xs.size(); ++i) P::bin_dot(cr, panel.px(xs[i]), panel.py(ys[i]));
  cairo_restore(cr);
  P::draw_axes(cr, layout, kSweepHeight, x_text, y_text);
  canvas.save(path);
}

}  // namespace galnet::eval
