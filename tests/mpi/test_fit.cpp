// train::fit across ranks (run by ctest as `mpirun -np 2`): N ranks × batch B follow one process
// × batch N·B epoch by epoch — uneven last shares and skipped samples included — every rank
// ends with the same weights, and rank 0's checkpoint resumes the run on every rank.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <galnet/data/loader.hpp>
#include <galnet/dist/mpi.hpp>
#include <galnet/galnet.hpp>
#include <galnet/optim.hpp>
#include <galnet/train/fit.hpp>
#include <set>

using namespace galnet;

namespace {
/// A blob whose width is the target, plus seeded noise (the "augmentation").
struct BlobSource {
  std::size_t n = 21;            // 21 = 2 global batches of 8 and one of 5: shares 2 and 3
  std::set<std::size_t> broken;  // left out by the skip policy
  [[nodiscard]] std::size_t size() const { return n; }
  [[nodiscard]] Shape sample_shape() const { return Shape{1, 6, 6}; }
  [[nodiscard]] int target_count() const { return 1; }
  void load(std::size_t i, float* img, float* tgt, Generator& g) const {
    GALNET_CHECK(!broken.count(i), "blob_", i, ".jpg: corrupt JPEG data");
    const double r = 1.0 + 0.2 * static_cast<double>(i % 10);
    for (int a = 0; a < 6; ++a)
      for (int b = 0; b < 6; ++b)
        img[a * 6 + b] = static_cast<float>(std::exp(-((a - 2.5) * (a - 2.5) + (b - 2.5) * (b - 2.5)) / (2 * r * r)) +
                                            0.05 * g.normal());
    tgt[0] = static_cast<float>(r - 2.0);
  }
};

using Net = nn::Sequential<nn::Conv2d<1, 4, 3, 1, 1>, nn::ReLU, nn::MaxPool2d<2>, nn::Flatten, nn::Linear<36, 8>,
                           nn::ReLU, nn::Linear<8, 1>>;
using Model = nn::layer_t<Net, float>;
using NetBN = nn::Sequential<nn::Conv2d<1, 4, 3, 1, 1>, nn::BatchNorm2d<4>, nn::ReLU, nn::MaxPool2d<2>, nn::Flatten,
                             nn::Linear<36, 1>>;
using ModelBN = nn::layer_t<NetBN, float>;

template <class M>
std::vector<float> weights(M& m) {
  std::vector<float> w;
  for (auto& [name, t] : nn::named_state(m)) w.insert(w.end(), t->data(), t->data() + t->numel());
  return w;
}

double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0, scale = 1e-30;
  for (std::size_t i = 0; i < a.size(); ++i) {
    scale = std::max(scale, std::abs(static_cast<double>(a[i])));
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  }
  return worst / scale;
}

/// Trains `epochs` epochs with per-rank batch `batch` over `comm`; a different seed per rank for
/// the initial weights (fit broadcasts rank 0's).
template <class M = Model>
std::pair<std::vector<float>, std::vector<train::EpochRecord>> train_blobs(const dist::Communicator& comm, int batch,
                                                                           int epochs, BlobSource src,
                                                                           const std::filesystem::path& checkpoint = {},
                                                                           bool resume = false, bool sync_bn = false) {
  manual_seed(3 + static_cast<std::uint64_t>(comm.rank()));
  M model;
  // With batch norm, SGD: the gradient of the conv bias before it is zero but for rounding, which
  // Adam's normalisation would turn into steps of ±lr, different for every summation order.
  using Opt = std::conditional_t<std::is_same_v<M, ModelBN>, optim::SGD<float>, optim::Adam<float>>;
  Opt opt = [&] {
    if constexpr (std::is_same_v<M, ModelBN>) return Opt(nn::parameters(model), {.lr = 0.05, .momentum = 0.9});
    else return Opt(nn::parameters(model), {.lr = 3e-3});
  }();
  nn::MSELoss<float> loss;
  const auto rank = comm.rank(), ranks = comm.size();
  std::vector<std::size_t> train_rows(src.n - 5), valid_rows(5);
  std::iota(train_rows.begin(), train_rows.end(), std::size_t{0});
  std::iota(valid_rows.begin(), valid_rows.end(), src.n - 5);
  data::DataLoader tl(src, train_rows, {.batch_size = batch, .seed = 9, .workers = 1,
                                        .on_error = data::BadSamplePolicy::skip, .rank = rank, .ranks = ranks});
  data::DataLoader vl(src, valid_rows, {.batch_size = batch, .shuffle = false, .workers = 1, .rank = rank, .ranks = ranks});
  auto history = train::fit(model, opt, loss, tl, &vl,
                            {.epochs = epochs, .checkpoint = checkpoint, .resume = resume, .progress = false, .comm = &comm,
                             .sync_batchnorm = sync_bn});
  return {weights(model), history};
}

/// Rank 0's copy of v on every rank.
std::vector<float> rank0(std::vector<float> v, const dist::Communicator& comm) {
  comm.broadcast(v.data(), static_cast<std::int64_t>(v.size()));
  return v;
}
}  // namespace

TEST_CASE("fit: N ranks x batch B follow one process x batch N*B, uneven and skipped shares included") {
  dist::World world;
  BlobSource src;
  src.n = 8 * static_cast<std::size_t>(world.size()) + 5 + 5;  // two full global batches, one short; 5 to validate
  src.broken = {3, 12};
  const auto [mine, history] = train_blobs(world, 4, 3, src);
  const auto [one, one_history] = train_blobs(dist::single_process(), 4 * world.size(), 3, src);
  CHECK(mine == rank0(mine, world));  // every rank holds the same weights, bit for bit
  // The same batches, the same mean-loss gradients: only the order of the sums differs (float).
  CHECK(relative_difference(mine, one) < 1e-6);  // measured 5.4e-8 after 9 Adam steps
  REQUIRE(history.size() == 3);
  for (std::size_t e = 0; e < 3; ++e) {
    CAPTURE(e);
    CHECK(history[e].train_loss == doctest::Approx(one_history[e].train_loss).epsilon(1e-5));
    CHECK(history[e].valid_loss == doctest::Approx(one_history[e].valid_loss).epsilon(1e-5));
  }
}

TEST_CASE("fit: with sync_batchnorm, batch norm over N ranks x B normalises as one process x N*B") {
  dist::World world;
  BlobSource src;
  src.n = 8 * static_cast<std::size_t>(world.size()) + 5;  // two full global batches; 5 to validate
  const auto synced = train_blobs<ModelBN>(world, 4, 2, src, {}, false, true).first;
  const auto own = train_blobs<ModelBN>(world, 4, 2, src).first;
  const auto one = train_blobs<ModelBN>(dist::single_process(), 4 * world.size(), 2, src).first;
  CHECK(synced == rank0(synced, world));
  CHECK(own == rank0(own, world));  // rank 0's running statistics are broadcast each epoch
  CHECK(relative_difference(synced, one) < 1e-6);
  if (world.size() > 1) CHECK(relative_difference(own, one) > 1e-4);  // per-rank statistics differ
}

TEST_CASE("fit: rank 0 writes the checkpoint, every rank resumes from it and ends as if uninterrupted") {
  dist::World world;
  const auto dir = std::filesystem::temp_directory_path() / "galnet_mpi_fit";
  const auto ckpt = dir / "checkpoint.safetensors";
  if (world.root()) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  world.barrier();
  BlobSource src;
  const auto full = train_blobs(world, 4, 3, src).first;
  train_blobs(world, 4, 1, src, ckpt);
  world.barrier();
  CHECK(std::filesystem::exists(ckpt));
  const auto [resumed, history] = train_blobs(world, 4, 3, src, ckpt, true);
  CHECK(resumed == full);  // same rank count: bit for bit
  CHECK(history.size() == 3);
  world.barrier();
  if (world.root()) std::filesystem::remove_all(dir);
}

TEST_CASE("fit: a loader sharded for another rank count is refused, naming both") {
  dist::World world;
  BlobSource src;
  Model model;
  optim::SGD<float> opt(nn::parameters(model), {.lr = 0.1});
  nn::MSELoss<float> loss;
  data::DataLoader tl(src, {}, {.batch_size = 4, .workers = 1});  // ranks = 1
  if (world.size() > 1)
    CHECK_THROWS_WITH_AS(train::fit(model, opt, loss, tl, static_cast<data::DataLoader<BlobSource>*>(nullptr), {.progress = false, .comm = &world}),
                         doctest::Contains("shards for rank 0 of 1"), Error);
}
