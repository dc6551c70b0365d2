// DataLoader ordering, determinism and bad-sample policy; checkpoints that resume bit-identically.
#include <doctest/doctest.h>

#include <filesystem>
#include <galnet/data/loader.hpp>
#include <galnet/galnet.hpp>
#include <galnet/io/checkpoint.hpp>
#include <galnet/optim.hpp>
#include <galnet/train/fit.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <set>

using namespace galnet;

namespace {
/// Synthetic source: image = blob whose radius is the target, with seeded noise ("augmentation").
struct BlobSource {
  std::size_t n = 100;
  std::set<std::size_t> broken;  ///< indices that fail to load
  [[nodiscard]] std::size_t size() const { return n; }
  [[nodiscard]] Shape sample_shape() const { return Shape{1, 8, 8}; }
  [[nodiscard]] int target_count() const { return 1; }
  void load(std::size_t i, float* img, float* tgt, Generator& g) {
    GALNET_CHECK(!broken.count(i), "blob_", i, ".jpg: corrupt JPEG data");
    const double r = 1.0 + 2.0 * static_cast<double>(i % 10) / 10.0;
    for (int a = 0; a < 8; ++a)
      for (int b = 0; b < 8; ++b)
        img[a * 8 + b] = static_cast<float>(std::exp(-((a - 3.5) * (a - 3.5) + (b - 3.5) * (b - 3.5)) / (2 * r * r)) +
                                            0.05 * g.normal());
    tgt[0] = static_cast<float>(r - 2.0);
  }
};
}  // namespace

TEST_CASE("DataLoader: every sample once per epoch, in a seeded order independent of workers") {
  BlobSource src;
  std::vector<std::vector<float>> runs;
  for (int workers : {1, 2, 3}) {
    data::DataLoader loader(src, {}, {.batch_size = 16, .seed = 5, .workers = workers, .prefetch = 3});
    CHECK(loader.batches_per_epoch() == 7);
    loader.start_epoch(2);
    data::Batch b;
    std::multiset<std::size_t> seen;
    std::vector<float> all;
    while (loader.next(b)) {
      seen.insert(b.indices.begin(), b.indices.end());
      all.insert(all.end(), b.images.data(), b.images.data() + b.images.numel());
    }
    CHECK(seen.size() == 100);
    CHECK(std::set<std::size_t>(seen.begin(), seen.end()).size() == 100);
    runs.push_back(all);
  }
  CHECK(runs[0] == runs[1]);
  CHECK(runs[0] == runs[2]);
}

TEST_CASE("DataLoader: epochs differ, drop_last, subsets") {
  BlobSource src;
  data::DataLoader loader(src, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {.batch_size = 4, .drop_last = true, .seed = 1});
  CHECK(loader.batches_per_epoch() == 2);
  data::Batch b;
  std::vector<std::size_t> e0, e1;
  loader.start_epoch(0);
  while (loader.next(b)) e0.insert(e0.end(), b.indices.begin(), b.indices.end());
  loader.start_epoch(1);
  while (loader.next(b)) e1.insert(e1.end(), b.indices.begin(), b.indices.end());
  CHECK(e0.size() == 8);
  CHECK(e0 != e1);
  for (auto i : e0) CHECK(i < 10);
}

TEST_CASE("DataLoader: ranks load contiguous shares of one process's batches of batch_size x ranks") {
  BlobSource src;  // 100 samples: global batches of 3 x 8 = 24 -> 4 full and one of 4 (shares 1, 1, 2)
  data::DataLoader one(src, {}, {.batch_size = 24, .seed = 4, .workers = 2});
  std::vector<std::unique_ptr<data::DataLoader<BlobSource>>> ranks;
  for (int r = 0; r < 3; ++r)
    ranks.push_back(std::make_unique<data::DataLoader<BlobSource>>(
        src, std::vector<std::size_t>{}, data::LoaderOptions{.batch_size = 8, .seed = 4, .workers = 2, .rank = r, .ranks = 3}));
  for (auto& r : ranks) CHECK(r->batches_per_epoch() == one.batches_per_epoch());
  one.start_epoch(1);
  for (auto& r : ranks) r->start_epoch(1);
  data::Batch whole, part;
  std::vector<std::int64_t> last_shares;
  while (one.next(whole)) {
    std::vector<std::size_t> indices;
    std::vector<float> images;
    last_shares.clear();
    for (auto& r : ranks) {
      REQUIRE(r->next(part));
      indices.insert(indices.end(), part.indices.begin(), part.indices.end());
      images.insert(images.end(), part.images.data(), part.images.data() + part.images.numel());
      last_shares.push_back(part.size());
    }
    CHECK(indices == whole.indices);  // the same samples, in order
    CHECK(images == std::vector<float>(whole.images.data(), whole.images.data() + whole.images.numel()));
  }
  CHECK(last_shares == std::vector<std::int64_t>{1, 1, 2});
  for (auto& r : ranks) CHECK_FALSE(r->next(part));
  CHECK_THROWS_WITH_AS(data::DataLoader(src, {}, {.rank = 2, .ranks = 2}), doctest::Contains("rank 2 of 2"), Error);
}

TEST_CASE("DataLoader: unreadable samples stop the epoch or are skipped and counted") {
  BlobSource src;
  src.broken = {3, 50};
  {
    data::DataLoader loader(src, {}, {.batch_size = 10, .seed = 2});
    loader.start_epoch(0);
    data::Batch b;
    std::string message;
    try {
      while (loader.next(b)) {
      }
    } catch (const Error& e) {
      message = e.what();
    }
    CHECK(message.find("corrupt JPEG") != std::string::npos);
  }
  data::DataLoader loader(src, {}, {.batch_size = 10, .seed = 2, .on_error = data::BadSamplePolicy::skip});
  loader.start_epoch(0);
  data::Batch b;
  std::int64_t total = 0;
  while (loader.next(b)) {
    total += b.size();
    CHECK(b.targets.dim(0) == b.size());
  }
  CHECK(total == 98);
  CHECK(loader.skipped() == 2);
}

namespace {
/// A stand-in for the GPU's page-locked memory: ordinary memory that records which blocks a
/// "GPU" is still reading (marked by the test, as BatchUpload<Cuda> marks its copies) and
/// flags a sample written into such a block before wait_unused released it.
struct FakePinned {
  static inline std::mutex mutex;
  static inline std::map<const char*, std::size_t> live;  ///< block → bytes
  static inline std::set<const void*> reading;
  static inline long waits = 0;
  static inline std::atomic<bool> overwritten{false};

  static void* allocate(std::size_t bytes) {
    void* p = Cpu::allocate(bytes);
    const std::lock_guard lock(mutex);
    live[static_cast<const char*>(p)] = bytes;
    return p;
  }
  static void deallocate(void* p) noexcept {
    {
      const std::lock_guard lock(mutex);
      live.erase(static_cast<const char*>(p));
      reading.erase(p);
    }
    Cpu::deallocate(p);
  }
  static void wait_unused(const void* p) {
    const std::lock_guard lock(mutex);
    reading.erase(p);
    ++waits;
  }
  /// Called for each write into a batch: is its block still being read?
  static void check_write(const void* dst) {
    const std::lock_guard lock(mutex);
    auto it = live.upper_bound(static_cast<const char*>(dst));
    if (it == live.begin()) return;
    --it;
    if (static_cast<const char*>(dst) < it->first + it->second && reading.count(it->first)) overwritten = true;
  }
  static inline std::atomic<int> adopted{0};
  static int context() { return 42; }
  static void adopt_context(int c) {
    if (c == 42) ++adopted;
  }
  static constexpr HostMemory memory{"fake pinned", &allocate, &deallocate, &wait_unused, &context, &adopt_context};
};

/// Makes FakePinned the program's pinned host memory (or none) for a scope.
struct PinnedScope {
  explicit PinnedScope(const HostMemory* m) : saved(galnet::detail::pinned_host_memory_slot()) {
    galnet::detail::pinned_host_memory_slot() = m;
  }
  PinnedScope(const PinnedScope&) = delete;
  PinnedScope& operator=(const PinnedScope&) = delete;
  ~PinnedScope() { galnet::detail::pinned_host_memory_slot() = saved; }
  const HostMemory* saved;
};

struct WatchedBlobSource : BlobSource {
  void load(std::size_t i, float* img, float* tgt, Generator& g) {
    FakePinned::check_write(img);
    FakePinned::check_write(tgt);
    BlobSource::load(i, img, tgt, g);
  }
};
}  // namespace

TEST_CASE("DataLoader: pin_memory builds batches in pinned memory, never rewriting one still being read") {
  WatchedBlobSource src;
  std::vector<float> plain, pinned;
  {
    data::DataLoader loader(src, {}, {.batch_size = 8, .seed = 3, .workers = 2, .prefetch = 2});
    loader.start_epoch(0);
    data::Batch b;
    while (loader.next(b)) plain.insert(plain.end(), b.images.data(), b.images.data() + b.images.numel());
  }
  {
    const PinnedScope scope(&FakePinned::memory);
    {
      data::DataLoader loader(src, {}, {.batch_size = 8, .seed = 3, .workers = 2, .prefetch = 2, .pin_memory = true});
      data::Batch b;
      for (int epoch = 0; epoch < 2; ++epoch) {
        loader.start_epoch(0);
        while (loader.next(b)) {
          CHECK(b.images.host_memory() == &FakePinned::memory);
          CHECK(b.targets.host_memory() == &FakePinned::memory);
          if (epoch == 0) pinned.insert(pinned.end(), b.images.data(), b.images.data() + b.images.numel());
          const std::lock_guard lock(FakePinned::mutex);  // the "GPU" now reads both
          FakePinned::reading.insert(b.images.data());
          FakePinned::reading.insert(b.targets.data());
        }
      }
    }
    CHECK(FakePinned::live.empty());  // every block went back through the pinned memory
  }
  CHECK(pinned == plain);
  CHECK(FakePinned::waits > 0);        // buffers were reused, each after its wait
  CHECK(FakePinned::adopted.load() == 4);  // two workers in each of two epochs took the context
  CHECK_FALSE(FakePinned::overwritten.load());
}

TEST_CASE("DataLoader: pin_memory in a program without a GPU backend is a clear error") {
  BlobSource src;
  const PinnedScope scope(nullptr);
  CHECK_THROWS_WITH_AS(data::DataLoader(src, {}, {.pin_memory = true}),
                       doctest::Contains("pin_memory asks for page-locked batches, but this program has no GPU backend"),
                       Error);
}

namespace {
using Net = nn::Sequential<nn::Conv2d<1, 4, 3, 1, 1>, nn::BatchNorm2d<4>, nn::ReLU, nn::Flatten,
                           nn::Dropout<0.2>, nn::Linear<256, 1>>;

/// Trains epochs [from, to); when `resume` is given, restores it first; when `save` is given,
/// checkpoints after each epoch. Returns the final weights.
std::vector<float> run(int from, int to, const std::filesystem::path& save, const std::filesystem::path& resume) {
  manual_seed(from == 0 ? 99 : 12345);  // a resumed run starts from different initial weights
  nn::layer_t<Net, float> model;
  auto opt = optim::ranger(nn::parameters(model), {.lr = 1e-2});
  const int epochs = 3;
  BlobSource src;
  data::DataLoader loader(src, {}, {.batch_size = 16, .seed = 7, .workers = 2});
  optim::OneCycle sched({.total_steps = static_cast<std::int64_t>(epochs * loader.batches_per_epoch())});
  nn::MSELoss<float> loss;
  std::int64_t step = 0;
  if (!resume.empty()) {
    const auto p = io::load_checkpoint(resume, model, opt);
    CHECK(p.epoch == from);
    step = p.step;
  }
  data::Batch b;
  for (int e = from; e < to; ++e) {
    loader.start_epoch(e);
    while (loader.next(b)) {
      sched.apply(opt, step++);
      opt.zero_grad();
      loss.forward(model.forward(b.images), b.targets);
      model.backward(loss.backward());
      opt.step();
    }
    if (!save.empty()) io::save_checkpoint(save, model, opt, {.epoch = e + 1, .step = step});
  }
  std::vector<float> w;
  for (auto& [name, t] : nn::named_state(model)) w.insert(w.end(), t->data(), t->data() + t->numel());
  return w;
}
}  // namespace

TEST_CASE("checkpoint: a run resumed after epoch 1 ends bit-identical to an uninterrupted one") {
  const auto dir = std::filesystem::temp_directory_path() / "galnet_ckpt_test";
  std::filesystem::create_directories(dir);
  const auto full = run(0, 3, {}, {});
  run(0, 1, dir / "ckpt.safetensors", {});
  const auto resumed = run(1, 3, {}, dir / "ckpt.safetensors");
  REQUIRE(full.size() == resumed.size());
  CHECK(std::memcmp(full.data(), resumed.data(), full.size() * sizeof(float)) == 0);
  // Nothing but the checkpoint in the folder: no temp files left behind.
  int files = 0;
  for ([[maybe_unused]] auto& f : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("checkpoint: loading into a different optimizer names the file and the missing state") {
  const auto path = std::filesystem::temp_directory_path() / "galnet_ckpt_sgd.safetensors";
  nn::layer_t<Net, float> model;
  optim::SGD<float> sgd(nn::parameters(model), {.lr = 0.1, .momentum = 0.9});
  io::save_checkpoint(path, model, sgd, {.epoch = 1});
  auto adam = optim::Adam<float>(nn::parameters(model), {});
  std::string message;
  try {
    io::load_checkpoint(path, model, adam);
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message.find(path.filename().string()) != std::string::npos);
  CHECK(message.find("exp_avg") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("fit: a freezing phase set per epoch holds across --resume, and the body trains after it") {
  // Wu & Boada's fine-tune path: the optimizer holds every parameter; before_epoch freezes the
  // body (here the convolution) for epochs 0 and 1, so the body is unchanged after 2 epochs and
  // changed after the third, and a run resumed from the epoch-2 checkpoint ends bit-identical.
  const auto dir = std::filesystem::temp_directory_path() / "galnet_freeze_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  struct Weights {
    std::vector<float> body_before, body_after, all;
  };
  auto train = [&](int epochs, bool resume) {
    manual_seed(resume ? 5 : 17);  // a resumed run starts from other weights: the checkpoint must restore them
    nn::layer_t<Net, float> model;
    auto& body = model.template get<0>();
    Weights w{.body_before = body.weight().value.to_vector()};
    optim::SGD<float> opt(nn::parameters(model), {.lr = 0.01, .momentum = 0.9});  // far from diverging on any init
    BlobSource src;
    data::DataLoader loader(src, {}, {.batch_size = 16, .seed = 7, .workers = 1});
    nn::MSELoss<float> loss;
    train::FitHooks hooks;
    hooks.before_epoch = [&](int e) { nn::set_requires_grad(body, e >= 2); };
    train::fit(model, opt, loss, loader, static_cast<data::DataLoader<BlobSource>*>(nullptr),
               {.epochs = epochs, .checkpoint = dir / "ckpt.safetensors", .resume = resume, .progress = false}, hooks);
    w.body_after = body.weight().value.to_vector();
    for (auto& [name, t] : nn::named_state(model)) w.all.insert(w.all.end(), t->data(), t->data() + t->numel());
    return w;
  };
  const auto two = train(2, false);
  CHECK(two.body_after == two.body_before);  // frozen through epochs 1 and 2
  const auto resumed = train(3, true);
  CHECK(resumed.body_after != two.body_after);  // trained in epoch 3, after the resume
  std::filesystem::remove(dir / "ckpt.safetensors");
  const auto full = train(3, false);
  CHECK(full.body_after != full.body_before);
  REQUIRE(resumed.all.size() == full.all.size());
  CHECK(std::memcmp(resumed.all.data(), full.all.data(), full.all.size() * sizeof(float)) == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("fit: a validation loader without batches is an error that says so, before any training") {
  manual_seed(3);
  nn::layer_t<Net, float> model;
  const auto before = model.get<0>().weight().value.to_vector();
  optim::SGD<float> opt(nn::parameters(model), {.lr = 0.05});
  BlobSource src;
  data::DataLoader loader(src, {}, {.batch_size = 16, .seed = 7, .workers = 1});
  data::DataLoader valid(src, {0, 1, 2}, {.batch_size = 16, .drop_last = true, .workers = 1});  // 3 samples, no full batch
  nn::MSELoss<float> loss;
  CHECK_THROWS_WITH_AS(train::fit(model, opt, loss, loader, &valid, {.epochs = 1, .progress = false}),
                       doctest::Contains("the validation loader has no batches (3 samples)"), Error);
  CHECK(model.get<0>().weight().value.to_vector() == before);
}

TEST_CASE("fit: a loss that turns non-finite stops the run, naming it, and the last good checkpoint stays") {
  /// MSE that gives NaN in epoch 2, in training or in validation (eval mode).
  struct DivergingLoss {
    const nn::layer_t<Net, float>* model;
    bool in_validation;
    int epoch = 0;
    nn::MSELoss<float> mse;
    float forward(const Tensor<float>& p, const Tensor<float>& y) {
      const float l = mse.forward(p, y);
      return epoch == 2 && model->training() != in_validation ? NAN : l;
    }
    const Tensor<float>& backward() const { return mse.backward(); }
  };
  const auto dir = std::filesystem::temp_directory_path() / "galnet_diverge_test";
  for (const bool in_validation : {false, true}) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    manual_seed(3);
    nn::layer_t<Net, float> model;
    optim::SGD<float> opt(nn::parameters(model), {.lr = 0.05});
    BlobSource src;
    data::DataLoader loader(src, {}, {.batch_size = 16, .seed = 7, .workers = 1});
    data::DataLoader valid(src, {0, 1, 2, 3}, {.batch_size = 16, .shuffle = false, .workers = 1});
    DivergingLoss loss{&model, in_validation};
    train::FitHooks hooks;
    hooks.before_epoch = [&](int e) { loss.epoch = e + 1; };
    CAPTURE(in_validation);
    CHECK_THROWS_WITH_AS(train::fit(model, opt, loss, loader, &valid,
                                    {.epochs = 3, .checkpoint = dir / "ckpt.safetensors", .progress = false}, hooks),
                         doctest::Contains(in_validation ? "the validation loss became nan at epoch 2"
                                                         : "the training loss became nan at epoch 2"),
                         Error);
    CHECK(io::SafetensorsFile::read(dir / "ckpt.safetensors").metadata().at("train.epoch") == "1");
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("fit: the best epoch by validation loss is reported once each, and early_stop stops on time, across resume") {
  /// MSE in training; in validation a scripted loss per epoch: best at epoch 2 (epoch 4 only ties it).
  struct ScriptedLoss {
    const nn::layer_t<Net, float>* model;
    int epoch = 0;
    nn::MSELoss<float> mse;
    float forward(const Tensor<float>& p, const Tensor<float>& y) {
      static constexpr float valid[] = {5, 3, 4, 3, 6, 7, 8, 9, 10, 11};
      const float l = mse.forward(p, y);
      return model->training() ? l : valid[epoch - 1];
    }
    const Tensor<float>& backward() const { return mse.backward(); }
  };
  const auto dir = std::filesystem::temp_directory_path() / "galnet_early_stop_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto train = [&](int epochs, int patience, bool resume, std::vector<int>* best) {
    manual_seed(3);
    nn::layer_t<Net, float> model;
    optim::SGD<float> opt(nn::parameters(model), {.lr = 0.01});
    BlobSource src;
    data::DataLoader loader(src, {}, {.batch_size = 16, .seed = 7, .workers = 1});
    data::DataLoader valid(src, {0, 1, 2, 3}, {.batch_size = 16, .shuffle = false, .workers = 1});
    ScriptedLoss loss{&model};
    train::FitHooks hooks;
    hooks.before_epoch = [&](int e) { loss.epoch = e + 1; };
    hooks.on_best = [&](const train::EpochRecord& r) { best->push_back(r.epoch); };
    return train::fit(model, opt, loss, loader, &valid,
                      {.epochs = epochs, .checkpoint = dir / "ckpt.safetensors", .resume = resume, .progress = false,
                       .early_stop = patience},
                      hooks);
  };
  std::vector<int> best;
  auto h = train(10, 3, false, &best);
  CHECK(h.size() == 5);  // epochs 3, 4 and 5 without a loss below epoch 2's: stop
  CHECK(best == std::vector<int>{1, 2});
  CHECK(train::best_record(h)->epoch == 2);
  // Without early stopping every epoch runs; the best is the same.
  best.clear();
  std::filesystem::remove(dir / "ckpt.safetensors");
  h = train(7, 0, false, &best);
  CHECK(h.size() == 7);
  CHECK(best == std::vector<int>{1, 2});
  // Interrupted after epoch 3 and resumed: the best comes from the checkpoint's history, and the
  // resumed run stops after epoch 5 too, reporting no new best.
  best.clear();
  std::filesystem::remove(dir / "ckpt.safetensors");
  train(3, 3, false, &best);
  CHECK(best == std::vector<int>{1, 2});
  best.clear();
  h = train(10, 3, true, &best);
  CHECK(h.size() == 5);
  CHECK(best.empty());
  // A run that stopped early and is resumed again stops at once.
  h = train(10, 3, true, &best);
  CHECK(h.size() == 5);
  CHECK_THROWS_WITH_AS(train(10, -1, false, &best), doctest::Contains("early_stop = -1"), Error);
  std::filesystem::remove_all(dir);
}
