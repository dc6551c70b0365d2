// galnet/models/line_ew_predictor.hpp — LineEW: Khederlarian et al. (2024)'s emission-line
// equivalent widths from continuum fluxes, for embedding (mock catalogues, SPS codes).
//
//   auto lines = galnet::models::LineEW::published();        // the bundled weights, found alone
//   lines.predict(fluxes /*n×12*/, z /*n*/, ew /*n×10*/);      // EW in Å, lines as line_ew_lines
//   lines.gradient(fluxes, z, ew, dew_dflux /*n×10×12*/);      // ∂EW/∂F by backprop, float64
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
//   - One network, LineEWNet (galnet/models/line_ew.hpp), loaded by io::load_state_dict from a
//     safetensors file with the published key names (LINE.layers.K.weight [out, in],
//     LINE.layers.K.bias, LINE.color_scaler.mean/scale, LINE.luminosity_scaler.mean/scale); with
//     or without luminosity is read from the file (layers.0 has 12 or 11 inputs). Any dtype is
//     accepted. A wrong file throws galnet::Error naming the file and every missing, unexpected
//     or mis-shaped tensor; a non-finite value or a zero scaler scale is refused.
//   - predict() runs the float32 network through the fused inference path (LineEWNet::infer,
//     ops::SeluMlp); features and EW = sinh(y) are computed in double. It is const, never
//     allocates, and any number of threads may call it on one LineEW at once; it uses the
//     OpenMP team itself when called outside one. A row's result does not depend on the rows
//     beside it, the batch or the thread count: bit-identical however the rows are split.
//   - predict_through() is predict() with the network run elsewhere (models::predict_on_cuda, or
//     a user's own): the same checks, features, EWs and flags, tile by tile.
//   - gradient() backpropagates through the ordinary layers of a float64 copy of the same
//     weights (∂EW/∂F exact to float64 rounding; its EWs agree with predict()'s to float32
//     precision). It uses the layers' buffers: not const, one LineEW per thread, allocation-free
//     once the buffers have grown to the largest batch.
//   - A row is valid when its 12 fluxes are finite and > 0 and, where z is given, z is finite
//     and > 0. Invalid rows get NaN EWs (and NaN gradients) and a RowStatus other than ok; so
//     do valid rows whose EWs are not finite (ew_not_finite). Calls return how many rows were
//     invalid and never throw for bad values. z may be an empty span for a model without
//     luminosity (z is then not used nor checked).
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
#include <variant>
#include <vector>

#include "galnet/core/cosmology.hpp"
#include "galnet/core/error.hpp"
#include "galnet/core/parallel.hpp"
#include "galnet/core/rng.hpp"
#include "galnet/io/safetensors.hpp"
#include "galnet/io/state_dict.hpp"
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
  /// The network twice: float32 for predict(), float64 for gradient().
  template <bool L>
  struct Nets {
    LineEWNet<float, Cpu, L> f32;
    LineEWNet<double, Cpu, L> f64;
    Tensor<double> x, z, dy;  ///< gradient()'s features, one line's standardised inputs, its dEW/dy
  };

  /// f(nets) for the loaded Nets<true> or Nets<false> (monostate only before load()).
  template <class F>
  decltype(auto) with_nets(F&& f) {
    if (auto* p = std::get_if<Nets<true>>(&nets_)) return f(*p);
    return f(std::get<Nets<false>>(nets_));
  }
  template <class F>
  decltype(auto) with_nets(F&& f) const {
    if (const auto* p = std::get_if<Nets<true>>(&nets_)) return f(*p);
    return f(std::get<Nets<false>>(nets_));
  }

public:
  static constexpr int bins = 12;     ///< input fluxes per row
  static constexpr int colours = 11;  ///< colour features
  static constexpr int lines = 10;    ///< outputs per row, in the order of line_ew_lines
  static constexpr int kChunk = 256;  ///< rows per stack tile of predict() (≈ 22 KiB, and SeluMlp's 32)

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
  /// The float32 network predict() runs, as f(const LineEWNet<float, Cpu, L>&) for L = with_luminosity().
  template <class F>
  decltype(auto) visit_network(F&& f) const {
    return with_nets([&](const auto& nets) -> decltype(auto) { return f(nets.f32); });
  }
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
    const std::size_t n = check_sizes("predict", fluxes, z, ew, status);
    return with_nets([&](const auto& nets) { return predict_with(nets.f32, n, fluxes.data(), z, ew.data(), status); });
  }

  /// As predict(), with the ten networks run by `run(m, x, y)`: float32 raw features x
  /// [m × inputs()] (an invalid row's are zeros) → y [m × 10], arcsinh(EW). It is called from
  /// this thread on tiles of at most `tile` rows, in order; rows are checked, featured and
  /// turned into EWs by the OpenMP team around it. Allocates its two tile buffers.
  template <class Run>
  std::size_t predict_through(Run&& run, std::size_t tile, std::span<const double> fluxes, std::span<const double> z,
                              std::span<double> ew, std::span<RowStatus> status = {}) const {
    const std::size_t n = check_sizes("predict_through", fluxes, z, ew, status);
    GALNET_CHECK(tile > 0, "galnet::models::LineEW::predict_through: tile must be at least 1 row");
    const std::size_t cap = std::min(tile, n);
    std::vector<float> x(cap * static_cast<std::size_t>(in_)), y(cap * lines);
    std::vector<RowStatus> st(cap);
    std::size_t invalid = 0;
    for (std::size_t a = 0; a < n; a += cap) {
      const auto m = static_cast<std::int64_t>(std::min(cap, n - a));
      [[maybe_unused]] const bool team = m > 1 && num_threads() > 1 && !in_parallel();
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (team)
#endif
      for (std::int64_t r = 0; r < m; ++r) {
        const auto k = static_cast<std::size_t>(r);
        float* xr = &x[k * static_cast<std::size_t>(in_)];
        st[k] = row_features(fluxes.data(), z, a + k, in_, xr, ew.data());
        if (st[k] != RowStatus::ok) std::fill_n(xr, in_, 0.0f);
      }
      run(static_cast<std::size_t>(m), static_cast<const float*>(x.data()), y.data());
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (team) reduction(+ : invalid)
#endif
      for (std::int64_t r = 0; r < m; ++r) {
        const auto k = static_cast<std::size_t>(r);
        if (!status.empty()) status[a + k] = st[k];
        if (st[k] != RowStatus::ok) ++invalid;
        else invalid += row_ews(a + k, &y[k * lines], ew.data(), status) ? 1 : 0;
      }
    }
    return invalid;
  }

  /// As predict, and the derivatives by backpropagation in float64: dew_dflux[(i·10 + l)·12 + j]
  /// = ∂EW_l/∂F_j of row i (n×10×12), and where dew_dz is not empty, dew_dz[i·10 + l] = ∂EW_l/∂z
  /// (n×10; zero without luminosity). ew holds the float64 network's EWs. Returns the number of
  /// invalid rows (their values NaN).
  std::size_t gradient(std::span<const double> fluxes, std::span<const double> z, std::span<double> ew,
                       std::span<double> dew_dflux, std::span<double> dew_dz = {}, std::span<RowStatus> status = {}) {
    const std::size_t n = check_sizes("gradient", fluxes, z, ew, status);
    GALNET_CHECK(dew_dflux.size() == n * lines * bins, "galnet::models::LineEW::gradient: dew_dflux has ",
                 dew_dflux.size(), " values, expected n×10×12 = ", n * lines * bins);
    GALNET_CHECK(dew_dz.empty() || dew_dz.size() == n * lines, "galnet::models::LineEW::gradient: dew_dz has ",
                 dew_dz.size(), " values, expected n×10 = ", n * lines, " (or none)");
    return with_nets([&](auto& nets) {
      return gradient_with(nets, n, fluxes.data(), z, ew.data(), dew_dflux.data(),
                           dew_dz.empty() ? nullptr : dew_dz.data(), status);
    });
  }

private:
  static constexpr double kLn10 = 2.302585092994045684017991454684364;
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  std::size_t check_sizes(const char* who, std::span<const double> fluxes, std::span<const double> z,
                          std::span<double> ew, std::span<RowStatus> status) const {
    GALNET_CHECK(fluxes.size() % bins == 0, "galnet::models::LineEW::", who, ": fluxes has ", fluxes.size(),
                 " values, not a multiple of 12 (n×12 row-major)");
    const std::size_t n = fluxes.size() / bins;
    GALNET_CHECK(z.size() == n || (z.empty() && in_ == 11), "galnet::models::LineEW::", who, ": z has ",
                 z.size(), " values for ", n, " rows", in_ == 11 ? " (or pass none: this model has no luminosity)" : "");
    GALNET_CHECK(ew.size() == n * lines, "galnet::models::LineEW::", who, ": ew has ", ew.size(),
                 " values, expected n×10 = ", n * lines);
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
    GALNET_CHECK(s0.rank() == 2 && s0[0] == 64 && (s0[1] == 12 || s0[1] == 11), who, "'", probe, "' has shape ",
                 s0.str(), ", expected [64, 12] (with luminosity) or [64, 11] (without)");
    in_ = static_cast<int>(s0[1]);
    // Building the networks draws their (overwritten) initial weights: the caller's seeded
    // default generator is left as it was.
    const Generator saved = default_generator();
    auto fill = [&](auto& nets) {
      try {
        io::load_state_dict(nets.f32, file, {});
      } catch (const Error& e) {
        fail(who, "not a valid line-EW weight file: ", e.what());
      }
      io::load_state_dict(nets.f64, file, {});
      nets.f32.eval(), nets.f64.eval();
      nets.f64.set_input_grad(true);
      for (int l = 0; l < lines; ++l)
        for (int j = 0; j < in_; ++j)
          GALNET_CHECK(nets.f64.input_scale(l, j) != 0, who, line_ew_lines[static_cast<std::size_t>(l)],
                       ": scaler scale ", j, " is 0 (must be non-zero)");
    };
    if (in_ == 12) nets_.template emplace<Nets<true>>();
    else nets_.template emplace<Nets<false>>();
    default_generator() = saved;  // before anything below can throw
    with_nets(fill);
  }

  /// Writes NaN into a flagged row's outputs.
  static void clear_row(std::size_t i, double* ew, double* dflux, double* dz) {
    for (int l = 0; l < lines; ++l) ew[i * lines + l] = kNaN;
    if (dflux)
      for (int k = 0; k < lines * bins; ++k) dflux[i * lines * bins + k] = kNaN;
    if (dz)
      for (int l = 0; l < lines; ++l) dz[i * lines + l] = kNaN;
  }
  /// Flags a row whose EWs left double's range; true if it did.
  static bool flag_non_finite(std::size_t i, double* ew, double* dflux, double* dz, std::span<RowStatus> status) {
    bool finite = true;
    for (int l = 0; l < lines; ++l) finite = finite && std::isfinite(ew[i * lines + l]);
    if (finite) return false;
    if (!status.empty()) status[i] = RowStatus::ew_not_finite;
    clear_row(i, ew, dflux, dz);
    return true;
  }

  static bool in_parallel() {
#if defined(_OPENMP)
    return omp_in_parallel() != 0;
#else
    return false;
#endif
  }

  /// Row i's checks; when valid, its raw features in float32 into x[0..in), else NaN EWs.
  static RowStatus row_features(const double* f, std::span<const double> zs, std::size_t i, int in, float* x,
                                double* ew) {
    const double zi = zs.empty() ? 0.0 : zs[i];
    const RowStatus st = check_row(f + i * bins, zi, !zs.empty());
    if (st != RowStatus::ok) {
      clear_row(i, ew, nullptr, nullptr);
      return st;
    }
    double feat[12];
    raw_features(f + i * bins, zi, in == 12, feat);
    for (int j = 0; j < in; ++j) x[j] = static_cast<float>(feat[j]);
    return RowStatus::ok;
  }
  /// A valid row's EWs from its network outputs y[0..10): sinh in double. True if they left
  /// double's range (the row is then flagged).
  static bool row_ews(std::size_t i, const float* y, double* ew, std::span<RowStatus> status) {
    for (int l = 0; l < lines; ++l) ew[i * lines + l] = std::sinh(static_cast<double>(y[l]));
    return flag_non_finite(i, ew, nullptr, nullptr, status);
  }

  /// Rows [a, a + m): checks and features, the network in float32 on a stack tile, EWs.
  template <class Net>
  static std::size_t predict_rows(const Net& net, std::size_t a, std::size_t m, const double* f,
                                  std::span<const double> zs, double* ew, std::span<RowStatus> status) {
    constexpr int In = Net::inputs;
    alignas(64) float x[kChunk * In], y[kChunk * lines];
    std::size_t rows[kChunk];
    std::size_t invalid = 0;
    int nr = 0;
    for (std::size_t i = a; i < a + m; ++i) {
      const RowStatus st = row_features(f, zs, i, In, &x[nr * In], ew);
      if (!status.empty()) status[i] = st;
      if (st != RowStatus::ok) ++invalid;
      else rows[nr++] = i;
    }
    net.infer(nr, x, y, /*parallel=*/false, /*batch_invariant=*/true);
    for (int r = 0; r < nr; ++r) invalid += row_ews(rows[r], &y[r * lines], ew, status) ? 1 : 0;
    return invalid;
  }

  template <class Net>
  static std::size_t predict_with(const Net& net, std::size_t n, const double* f, std::span<const double> zs,
                                  double* ew, std::span<RowStatus> status) {
    const auto chunks = static_cast<std::int64_t>((n + kChunk - 1) / kChunk);
    std::size_t invalid = 0;
    auto chunk = [&](std::int64_t c) {
      const auto a = static_cast<std::size_t>(c) * kChunk;
      return predict_rows(net, a, std::min<std::size_t>(kChunk, n - a), f, zs, ew, status);
    };
#if defined(_OPENMP)
    if (chunks > 1 && num_threads() > 1 && !in_parallel()) {
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : invalid)
      for (std::int64_t c = 0; c < chunks; ++c) invalid += chunk(c);
      return invalid;
    }
#endif
    for (std::int64_t c = 0; c < chunks; ++c) invalid += chunk(c);
    return invalid;
  }

  /// Valid rows through each line's layers in float64, then the chain rule to fluxes and z.
  template <class Nets>
  std::size_t gradient_with(Nets& nets, std::size_t n, const double* f, std::span<const double> zs, double* ew,
                            double* dflux, double* dz, std::span<RowStatus> status) {
    constexpr int In = decltype(nets.f64)::inputs;
    std::size_t invalid = 0;
    std::vector<std::size_t>& rows = rows_;
    rows.clear();
    for (std::size_t i = 0; i < n; ++i) {
      const RowStatus st = check_row(f + i * bins, zs.empty() ? 0.0 : zs[i], !zs.empty());
      if (!status.empty()) status[i] = st;
      if (st == RowStatus::ok) rows.push_back(i);
      else ++invalid, clear_row(i, ew, dflux, dz);
    }
    const auto m = static_cast<std::int64_t>(rows.size());
    nets.x.resize(Shape{m, In});
    for (std::int64_t r = 0; r < m; ++r) {
      const std::size_t i = rows[static_cast<std::size_t>(r)];
      raw_features(f + i * bins, zs.empty() ? 0.0 : zs[i], In == 12, &nets.x[r * In]);
    }
    nets.z.resize(Shape{m, In});
    nets.dy.resize(Shape{m, 1});
    for (int l = 0; l < lines; ++l) {
      auto& mlp = nets.f64.line(l);
      for (std::int64_t r = 0; r < m; ++r)
        for (int j = 0; j < In; ++j)
          nets.z[r * In + j] = (nets.x[r * In + j] - nets.f64.input_mean(l, j)) / nets.f64.input_scale(l, j);
      const Tensor<double>& y = mlp.forward(nets.z);
      for (std::int64_t r = 0; r < m; ++r) {
        ew[rows[static_cast<std::size_t>(r)] * lines + l] = std::sinh(y[r]);
        nets.dy[r] = std::cosh(y[r]);  // dEW/dy
      }
      const Tensor<double>& dx = mlp.backward(nets.dy);  // ∂EW/∂(standardised input)
      for (std::int64_t r = 0; r < m; ++r) {
        const std::size_t i = rows[static_cast<std::size_t>(r)];
        double gx[12];
        for (int j = 0; j < In; ++j) gx[j] = dx[r * In + j] / nets.f64.input_scale(l, j);
        chain(gx, In, f + i * bins, zs.empty() ? 0.0 : zs[i], dflux + (i * lines + l) * bins,
              dz ? dz + i * lines + l : nullptr);
      }
    }
    for (const std::size_t i : rows) invalid += flag_non_finite(i, ew, dflux, dz, status) ? 1 : 0;
    return invalid;
  }

  /// ∂EW/∂F_j (12 values) and ∂EW/∂z from ∂EW/∂(raw feature) gx: colours c_m = log10(F_{m+1})
  /// − log10(F_m); L = log10(F_8) + log10((1+z) D_L²).
  static void chain(const double* gx, int in, const double* f, double z, double* dflux, double* dz) {
    for (int j = 0; j < bins; ++j) {
      double g = 0;
      if (j >= 1) g += gx[j - 1];
      if (j <= colours - 1) g -= gx[j];
      if (in == 12 && j == 8) g += gx[11];
      dflux[j] = g / (f[j] * kLn10);
    }
    if (!dz) return;
    if (in == 12) {
      // dL/dz = [1/(1+z) + 2 D_L'/D_L] / ln 10, D_L = (1+z) D_C, D_C' = (c/H0)/E(z).
      const double dc = comoving_distance_mpc(z), zp = 1.0 + z;
      const double e = std::sqrt(0.3 * zp * zp * zp + 0.7), dh = 299792.458 / 70.0;
      const double dl = zp * dc, dl_dz = dc + zp * dh / e;
      *dz = gx[11] * (1.0 / zp + 2.0 * dl_dz / dl) / kLn10;
    } else {
      *dz = 0.0;
    }
  }

  std::filesystem::path source_;
  int in_ = 12;
  std::variant<std::monostate, Nets<true>, Nets<false>> nets_;  ///< monostate: nothing built before load()
  std::vector<std::size_t> rows_;  ///< gradient()'s valid rows
};

}  // namespace galnet::models
