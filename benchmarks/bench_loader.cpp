// Data loader throughput: 160-px JPEG cutouts decoded, centre-cropped to 144, flipped and
// normalised by the DataLoader's worker threads (the SFNet input path), in images/s.
// The cutouts are rendered once into a temporary folder by the mock survey.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <galnet/data/image_source.hpp>
#include <galnet/data/loader.hpp>
#include <galnet/data/mock_survey.hpp>
#include <galnet/core/atomic_file.hpp>

using namespace galnet;
namespace fs = std::filesystem;

namespace {
const fs::path& survey() {
  static const fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / "galnet_bench_loader";
    fs::create_directories(d / "images");
    std::string csv = "objID,oh_p50\n";
    for (int i = 0; i < 512; ++i) {
      const auto g = data::mock::draw_galaxy(3, static_cast<std::uint64_t>(i));
      data::Image img;
      img.height = img.width = 160;
      img.channels = 3;
      img.pixels = data::mock::render(g, 160, 0.262, static_cast<std::uint64_t>(i));
      data::write_jpeg(d / "images" / (std::to_string(g.obj_id) + ".jpg"), img, 95);
      csv += std::to_string(g.obj_id) + "," + std::to_string(g.oh) + "\n";
    }
    galnet::write_file_atomically(d / "galaxies.csv", csv);
    return d;
  }();
  return dir;
}

void BM_Loader_SFNet160(benchmark::State& state) {
  const auto catalog = data::Catalog::read_csv(survey() / "galaxies.csv");
  data::CatalogImageSource source(catalog, {.images = survey() / "images", .targets = {"oh_p50"}, .crop = 144,
                                            .augment = data::sfnet_augment(), .cache = state.range(1) != 0});
  data::DataLoader loader(source, {}, {.batch_size = 64, .seed = 1, .workers = static_cast<int>(state.range(0))});
  data::Batch batch;
  std::int64_t images = 0, epoch = 0;
  for (auto _ : state) {
    loader.start_epoch(epoch++);
    while (loader.next(batch)) images += batch.size();
  }
  state.SetItemsProcessed(images);
}
}  // namespace

// Args: workers, in-memory uint8 cache (second epoch on skips JPEG decoding).
BENCHMARK(BM_Loader_SFNet160)->ArgNames({"workers", "cache"})->Args({1, 0})->Args({2, 0})->Args({2, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);
BENCHMARK_MAIN();
