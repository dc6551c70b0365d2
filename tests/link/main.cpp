// Link test: a.cpp and b.cpp both include galnet/data/image.hpp (with stb compiled privately into
// each) and a user's own stb_image before / after it; linked together they must not clash.
// Exit status 0 when every check passes.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "galnet/data/image.hpp"

int link_a_roundtrip(const char* path);
int link_a_user_stb(const std::vector<std::uint8_t>& bytes);
int link_b_decode(const std::vector<std::uint8_t>& bytes);
int link_b_user_bmp();
std::string link_a_error();
std::string link_b_error();

int main() {
  const auto path = std::filesystem::temp_directory_path() /
                    ("galnet_link_test_" + std::to_string(std::random_device{}()) + ".png");
  int failures = 0;
  auto check = [&](bool ok, const char* what) {
    std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
    failures += ok ? 0 : 1;
  };
  check(link_a_roundtrip(path.string().c_str()) == 1, "galnet PNG round trip in a.cpp");
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> png{std::istreambuf_iterator<char>(in), {}};
  check(link_b_decode(png) == 6, "galnet decode in b.cpp");
  check(galnet::data::decode_image(png, "main").width == 3, "galnet decode in main.cpp");
  check(link_a_user_stb(png) == 6, "the user's own stb_image from a.cpp");
  check(link_b_user_bmp() == 1, "the user's own stb_image (BMP) in b.cpp");
  for (const std::string& msg : {link_a_error(), link_b_error()}) {
    std::printf("  %s\n", msg.c_str());
    check(msg.find("corrupt JPEG header (stb_image: unknown marker)") != std::string::npos,
          "stb's failure reason reaches galnet's message");
  }
  std::filesystem::remove(path);
  return failures == 0 ? 0 : 1;
}
