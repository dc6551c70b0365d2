// Link test, translation unit B: galnet's header first, then the user's own stb_image
// IMPLEMENTATION (all formats, extern symbols) in the same translation unit.
#include <cstdint>
#include <string>
#include <vector>

#include "galnet/data/image.hpp"
// Every public umbrella, so any non-inline definition in a header shows up as a duplicate.
#include "galnet/galnet.hpp"
#include "galnet/io.hpp"
#include "galnet/models.hpp"
#include "galnet/optim.hpp"
#include "galnet/testing/gradcheck.hpp"

#ifdef STBI_INCLUDE_STB_IMAGE_H
#error "galnet/data/image.hpp leaked stb_image.h's include guard"
#endif
#ifdef STBI_NO_BMP
#error "galnet/data/image.hpp leaked its STBI_ONLY_* configuration"
#endif

#define STB_IMAGE_IMPLEMENTATION
#if __has_include(<stb/stb_image.h>)
#include <stb/stb_image.h>
#else
#include <stb_image.h>
#endif

// galnet's error message for a JPEG with no frame, from this translation unit.
std::string link_b_error() {
  const std::vector<std::uint8_t> bare = {0xFF, 0xD8, 0xFF, 0xD9};
  try {
    (void)galnet::data::decode_image(bare, "bare_b");
  } catch (const galnet::Error& e) {
    return e.what();
  }
  return "";
}

// Decodes with galnet's private copy; returns the pixel count.
int link_b_decode(const std::vector<std::uint8_t>& bytes) {
  const galnet::data::Image img = galnet::data::decode_image(bytes, "link_b");
  return img.height * img.width;
}

// The user's stb accepts formats galnet's copy does not (a 1x1 BMP).
int link_b_user_bmp() {
  const unsigned char bmp[] = {'B', 'M', 58, 0, 0, 0, 0, 0, 0,  0, 54, 0, 0, 0, 40, 0,  0,  0, 1, 0,
                               0,   0,   1,  0, 0, 0, 1, 0, 24, 0, 0,  0, 0, 0, 4,  0,  0,  0, 0, 0,
                               0,   0,   0,  0, 0, 0, 0, 0, 0,  0, 0,  0, 0, 0, 10, 20, 30, 0};
  int w = 0, h = 0, c = 0;
  unsigned char* p = stbi_load_from_memory(bmp, sizeof bmp, &w, &h, &c, 3);
  if (!p) return 0;
  const int ok = p[0] == 30 && p[1] == 20 && p[2] == 10;
  stbi_image_free(p);
  return ok;
}
