// The mock survey: deterministic from its seed, and its hidden physics as documented.
#include <doctest/doctest.h>

#include <cmath>
#include <galnet/data/mock_survey.hpp>
#include <map>
#include <numeric>
#include <vector>

using namespace galnet::data::mock;

TEST_CASE("mock survey: a galaxy and its image are functions of (seed, index)") {
  const auto a = draw_galaxy(42, 7), b = draw_galaxy(42, 7), c = draw_galaxy(43, 7);
  CHECK(a.obj_id == b.obj_id);
  CHECK(a.oh == b.oh);
  CHECK(a.lambda_re == b.lambda_re);
  CHECK(a.oh != c.oh);
  CHECK(render(a, 64, 0.262, 5) == render(b, 64, 0.262, 5));
  CHECK(render(a, 64, 0.262, 5) != render(a, 64, 0.262, 6));  // sky noise follows its own seed
}

TEST_CASE("mock survey: luminosity distance of flat LCDM (H0 = 70, Om = 0.3)") {
  CHECK(luminosity_distance_mpc(0.1) == doctest::Approx(460.0).epsilon(0.002));
  CHECK(luminosity_distance_mpc(0.05) == doctest::Approx(222.3).epsilon(0.002));
}

TEST_CASE("mock survey: the documented relations and their scatter hold over 4000 galaxies") {
  const int n = 4000;
  std::vector<double> resid, lgm, log_re, oh;
  std::map<int, int> bpt;
  int quiescent = 0;
  for (int i = 0; i < n; ++i) {
    const auto g = draw_galaxy(1, static_cast<std::uint64_t>(i));
    const double m = std::clamp(g.lgm, 8.5, 11.5);
    resid.push_back(g.oh - (-1.492 + 1.847 * m - 0.08026 * m * m));
    lgm.push_back(g.lgm);
    oh.push_back(g.oh);
    log_re.push_back(std::log10(g.r_eff_arcsec * luminosity_distance_mpc(g.z)));
    ++bpt[g.bptclass];
    quiescent += g.quiescent;
    CHECK(g.lambda_re > 0.0);
    CHECK(g.lambda_re < 1.0);
    for (int k = 0; k < 4; ++k) CHECK(g.flux_err[k] > 0);
  }
  auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
  const double mr = mean(resid);
  double var = 0;
  for (double r : resid) var += (r - mr) * (r - mr);
  const double scatter = std::sqrt(var / n);
  MESSAGE("metallicity scatter about the MZR: ", scatter, " dex (documented 0.10)");
  CHECK(std::abs(mr) < 0.01);
  CHECK(scatter == doctest::Approx(kIntrinsicMetallicityScatter).epsilon(0.05));
  CHECK(mean(lgm) == doctest::Approx(9.9).epsilon(0.01));
  // oh_p50 spreads like the real SDSS sample's (mean 8.90, σ 0.20 dex), so that the floor is half σ.
  const double mo = mean(oh);
  double var_oh = 0;
  for (double o : oh) var_oh += (o - mo) * (o - mo);
  MESSAGE("oh_p50: mean ", mo, ", sd ", std::sqrt(var_oh / n));
  CHECK(mo == doctest::Approx(8.90).epsilon(0.003));
  CHECK(std::sqrt(var_oh / n) == doctest::Approx(0.20).epsilon(0.1));
  // Bigger galaxies are more massive: a clearly positive correlation of size with mass.
  const double ml = mean(lgm), mre = mean(log_re);
  double sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < n; ++i) {
    sxy += (lgm[i] - ml) * (log_re[i] - mre);
    sxx += (lgm[i] - ml) * (lgm[i] - ml);
    syy += (log_re[i] - mre) * (log_re[i] - mre);
  }
  CHECK(sxy / std::sqrt(sxx * syy) > 0.3);
  CHECK(quiescent > n / 10);
  CHECK(quiescent < n / 2);
  for (int cls : {-1, 1, 3, 4}) CHECK_MESSAGE(bpt[cls] > 20, "bptclass ", cls, " has ", bpt[cls], " galaxies");
}
