// Learning-rate schedules against fastai and torch.optim.lr_scheduler.
//
// Reference numbers: tools/reference_optim.py (rerun: tools/.venv/bin/python
// tools/reference_optim.py). ReduceLROnPlateau follows keras.callbacks.ReduceLROnPlateau
// (keras/src/callbacks/reduce_lr_on_plateau.py); Keras is not in the tools environment, so its
// cases are traced by hand from that source below.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "galnet/optim.hpp"
#include "../support.hpp"

using namespace galnet;
using namespace galnet::optim;

namespace {

using P = nn::Parameter<double>;

struct TwoGroups {
  P a, b;
  TwoGroups() {
    a.init({2});
    b.init({3});
  }
};

void check_close(double got, double want, double rtol, double atol = 0.0) {
  INFO("got " << got << ", want " << want);
  CHECK(std::abs(got - want) <= rtol * std::abs(want) + atol);
}

}  // namespace

TEST_CASE("OneCycle matches fastai fit_one_cycle with differential learning rates") {
  // fastai Learner.fit_one_cycle(2, lr_max=[1e-3, 1e-2]) with 10 batches per epoch (20 steps),
  // two parameter groups, opt_func=Adam; every group's lr and mom recorded after each batch.
  const std::vector<double> lr0 = {
      4e-05, 0.00013167184534158176, 0.00037167185124828173, 0.000668328191493,
      0.0009083281678662005, 0.001, 0.0009890739036269116, 0.0009567731661714857,
      0.000904509449350908, 0.0008345669760804087, 0.0007500024864862765, 0.000654511943198157,
      0.0005522686593312815, 0.0004477413406687185, 0.00034549810132356723, 0.0002500074729725539,
      0.00016544302391959128, 9.550053689112313e-05, 4.32368719095722e-05, 1.093608907337413e-05};
  const std::vector<double> lr1 = {
      0.0004, 0.0013167184534158176, 0.003716718512482818, 0.00668328191493, 0.009083281678662004,
      0.01, 0.009890739036269117, 0.009567731661714858, 0.009045094493509081,
      0.008345669760804088, 0.007500024864862766, 0.006545119431981571, 0.005522686593312814,
      0.004477413406687184, 0.0034549810132356723, 0.0025000747297255392, 0.0016544302391959132,
      0.0009550053689112315, 0.0004323687190957229, 0.00010936089073374129};
  const std::vector<double> mom = {
      0.95, 0.9404508494435851, 0.915450848828304, 0.8845491467194792, 0.8595491491806041, 0.85,
      0.8510926205635144, 0.8543227266101175, 0.8595491505564148, 0.8665434678266374,
      0.8750000013513858, 0.884549151171696, 0.8947735818026898, 0.9052264181973101,
      0.915450844376087, 0.9250000027027716, 0.9334565321733626, 0.9404508508193958,
      0.9456772695817386, 0.9489073801664643};
  TwoGroups m;
  Adam<double> opt({&m.a}, {.lr = 1e-3});
  opt.add_param_group({&m.b}, 1e-2);
  const OneCycle sched({.total_steps = 20});
  for (int s = 0; s < 20; ++s) {
    sched.apply(opt, s);
    INFO("step " << s);
    // fastai computes the position inside combine_scheds in float32 and accumulates pct_train,
    // so its values differ from exact arithmetic by ~1e-7 of lr_max.
    check_close(opt.groups()[0].lr, lr0[s], 0.0, 1e-6 * 1e-3);
    check_close(opt.groups()[1].lr, lr1[s], 0.0, 1e-6 * 1e-2);
    check_close(opt.groups()[0].momentum, mom[s], 0.0, 1e-7);
    check_close(opt.groups()[1].momentum, mom[s], 0.0, 1e-7);
    // Differential rates keep their ratio exactly.
    check_close(opt.groups()[1].lr, 10.0 * opt.groups()[0].lr, 1e-14);
  }
  CHECK(opt.groups()[0].initial_lr == 1e-3);
  CHECK(sched.lr(20, 0.1) == doctest::Approx(0.1 / 1e5).epsilon(1e-12));  // the end of the cycle
  CHECK(sched.lr(1000, 0.1) == sched.lr(20, 0.1));                        // clamped
}

TEST_CASE("combined_cos matches fastai.callback.schedule.combined_cos") {
  const std::vector<double> pos = {0.0, 0.1, 0.25, 0.3, 0.5, 0.9, 0.999};
  // fastai combined_cos(0.25, 0.1/25, 0.1, 0.1/1e5)(pos): float32 positions inside fastai.
  const std::vector<double> fastai = {0.004, 0.03716718512482817, 0.1, 0.09890739036269117,
                                      0.07500024864862766, 0.004323687190957229,
                                      1.4386196896670755e-06};
  // The same with fastai's sched_cos formula in float64 (exactly what galnet computes).
  const std::vector<double> exact = {0.004, 0.037167184270002526, 0.1, 0.09890739096288992,
                                     0.07500025000000002, 0.00432368389059877,
                                     1.4386440566338532e-06};
  for (std::size_t i = 0; i < pos.size(); ++i) {
    const double v = combined_cos(0.25, 0.1 / 25, 0.1, 0.1 / 1e5, pos[i]);
    INFO("pos " << pos[i]);
    check_close(v, exact[i], 1e-14);
    check_close(v, fastai[i], 0.0, 1e-6 * 0.1);
  }
  CHECK_THROWS_AS(OneCycle({.total_steps = 0}), Error);
  CHECK_THROWS_AS(OneCycle({.total_steps = 10, .pct_start = 1.0}), Error);
}

TEST_CASE("CosineAnnealingWarmRestarts matches torch") {
  SUBCASE("T_0 5, T_mult 2, eta_min 1e-4") {
    // torch CosineAnnealingWarmRestarts(T_0=5, T_mult=2, eta_min=1e-4), base 0.1, steps 0..39.
    const std::vector<double> want = {
        0.1, 0.09046039886902862, 0.06548539886902863, 0.03461460113097138, 0.00963960113097138,
        0.1, 0.09755527298894293, 0.09046039886902862, 0.07940987335200904, 0.06548539886902863,
        0.050050000000000004, 0.03461460113097138, 0.020690126647990973, 0.00963960113097138,
        0.002544727011057081, 0.1, 0.09938503261272713, 0.09755527298894293, 0.09455577588320897,
        0.09046039886902862, 0.08536998372026805, 0.07940987335200904, 0.07272682546199037,
        0.06548539886902863, 0.05786390152875954, 0.050050000000000004, 0.042236098471240484,
        0.03461460113097138, 0.02737317453800964, 0.020690126647990973, 0.014730016279731955,
        0.00963960113097138, 0.0055442241167910295, 0.002544727011057081, 0.000714967387272874,
        0.1, 0.09984602081996975, 0.09938503261272713, 0.09861987752386395, 0.09755527298894293};
    const CosineAnnealingWarmRestarts sched({.T_0 = 5, .T_mult = 2, .eta_min = 1e-4});
    TwoGroups m;
    SGD<double> opt({&m.a}, {.lr = 0.1});
    opt.add_param_group({&m.b}, 0.2);
    for (int s = 0; s < 40; ++s) {
      INFO("step " << s);
      check_close(sched.lr(s, 0.1), want[s], 1e-15);
      sched.apply(opt, s);
      check_close(opt.groups()[0].lr, want[s], 1e-15);
      // eta_min is absolute, as in torch: the second group anneals from 0.2 to the same floor.
      check_close(opt.groups()[1].lr, 1e-4 + (0.2 - 1e-4) * (want[s] - 1e-4) / (0.1 - 1e-4), 1e-12);
    }
    CHECK(sched.position(34) == std::pair<std::int64_t, std::int64_t>{19, 20});
    CHECK(sched.position(35) == std::pair<std::int64_t, std::int64_t>{0, 40});
  }
  SUBCASE("T_0 4, T_mult 1") {
    const std::vector<double> want = {0.1, 0.08535533905932738, 0.05, 0.014644660940672627,
                                      0.1, 0.08535533905932738, 0.05, 0.014644660940672627,
                                      0.1, 0.08535533905932738};
    const CosineAnnealingWarmRestarts sched({.T_0 = 4});
    for (int s = 0; s < 10; ++s) check_close(sched.lr(s, 0.1), want[s], 1e-15);
  }
  CHECK_THROWS_AS(CosineAnnealingWarmRestarts({.T_0 = 0}), Error);
  CHECK_THROWS_AS(CosineAnnealingWarmRestarts({.T_0 = 3, .T_mult = 0}), Error);
}

TEST_CASE("SGDRPhases follows fastai 0.7 step by step through Wu & Boada's three fit calls") {
  // tests/fixtures/sgdr_wu_boada_lrs.csv: fastai 0.7's own CosAnneal (tools/reference_sgdr.py),
  // 45 batches per epoch, fit(lrs, 2, cycle_len=1), fit(lrs, 1, cycle_len=1), fit(lrs, 3,
  // cycle_len=1, cycle_mult=2), lrs = slice(1e-3, 0.1) over three layer groups.
  std::ifstream in(test::fixture_dir() / "sgdr_wu_boada_lrs.csv");
  REQUIRE_MESSAGE(in.good(), "tests/fixtures/sgdr_wu_boada_lrs.csv is missing");
  const auto lrs = even_mults(1e-3, 0.1, 3);
  CHECK(lrs[0] == 1e-3);
  CHECK(lrs[1] == doctest::Approx(1e-2).epsilon(1e-15));
  CHECK(lrs[2] == 0.1);
  P a, b, c;
  a.init({2}), b.init({2}), c.init({2});
  SGD<double> opt({&a}, {.lr = lrs[0], .momentum = 0.9});
  opt.add_param_group({&b}, lrs[1]);
  opt.add_param_group({&c}, lrs[2]);
  const SGDRPhases sched({{.cycles = 2}, {.cycles = 1}, {.cycles = 0, .cycle_mult = 2}}, 45);
  std::string line;
  int steps = 0, warm = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == 's') continue;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream row(line);
    std::int64_t step = 0;
    double want[3];
    row >> step >> want[0] >> want[1] >> want[2];
    REQUIRE(row);
    CHECK(step == steps);
    sched.apply(opt, step);
    for (int g = 0; g < 3; ++g) {
      INFO("step " << step << " group " << g);
      check_close(opt.groups()[static_cast<std::size_t>(g)].lr, want[g], 1e-14);
    }
    warm += want[2] == 0.1 / 100;
    ++steps;
  }
  CHECK(steps == 450);  // 10 epochs
  CHECK(warm == 9);     // each fit call starts with ceil(45 / 20) = 3 batches at lr / 100
  // The run ends annealed after 1, 2, 3, 4, 6, 10, 18, 34 epochs (cycles 1, 1 | 1 | 1, 2, 4, 8, 16).
  CHECK(sched.cycle_ends(40) == std::vector<int>{1, 2, 3, 4, 6, 10, 18, 34});
  CHECK(sched.cycle_ends(5) == std::vector<int>{1, 2, 3, 4});
  // A bounded call whose cycle runs past max_epochs ends the list there: no later call's ends.
  CHECK(SGDRPhases({{.cycles = 2, .cycle_len = 2}, {.cycles = 1}}, 10).cycle_ends(3) == std::vector<int>{2});
  CHECK(sched.fit_of_epoch(1) == 0);
  CHECK(sched.fit_of_epoch(2) == 1);
  CHECK(sched.fit_of_epoch(3) == 2);
  CHECK(sched.fit_of_epoch(100) == 2);
  CHECK(sched.lr(449, 0.1) < 0.1 * 1e-3);  // the last step of the 4-epoch cycle: annealed
  CHECK_THROWS_AS(SGDRPhases({{.cycles = 0}, {.cycles = 1}}, 45), Error);
  CHECK_THROWS_AS(SGDRPhases({{.cycles = 1}}, 0), Error);
}

TEST_CASE("StepLR matches torch") {
  // torch StepLR(step_size=3, gamma=0.5), base 0.1, steps 0..9.
  const std::vector<double> want = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125};
  const StepLR sched(3, 0.5);
  TwoGroups m;
  SGD<double> opt({&m.a}, {.lr = 0.1});
  opt.add_param_group({&m.b}, 0.01);
  for (int s = 0; s < 10; ++s) {
    sched.apply(opt, s);
    check_close(opt.groups()[0].lr, want[s], 1e-15);
    check_close(opt.groups()[1].lr, want[s] / 10, 1e-15);
  }
  CHECK_THROWS_AS(StepLR(0), Error);
}

TEST_CASE("schedules drive Lookahead's inner optimizer") {
  TwoGroups m;
  auto opt = ranger(std::vector<P*>{&m.a, &m.b}, {.lr = 4e-3});
  const OneCycle sched({.total_steps = 100});
  sched.apply(opt, 25);
  CHECK(opt.inner().groups()[0].lr == doctest::Approx(4e-3).epsilon(1e-15));
  CHECK(opt.inner().groups()[0].momentum == doctest::Approx(0.85).epsilon(1e-15));
  const OneCycle no_mom({.total_steps = 100, .cycle_momentum = false});
  no_mom.apply(opt, 0);
  CHECK(opt.inner().groups()[0].momentum == doctest::Approx(0.85).epsilon(1e-15));
  CHECK(opt.inner().groups()[0].lr == doctest::Approx(4e-3 / 25).epsilon(1e-15));
}

TEST_CASE("ReduceLROnPlateau follows Keras") {
  TwoGroups m;
  SGD<double> opt({&m.a}, {.lr = 0.1});
  opt.add_param_group({&m.b}, 0.04);

  SUBCASE("patience, min_delta and min_lr") {
    ReduceLROnPlateau plateau(opt, {.factor = 0.5, .patience = 2, .min_lr = 0.02});
    static_assert(std::is_same_v<decltype(plateau), ReduceLROnPlateau<double, Cpu>>);
    CHECK_FALSE(plateau.step(1.0));   // best 1.0
    CHECK_FALSE(plateau.step(0.9));   // best 0.9
    CHECK_FALSE(plateau.step(0.95));  // wait 1
    CHECK(plateau.step(0.92));        // wait 2 >= patience: 0.1 -> 0.05, 0.04 -> 0.02
    CHECK(opt.groups()[0].lr == doctest::Approx(0.05).epsilon(1e-15));
    CHECK(opt.groups()[1].lr == doctest::Approx(0.02).epsilon(1e-15));
    CHECK(plateau.state().wait == 0);
    CHECK_FALSE(plateau.step(0.89995));  // not below best - 1e-4 = 0.8999: wait 1
    CHECK(plateau.state().wait == 1);
    CHECK(plateau.state().best == 0.9);
    CHECK_FALSE(plateau.step(0.85));  // improvement: best 0.85, wait 0
    CHECK_FALSE(plateau.step(0.86));
    CHECK(plateau.step(0.86));  // 0.05 -> 0.025; group 1 sits at min_lr and stays
    CHECK(opt.groups()[0].lr == doctest::Approx(0.025).epsilon(1e-15));
    CHECK(opt.groups()[1].lr == 0.02);
    CHECK_FALSE(plateau.step(0.86));
    CHECK(plateau.step(0.86));  // 0.025 -> max(0.0125, 0.02)
    CHECK(opt.groups()[0].lr == 0.02);
    CHECK_FALSE(plateau.step(0.86));
    CHECK_FALSE(plateau.step(0.86));  // everything at min_lr: no reduction, wait keeps growing
    CHECK(plateau.state().wait == 2);
    CHECK(opt.groups()[0].initial_lr == 0.1);
  }
  SUBCASE("cooldown") {
    ReduceLROnPlateau plateau(opt, {.factor = 0.1, .patience = 1, .cooldown = 2});
    CHECK_FALSE(plateau.step(1.0));
    CHECK(plateau.step(1.0));  // wait 1 >= 1: 0.1 -> 0.01, cooldown 2
    CHECK(plateau.in_cooldown());
    CHECK_FALSE(plateau.step(1.0));  // in cooldown: counter 2 -> 1, wait stays 0
    CHECK(plateau.step(1.0));        // counter 1 -> 0, out of cooldown: wait 1: 0.01 -> 0.001
    CHECK(opt.groups()[0].lr == doctest::Approx(0.001).epsilon(1e-14));
    CHECK_FALSE(plateau.step(1.0));  // cooldown again
    CHECK_FALSE(plateau.step(0.5));  // improvement
    CHECK(plateau.state().best == 0.5);
  }
  SUBCASE("max mode") {
    ReduceLROnPlateau plateau(opt, {.patience = 1, .maximize = true});
    CHECK_FALSE(plateau.step(0.5));
    CHECK_FALSE(plateau.step(0.6));
    CHECK(plateau.step(0.55));
    CHECK(opt.groups()[0].lr == doctest::Approx(0.01).epsilon(1e-14));
  }
  CHECK_THROWS_AS(ReduceLROnPlateau(opt, {.factor = 1.0}), Error);
}
