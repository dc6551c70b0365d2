// LineEW (galnet/models/line_ew_predictor.hpp): parity with the published model evaluated by
// numpy in float64 from the original .npy files (tools/reference_line_ew.py), invalid rows,
// the gradient against central finite differences, threads, batching and allocations.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <galnet/data/catalog.hpp>
#include <galnet/io/state_dict.hpp>
#include <galnet/models/line_ew.hpp>
#include <galnet/models/line_ew_predictor.hpp>
#include <galnet/models/line_ew_table.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../support.hpp"

using namespace galnet;
using models::LineEW;

namespace {

const std::filesystem::path kFixtures = galnet::test::fixture_dir();
const std::filesystem::path kData = galnet::test::fixture_dir() / ".." / ".." / "data" / "line_ew";

struct Table {
  std::vector<std::string> ids;
  std::vector<double> fluxes, z;  // n×12, n
};

Table sample_input() {
  const auto cat = data::Catalog::read_csv(kFixtures / "line_ew_sample_input.csv", {.id_column = "id"});
  Table t;
  const std::size_t n = cat.size();
  t.fluxes.resize(n * 12);
  for (int j = 0; j < 12; ++j) {
    const auto& col = cat.numeric("flux_" + std::to_string(j));
    for (std::size_t i = 0; i < n; ++i) t.fluxes[i * 12 + j] = col[i];
  }
  t.z = cat.numeric("z");
  for (std::size_t i = 0; i < n; ++i) t.ids.push_back(cat.id(i));
  return t;
}

/// Reference EWs n×10 (NaN where the reference leaves them empty) and the flag column.
std::vector<double> reference(bool with_luminosity, std::vector<std::string>* flags = nullptr) {
  const auto cat = data::Catalog::read_csv(kFixtures / "line_ew_reference.csv", {.id_column = "id"});
  std::vector<double> ew(cat.size() * 10);
  for (int l = 0; l < 10; ++l) {
    const auto& col = cat.numeric(std::string(models::line_ew_lines[l]) + (with_luminosity ? "" : "_nolum"));
    for (std::size_t i = 0; i < cat.size(); ++i) ew[i * 10 + l] = col[i];
  }
  if (flags)
    for (std::size_t i = 0; i < cat.size(); ++i) flags->emplace_back(cat.text(i, "flag"));
  return ew;
}

LineEW published(bool with_luminosity) {
  return LineEW(kData / models::line_ew_weights_name(with_luminosity));
}

}  // namespace

TEST_CASE("luminosity distance matches a 400-point Gauss-Legendre quadrature in z") {
  // tools/reference_line_ew.py's luminosity_distance_mpc (numpy), flat LCDM H0 70, Om 0.3.
  const std::pair<double, double> ref[] = {{0.01, 43.15823507193238}, {0.1, 460.29993639047825},
                                           {0.5, 2832.938093900109},  {1.0, 6607.657611774934},
                                           {3.0, 25422.7417451897},   {10.0, 103842.7458903988}};
  for (const auto& [z, dl] : ref) CHECK(models::luminosity_distance_mpc(z) == doctest::Approx(dl).epsilon(1e-13));
  CHECK(models::luminosity_distance_mpc(0.0) == 0.0);
}

TEST_CASE("LineEW matches the published model (numpy float64 from the original .npy) to 1e-5 in float32, 2e-6 in float64") {
  const Table in = sample_input();
  const std::size_t n = in.ids.size();
  REQUIRE(n == 26);
  for (const bool lum : {true, false}) {
    CAPTURE(lum);
    const LineEW model = published(lum);
    CHECK(model.with_luminosity() == lum);
    std::vector<std::string> flags;
    const auto ref = reference(lum, &flags);
    std::vector<double> ew(n * 10);
    std::vector<LineEW::RowStatus> status(n);
    const std::size_t bad = model.predict(in.fluxes, in.z, ew, status);
    CHECK(bad == 6);
    double worst = 0;
    std::size_t compared = 0;
    for (std::size_t i = 0; i < n; ++i) {
      CAPTURE(in.ids[i]);
      const bool valid = flags[i].empty();
      CHECK((status[i] == LineEW::RowStatus::ok) == valid);
      CHECK(LineEW::describe_row(&in.fluxes[i * 12], in.z[i], true) == flags[i]);
      for (int l = 0; l < 10; ++l) {
        const double r = ref[i * 10 + l], g = ew[i * 10 + l];
        if (!valid) {
          CHECK(std::isnan(g));
          CHECK(std::isnan(r));
          continue;
        }
        const double rel = std::fabs(g - r) / std::fabs(r);
        worst = std::max(worst, rel);
        CHECK(rel <= 1e-5);
        ++compared;
      }
    }
    CHECK(compared == 200);
    // gradient() runs the float64 network: there only the float32 scalers of the safetensors
    // file differ from the .npy's float64 ones (~3e-7).
    LineEW exact = published(lum);
    std::vector<double> ew64(n * 10), d(n * 120);
    CHECK(exact.gradient(in.fluxes, in.z, ew64, d) == 6);
    double worst64 = 0;
    for (std::size_t k = 0; k < n * 10; ++k)
      if (flags[k / 10].empty()) worst64 = std::max(worst64, std::fabs(ew64[k] - ref[k]) / std::fabs(ref[k]));
    MESSAGE("max relative difference to the published model (" << std::string(lum ? "with" : "without")
            << " luminosity): float32 predict " << worst << ", float64 gradient pass " << worst64);
    CHECK(worst64 < 2e-6);
  }
}

TEST_CASE("LineEW flags invalid rows with their first problem and never throws for values") {
  const LineEW model = published(true);
  std::vector<double> f(4 * 12, 5.0), z{0.1, 0.1, 0.0, 0.2}, ew(40);
  f[12 + 3] = -1.0;                                      // row 1: flux_3 negative
  f[36 + 11] = std::numeric_limits<double>::infinity();  // row 3: flux_11 infinite
  std::vector<LineEW::RowStatus> st(4);
  CHECK(model.predict(f, z, ew, st) == 3);
  CHECK(st[0] == LineEW::RowStatus::ok);
  CHECK(st[1] == LineEW::RowStatus::flux_not_positive);
  CHECK(st[2] == LineEW::RowStatus::z_not_positive);
  CHECK(st[3] == LineEW::RowStatus::flux_not_finite);
  for (int l = 0; l < 10; ++l) {
    CHECK(std::isfinite(ew[l]));
    CHECK(std::isnan(ew[10 + l]));
    CHECK(std::isnan(ew[20 + l]));
    CHECK(std::isnan(ew[30 + l]));
  }
  int bin = 0;
  CHECK(LineEW::check_row(&f[12], 0.1, true, &bin) == LineEW::RowStatus::flux_not_positive);
  CHECK(bin == 3);
  // Span sizes are checked.
  std::vector<double> short_ew(39);
  CHECK(test::error_of([&] { (void)model.predict(f, z, short_ew); }).find("expected n×10 = 40") != std::string::npos);
  CHECK(test::error_of([&] { (void)model.predict(f, std::vector<double>{}, ew); }).find("z has 0 values") !=
        std::string::npos);
  // Without luminosity z is optional.
  const LineEW nolum = published(false);
  std::vector<double> ew2(40);
  CHECK(nolum.predict(f, {}, ew2) == 2);
  CHECK(std::isfinite(ew2[20]));
}

TEST_CASE("LineEW flags valid inputs whose EWs are not finite, never reporting NaN as a prediction") {
  const LineEW model = published(true);
  std::vector<double> f(3 * 12, 5.0), z{0.1, 1e-20, 0.1}, ew(30);
  for (int j = 0; j < 12; ++j) f[24 + j] = 1e308;  // row 2: the luminosity overflows double
  std::vector<LineEW::RowStatus> st(3);
  CHECK(model.predict(f, z, ew, st) == 2);
  CHECK(st[0] == LineEW::RowStatus::ok);
  CHECK(st[1] == LineEW::RowStatus::ew_not_finite);  // z = 1e-20: the luminosity far below the training range
  CHECK(st[2] == LineEW::RowStatus::ew_not_finite);
  for (int l = 0; l < 10; ++l) {
    CHECK(std::isfinite(ew[l]));
    CHECK(std::isnan(ew[10 + l]));
    CHECK(std::isnan(ew[20 + l]));
  }
  CHECK(std::string(LineEW::status_name(st[1])).find("EW not finite") == 0);
}

TEST_CASE("LineEW gradient equals central finite differences") {
  // Reference: Richardson-extrapolated central differences, (4 D(h/2) − D(h)) / 3, with h a
  // fraction 1e-4 of the input. SELU has a kink at 0 (slope λ vs λα): where a hidden unit's
  // pre-activation lies within the step of 0, differences are meaningless, which shows as
  // D(h) ≠ D(h/2); the step then shrinks (1e-5, 1e-6, 1e-7). Entries with a kink even at 1e-7
  // are skipped and counted. Errors are relative to |∂EW/∂x| + 1e-2 |EW|/x.
  const Table in = sample_input();
  for (const bool lum : {true, false}) {
    CAPTURE(lum);
    LineEW model = published(lum);
    const std::size_t n = 8;  // eight valid rows
    std::span<const double> f(in.fluxes.data(), n * 12), z(in.z.data(), n);
    std::vector<double> ew(n * 10), d(n * 120), dz(n * 10), ew2(n * 10);
    CHECK(model.gradient(f, z, ew, d, dz) == 0);
    model.predict(f, z, ew2);
    for (std::size_t k = 0; k < n * 10; ++k)  // float64 gradient pass, float32 predict
      CHECK(ew2[k] == doctest::Approx(ew[k]).epsilon(1e-5));
    double worst = 0;
    int kinks = 0, checked = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (int j = 0; j <= 12; ++j) {  // j = 12: the redshift
        const double x0 = j < 12 ? in.fluxes[i * 12 + j] : in.z[i];
        auto eval = [&](double x) {
          std::vector<double> fx(in.fluxes.begin() + i * 12, in.fluxes.begin() + (i + 1) * 12), e(10);
          double zx = in.z[i];
          (j < 12 ? fx[j] : zx) = x;
          std::vector<double> unused(120);
          model.gradient(fx, std::vector<double>{zx}, e, unused);  // the float64 network's EWs
          return e;
        };
        const auto e0 = eval(x0);
        for (int l = 0; l < 10; ++l) {
          const double an = j < 12 ? d[(i * 10 + l) * 12 + j] : dz[i * 10 + l];
          const double scale = std::fabs(ew[i * 10 + l]) / std::fabs(x0);  // typical |dEW/dx|
          bool smooth = false;
          for (const double rel : {1e-4, 1e-5, 1e-6, 1e-7}) {
            auto central = [&](double h) {
              const auto ep = eval(x0 + h), em = eval(x0 - h);
              return (ep[l] - em[l]) / (2 * h);
            };
            const double d1 = central(rel * x0), d2 = central(0.5 * rel * x0);
            const double floor = 1e-2 * scale;
            if (std::fabs(d1 - d2) > 1e-6 * (std::fabs(d2) + floor)) continue;  // a kink nearby
            smooth = true;
            const double fd = (4 * d2 - d1) / 3;  // Richardson: O(h⁴)
            const double err = std::fabs(an - fd) / (std::fabs(fd) + floor);
            worst = std::max(worst, err);
            ++checked;
            CHECK_MESSAGE(err < 1e-6, "row ", i, " line ", l, " input ", j, ": analytic ", an, " vs FD ", fd);
            break;
          }
          kinks += smooth ? 0 : 1;
        }
        if (!lum && j == 12)
          for (int l = 0; l < 10; ++l) CHECK(dz[i * 10 + l] == 0.0);
      }
    CHECK(kinks <= 2);
    CHECK(checked >= static_cast<int>(n) * 13 * 10 - 2);
    MESSAGE("gradient vs central differences (" << std::string(lum ? "with" : "without") << " luminosity): " << checked
            << " derivatives, max relative error " << worst << ", " << kinks << " skipped at SELU kinks");
  }
}

TEST_CASE("LineEW gives bit-identical results from two threads, in any batching") {
  const Table in = sample_input();
  const std::size_t n = in.ids.size();
  const LineEW model = published(true);
  std::vector<double> one(n * 10);
  model.predict(in.fluxes, in.z, one);
  // Row by row: the same bits as the whole batch.
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> e(10);
    model.predict(std::span<const double>(&in.fluxes[i * 12], 12), std::span<const double>(&in.z[i], 1), e);
    for (int l = 0; l < 10; ++l) {
      if (std::isnan(one[i * 10 + l])) CHECK(std::isnan(e[l]));
      else CHECK(e[l] == one[i * 10 + l]);
    }
  }
  // A larger batch (several tiles), from two threads at once.
  std::vector<double> big_f, big_z;
  for (int rep = 0; rep < 20; ++rep) {
    big_f.insert(big_f.end(), in.fluxes.begin(), in.fluxes.end());
    big_z.insert(big_z.end(), in.z.begin(), in.z.end());
  }
  std::atomic<int> mismatches{0};
  auto work = [&] {
    std::vector<double> e(big_z.size() * 10);
    for (int it = 0; it < 20; ++it) {
      model.predict(big_f, big_z, e);
      for (std::size_t k = 0; k < e.size(); ++k) {
        const double a = e[k], b = one[k % one.size()];
        if (!(a == b || (std::isnan(a) && std::isnan(b)))) ++mismatches;
      }
    }
  };
  std::thread t1(work), t2(work);
  t1.join();
  t2.join();
  CHECK(mismatches.load() == 0);
}

TEST_CASE("LineEW::predict_through gives predict()'s EWs, statuses and count, bit for bit, in any tile") {
  // The fixture's 26 rows (6 invalid) and the two non-finite-EW rows, repeated: tiles cut anywhere.
  Table in = sample_input();
  const double overflow[12] = {1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308};
  in.fluxes.insert(in.fluxes.end(), overflow, overflow + 12), in.z.push_back(0.1);
  in.fluxes.insert(in.fluxes.end(), in.fluxes.begin(), in.fluxes.begin() + 12), in.z.push_back(1e-20);
  std::vector<double> f, z;
  for (int rep = 0; rep < 5; ++rep) f.insert(f.end(), in.fluxes.begin(), in.fluxes.end()), z.insert(z.end(), in.z.begin(), in.z.end());
  const std::size_t n = z.size();
  for (const bool lum : {true, false}) {
    CAPTURE(lum);
    const LineEW model = published(lum);
    std::vector<double> want(n * 10);
    std::vector<LineEW::RowStatus> want_st(n);
    const std::size_t want_bad = model.predict(f, z, want, want_st);
    CHECK(want_bad == 5 * (lum ? 8 : 6));  // without luminosity neither extreme row overflows
    for (const std::size_t tile : {std::size_t{1}, std::size_t{7}, std::size_t{64}, n, n + 100}) {
      CAPTURE(tile);
      std::vector<double> got(n * 10, -1.0);
      std::vector<LineEW::RowStatus> st(n);
      std::size_t calls = 0, rows = 0, zero_rows = 0;
      const std::size_t bad = model.predict_through(
          [&](std::size_t m, const float* x, float* y) {
            ++calls, rows += m;
            CHECK(m <= tile);
            for (std::size_t r = 0; r < m; ++r)
              zero_rows += std::all_of(x + r * model.inputs(), x + (r + 1) * model.inputs(), [](float v) { return v == 0; });
            model.visit_network([&](const auto& net) { net.infer(static_cast<std::int64_t>(m), x, y, false, true); });
          },
          tile, f, z, got, st);
      CHECK(bad == want_bad);
      CHECK(calls == (n + tile - 1) / tile);
      CHECK(rows == n);
      // The invalid rows reach the network as zeros (without luminosity the equal-flux row's colours are zeros too).
      CHECK(zero_rows == 5 * (lum ? 6 : 7));
      std::size_t mismatches = 0;
      for (std::size_t k = 0; k < n * 10; ++k)
        mismatches += !(got[k] == want[k] || (std::isnan(got[k]) && std::isnan(want[k])));
      CHECK(mismatches == 0);
      CHECK(st == want_st);
    }
  }
  std::vector<double> ew(n * 10);
  const LineEW model = published(true);
  auto none = [](std::size_t, const float*, float*) {};
  CHECK(test::error_of([&] { (void)model.predict_through(none, 0, f, z, ew); }).find("tile must be at least 1") !=
        std::string::npos);
  CHECK(test::error_of([&] { (void)model.predict_through(none, 8, f, z, std::span<double>(ew).first(10)); })
            .find("expected n×10") != std::string::npos);
}

TEST_CASE("LineEW allocates nothing per call") {
  // predict keeps its scratch on the caller's stack; gradient's layer buffers, once grown, are
  // reused (allocation_count counts galnet Tensors).
  const Table in = sample_input();
  LineEW model = published(true);
  const std::size_t n = in.ids.size();
  std::vector<double> ew(n * 10), d(n * 120), dz(n * 10);
  std::vector<LineEW::RowStatus> st(n);
  model.predict(in.fluxes, in.z, ew, st);
  model.gradient(in.fluxes, in.z, ew, d, dz, st);  // the layers' buffers grow once
  const long long before = allocation_count();
  for (int k = 0; k < 10; ++k) {
    model.predict(in.fluxes, in.z, ew, st);
    model.gradient(in.fluxes, in.z, ew, d, dz, st);
  }
  CHECK(allocation_count() == before);
}

TEST_CASE("LineEW agrees with LineEWNet and reads weights LineEWNet saves") {
  // LineEWNet<double> (the trainable layer stack) saved with save_state_dict is a valid LineEW
  // file; both compute the same arcsinh(EW) from the same features.
  manual_seed(11);
  models::LineEWNet<double, Cpu, true> net;
  net.eval();
  // Non-trivial scalers.
  net.visit("", [](const std::string& name, auto& t, auto* p) {
    if (p) return;
    for (std::int64_t k = 0; k < t.numel(); ++k)
      t[k] = name.find("mean") != std::string::npos ? 0.01 * static_cast<double>(k) : 0.05 + 0.01 * static_cast<double>(k);
  });
  const auto path = std::filesystem::temp_directory_path() / "galnet_test_line_ew_net.safetensors";
  io::save_state_dict(net, path, {}, io::DType::F64);
  LineEW model(path);
  std::filesystem::remove(path);
  CHECK(model.with_luminosity());
  const Table in = sample_input();
  const std::size_t n = 4;
  Tensor<double> x(Shape{static_cast<std::int64_t>(n), 12});
  for (std::size_t i = 0; i < n; ++i) model.features(&in.fluxes[i * 12], in.z[i], &x[static_cast<std::int64_t>(i) * 12]);
  const auto& y = net.forward(x);
  std::vector<double> ew(n * 10), ew64(n * 10), d(n * 120);
  const std::span<const double> f(in.fluxes.data(), n * 12), z(in.z.data(), n);
  model.predict(f, z, ew);
  model.gradient(f, z, ew64, d);
  for (std::size_t k = 0; k < n * 10; ++k) {
    const double want = std::sinh(y[static_cast<std::int64_t>(k)]);
    CHECK(ew64[k] == doctest::Approx(want).epsilon(1e-12));  // the float64 network, F64 file
    CHECK(ew[k] == doctest::Approx(want).epsilon(1e-5));     // the same weights in float32
  }
}

TEST_CASE("a file that is not line-EW weights is refused, naming the file and the problems") {
  models::LineEWMLP<float, Cpu, 12> mlp;  // one line's network: no LINE. prefix
  const auto path = std::filesystem::temp_directory_path() / "galnet_test_line_ew_bad.safetensors";
  io::save_state_dict(mlp, path);
  std::string e = test::error_of([&] { LineEW m(path); });
  CHECK(e.find(path.string()) != std::string::npos);
  CHECK(e.find("OII_DOUBLET.layers.0.weight") != std::string::npos);
  // Right prefix, wrong shapes and a missing scaler.
  models::LineEWNet<float, Cpu, true> net;
  io::save_state_dict(net, path, {}, io::DType::F32, "");
  {
    auto f = io::SafetensorsFile::read(path);
    std::vector<std::pair<std::string, const Tensor<float>*>> keep;
    std::vector<Tensor<float>> store;
    store.reserve(200);
    for (const auto& name : f.names()) {
      if (name == "HALPHA.luminosity_scaler.scale") continue;
      store.push_back(name == "HBETA.layers.1.bias" ? Tensor<float>(Shape{127}, 0.f) : f.get<float>(name));
      keep.emplace_back(name, &store.back());
    }
    io::write_safetensors(path, keep);
  }
  e = test::error_of([&] { LineEW m(path); });
  CHECK(e.find("missing: HALPHA.luminosity_scaler.scale") != std::string::npos);
  CHECK(e.find("mismatch: HBETA.layers.1.bias") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("loading a LineEW leaves the caller's seeded default generator as it was") {
  manual_seed(17);
  const auto expected = default_generator().next_u64();
  manual_seed(17);
  const LineEW model = published(true);
  CHECK(default_generator().next_u64() == expected);
  // Also when the file is refused after the networks are built: a zero scaler scale.
  models::LineEWNet<float, Cpu, true> net;
  net.visit("", [](const std::string& name, auto& t, auto*) {
    if (name == "HBETA.color_scaler.scale") t.zero();
  });
  const auto path = std::filesystem::temp_directory_path() / "galnet_test_line_ew_zero_scale.safetensors";
  io::save_state_dict(net, path);
  manual_seed(17);
  const std::string e = test::error_of([&] { LineEW m(path); });
  std::filesystem::remove(path);
  CHECK(e.find("HBETA: scaler scale 0 is 0") != std::string::npos);
  CHECK(default_generator().next_u64() == expected);
}

TEST_CASE("the bundled weights are found without options") {
  // GALNET_BUILTIN_DATA_DIR (set by the galnet::galnet target) points at the source data/.
  const auto p = models::find_line_ew_weights(true);
  CHECK(p.filename() == "line_ew_with_luminosity.safetensors");
  CHECK(std::filesystem::exists(p));
  CHECK(LineEW::published(false).inputs() == 11);
}

TEST_CASE("evaluate_line_ew: per-line metrics over the rows that count, the paper's NMAD beside 1.4826 MAD") {
  // Rows 0-5. HALPHA: row 3 has ivar 0, row 4 is flagged, row 5 has no measurement; rows 0-2
  // count, with delta = predicted - measured = -1, +2, -3. OIII_5007 (no ivar column): measured
  // exactly, every row but the flagged one counts.
  const auto cat = data::Catalog::parse_csv("id,HALPHA,HALPHA_ivar,OIII_5007\n"
                                            "a,11,1,1\nb,18,1,2\nc,33,1,3\nd,40,0,4\ne,55,1,5\nf,nan,1,6\n",
                                            "measured.csv", {.id_column = "id"});
  std::vector<double> ew(6 * 10, 0.0);
  std::vector<LineEW::RowStatus> st(6, LineEW::RowStatus::ok);
  for (int i = 0; i < 6; ++i) ew[i * 10 + 6] = 10.0 * (i + 1), ew[i * 10 + 4] = i + 1;
  st[4] = LineEW::RowStatus::flux_not_positive;
  for (int l = 0; l < 10; ++l) ew[4 * 10 + l] = std::nan("");
  const auto e = models::evaluate_line_ew(cat, ew, st);
  REQUIRE(e.names == std::vector<std::string>{"OIII_5007", "HALPHA"});
  const auto& oiii = e.metrics[0].second;
  const auto& ha = e.metrics[1].second;
  CHECK(ha.n == 3);
  CHECK(ha.skipped == 3);
  CHECK(ha.bias == -1.0);
  CHECK(ha.nmad_zero == doctest::Approx(1.48 * 2));          // 1.48 median{1, 2, 3}
  CHECK(ha.nmad == doctest::Approx(1.4826 * 2));             // 1.4826 median{0, 3, 2}
  CHECK(ha.rmse == doctest::Approx(std::sqrt(14.0 / 3.0)));  // (1 + 4 + 9) / 3
  CHECK(ha.spearman == doctest::Approx(1.0));
  CHECK(oiii.n == 5);
  CHECK(oiii.nmad_zero == 0);
  CHECK(oiii.rmse == 0);
  // measured and predicted side by side, n × 2: NaN where a row does not count or was flagged.
  CHECK(e.measured[0 * 2 + 1] == 11.0);
  CHECK(e.predicted[0 * 2 + 1] == 10.0);
  CHECK(std::isnan(e.measured[3 * 2 + 1]));
  CHECK(e.predicted[3 * 2 + 1] == 40.0);
  CHECK(std::isnan(e.predicted[4 * 2 + 0]));
  CHECK(std::isnan(e.measured[4 * 2 + 0]));
  const auto none = data::Catalog::parse_csv("id,flux_0\na,1\n", "none.csv", {.id_column = "id"});
  CHECK(test::error_of([&] { (void)models::evaluate_line_ew(none, std::span<const double>(ew).first(10),
                                                            std::span<const LineEW::RowStatus>(st).first(1)); })
            .find("none.csv: no measured EW column") != std::string::npos);
}
