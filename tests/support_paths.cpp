// The folders the unit tests read, compiled here only (see support.hpp).
#include "support.hpp"

namespace galnet::test {
std::filesystem::path fixture_dir() { return GALNET_FIXTURE_DIR; }
std::filesystem::path shared_dir() { return GALNET_SHARED_DIR; }
}  // namespace galnet::test
