// read_survey — reads a survey (a catalog + cutouts, e.g. written by mock_survey) through
// galnet's data loader and prints what the first batches hold: the shortest path from files
// on disk to NCHW tensors a model can train on.
//   read_survey --catalog DIR/galaxies.csv --images DIR/images-sdss --target oh_p50 [--crop 144]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <galnet/data/image_source.hpp>
#include <galnet/data/loader.hpp>

using namespace galnet;

int main(int argc, char** argv) {
  CLI::App app{"read_survey: a catalog and its cutouts through galnet's DataLoader"};
  std::string catalog_path, images;
  std::vector<std::string> targets{"oh_p50"};
  int crop = 0, batch_size = 64, workers = 2, batches = 3;
  app.add_option("--catalog", catalog_path, "CSV catalog with an objID column")->required();
  app.add_option("--images", images, "folder of {objID}.jpg cutouts")->required();
  app.add_option("--target", targets, "catalog columns to load as targets");
  app.add_option("--crop", crop, "centre crop (SFNet: 144)");
  app.add_option("--batch-size", batch_size);
  app.add_option("--workers", workers);
  app.add_option("--batches", batches, "how many batches to show");
  CLI11_PARSE(app, argc, argv);

  try {
    const auto catalog = data::Catalog::read_csv(catalog_path);
    data::CatalogImageSource source(catalog, {.images = images, .targets = targets, .crop = crop,
                                              .augment = data::sfnet_augment()});
    data::DataLoader loader(source, {}, {.batch_size = batch_size, .seed = 256, .workers = workers});
    std::printf("%zu galaxies, %zu batches of %d; sample shape %s, %d target(s)\n", catalog.size(),
                loader.batches_per_epoch(), batch_size, source.sample_shape().str().c_str(), source.target_count());
    loader.start_epoch(0);
    data::Batch batch;
    const auto t0 = std::chrono::steady_clock::now();
    for (int b = 0; b < batches && loader.next(batch); ++b) {
      double lo = 1e30, hi = -1e30, sum = 0;
      for (std::int64_t i = 0; i < batch.images.numel(); ++i) {
        lo = std::min<double>(lo, batch.images[i]);
        hi = std::max<double>(hi, batch.images[i]);
        sum += batch.images[i];
      }
      std::printf("batch %d: images %s  pixels min %.3f mean %.3f max %.3f  first objID %s  %s = %.4f\n", b,
                  batch.images.shape().str().c_str(), lo, sum / static_cast<double>(batch.images.numel()), hi,
                  catalog.id(batch.indices[0]).c_str(), targets.empty() ? "-" : targets[0].c_str(),
                  batch.targets.numel() ? batch.targets[0] : 0.0f);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%.1f images/s while printing (decode + augment, %d workers)\n", batches * batch_size / s, workers);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "read_survey: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
