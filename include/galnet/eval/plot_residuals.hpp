// galnet/eval/plot_residuals.hpp — residuals (predicted − true) against a property of the
// galaxies (stellar mass, magnitude, redshift), with their binned mean ± 1σ and the zero line:
// Wu & Boada (2019)'s check that a model's errors do not depend on what it was not asked.
// Cairo, like the other figures (see plot.hpp); written atomically.
//
// Contract: x and residual have one value per galaxy; pairs with a non-finite value are not
// drawn (at least one finite pair is needed); the x axis spans x (the 0.1–99.9 % quantiles from
// 1000 points on), the y axis ±the largest |residual| (the same quantiles; ±1 when all are
// zero); the bins are
// binned_stats(x, residual, bins) — what a caller can write out beside the figure.
#pragma once
#include "galnet/eval/plot.hpp"

namespace galnet::eval {

inline constexpr int kResidualsWidth = 1000, kResidualsHeight = 640;

inline void plot_residuals(const std::filesystem::path& path, std::span<const double> x,
                           std::span<const double> residual, const std::string& x_text, const std::string& y_text,
                           int bins = 10) {
  namespace P = detail::plot;
  const std::string who = "galnet::eval::plot_residuals: '" + path.string() + "': ";
  GALNET_CHECK(x.size() == residual.size(), who, "the property and the residuals differ in length (", x.size(),
               " vs ", residual.size(), ")");
  GALNET_CHECK(bins >= 1, who, "bins must be at least 1, got ", bins);
  std::vector<double> xs, rs;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(residual[i])) {
      xs.push_back(x[i]);
      rs.push_back(residual[i]);
    }
  GALNET_CHECK(!xs.empty(), who, "no galaxy with a finite property and residual to plot");
  const bool robust = xs.size() >= 1000;
  std::vector<double> sx(xs), sr;
  std::sort(sx.begin(), sx.end());
  for (double r : rs) sr.push_back(std::abs(r));
  std::sort(sr.begin(), sr.end());
  const double xlo = robust ? P::quantile(sx, 0.001) : sx.front(), xhi = robust ? P::quantile(sx, 0.999) : sx.back();
  const double top = robust ? P::quantile(sr, 0.999) : sr.back();
  const double rmax = top > 0 ? top : 1.0;  // all residuals zero: ±1
  const P::Axis xa = P::make_axis(xlo, xhi, false, 0.04), ya = P::make_axis(-rmax, rmax, false, 0.06);

  P::Canvas canvas(kResidualsWidth, kResidualsHeight, who);
  cairo_t* cr = canvas.cr();
  const P::Layout layout = P::panel_layout(cr, kResidualsWidth, kResidualsHeight, xa, ya);
  const P::Panel& panel = layout.panel;
  cairo_save(cr);
  panel.clip(cr);
  P::scatter(cr, panel, xs, rs);
  P::reference_line(cr, panel.x0, panel.py(0), panel.x0 + panel.w, panel.py(0));
  P::binned_means(cr, panel, binned_stats(xs, rs, bins));
  cairo_restore(cr);
  P::draw_axes(cr, layout, kResidualsHeight, x_text, y_text);
  P::legend(cr, panel, {P::reference_row("zero"), P::binned_row()}, true, true);
  canvas.save(path);
}

}  // namespace galnet::eval
