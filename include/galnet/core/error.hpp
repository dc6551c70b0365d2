// galnet/core/error.hpp — the one exception type galnet throws.
//
// Every check that can fail on user input (shapes, files, keys, options) throws galnet::Error
// with a message naming what was checked (a layer, a key, a file), what was expected and what
// was found. Nothing in galnet aborts on bad input.
#pragma once
#include <initializer_list>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace galnet {

namespace detail {
/// `s` safe to print: control bytes (but newline and tab), DEL and bytes that are not part of
/// valid UTF-8 become \xNN, so a NUL in an id cannot cut a message short and binary input
/// cannot reach the terminal raw. Valid UTF-8 (the en dash of "1–1024") is kept.
[[nodiscard]] inline std::string printable(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  const auto escape = [&](unsigned char c) { out += {'\\', 'x', hex[c >> 4], hex[c & 15]}; };
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) escape(c);
      else out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A UTF-8 lead byte and its continuation bytes, refusing overlong forms and surrogates.
    const std::size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t j = 1; ok && j < len; ++j) ok = (static_cast<unsigned char>(s[i + j]) & 0xc0) == 0x80;
    if (ok && len >= 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0) && !(c == 0xf0 && c1 < 0x90) &&
           !(c == 0xf4 && c1 >= 0x90);
    }
    if (!ok) {
      escape(c);
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

/// One part of a message: text kept as a view, anything else streamed with its operator<< when
/// the message is built. Parts are type-erased so that a check's message costs one small
/// function per argument type, not a std::ostringstream fold per call site (compile time).
class MessagePart {
public:
  MessagePart(const char* s) : text_(s) {}  // NOLINT: implicit, as the arguments of fail()
  MessagePart(std::string_view s) : text_(s) {}  // NOLINT
  MessagePart(const std::string& s) : text_(s) {}  // NOLINT
  template <class T>
  MessagePart(const T& v) : value_(&v), put_(&put<T>) {}  // NOLINT
  void write(std::ostream& os) const {
    if (put_) put_(os, value_);
    else os << text_;
  }

private:
  template <class T>
  static void put(std::ostream& os, const void* v) { os << *static_cast<const T*>(v); }
  std::string_view text_;
  const void* value_ = nullptr;
  void (*put_)(std::ostream&, const void*) = nullptr;
};

[[nodiscard]] inline std::string join_parts(std::initializer_list<MessagePart> parts) {
  std::ostringstream os;
  for (const auto& p : parts) p.write(os);
  return os.str();
}

/// The streamed concatenation of `args`.
template <class... Args>
[[nodiscard]] std::string concat(const Args&... args) {
  return join_parts({MessagePart(args)...});
}
}  // namespace detail

/// What galnet throws; its message is always printable (detail::printable).
class Error : public std::runtime_error {
public:
  explicit Error(std::string_view message) : std::runtime_error(detail::printable(message)) {}
  explicit Error(const std::string& message) : Error(std::string_view(message)) {}
  explicit Error(const char* message) : Error(std::string_view(message)) {}
};

/// Throws galnet::Error with the parts' concatenation (one function for every check).
[[noreturn]] inline void throw_error(std::initializer_list<detail::MessagePart> parts) {
  throw Error(detail::join_parts(parts));
}

/// Throws galnet::Error whose message is the streamed concatenation of `args`.
template <class... Args>
[[noreturn]] void fail(const Args&... args) {
  throw_error({detail::MessagePart(args)...});
}

}  // namespace galnet

/// GALNET_CHECK(cond, parts...): throw galnet::Error(parts...) unless `cond` holds.
#define GALNET_CHECK(cond, ...)                 \
  do {                                          \
    if (!(cond)) ::galnet::fail(__VA_ARGS__);   \
  } while (0)
