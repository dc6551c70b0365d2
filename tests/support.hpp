// Helpers shared by galnet's unit tests.
#pragma once
#include <functional>
#include <string>

#include "galnet/core/error.hpp"

namespace galnet::test {

/// The message of the galnet::Error that `f` throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace galnet::test
