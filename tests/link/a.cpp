// Link test, translation unit A: a user's own stb_image.h declarations come BEFORE galnet's header
// (galnet must still compile its private copy and leave the user's macros as they were).
#if __has_include(<stb/stb_image.h>)
#include <stb/stb_image.h>
#else
#include <stb_image.h>
#endif

#include <cstdint>
#include <string>
#include <vector>

#include "galnet/data/augment.hpp"
#include "galnet/data/image.hpp"
// Every public umbrella, so any non-inline definition in a header shows up as a duplicate.
#include "galnet/galnet.hpp"
#include "galnet/io.hpp"
#include "galnet/models.hpp"
#include "galnet/optim.hpp"
#include "galnet/testing/gradcheck.hpp"

#ifndef STBI_INCLUDE_STB_IMAGE_H
#error "galnet/data/image.hpp removed the user's stb_image.h include guard"
#endif

// Encodes a 3x2 RGB image as PNG with galnet's writer (to memory via a file) and decodes it.
int link_a_roundtrip(const char* path) {
  galnet::data::Image img{2, 3, 3, {}};
  for (int i = 0; i < 18; ++i) img.pixels.push_back(static_cast<std::uint8_t>(i * 13));
  galnet::data::write_png(path, img);
  const galnet::data::Image back = galnet::data::read_image(path);
  std::vector<float> chw(back.size()), out(back.size());
  galnet::data::to_chw(back, chw.data(), 1.0f);
  galnet::data::flip_horizontal(chw.data(), out.data(), 3, 2, 3);
  return back.pixels == img.pixels && out[0] == chw[2] ? 1 : 0;
}

// The user's own (extern) stb_image, implemented in b.cpp.
int link_a_user_stb(const std::vector<std::uint8_t>& bytes) {
  int w = 0, h = 0, c = 0;
  unsigned char* p = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c, 0);
  if (!p) return 0;
  stbi_image_free(p);
  return w * h;
}

// galnet's error message for a JPEG with no frame (stb's reason must come through).
std::string link_a_error() {
  const std::vector<std::uint8_t> bare = {0xFF, 0xD8, 0xFF, 0xD9};
  try {
    (void)galnet::data::decode_image(bare, "bare_a");
  } catch (const galnet::Error& e) {
    return e.what();
  }
  return "";
}
