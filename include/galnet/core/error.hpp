// galnet/core/error.hpp — the one exception type galnet throws.
//
// Every check that can fail on user input (shapes, files, keys, options) throws galnet::Error
// with a message naming what was checked (a layer, a key, a file), what was expected and what
// was found. Nothing in galnet aborts on bad input.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace galnet {

class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Args>
[[nodiscard]] std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

/// Throws galnet::Error whose message is the streamed concatenation of `args`.
template <class... Args>
[[noreturn]] void fail(const Args&... args) {
  throw Error(detail::concat(args...));
}

}  // namespace galnet

/// GALNET_CHECK(cond, parts...): throw galnet::Error(parts...) unless `cond` holds.
#define GALNET_CHECK(cond, ...)                 \
  do {                                          \
    if (!(cond)) ::galnet::fail(__VA_ARGS__);   \
  } while (0)
