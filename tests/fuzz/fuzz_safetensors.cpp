// libFuzzer target: safetensors parsing must only ever throw galnet::Error, never crash.
#include <cstdint>
#include <galnet/io/safetensors.hpp>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto file = galnet::io::SafetensorsFile::from_bytes(std::vector<unsigned char>(data, data + size), "fuzz.safetensors");
    for (const auto& name : file.names()) {
      auto t = file.get<float>(name);
      (void)t;
    }
  } catch (const galnet::Error&) {
  }
  return 0;
}
