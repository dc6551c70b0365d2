// libFuzzer target: galnet::data::decode_image on arbitrary bytes must either return a
// consistent image or throw galnet::Error — never crash, leak, hang or throw anything else.
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I/usr/include/eigen3 \
//       tests/fuzz/fuzz_image.cpp -o /tmp/fuzz_image
//   /tmp/fuzz_image -max_total_time=30 tests/fuzz/corpus/image
// Seeds in tests/fuzz/corpus/image: tiny RGB and grey PNGs, a baseline and a progressive JPEG.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "galnet/data/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  for (int want : {0, 1, 3}) {
    try {
      const galnet::data::Image img = galnet::data::decode_image(bytes, "fuzz input", want);
      const bool consistent = img.height > 0 && img.width > 0 && img.pixels.size() == img.size() &&
                              (want == 0 ? (img.channels == 1 || img.channels == 3) : img.channels == want);
      if (!consistent) std::abort();
    } catch (const galnet::Error&) {
      // the only acceptable failure
    }
  }
  return 0;
}
