// galnet/models/line_ew_predictor.hpp — LineEW: Khederlarian et al. (2024)'s emission-line
// equivalent widths from continuum fluxes, for embedding (mock catalogues, SPS codes).
//
//   auto lines = galnet::models::LineEW::published();        // the bundled weights, found alone
//   lines.predict(fluxes /*n×12*/, z /*n*/, ew /*n×10*/);      // EW in Å, lines as line_ew_lines
//   lines.gradient(fluxes, z, ew, dew_dflux /*n×10×12*/);      // exact ∂EW/∂F by backprop
//
// Model (one MLP per line, ten lines; see docs/models/line_ew.md):
//   inputs   F_j, j = 0…11: mean f_λ in the rest-frame bins [3400 + 300 j, 3700 + 300 j) Å,
//            in 1e-17 erg/s/cm²/Å; z the redshift.
//   features c_j = log10(F_{j+1} / F_j), j = 0…10, and (with luminosity)
//            L = log10(F_8 (1+z) D_L(z)²), D_L in Mpc for flat ΛCDM, H0 = 70, Ωm = 0.3, no
//            radiation. Each line standardises them with its own scalers: x = (f − mean) / scale.
//   network  Linear(12|11 → 64) SELU Linear(64 → 128) SELU Linear(128 → 64) SELU Linear(64 → 1)
//   output   y = arcsinh(EW / Å); EW = sinh(y).
//
// Contract
//   - Weights come from a safetensors file with the published key names (LINE.layers.K.weight
//     [out, in], LINE.layers.K.bias, LINE.color_scaler.mean/scale, LINE.luminosity_scaler.mean/
//     scale); with or without luminosity is read from the file (layers.0 has 12 or 11 inputs and
//     the luminosity scalers are present or absent). Any dtype safetensors allows is accepted;
//     everything is held and computed in double. A wrong file throws galnet::Error naming the
//     file and every missing or mis-shaped tensor.
//   - predict() and gradient() are const and keep no state between calls: any number of threads
//     may call them on one LineEW at once. They never allocate: per-call scratch lives on the
//     calling thread's stack (about 40 KiB: kTile rows at a time), for any batch size.
//   - A row is valid when its 12 fluxes are finite and > 0 and, where z is given, z is finite
//     and > 0. Invalid rows get NaN EWs (and NaN gradients) and a RowStatus other than ok; the
//     call returns how many rows were invalid and never throws for bad values. z may be an empty
//     span for a model without luminosity (z is then not used nor checked).
//   - The arithmetic of one row does not depend on the batch it is in or the thread running it:
//     results are bit-identical however the rows are split.
//   - Span sizes are checked: a mismatch throws galnet::Error (before anything is written).
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "galnet/core/cosmology.hpp"
#include "galnet/core/error.hpp"
#include "galnet/io/safetensors.hpp"
#include "galnet/models/line_ew.hpp"

namespace galnet::models {

// ---- cosmology: flat ΛCDM distances (galnet/core/cosmology.hpp) ----
using galnet::comoving_distance_mpc;
using galnet::luminosity_distance_mpc;

// ---- the bundled weights ----

/// The file name of the bundled weights: line_ew_with_luminosity.safetensors or
/// line_ew_without_luminosity.safetensors.
inline std::string line_ew_weights_name(bool with_luminosity) {
  return with_luminosity ? "line_ew_with_luminosity.safetensors" : "line_ew_without_luminosity.safetensors";
}

/// Finds the bundled weights (galnet ships them in <data>/line_ew/). Looks, in order, in
///   1. $GALNET_DATA_DIR/line_ew/ (and $GALNET_DATA_DIR/ itself), if the variable is set;
///   2. GALNET_BUILTIN_DATA_DIR/line_ew/, if that macro is defined: an installed galnet::galnet
///      target defines it as <prefix>/share/galnet (where `cmake --install` puts the weights);
///      galnet's own line_ew program and tests define it as the source tree's data/;
///   3. <directory of the running executable>/../share/galnet/line_ew/ (Linux /proc/self/exe).
/// Throws galnet::Error listing every place it looked.
inline std::filesystem::path find_line_ew_weights(bool with_luminosity = true) {
  namespace fs = std::filesystem;
  const std::string name = line_ew_weights_name(with_luminosity);
  std::vector<fs::path> tried;
  std::error_code ec;
  auto hit = [&](const fs::path& dir) {
    tried.push_back(dir / name);
    return fs::is_regular_file(dir / name, ec);
  };
  if (const char* env = std::getenv("GALNET_DATA_DIR"); env && *env) {
    if (hit(fs::path(env) / "line_ew")) return tried.back();
    if (hit(fs::path(env))) return tried.back();
  }
#ifdef GALNET_BUILTIN_DATA_DIR
  if (hit(fs::path(GALNET_BUILTIN_DATA_DIR) / "line_ew")) return tried.back();
#endif
  if (const fs::path exe = fs::read_symlink("/proc/self/exe", ec); !ec && !exe.empty())
    if (hit(exe.parent_path() / ".." / "share" / "galnet" / "line_ew")) {
      const fs::path clean = fs::weakly_canonical(tried.back(), ec);
      return ec || clean.empty() ? tried.back() : clean;
    }
  std::string where;
  for (const auto& t : tried) where += "\n  " + t.string();
  fail("galnet::models::find_line_ew_weights: ", name, " not found; looked in:", where.empty() ? " (nowhere)" : where,
       "\nset GALNET_DATA_DIR to the folder holding line_ew/, or pass the file explicitly");
}

// ---- the predictor ----

class LineEW {
public:
  static constexpr int bins = 12;     ///< input fluxes per row
  static constexpr int colours = 11;  ///< colour features
  static constexpr int lines = 10;    ///< outputs per row, in the order of line_ew_lines
  static constexpr int kTile = 16;    ///< rows evaluated together (stack scratch ≈ kTile × 2.3 KiB)

  /// Why a row was not predicted (the first problem found, fluxes in column order, then z).
  /// ew_not_finite: valid inputs whose features or EWs leave double's range (z = 1e-20, fluxes of 1e308).
  enum class RowStatus : std::uint8_t { ok = 0, flux_not_finite, flux_not_positive, z_not_finite, z_not_positive, ew_not_finite };

  /// Loads weights from a safetensors file (see the contract above).
  explicit LineEW(const std::filesystem::path& weights) : LineEW(io::SafetensorsFile::read(weights)) {}
  explicit LineEW(const io::SafetensorsFile& file) { load(file); }

  /// The bundled published weights (find_line_ew_weights).
  static LineEW published(bool with_luminosity = true) { return LineEW(find_line_ew_weights(with_luminosity)); }

  [[nodiscard]] bool with_luminosity() const { return in_ == 12; }
  [[nodiscard]] int inputs() const { return in_; }  ///< features per line: 12 or 11
  [[nodiscard]] const std::filesystem::path& source() const { return source_; }
  [[nodiscard]] static constexpr std::string_view line_name(int l) { return line_ew_lines[static_cast<std::size_t>(l)]; }

  /// Checks one row: fluxes f[0..11], and z unless `check_z` is false. Allocation-free.
  [[nodiscard]] static RowStatus check_row(const double* f, double z, bool check_z, int* bad_bin = nullptr) {
    for (int j = 0; j < bins; ++j) {
      if (!std::isfinite(f[j]) || !(f[j] > 0)) {
        if (bad_bin) *bad_bin = j;
        return std::isfinite(f[j]) ? RowStatus::flux_not_positive : RowStatus::flux_not_finite;
      }
    }
    if (bad_bin) *bad_bin = -1;
    if (check_z && !std::isfinite(z)) return RowStatus::z_not_finite;
    if (check_z && !(z > 0)) return RowStatus::z_not_positive;
    return RowStatus::ok;
  }
  /// Every problem of a row as text, e.g. "flux_0 not positive; z not finite" ("" if valid).
  [[nodiscard]] static std::string describe_row(const double* f, double z, bool check_z) {
    std::string s;
    auto add = [&](const std::string& p) { s += (s.empty() ? "" : "; ") + p; };
    for (int j = 0; j < bins; ++j) {
      if (!std::isfinite(f[j])) add("flux_" + std::to_string(j) + " not finite");
      else if (!(f[j] > 0)) add("flux_" + std::to_string(j) + " not positive");
    }
    if (check_z && !std::isfinite(z)) add("z not finite");
    else if (check_z && !(z > 0)) add("z not positive");
    return s;
  }
  [[nodiscard]] static const char* status_name(RowStatus s) {
    switch (s) {
      case RowStatus::ok: return "ok";
      case RowStatus::flux_not_finite: return "flux not finite";
      case RowStatus::flux_not_positive: return "flux not positive";
      case RowStatus::z_not_finite: return "z not finite";
      case RowStatus::z_not_positive: return "z not positive";
      case RowStatus::ew_not_finite: return "EW not finite (colours, z or luminosity far outside the training range)";
    }
    return "?";
  }

  /// The raw (unstandardised) features of one valid row: 11 colours, then L if with_luminosity().
  void features(const double* f, double z, double* out) const { raw_features(f, z, in_ == 12, out); }
  /// The same for either model: 11 colours, then L when `with_luminosity`.
  static void raw_features(const double* f, double z, bool with_luminosity, double* out) {
    for (int j = 0; j < colours; ++j) out[j] = std::log10(f[j + 1] / f[j]);
    if (with_luminosity) {
      const double dl = luminosity_distance_mpc(z);
      out[11] = std::log10(f[8] * (1.0 + z) * dl * dl);
    }
  }

  /// EWs (Å) of n rows: fluxes n×12 and ew n×10 row-major, z n values (or empty without
  /// luminosity), status n values or empty. Returns the number of invalid rows (EWs NaN).
  std::size_t predict(std::span<const double> fluxes, std::span<const double> z, std::span<double> ew,
                      std::span<RowStatus> status = {}) const {
    const std::size_t n = check_sizes("predict", fluxes, z, ew, lines, status);
    return run(n, fluxes.data(), z, ew.data(), nullptr, nullptr, status);
  }

  /// As predict, and the exact derivatives by backpropagation: dew_dflux[(i·10 + l)·12 + j] =
  /// ∂EW_l/∂F_j of row i (n×10×12), and where dew_dz is not empty, dew_dz[i·10 + l] = ∂EW_l/∂z
  /// (n×10; zero without luminosity). Returns the number of invalid rows (their values NaN).
  std::size_t gradient(std::span<const double> fluxes, std::span<const double> z, std::span<double> ew,
                       std::span<double> dew_dflux, std::span<double> dew_dz = {},
                       std::span<RowStatus> status = {}) const {
    const std::size_t n = check_sizes("gradient", fluxes, z, ew, lines, status);
    GALNET_CHECK(dew_dflux.size() == n * lines * bins, "galnet::models::LineEW::gradient: dew_dflux has ",
                 dew_dflux.size(), " values, expected n×10×12 = ", n * lines * bins);
    GALNET_CHECK(dew_dz.empty() || dew_dz.size() == n * lines, "galnet::models::LineEW::gradient: dew_dz has ",
                 dew_dz.size(), " values, expected n×10 = ", n * lines, " (or none)");
    return run(n, fluxes.data(), z, ew.data(), dew_dflux.data(), dew_dz.empty() ? nullptr : dew_dz.data(), status);
  }

private:
  static constexpr int H1 = 64, H2 = 128, H3 = 64;
  static constexpr double kLambda = 1.0507009873554804934193349852946;
  static constexpr double kAlpha = 1.6732632423543772848170429916717;
  static constexpr double kLn10 = 2.302585092994045684017991454684364;

  /// One line's parameters, offsets into params_. Weights transposed: wt[i·out + o] = W[o][i].
  struct Line {
    std::size_t mean, scale, w0, b0, w1, b1, w2, b2, w3, b3;
  };

  std::size_t check_sizes(const char* who, std::span<const double> fluxes, std::span<const double> z,
                          std::span<double> ew, int per_row, std::span<RowStatus> status) const {
    GALNET_CHECK(fluxes.size() % bins == 0, "galnet::models::LineEW::", who, ": fluxes has ", fluxes.size(),
                 " values, not a multiple of 12 (n×12 row-major)");
    const std::size_t n = fluxes.size() / bins;
    GALNET_CHECK(z.size() == n || (z.empty() && in_ == 11), "galnet::models::LineEW::", who, ": z has ",
                 z.size(), " values for ", n, " rows", in_ == 11 ? " (or pass none: this model has no luminosity)" : "");
    GALNET_CHECK(ew.size() == n * static_cast<std::size_t>(per_row), "galnet::models::LineEW::", who, ": ew has ",
                 ew.size(), " values, expected n×10 = ", n * static_cast<std::size_t>(per_row));
    GALNET_CHECK(status.empty() || status.size() == n, "galnet::models::LineEW::", who, ": status has ",
                 status.size(), " values for ", n, " rows (or pass none)");
    return n;
  }

  void load(const io::SafetensorsFile& file) {
    source_ = file.path();
    const std::string who = "galnet::models::LineEW: '" + source_.string() + "': ";
    const std::string probe = std::string(line_ew_lines[0]) + ".layers.0.weight";
    GALNET_CHECK(file.contains(probe), who, "no tensor '", probe,
                 "'; not a line-EW weight file (expected LINE.layers.K.weight, LINE.color_scaler.mean, ...)");
    const Shape s0 = file.shape(probe);
    GALNET_CHECK(s0.rank() == 2 && s0[0] == H1 && (s0[1] == 12 || s0[1] == 11), who, "'", probe, "' has shape ",
                 s0.str(), ", expected [64, 12] (with luminosity) or [64, 11] (without)");
    in_ = static_cast<int>(s0[1]);
    // Every expected tensor with its shape; all problems are reported together.
    struct Want {
      std::string name;
      Shape shape;
    };
    std::vector<Want> want;
    for (const auto line : line_ew_lines) {
      const std::string p(line);
      want.push_back({p + ".color_scaler.mean", Shape{colours}});
      want.push_back({p + ".color_scaler.scale", Shape{colours}});
      if (in_ == 12) {
        want.push_back({p + ".luminosity_scaler.mean", Shape{1}});
        want.push_back({p + ".luminosity_scaler.scale", Shape{1}});
      }
      const std::int64_t dims[5] = {in_, H1, H2, H3, 1};
      for (int k = 0; k < 4; ++k) {
        want.push_back({p + ".layers." + std::to_string(k) + ".weight", Shape{dims[k + 1], dims[k]}});
        want.push_back({p + ".layers." + std::to_string(k) + ".bias", Shape{dims[k + 1]}});
      }
    }
    std::string problems;
    for (const auto& w : want) {
      if (!file.contains(w.name)) problems += "\n  missing: " + w.name + " " + w.shape.str();
      else if (file.shape(w.name) != w.shape)
        problems += "\n  mismatch: " + w.name + ": expected " + w.shape.str() + ", file has " + file.shape(w.name).str();
    }
    if (in_ == 11)
      for (const auto line : line_ew_lines)
        if (file.contains(std::string(line) + ".luminosity_scaler.mean"))
          problems += "\n  unexpected: " + std::string(line) + ".luminosity_scaler.mean (layers.0 has 11 inputs)";
    GALNET_CHECK(problems.empty(), who, "not a valid line-EW weight file:", problems);

    const std::size_t per_line = 2 * static_cast<std::size_t>(in_) + static_cast<std::size_t>(in_) * H1 + H1 +
                                 H1 * H2 + H2 + H2 * H3 + H3 + H3 + 1;
    params_.assign(per_line * lines, 0.0);
    std::size_t at = 0;
    auto take = [&](std::size_t count) {
      const std::size_t off = at;
      at += count;
      return off;
    };
    for (int l = 0; l < lines; ++l) {
      const std::string p(line_ew_lines[static_cast<std::size_t>(l)]);
      Line& ln = line_[static_cast<std::size_t>(l)];
      ln.mean = take(static_cast<std::size_t>(in_));
      ln.scale = take(static_cast<std::size_t>(in_));
      const auto cm = file.get<double>(p + ".color_scaler.mean"), cs = file.get<double>(p + ".color_scaler.scale");
      for (int j = 0; j < colours; ++j) params_[ln.mean + j] = cm[j], params_[ln.scale + j] = cs[j];
      if (in_ == 12) {
        params_[ln.mean + 11] = file.get<double>(p + ".luminosity_scaler.mean")[0];
        params_[ln.scale + 11] = file.get<double>(p + ".luminosity_scaler.scale")[0];
      }
      for (int j = 0; j < in_; ++j)
        GALNET_CHECK(std::isfinite(params_[ln.scale + j]) && params_[ln.scale + j] != 0, who, p,
                     ": scaler scale ", j, " is ", params_[ln.scale + j], " (must be finite and non-zero)");
      const int dims[5] = {in_, H1, H2, H3, 1};
      std::size_t* wofs[4] = {&ln.w0, &ln.w1, &ln.w2, &ln.w3};
      std::size_t* bofs[4] = {&ln.b0, &ln.b1, &ln.b2, &ln.b3};
      for (int k = 0; k < 4; ++k) {
        const int in = dims[k], out = dims[k + 1];
        *wofs[k] = take(static_cast<std::size_t>(in) * out);
        *bofs[k] = take(static_cast<std::size_t>(out));
        const auto w = file.get<double>(p + ".layers." + std::to_string(k) + ".weight");  // [out, in]
        const auto b = file.get<double>(p + ".layers." + std::to_string(k) + ".bias");
        for (int o = 0; o < out; ++o) {
          params_[*bofs[k] + o] = b[o];
          for (int i = 0; i < in; ++i) params_[*wofs[k] + static_cast<std::size_t>(i) * out + o] = w[o * in + i];
        }
      }
    }
    for (const double v : params_)
      GALNET_CHECK(std::isfinite(v), who, "a weight or scaler value is not finite");
  }

  /// a[r][o] = b[o] + Σ_i x[r][i] · W[o][i] for nr rows (W stored transposed: wt[i·Out + o]).
  /// Every row runs the same code, summing in the order i = 0, 1, …, so a row's result does
  /// not depend on the rows beside it.
  template <int Out>
  static void dense(const double* __restrict wt, const double* __restrict b, const double* __restrict x, int in,
                    double* __restrict a, int nr) {
    for (int r = 0; r < nr; ++r)
      for (int o = 0; o < Out; ++o) a[r * Out + o] = b[o];
    for (int i = 0; i < in; ++i) {
      const double* w = wt + static_cast<std::size_t>(i) * Out;
      for (int r = 0; r < nr; ++r) {
        const double xi = x[r * in + i];
        double* ar = a + r * Out;
        for (int o = 0; o < Out; ++o) ar[o] += xi * w[o];
      }
    }
  }
  static void selu(double* a, int count) {
    for (int k = 0; k < count; ++k) a[k] = a[k] > 0 ? kLambda * a[k] : kLambda * kAlpha * std::expm1(a[k]);
  }
  /// SELU'(a) from h = SELU(a): λ where h > 0, else λα eᵃ = h + λα.
  static double selu_grad(double h) { return h > 0 ? kLambda : h + kLambda * kAlpha; }

  std::size_t run(std::size_t n, const double* f, std::span<const double> zs, double* ew, double* dflux, double* dz,
                  std::span<RowStatus> status) const {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    const bool check_z = !zs.empty();
    // Scratch on the stack: raw features, standardised inputs and the three hidden layers.
    double feat[kTile][12];
    double x[kTile * 12], h1[kTile * H1], h2[kTile * H2], h3[kTile * H3];
    std::size_t rows[kTile];
    std::size_t invalid = 0, i = 0;
    while (i < n) {
      int nr = 0;
      for (; i < n && nr < kTile; ++i) {  // gather up to kTile valid rows
        const double zi = check_z ? zs[i] : 0.0;
        const RowStatus st = check_row(f + i * bins, zi, check_z);
        if (!status.empty()) status[i] = st;
        if (st != RowStatus::ok) {
          ++invalid;
          for (int l = 0; l < lines; ++l) ew[i * lines + l] = nan;
          if (dflux)
            for (int k = 0; k < lines * bins; ++k) dflux[i * lines * bins + k] = nan;
          if (dz)
            for (int l = 0; l < lines; ++l) dz[i * lines + l] = nan;
          continue;
        }
        features(f + i * bins, zi, feat[nr]);
        rows[nr++] = i;
      }
      if (nr == 0) continue;
      for (int l = 0; l < lines; ++l) {
        const Line& ln = line_[static_cast<std::size_t>(l)];
        const double* p = params_.data();
        for (int r = 0; r < nr; ++r)
          for (int j = 0; j < in_; ++j) x[r * in_ + j] = (feat[r][j] - p[ln.mean + j]) / p[ln.scale + j];
        dense<H1>(p + ln.w0, p + ln.b0, x, in_, h1, nr);
        selu(h1, nr * H1);
        dense<H2>(p + ln.w1, p + ln.b1, h1, H1, h2, nr);
        selu(h2, nr * H2);
        dense<H3>(p + ln.w2, p + ln.b2, h2, H2, h3, nr);
        selu(h3, nr * H3);
        for (int r = 0; r < nr; ++r) {
          double y = p[ln.b3];
          for (int k = 0; k < H3; ++k) y += h3[r * H3 + k] * p[ln.w3 + k];
          const std::size_t row = rows[r];
          ew[row * lines + l] = std::sinh(y);
          if (dflux) backward(ln, y, h1 + r * H1, h2 + r * H2, h3 + r * H3, f + row * bins,
                              check_z ? zs[row] : 0.0, dflux + (row * lines + l) * bins, dz ? dz + row * lines + l : nullptr);
        }
      }
      for (int r = 0; r < nr; ++r) {  // never a NaN or infinity reported as a prediction
        const std::size_t row = rows[r];
        bool finite = true;
        for (int l = 0; l < lines; ++l) finite = finite && std::isfinite(ew[row * lines + l]);
        if (finite) continue;
        ++invalid;
        if (!status.empty()) status[row] = RowStatus::ew_not_finite;
        for (int l = 0; l < lines; ++l) ew[row * lines + l] = nan;
        if (dflux)
          for (int k = 0; k < lines * bins; ++k) dflux[row * lines * bins + k] = nan;
        if (dz)
          for (int l = 0; l < lines; ++l) dz[row * lines + l] = nan;
      }
    }
    return invalid;
  }

  /// ∂EW/∂F_j (12 values) and ∂EW/∂z of one row for one line, from its hidden activations.
  void backward(const Line& ln, double y, const double* h1, const double* h2, const double* h3, const double* f,
                double z, double* dflux, double* dz) const {
    const double* p = params_.data();
    double g3[H3], g2[H2], g1[H1], gx[12];
    for (int k = 0; k < H3; ++k) g3[k] = p[ln.w3 + k] * selu_grad(h3[k]);
    for (int j = 0; j < H2; ++j) {  // g2[j] = SELU'·Σ_k g3[k] W2[k][j], W2t[j·H3 + k]
      const double* w = p + ln.w2 + static_cast<std::size_t>(j) * H3;
      double s = 0;
      for (int k = 0; k < H3; ++k) s += g3[k] * w[k];
      g2[j] = s * selu_grad(h2[j]);
    }
    for (int i = 0; i < H1; ++i) {
      const double* w = p + ln.w1 + static_cast<std::size_t>(i) * H2;
      double s = 0;
      for (int j = 0; j < H2; ++j) s += g2[j] * w[j];
      g1[i] = s * selu_grad(h1[i]);
    }
    const double dew_dy = std::cosh(y);
    for (int m = 0; m < in_; ++m) {
      const double* w = p + ln.w0 + static_cast<std::size_t>(m) * H1;
      double s = 0;
      for (int i = 0; i < H1; ++i) s += g1[i] * w[i];
      gx[m] = dew_dy * s / p[ln.scale + m];  // ∂EW/∂(raw feature m)
    }
    // Colours c_m = log10(F_{m+1}) − log10(F_m); L = log10(F_8) + log10((1+z) D_L²).
    for (int j = 0; j < bins; ++j) {
      double g = 0;
      if (j >= 1) g += gx[j - 1];
      if (j <= colours - 1) g -= gx[j];
      if (in_ == 12 && j == 8) g += gx[11];
      dflux[j] = g / (f[j] * kLn10);
    }
    if (dz) {
      if (in_ == 12) {
        // dL/dz = [1/(1+z) + 2 D_L'/D_L] / ln 10, D_L = (1+z) D_C, D_C' = (c/H0)/E(z).
        const double dc = comoving_distance_mpc(z), zp = 1.0 + z;
        const double e = std::sqrt(0.3 * zp * zp * zp + 0.7), dh = 299792.458 / 70.0;
        const double dl = zp * dc, dl_dz = dc + zp * dh / e;
        *dz = gx[11] * (1.0 / zp + 2.0 * dl_dz / dl) / kLn10;
      } else {
        *dz = 0.0;
      }
    }
  }

  std::filesystem::path source_;
  int in_ = 12;
  std::vector<double> params_;
  std::array<Line, lines> line_{};
};

}  // namespace galnet::models
