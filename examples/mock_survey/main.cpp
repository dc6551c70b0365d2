// mock_survey — writes a mock galaxy survey in the layout one of the papers read:
//   sfnet     DIR/galaxies.csv + DIR/images-sdss/{objID}.jpg   160 px at 0.262″/px (Wu 2025)
//   wu_boada  DIR/train.csv    + DIR/images/{objID}.jpg        128 px at 0.296″/px (Wu & Boada 2019)
//   spin      DIR/galaxies.csv + DIR/images/{objID}.jpg         80 px, field ∝ galaxy size (sdss_CNN)
// Every catalog carries the same columns (objID, ra, dec, z, oh_p50, lgm_tot_p50, sfr_tot_p50,
// the four line fluxes and errors, bptclass, lambda_re and the true structure). The physics is
// in galnet/data/mock_survey.hpp; docs/mock_survey.md explains it and the floor it sets.
// Usage: mock_survey --layout sfnet|wu_boada|spin --n N --seed S --out DIR [--format jpg|png|fits]
//                    [--threads T] [--overwrite]
// --format png writes lossless {objID}.png cutouts of the same rendered galaxies; --format fits
// (where built with CFITSIO) their g, r, i fluxes as float32 cubes {objID}.fits, whose asinh
// stretch with Q = 4, stretch = 0.4 (`--asinh-q 4 --asinh-stretch 0.4`) is the PNG's colours.
#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <galnet/core/parallel.hpp>
#include <galnet/data/image.hpp>
#include <galnet/data/mock_survey.hpp>
#include <galnet/core/atomic_file.hpp>
#if defined(GALNET_WITH_CFITSIO)
#include <galnet/data/fits.hpp>
#endif
#include <iostream>
#include <string>

namespace fs = std::filesystem;
using namespace galnet;

namespace {
struct Layout {
  std::string catalog, images;
  int size;
  double arcsec_per_pixel;  ///< 0: scale the field with the galaxy (spin)
};

Layout layout_named(const std::string& name) {
  if (name == "sfnet") return {"galaxies.csv", "images-sdss", 160, 0.262};
  if (name == "wu_boada") return {"train.csv", "images", 128, 0.296};
  if (name == "spin") return {"galaxies.csv", "images", 80, 0.0};
  fail("mock_survey: unknown layout '", name, "' (use sfnet, wu_boada or spin)");
}

std::string csv_row(const data::mock::Galaxy& g) {
  char buf[768];
  std::snprintf(buf, sizeof buf,
                "%llu,%.6f,%.6f,%.5f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%d,%.4f,%.3f,%.3f,%.3f,%.4f,%.4f\n",
                static_cast<unsigned long long>(g.obj_id), g.ra, g.dec, g.z, g.oh, g.lgm, g.sfr, g.flux[0], g.flux_err[0],
                g.flux[1], g.flux_err[1], g.flux[2], g.flux_err[2], g.flux[3], g.flux_err[3], g.bptclass, g.lambda_re,
                g.sersic_n, g.r_eff_arcsec, g.axis_ratio, g.g_r, g.r_i);
  return buf;
}
constexpr const char* kHeader =
    "objID,ra,dec,z,oh_p50,lgm_tot_p50,sfr_tot_p50,nii_6584_flux,nii_6584_flux_err,h_alpha_flux,h_alpha_flux_err,"
    "oiii_5007_flux,oiii_5007_flux_err,h_beta_flux,h_beta_flux_err,bptclass,lambda_re,sersic_n,r_eff_arcsec,"
    "axis_ratio,g_r,r_i\n";
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mock_survey: a mock galaxy survey with known answers, in a paper's data layout"};
  std::string layout_name = "sfnet", out;
  long long n = 1000;
  unsigned long long seed = 1;
  int threads = 2;
  bool overwrite = false;
  std::string format = "jpg";
  app.add_option("--layout", layout_name, "sfnet, wu_boada or spin")->check(CLI::IsMember({"sfnet", "wu_boada", "spin"}));
  app.add_option("--n", n, "number of galaxies")->check(CLI::Range(1LL, 100000000LL));
  app.add_option("--seed", seed, "random seed (the survey is a function of it)");
  app.add_option("--out", out, "output folder")->required();
  app.add_option("--threads", threads, "threads, 1–1024")->check(CLI::Range(1, 1024));
  app.add_option("--format", format, "cutout files: jpg (quality 95, as SDSS serves them), png (lossless) or fits "
                 "(the g, r, i fluxes before the colour stretch)")
      ->capture_default_str()
      ->check(CLI::IsMember({"jpg", "png", "fits"}));
  app.add_flag("--overwrite", overwrite, "write into an --out that is not empty, removing what is there first");
  CLI11_PARSE(app, argc, argv);

  try {
#if !defined(GALNET_WITH_CFITSIO)
    GALNET_CHECK(format != "fits", "mock_survey: --format fits needs CFITSIO, which this build lacks (Debian: apt-get "
                 "install libcfitsio-dev, then build again)");
#endif
    const Layout layout = layout_named(layout_name);
    const fs::path dir(out), image_dir = dir / layout.images;
    // Old and new cutouts must never mix: an earlier survey is kept unless --overwrite replaces
    // it, and --overwrite removes only a survey's own catalog and cutout folder.
    const bool occupied = fs::exists(dir) && !fs::is_empty(dir);
    GALNET_CHECK(!occupied || overwrite, "mock_survey: '", dir.string(), "' is not empty (an earlier survey?); give "
                 "--overwrite to replace it, or another --out");
    if (occupied) {
      for (const auto& e : fs::directory_iterator(dir))
        GALNET_CHECK(e.path().filename() == layout.catalog || e.path().filename() == layout.images,
                     "mock_survey --overwrite: '", dir.string(),
                     "' holds '", e.path().filename().string(), "', which no mock survey writes; nothing was removed");
      fs::remove_all(image_dir);
      fs::remove(dir / layout.catalog);
    }
    fs::create_directories(image_dir);
    set_num_threads(threads);
    std::vector<std::string> rows(static_cast<std::size_t>(n));
    std::atomic<long long> done{0};
    std::string error;
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 16)
#endif
    for (long long i = 0; i < n; ++i) {
      try {
        const auto g = data::mock::draw_galaxy(seed, static_cast<std::uint64_t>(i));
        const double scale = layout.arcsec_per_pixel > 0 ? layout.arcsec_per_pixel : 17.0 * g.r_eff_arcsec / layout.size;
        const std::uint64_t noise_seed = seed * 7919 + static_cast<std::uint64_t>(i);
        const fs::path file = image_dir / (std::to_string(g.obj_id) + "." + format);
        if (format == "fits") {
#if defined(GALNET_WITH_CFITSIO)
          data::write_fits(file, {3, layout.size, layout.size, data::mock::render_bands(g, layout.size, scale, noise_seed)},
                           {.flip_y = true});
#endif
        } else {
          data::Image img;
          img.height = img.width = layout.size;
          img.channels = 3;
          img.pixels = data::mock::render(g, layout.size, scale, noise_seed);
          if (format == "png") data::write_png(file, img);
          else data::write_jpeg(file, img, 95);
        }
        rows[static_cast<std::size_t>(i)] = csv_row(g);
        const long long k = ++done;
        if (k % 1000 == 0) std::fprintf(stderr, "mock_survey: %lld / %lld galaxies\n", k, n);
      } catch (const std::exception& e) {
#if defined(_OPENMP)
#pragma omp critical
#endif
        if (error.empty()) error = e.what();
      }
    }
    if (!error.empty()) fail(error);
    // The catalog last, atomically: a run that stopped early leaves no catalog to be misread.
    std::string csv = kHeader;
    for (const auto& r : rows) csv += r;
    galnet::write_file_atomically(dir / layout.catalog, csv);
    std::printf("mock_survey: wrote %lld galaxies (%s layout) to %s\n", n, layout_name.c_str(), dir.string().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mock_survey: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
