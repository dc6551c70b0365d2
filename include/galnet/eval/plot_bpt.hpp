// galnet/eval/plot_bpt.hpp — the BPT diagram as PNG (galnet/eval/bpt.hpp): the true and the
// predicted line ratios in two panels on the same axes, with Kauffmann et al. (2003)'s and
// Kewley et al. (2001)'s demarcations. Needs cairo, as galnet/eval/plot.hpp.
//
// Contract
//   - plot_bpt(path, truth, pred): kBptWidth × kBptHeight pixels, written atomically; truth and
//     pred are n × 4 log fluxes (N2, Hα, O3, Hβ). Rows with non-finite ratios are not drawn.
//     With no finite true ratio (unlabelled rows) the left panel is left empty and says so;
//     at least one finite predicted pair is needed. Both panels span the finite ratios of both
//     (their 0.1–99.9 % quantiles from 1000 points on), at least x ∈ [−1.5, 0.5] and
//     y ∈ [−1, 1], where the demarcations bend, and at most x ∈ [−2.5, 1], y ∈ [−2, 2] (points
//     beyond are clipped).
#pragma once

#if !defined(GALNET_WITH_CAIRO)
#error "galnet/eval/plot_bpt.hpp needs cairo: link the CMake target galnet::plot (it exists when pkg-config finds cairo; Debian: apt-get install libcairo2-dev) or compile with -DGALNET_WITH_CAIRO=1 and link cairo"
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "galnet/eval/bpt.hpp"
#include "galnet/eval/detail/plot_canvas.hpp"

namespace galnet::eval {

/// Size of plot_bpt's figure, in pixels.
inline constexpr int kBptWidth = 1400, kBptHeight = 720;

inline void plot_bpt(const std::filesystem::path& path, std::span<const double> truth, std::span<const double> pred) {
  namespace P = detail::plot;
  const std::string who = "galnet::eval::plot_bpt: '" + path.string() + "': ";
  GALNET_CHECK(truth.size() == pred.size() && truth.size() % 4 == 0, who, "truth and predictions must both be n x 4 log "
               "fluxes, got ", truth.size(), " and ", pred.size(), " values");
  const BptRatios t = bpt_ratios(truth), p = bpt_ratios(pred);
  std::vector<double> xs, ys;
  std::size_t n_true = 0, n_pred = 0;
  for (std::size_t i = 0; i < t.x.size(); ++i) {
    if (std::isfinite(t.x[i]) && std::isfinite(t.y[i])) xs.push_back(t.x[i]), ys.push_back(t.y[i]), ++n_true;
    if (std::isfinite(p.x[i]) && std::isfinite(p.y[i])) xs.push_back(p.x[i]), ys.push_back(p.y[i]), ++n_pred;
  }
  GALNET_CHECK(n_pred > 0, who, "no row with finite predicted ratios to plot");
  std::sort(xs.begin(), xs.end());
  std::sort(ys.begin(), ys.end());
  const bool robust = xs.size() >= 1000;
  const double x_lo = std::clamp(robust ? P::quantile(xs, 0.001) : xs.front(), -2.5, -1.5);
  const double x_hi = std::clamp(robust ? P::quantile(xs, 0.999) : xs.back(), 0.5, 1.0);
  const double y_lo = std::clamp(robust ? P::quantile(ys, 0.001) : ys.front(), -2.0, -1.0);
  const double y_hi = std::clamp(robust ? P::quantile(ys, 0.999) : ys.back(), 1.0, 2.0);
  const P::Axis xa = P::make_axis(x_lo, x_hi, false, 0.04), ya = P::make_axis(y_lo, y_hi, false, 0.04);

  P::Canvas canvas(kBptWidth, kBptHeight, who);
  cairo_t* cr = canvas.cr();
  const double W = kBptWidth, H = kBptHeight, pad = 16, top = 44, gap = 40, right = 26;
  const double lab_h = P::axis_label_height(cr);
  const double bottom = pad + lab_h + 6 + P::x_tick_band();
  const double side_h = H - top - bottom;
  const std::vector<P::Tick> yt = P::choose_ticks(cr, ya, side_h, false, P::kTickFont);
  const double left = pad + lab_h + 8 + P::max_label_width(cr, yt, P::kTickFont) + 8;
  const double side_w = (W - left - right - gap) / 2;
  const std::vector<P::Tick> xt = P::choose_ticks(cr, xa, side_w, true, P::kTickFont);

  const std::array<std::string, 2> titles = {"true (" + std::to_string(n_true) + " galaxies)",
                                             "predicted (" + std::to_string(n_pred) + " galaxies)"};
  for (int k = 0; k < 2; ++k) {
    const BptRatios& r = k == 0 ? t : p;
    const P::Panel panel{std::round(left + k * (side_w + gap)), top, std::round(side_w), std::round(side_h), xa, ya};
    cairo_save(cr);
    panel.clip(cr);
    const std::size_t n = k == 0 ? n_true : n_pred;
    const double alpha = n > 0 ? std::clamp(0.75 * std::sqrt(200.0 / static_cast<double>(n)), 0.08, 0.75) : 0.0;
    P::set_rgb(cr, k == 0 ? P::kGrey : P::kBlue, alpha);
    for (std::size_t i = 0; i < r.x.size(); ++i) {
      if (!std::isfinite(r.x[i]) || !std::isfinite(r.y[i])) continue;
      P::dot(cr, panel.px(r.x[i]), panel.py(r.y[i]), n < 2000 ? 3.0 : 2.0);
      cairo_fill(cr);
    }
    // The demarcations, each up to just short of its asymptote.
    auto curve = [&](double (*f)(double), double x_end, P::Rgb colour, bool dashed) {
      P::set_rgb(cr, colour);
      cairo_set_line_width(cr, 2.2);
      const double dash[] = {9, 6};
      cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
      bool started = false;
      for (int s = 0; s <= 400; ++s) {
        const double x = xa.lo + (std::min(x_end, xa.hi) - xa.lo) * s / 400.0;
        const double y = f(x);
        if (!std::isfinite(y) || y < ya.lo - 1) {
          started = false;
          continue;
        }
        if (started) cairo_line_to(cr, panel.px(x), panel.py(y));
        else cairo_move_to(cr, panel.px(x), panel.py(y));
        started = true;
      }
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
    };
    curve(&kauffmann03, 0.05 - 1e-3, P::kInk, true);
    curve(&kewley01, 0.47 - 1e-3, P::kRed, false);
    if (n == 0) {
      P::font(cr, P::kTextFont);
      P::set_rgb(cr, P::kGrey);
      P::text(cr, "no true line ratios (unlabelled)", panel.x0 + panel.w / 2, panel.y0 + panel.h / 2, 0.5);
    }
    cairo_restore(cr);
    P::draw_frame(cr, panel, xt, yt, true);
    P::x_label(cr, panel, "log [NII] 6584 / H-alpha", H - pad - 0.25 * lab_h);
    if (k == 0) P::y_label(cr, panel, "log [OIII] 5007 / H-beta", pad + 0.75 * lab_h);
    P::font(cr, P::kAxisFont, true);
    P::set_rgb(cr, P::kInk);
    P::text(cr, titles[static_cast<std::size_t>(k)], panel.x0 + panel.w / 2, top - 14, 0.5);
  }
  // Key, bottom right of the right panel (below Kewley's curve and right of Kauffmann's: few galaxies).
  P::font(cr, P::kTextFont);
  const double kx = W - right - 330, ky = top + side_h - 76;
  P::box(cr, kx, ky, 316, 62);
  P::set_rgb(cr, P::kInk);
  cairo_set_line_width(cr, 2.2);
  const double dash[] = {9, 6};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_move_to(cr, kx + 12, ky + 20);
  cairo_line_to(cr, kx + 52, ky + 20);
  cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
  P::text(cr, "Kauffmann et al. 2003", kx + 62, ky + 26);
  P::set_rgb(cr, P::kRed);
  cairo_move_to(cr, kx + 12, ky + 44);
  cairo_line_to(cr, kx + 52, ky + 44);
  cairo_stroke(cr);
  P::set_rgb(cr, P::kInk);
  P::text(cr, "Kewley et al. 2001", kx + 62, ky + 50);
  canvas.save(path);
}

}  // namespace galnet::eval
