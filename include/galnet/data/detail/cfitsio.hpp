// galnet/data/detail/cfitsio.hpp — what galnet's FITS readers and writers share over CFITSIO:
// messages naming the file and CFITSIO's status, files that always close, opening read-only
// with a diagnosis of why a file is not FITS, and writing a FITS file atomically from memory.
// Included by data/fits.hpp and data/fits_table.hpp (where GALNET_WITH_CFITSIO is defined).
#pragma once
#include <fitsio.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "galnet/core/atomic_file.hpp"
#include "galnet/core/error.hpp"

namespace galnet::data::detail::fits {

inline std::string quoted(const std::filesystem::path& p) {
  std::string s(1, '\'');  // appended, not "'" + ...: GCC warns falsely (-Wrestrict) on that
  s += p.string();
  s += '\'';
  return s;
}

/// "CFITSIO status 104: could not open the named file".
inline std::string status_text(int status) {
  char text[FLEN_STATUS + 1] = {};
  fits_get_errstatus(status, text);
  return "CFITSIO status " + std::to_string(status) + ": " + text;
}

struct Closer {
  void operator()(fitsfile* f) const {
    int status = 0;
    fits_close_file(f, &status);  // read-only files have nothing to report; writers close first
  }
};
using FilePtr = std::unique_ptr<fitsfile, Closer>;

/// The first bytes of the file (at most n; fewer for a short file).
inline std::string first_bytes(const std::filesystem::path& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  s.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return s;
}

inline bool is_gzip(const std::string& start) {
  return start.size() >= 2 && static_cast<unsigned char>(start[0]) == 0x1F &&
         static_cast<unsigned char>(start[1]) == 0x8B;
}


struct Opened {
  FilePtr file;
  bool plain = false;  ///< an uncompressed FITS file (starts with "SIMPLE  =")
};

/// Opens `path` read-only (no extended-filename syntax; gzip is read); every failure throws
/// with `who` first, saying why: no such file, a directory, empty, not FITS, or CFITSIO's reason.
inline Opened open_readonly(const std::filesystem::path& path, const std::string& who) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(st)) {
    // CFITSIO's own verdict, for the status text.
    fitsfile* raw = nullptr;
    int status = 0;
    fits_open_diskfile(&raw, path.c_str(), READONLY, &status);
    FilePtr guard(raw);
    fail(who, "no such file (", status_text(status != 0 ? status : FILE_NOT_OPENED), ")");
  }
  GALNET_CHECK(!std::filesystem::is_directory(st), who, "is a directory, not a FITS file");
  const std::string start = first_bytes(path, 9);
  const bool plain = start.rfind("SIMPLE  =", 0) == 0;

  fitsfile* raw = nullptr;
  int status = 0;
  fits_open_diskfile(&raw, path.c_str(), READONLY, &status);
  FilePtr file(raw);
  if (status != 0) {
    if (start.empty()) fail(who, "not a FITS file: the file is empty (", status_text(status), ")");
    if (!plain && !is_gzip(start))
      fail(who, "not a FITS file: it does not start with 'SIMPLE  =' (", status_text(status), ")");
    fail(who, "cannot open as FITS (", status_text(status), ")");
  }
  GALNET_CHECK(file != nullptr, who, "cannot open as FITS (CFITSIO returned no file)");
  return {std::move(file), plain};
}

/// A FITS file built in memory and written to `path` atomically (core/atomic_file.hpp), so a
/// failed write leaves an earlier file as it was. check() turns a CFITSIO status into an error.
class MemoryWriter {
public:
  MemoryWriter(std::filesystem::path path, std::string who) : path_(std::move(path)), who_(std::move(who)) {
    int status = 0;
    fitsfile* raw = nullptr;
    // A function of ours, not &std::realloc (a standard function's address is not to be taken).
    fits_create_memfile(&raw, &buffer_, &size_, 2880 * 16, [](void* p, std::size_t n) { return std::realloc(p, n); },
                        &status);
    file_.reset(raw);
    check(status, "cannot create the file in memory");
  }
  ~MemoryWriter() {
    file_.reset();  // closes before the buffer goes
    std::free(buffer_);
  }
  MemoryWriter(const MemoryWriter&) = delete;
  MemoryWriter& operator=(const MemoryWriter&) = delete;

  [[nodiscard]] fitsfile* get() const { return file_.get(); }
  void check(int status, std::string_view what) const {
    if (status != 0) fail(who_, what, " (", status_text(status), ")");
  }
  /// Writes the file: its length is where its last HDU ends.
  void commit() {
    int status = 0, hdus = 0;
    fits_flush_file(file_.get(), &status);
    fits_get_num_hdus(file_.get(), &hdus, &status);
    fits_movabs_hdu(file_.get(), hdus, nullptr, &status);
    LONGLONG head = 0, data = 0, end = 0;
    fits_get_hduaddrll(file_.get(), &head, &data, &end, &status);
    check(status, "cannot finish the file");
    const auto bytes = static_cast<std::size_t>((end + 2879) / 2880 * 2880);
    GALNET_CHECK(bytes <= size_, who_, "CFITSIO's buffer holds ", size_, " bytes, fewer than the file's ", bytes);
    galnet::write_file_atomically(path_, std::string_view(static_cast<const char*>(buffer_), bytes));
  }

private:
  std::filesystem::path path_;
  std::string who_;
  void* buffer_ = nullptr;
  std::size_t size_ = 0;
  FilePtr file_;
};

}  // namespace galnet::data::detail::fits
