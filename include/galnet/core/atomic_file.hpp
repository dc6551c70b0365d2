// galnet/core/atomic_file.hpp — write a file so that readers see the old one or the whole new one,
// never half: write to a temporary file in the same directory, flush, fsync, rename over.
//
//   AtomicFile f(path, "galnet::io::write_csv");   // creates path.tmp-…
//   f.write(data, n); …
//   f.commit();                                    // only now does `path` change
// If commit() is never reached (an exception), the destructor removes the temporary file and
// any existing file at `path` is left intact. Errors name the file and the system's reason.
#pragma once
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#if __has_include(<unistd.h>)
#include <unistd.h>
#define GALNET_IO_HAVE_FSYNC 1
#endif

#include "galnet/core/error.hpp"

namespace galnet {

class AtomicFile {
public:
  /// `who` prefixes error messages (e.g. "galnet::io::safetensors: 'model.safetensors': ").
  AtomicFile(std::filesystem::path target, std::string who) : target_(std::move(target)), who_(std::move(who)) {
    static std::atomic<unsigned long long> counter{0};
    const auto t = static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
    temp_ = target_;
    temp_ += ".tmp-" + std::to_string(t % 1000000007ull) + "-" + std::to_string(counter++);
#if defined(GALNET_IO_HAVE_FSYNC)
    temp_ += "-" + std::to_string(static_cast<long long>(::getpid()));
#endif
    f_ = std::fopen(temp_.string().c_str(), "wb");
    GALNET_CHECK(f_ != nullptr, who_, "cannot create temporary file '", temp_.string(), "': ", std::strerror(errno));
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (f_) std::fclose(f_);
    if (!committed_) {
      std::error_code ec;
      std::filesystem::remove(temp_, ec);
    }
  }

  void write(const void* data, std::size_t n) {
    GALNET_CHECK(n == 0 || std::fwrite(data, 1, n, f_) == n, who_, "write error: ", std::strerror(errno));
  }
  void write(std::string_view s) { write(s.data(), s.size()); }

  /// Flushes, syncs and renames the temporary file over the target.
  void commit() {
    GALNET_CHECK(std::fflush(f_) == 0, who_, "write error: ", std::strerror(errno));
#if defined(GALNET_IO_HAVE_FSYNC)
    (void)::fsync(::fileno(f_));  // best effort; the rename is what makes it atomic
#endif
    const int rc = std::fclose(f_);
    f_ = nullptr;
    GALNET_CHECK(rc == 0, who_, "write error on close: ", std::strerror(errno));
    std::error_code ec;
    std::filesystem::rename(temp_, target_, ec);
    GALNET_CHECK(!ec, who_, "cannot rename the temporary file into place: ", ec.message());
    committed_ = true;
  }

private:
  std::filesystem::path target_, temp_;
  std::string who_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

/// Removes the temporary files that writes of `target` left when their process was killed before
/// commit (`target`.tmp-…); returns how many. Call it where no other write of `target` runs.
inline int remove_stale_temporaries(const std::filesystem::path& target) {
  const auto dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
  const std::string prefix = target.filename().string() + ".tmp-";
  std::error_code ec;
  int removed = 0;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().rfind(prefix, 0) == 0 && std::filesystem::remove(it->path(), ec)) ++removed;
  return removed;
}

/// Writes `content` to `path` atomically; errors name the file.
inline void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  AtomicFile f(path, "galnet::io: '" + path.string() + "': ");
  f.write(content);
  f.commit();
}

}  // namespace galnet
