// Optimizers against torch.optim and fastai.optimizer, run in float64.
//
// Reference numbers: tools/reference_optim.py (rerun: tools/.venv/bin/python
// tools/reference_optim.py). Its toy problem, mirrored by Toy below: parameters
// a = [0.5, 0.25, 0, -0.25, -0.5] and b = [1, 1.5, 2]; at step t (1-based) element k (a then b)
// gets grad = sin(k + t) + 0.5 * value. Values are the parameters after the last step.
// Tolerance 1e-12 relative: the same operations in the same order as the frameworks, up to
// FMA contraction in torch's vectorised kernels.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "galnet/galnet.hpp"
#include "galnet/optim.hpp"

using namespace galnet;
using namespace galnet::optim;

namespace {

using P = nn::Parameter<double>;

struct Toy {
  P a, b;
  Toy() {
    a.value = Tensor<double>::from({5}, {0.5, 0.25, 0.0, -0.25, -0.5});
    b.value = Tensor<double>::from({3}, {1.0, 1.5, 2.0});
    a.grad = Tensor<double>({5}, 0.0);
    b.grad = Tensor<double>({3}, 0.0);
  }
  std::vector<P*> params() { return {&a, &b}; }
  /// Gradients of step t; frozen parameters get them too (the optimizer must ignore them).
  void set_grads(int t) {
    int k = 0;
    for (P* p : params())
      for (std::int64_t i = 0; i < p->value.numel(); ++i, ++k)
        p->grad[i] = std::sin(static_cast<double>(k + t)) + 0.5 * p->value[i];
  }
  std::vector<double> values() {
    std::vector<double> v = a.value.to_vector();
    for (double x : b.value.to_vector()) v.push_back(x);
    return v;
  }
};

template <class Opt>
void run(Toy& toy, Opt& opt, int steps, int first = 1) {
  for (int t = first; t < first + steps; ++t) {
    toy.set_grads(t);
    opt.step();
  }
}

void check_close(const std::vector<double>& got, const std::vector<double>& want,
                 double rtol = 1e-12) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
    CHECK(std::abs(got[i] - want[i]) <= rtol * std::abs(want[i]) + 1e-15);
  }
}

}  // namespace

TEST_CASE("SGD matches torch.optim.SGD") {
  SUBCASE("plain, lr 0.1") {
    Toy toy;
    SGD<double> opt(toy.params(), {.lr = 0.1});
    run(toy, opt, 5);
    check_close(toy.values(), {0.39544382677872836, 0.2946238950725549, 0.10078076933034959,
                               -0.18571973095984892, -0.47932302346195294, 0.6661723891885466,
                               1.13682166739435, 1.6293982855153324});
  }
  SUBCASE("momentum 0.9, dampening 0.1, weight decay 0.01") {
    Toy toy;
    SGD<double> opt(toy.params(),
                    {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01});
    run(toy, opt, 5);
    check_close(toy.values(), {-0.12843252245469222, 0.12582481367637727, 0.3661079402513794,
                               0.26979311495253355, -0.17627679988611122, 0.11068254099920109,
                               0.26021317297705165, 0.7807562769571451});
  }
  SUBCASE("nesterov, weight decay 1e-4") {
    Toy toy;
    SGD<double> opt(toy.params(),
                    {.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 1e-4});
    run(toy, opt, 5);
    check_close(toy.values(), {-0.06226588252624838, 0.26510050364965126, 0.4213288625340442,
                               0.19018940826223785, -0.2884034640528484, -0.09431777650827178,
                               0.16102553744739542, 0.7038876340234754});
  }
  SUBCASE("parameter groups with different lr") {
    Toy toy;
    SGD<double> opt({&toy.a}, {.lr = 0.1, .momentum = 0.9});
    auto& g1 = opt.add_param_group({&toy.b}, 0.01);
    CHECK(g1.momentum == 0.9);
    CHECK(g1.initial_lr == 0.01);
    REQUIRE(opt.groups().size() == 2);
    run(toy, opt, 5);
    check_close(toy.values(), {-0.1402900665215625, 0.15967583892763573, 0.40871932573070713,
                               0.28198814936270894, -0.19988444235546732, 0.8949637646776046,
                               1.3518741730130002, 1.855400684611487});
  }
  SUBCASE("frozen parameters are untouched") {
    Toy toy;
    toy.b.requires_grad = false;
    SGD<double> opt(toy.params(), {.lr = 0.1, .momentum = 0.9});
    run(toy, opt, 5);
    check_close(toy.values(), {-0.1402900665215625, 0.15967583892763573, 0.40871932573070713,
                               0.28198814936270894, -0.19988444235546732, 1.0, 1.5, 2.0});
    CHECK(toy.b.value.to_vector() == std::vector<double>{1.0, 1.5, 2.0});  // bit for bit
    std::map<std::string, std::int64_t> counters;
    opt.visit_counters([&](const std::string& n, std::int64_t& v) { counters[n] = v; });
    CHECK(counters.at("step") == 5);
    CHECK(counters.at("group0.param0.step") == 5);
    CHECK(counters.at("group0.param1.step") == 0);
  }
}

TEST_CASE("clip_grad_norm matches torch.nn.utils.clip_grad_norm_") {
  Toy toy;
  auto params = toy.params();
  SGD<double> opt(params, {.lr = 0.1, .momentum = 0.9});
  const std::vector<double> norms = {3.241278069204985, 3.088650282677031, 2.2971727983457013,
                                     1.7016774799606387, 1.5794964864747356};
  for (int t = 1; t <= 5; ++t) {
    toy.set_grads(t);
    const double n = clip_grad_norm(params, 1.0);
    CHECK(n == doctest::Approx(norms[t - 1]).epsilon(1e-13));
    const double clipped = 1.0 / (norms[t - 1] + 1e-6) * norms[t - 1];
    CHECK(grad_norm(params) == doctest::Approx(clipped).epsilon(1e-13));
    opt.step();
  }
  check_close(toy.values(), {0.31265078488886877, 0.27781989528735096, 0.15961411562098302,
                             -0.10534014584910899, -0.4454966034567526, 0.5897795078481878,
                             1.0224791486558895, 1.547424818175052});

  SUBCASE("below max_norm nothing changes; frozen gradients are ignored") {
    toy.a.grad.fill(0.1);
    toy.b.grad.fill(100.0);
    toy.b.requires_grad = false;
    CHECK(clip_grad_norm(opt, 1.0) == doctest::Approx(std::sqrt(5 * 0.01)).epsilon(1e-14));
    CHECK(toy.a.grad[0] == 0.1);
    CHECK(toy.b.grad[0] == 100.0);
  }
  SUBCASE("clip_grad_value clamps elements") {
    toy.a.grad = Tensor<double>::from({5}, {-3.0, -0.5, 0.0, 0.25, 7.0});
    clip_grad_value(params, 0.5);
    CHECK(toy.a.grad.to_vector() == std::vector<double>{-0.5, -0.5, 0.0, 0.25, 0.5});
    CHECK_THROWS_AS(clip_grad_value(params, -1.0), Error);
  }
}

TEST_CASE("Adam and AdamW match torch.optim.Adam / AdamW") {
  SUBCASE("Adam, lr 0.01") {
    Toy toy;
    Adam<double> opt(toy.params(), {.lr = 0.01});
    run(toy, opt, 5);
    check_close(toy.values(), {0.46373899324853696, 0.23329664144969736, 0.01480723256392499,
                               -0.2148839584520435, -0.4754821516549087, 0.9554229287554789,
                               1.4552384348052168, 1.9578747624673214});
  }
  SUBCASE("Adam, betas (0.8, 0.99), eps 1e-6, L2 weight decay 0.1") {
    Toy toy;
    Adam<double> opt(toy.params(),
                     {.lr = 0.01, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.1});
    run(toy, opt, 5);
    check_close(toy.values(), {0.46543131965927037, 0.23560996166716613, 0.015213489899168778,
                               -0.21702066119085545, -0.47697516937454765, 0.9539212913944617,
                               1.455763158972144, 1.9580317786886356});
  }
  SUBCASE("AdamW, default weight decay 0.01") {
    Toy toy;
    AdamW<double> opt(toy.params(), {.lr = 0.01});
    CHECK(opt.groups()[0].weight_decay == 0.01);
    CHECK(opt.decoupled_weight_decay());
    run(toy, opt, 5);
    check_close(toy.values(), {0.46349963361906366, 0.23317926950499063, 0.01480704801980361,
                               -0.21476896274754756, -0.47524167079407176, 0.9549329289919244,
                               1.4545001500930865, 1.9568873823439334});
  }
  SUBCASE("AdamW, weight decay 0.1") {
    Toy toy;
    AdamW<double> opt(toy.params(), {.lr = 0.01, .weight_decay = 0.1});
    run(toy, opt, 5);
    check_close(toy.values(), {0.4613497864272859, 0.23212507699494775, 0.014805356856851526,
                               -0.21373615096794066, -0.4730817273705907, 0.950531837133723,
                               1.4478689775345837, 1.9480188456619718});
  }
}

TEST_CASE("RAdam matches fastai.optimizer.RAdam over 13 steps (both branches)") {
  SUBCASE("defaults, lr 0.01") {
    Toy toy;
    RAdam<double> opt(toy.params(), {.lr = 0.01});
    CHECK(opt.groups()[0].momentum == 0.9);
    CHECK(opt.groups()[0].beta2 == 0.99);
    CHECK(opt.groups()[0].eps == 1e-5);
    run(toy, opt, 13);
    check_close(toy.values(), {0.45945020983034607, 0.2327004210997533, 0.014718735234490242,
                               -0.2168817009647921, -0.4715452392784964, 0.9571601404572367,
                               1.4300179803433088, 1.9258453819793293});
  }
  SUBCASE("decoupled weight decay 0.1") {
    Toy toy;
    RAdam<double> opt(toy.params(), {.lr = 0.01, .weight_decay = 0.1});
    run(toy, opt, 13);
    check_close(toy.values(), {0.45342361121643493, 0.22967779931233398, 0.014583066470306102,
                               -0.21400517675192496, -0.4654066038904599, 0.9446577045585672,
                               1.4113613143076091, 1.9007863813751833});
  }
}

TEST_CASE("ranger matches fastai.optimizer.ranger (Lookahead syncs twice)") {
  SUBCASE("defaults, lr 0.01, 13 steps") {
    Toy toy;
    auto opt = ranger(toy.params(), {.lr = 0.01});
    CHECK(opt.options().k == 6);
    CHECK(opt.options().alpha == 0.5);
    CHECK(opt.groups()[0].momentum == 0.95);
    CHECK(opt.groups()[0].weight_decay == 0.01);
    CHECK(opt.groups()[0].eps == 1e-6);
    run(toy, opt, 13);
    CHECK(opt.steps() == 13);
    check_close(toy.values(), {0.4783348613526051, 0.24032834470238393, 0.007360165106527217,
                               -0.23242530914142923, -0.4843752637098564, 0.9774319534947519,
                               1.4627106346239094, 1.9600376513582873});
  }
  SUBCASE("k 3, alpha 0.8, mom 0.9, no weight decay, 14 steps") {
    Toy toy;
    auto opt = ranger(toy.params(),
                      {.lr = 0.01, .mom = 0.9, .weight_decay = 0.0, .k = 3, .alpha = 0.8});
    run(toy, opt, 14);
    check_close(toy.values(), {0.46656571895666793, 0.2353131739230194, 0.011521572690359248,
                               -0.2229148376132836, -0.4760561605788164, 0.9645078968277921,
                               1.4422071299888335, 1.9385302354680531});
  }
}

TEST_CASE("Lookahead forwards groups and hyper-parameters to the inner optimizer") {
  Toy toy;
  Lookahead<SGD<double>> opt(SGD<double>({&toy.a}, {.lr = 0.1, .momentum = 0.9}),
                             {.k = 2, .alpha = 0.5});
  opt.add_param_group({&toy.b}, 0.01);
  REQUIRE(opt.inner().groups().size() == 2);
  CHECK(&opt.groups() == &opt.inner().groups());
  opt.set_lr(0.05);
  CHECK(opt.inner().groups()[1].lr == 0.05);
  opt.set_momentum(0.8);
  CHECK(opt.inner().groups()[0].momentum == 0.8);

  SUBCASE("k = 2 by hand: slow moves half way every second step") {
    opt.set_lr(0.1);
    opt.set_momentum(0.0);
    toy.b.requires_grad = false;
    toy.a.grad.fill(1.0);
    opt.step();  // fast a = 0.5 - 0.1
    CHECK(toy.a.value[0] == doctest::Approx(0.4).epsilon(1e-15));
    opt.step();  // fast 0.3, slow 0.5 -> 0.4, fast = slow
    CHECK(toy.a.value[0] == doctest::Approx(0.4).epsilon(1e-15));
    CHECK(toy.b.value.to_vector() == std::vector<double>{1.0, 1.5, 2.0});
    opt.step();
    opt.step();  // fast 0.2, slow 0.4 -> 0.3
    CHECK(toy.a.value[0] == doctest::Approx(0.3).epsilon(1e-15));
  }
}

TEST_CASE("a steady-state step allocates nothing") {
  Toy toy;
  auto check = [&](Optimizer<double>& opt) {
    toy.set_grads(1);
    opt.step();
    const auto before = allocation_count();
    for (int t = 2; t < 20; ++t) {
      toy.set_grads(t);
      opt.step();
    }
    CHECK(allocation_count() == before);
  };
  SGD<double> sgd(toy.params(), {.lr = 0.01, .momentum = 0.9, .weight_decay = 1e-4});
  check(sgd);
  AdamW<double> adamw(toy.params(), {.lr = 1e-3});
  check(adamw);
  auto rg = ranger(toy.params(), {.lr = 1e-3});
  check(rg);
}

TEST_CASE("large parameters (the parallel path) update like small ones") {
  P big, small;
  big.init({40000});
  small.init({7});
  for (std::int64_t i = 0; i < big.value.numel(); ++i) big.value[i] = std::cos(0.1 * double(i));
  for (std::int64_t i = 0; i < 7; ++i) small.value[i] = big.value[i];
  auto opt = ranger(std::vector<P*>{&big, &small}, {.lr = 0.01, .k = 2});
  for (int t = 1; t <= 9; ++t) {
    for (std::int64_t i = 0; i < big.value.numel(); ++i)
      big.grad[i] = std::sin(double(i + t)) + big.value[i];
    for (std::int64_t i = 0; i < 7; ++i) small.grad[i] = big.grad[i];
    opt.step();
  }
  for (std::int64_t i = 0; i < 7; ++i) CHECK(small.value[i] == big.value[i]);
  CHECK(small.value[3] != std::cos(0.3));
}

TEST_CASE("optimizer state round-trips through visit_state / visit_counters") {
  auto resume_matches = [](auto make) {
    Toy t1, t2;
    auto o1 = make(t1);
    run(t1, o1, 7);
    // A checkpoint: parameters, state tensors and counters copied into a fresh optimizer.
    t2.a.value = t1.a.value;
    t2.b.value = t1.b.value;
    auto o2 = make(t2);
    std::map<std::string, Tensor<double>> tensors;
    std::map<std::string, std::int64_t> counters;
    o1.visit_state([&](const std::string& n, Tensor<double>& t) { tensors[n] = t; });
    o1.visit_counters([&](const std::string& n, std::int64_t& c) { counters[n] = c; });
    std::size_t loaded = 0;
    o2.visit_state([&](const std::string& n, Tensor<double>& t) {
      t.copy_from(tensors.at(n));
      ++loaded;
    });
    o2.visit_counters([&](const std::string& n, std::int64_t& c) { c = counters.at(n); });
    CHECK(loaded == tensors.size());
    run(t1, o1, 6, 8);
    run(t2, o2, 6, 8);
    check_close(t2.values(), t1.values(), 0.0);
    return std::make_pair(tensors, counters);
  };
  auto [adam_t, adam_c] =
      resume_matches([](Toy& t) { return Adam<double>(t.params(), {.lr = 0.01}); });
  CHECK(adam_t.count("group0.param1.exp_avg_sq") == 1);
  CHECK(adam_t.size() == 4);
  CHECK(adam_c.at("step") == 7);
  CHECK(adam_c.at("group0.param0.step") == 7);
  auto [rg_t, rg_c] =
      resume_matches([](Toy& t) { return ranger(t.params(), {.lr = 0.01, .k = 3}); });
  CHECK(rg_t.count("group0.param0.slow_weight") == 1);
  CHECK(rg_t.count("group0.param0.grad_avg") == 1);
  CHECK(rg_c.at("lookahead.count") == 7);
  resume_matches([](Toy& t) { return SGD<double>(t.params(), {.lr = 0.1, .momentum = 0.9}); });

  Toy toy;
  SGD<double> opt(toy.params(), {.lr = 0.1});
  std::map<std::string, double> hypers;
  opt.visit_hypers([&](const std::string& n, double& v) { hypers[n] = v; });
  CHECK(hypers.at("group0.lr") == 0.1);
  CHECK(hypers.at("group0.initial_lr") == 0.1);
}

TEST_CASE("optimizer errors name the problem") {
  Toy toy;
  CHECK_THROWS_AS(SGD<double>(toy.params(), {.lr = -1.0}), Error);
  CHECK_THROWS_AS(SGD<double>(toy.params(), {.lr = 0.1, .nesterov = true}), Error);
  CHECK_THROWS_AS(Adam<double>(toy.params(), {.beta1 = 1.0}), Error);
  CHECK_THROWS_AS(RAdam<double>({}, {}), Error);
  CHECK_THROWS_AS(ranger(toy.params(), {.k = 0}), Error);
  SGD<double> opt({&toy.a}, {.lr = 0.1});
  CHECK_THROWS_WITH_AS(opt.add_param_group({&toy.a}, 0.01),
                       doctest::Contains("more than one group"), Error);
  toy.a.grad = Tensor<double>({4}, 0.0);
  CHECK_THROWS_WITH_AS(opt.step(), doctest::Contains("gradient of shape [4]"), Error);
}

TEST_CASE("float parameters and class template argument deduction") {
  nn::Parameter<float> p;
  p.init({3});
  p.value.fill(1.0f);
  std::vector<nn::Parameter<float>*> params{&p};
  SGD opt(params, {.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 1e-4});
  static_assert(std::is_same_v<decltype(opt), SGD<float>>);
  p.grad.fill(1.0f);
  opt.step();  // d = 1 + 1e-4; buf = d; p -= 0.1 * (d + 0.9 d)
  CHECK(p.value[0] == doctest::Approx(1.0 - 0.1 * 1.9 * 1.0001).epsilon(1e-6));
  auto rg = ranger(params);
  rg.step();
  opt.zero_grad();
  CHECK(p.grad[1] == 0.0f);

  nn::Parameter<double> scalar;  // rank 0
  scalar.init(Shape{});
  scalar.value[0] = 2.0;
  scalar.grad[0] = 1.0;
  Adam adam(std::vector<nn::Parameter<double>*>{&scalar}, {.lr = 0.1});
  adam.step();  // the first Adam step moves by lr: m/sqrt(v) = 1
  CHECK(scalar.value[0] == doctest::Approx(1.9).epsilon(1e-7));
}

TEST_CASE("freezing is honoured at step time: a body frozen before the optimizer is built trains once unfrozen") {
  // fastai's and PyTorch's semantics (the Wu & Boada fine-tune path): nn::parameters holds frozen
  // parameters too, each optimizer skips them while frozen and updates them once unfrozen.
  using Net = nn::Sequential<nn::Linear<3, 4>, nn::ReLU, nn::Linear<4, 2>>;
  auto check = [](const char* which, auto make) {
    INFO(which);
    manual_seed(3);
    nn::layer_t<Net, double> model;
    auto& body = model.template get<0>();
    nn::freeze(body);
    auto params = nn::parameters(model);
    CHECK(params.size() == 4);  // frozen or not, every parameter
    CHECK(nn::trainable_parameters(model).size() == 2);
    auto opt = make(params);
    auto weights = [](auto& layer) {
      std::vector<double> w;
      for (auto* p : nn::parameters(layer)) w.insert(w.end(), p->value.data(), p->value.data() + p->value.numel());
      return w;
    };
    auto step = [&](int t) {
      for (auto* p : params)  // frozen parameters get gradients too: the optimizer must ignore them
        for (std::int64_t i = 0; i < p->grad.numel(); ++i) p->grad[i] = std::sin(double(i + 3 * t)) + 0.1;
      opt.step();
    };
    const auto body0 = weights(body), head0 = weights(model.template get<2>());
    for (int t = 1; t <= 3; ++t) step(t);
    CHECK(weights(body) == body0);
    CHECK(weights(model.template get<2>()) != head0);
    nn::unfreeze(body);
    step(4);
    const auto body1 = weights(body);
    CHECK(body1 != body0);
    for (std::size_t i = 0; i < body0.size(); ++i) CHECK(body1[i] != body0[i]);  // every element moved
  };
  check("SGD", [](auto p) { return SGD<double>(p, {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-4}); });
  check("Adam", [](auto p) { return Adam<double>(p, {.lr = 1e-2}); });
  check("AdamW", [](auto p) { return AdamW<double>(p, {.lr = 1e-2, .weight_decay = 0.01}); });
  check("RAdam", [](auto p) { return RAdam<double>(p, {.lr = 1e-2}); });
  check("ranger", [](auto p) { return ranger(p, {.lr = 1e-2, .k = 2}); });
}
