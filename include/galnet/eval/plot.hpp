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
//     atomically (galnet::AtomicFile: readers see the old file or the whole new one). Every error is
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

#include "galnet/eval/detail/plot_canvas.hpp"
#include "galnet/eval/detail/plot_marks.hpp"

namespace galnet::eval {

/// Size of plot_pred_vs_true's square figure, in pixels.
inline constexpr int kPredVsTrueSize = 800;
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

  cairo_save(cr);
  panel.clip(cr);
  P::scatter(cr, panel, yt, pt);
  P::reference_line(cr, panel.px(axis.lo), panel.py(axis.lo), panel.px(axis.hi), panel.py(axis.hi));
  P::binned_means(cr, panel, binned_stats(yt, pt, bins));  // of the predictions in bins of the true value
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
  P::legend(cr, panel, {P::reference_row("1:1"), P::binned_row()}, true, false);
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
