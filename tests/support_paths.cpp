// The folders the unit tests read, compiled here only (see support.hpp).
#include "support.hpp"

namespace galnet::test {
std::filesystem::path fixture_dir() { return GALNET_FIXTURE_DIR; }
std::filesystem::path data_dir() { return GALNET_DATA_DIR; }
}  // namespace galnet::test
