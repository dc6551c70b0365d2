// galnet/io/safetensors.hpp — read and write the safetensors format.
//
// Format: 8-byte little-endian header length N, N bytes of JSON header
//   {"name": {"dtype": "F32", "shape": [64, 12], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value", ...}}        (metadata optional, string -> string)
// then the byte buffer; offsets are relative to the buffer's start.
//
// Contract
//   - Reading accepts F64, F32, F16, BF16 and the integer types I64, I32, I16, I8, U8, BOOL
//     (e.g. PyTorch's num_batches_tracked); every dtype converts to float or double on get().
//     F16/BF16 decode exactly (subnormals, signed zeros, infinities, NaN).
//   - Writing produces F32, F64, F16 or BF16; the half types round to nearest, ties to even,
//     straight from the source value (no double rounding), overflowing to infinity.
//   - A corrupt or truncated file only ever throws galnet::Error, whose message names the file
//     and the problem. Nothing is trusted before it is checked against the file's real size.
//   - write_safetensors writes a temporary file beside the target and renames it over the
//     target, so a crash or error never leaves a half-written file under the target's name.
#pragma once
#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/core/atomic_file.hpp"

namespace galnet::io {

static_assert(std::endian::native == std::endian::little,
              "galnet::io::safetensors assumes a little-endian host");

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

using Metadata = std::map<std::string, std::string>;

/// The dtype's safetensors spelling ("F32", "BF16", ...).
inline const char* dtype_name(DType t) {
  constexpr const char* names[] = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"};
  return names[static_cast<int>(t)];
}
/// Bytes per element.
inline std::size_t dtype_size(DType t) {
  constexpr std::size_t sizes[] = {8, 4, 2, 2, 8, 4, 2, 1, 1, 1};
  return sizes[static_cast<int>(t)];
}
/// The DType spelled `s`, or false if galnet cannot read it.
inline bool parse_dtype(const std::string& s, DType& out) {
  for (int i = 0; i <= static_cast<int>(DType::BOOL); ++i)
    if (s == dtype_name(static_cast<DType>(i))) {
      out = static_cast<DType>(i);
      return true;
    }
  return false;
}

namespace detail {

/// IEEE binary format with `E` exponent bits and `M` stored mantissa bits (half: 5/10, bf16: 8/7).
template <int E, int M>
struct Fmt {
  static constexpr int bias = (1 << (E - 1)) - 1;
  static constexpr std::uint32_t exp_mask = (1u << E) - 1;
};

/// Exact decoding of a 16-bit float.
template <int E, int M>
inline double decode16(std::uint16_t bits) {
  using F = Fmt<E, M>;
  const bool neg = bits >> 15;
  const std::uint32_t e = (bits >> M) & F::exp_mask, m = bits & ((1u << M) - 1);
  double v;
  if (e == F::exp_mask)
    v = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else if (e == 0) v = std::ldexp(static_cast<double>(m), 1 - F::bias - M);
  else v = std::ldexp(static_cast<double>(m | (1u << M)), static_cast<int>(e) - F::bias - M);
  return neg ? -v : v;
}

/// Round-to-nearest-even encoding of `x` (double holds every float exactly, so one rounding).
template <int E, int M>
inline std::uint16_t encode16(double x) {
  using F = Fmt<E, M>;
  const std::uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  const std::uint16_t inf = static_cast<std::uint16_t>(sign | (F::exp_mask << M));
  if (std::isnan(x)) return static_cast<std::uint16_t>(inf | (1u << (M - 1)));
  const double a = std::fabs(x);
  if (std::isinf(a)) return inf;
  if (a == 0) return sign;
  // Scaling by a power of two is exact; round the scaled value half to even by hand.
  auto round_even = [](double v) {
    double r = std::floor(v);
    const double d = v - r;
    if (d > 0.5 || (d == 0.5 && std::fmod(r, 2.0) != 0)) r += 1;
    return static_cast<std::uint32_t>(r);
  };
  int k = 0;
  std::frexp(a, &k);
  int e = k - 1;  // a in [2^e, 2^(e+1))
  const int emin = 1 - F::bias;
  if (e < emin)  // subnormal; rounding up to 1 << M gives the smallest normal's bits
    return static_cast<std::uint16_t>(sign | round_even(std::ldexp(a, M - emin)));
  std::uint32_t m = round_even(std::ldexp(a, M - e));
  if (m == (2u << M)) {
    m >>= 1;
    ++e;
  }
  if (e > F::bias) return inf;
  return static_cast<std::uint16_t>(sign | (static_cast<std::uint32_t>(e + F::bias) << M) | (m - (1u << M)));
}

template <class U>
inline U load_le(const unsigned char* p) {
  U u;
  std::memcpy(&u, p, sizeof(U));
  return u;
}

/// Element `i` of a buffer of dtype `t`, as double (exact for every dtype except large I64).
inline double element(DType t, const unsigned char* p, std::size_t i) {
  switch (t) {
    case DType::F64: return load_le<double>(p + 8 * i);
    case DType::F32: return load_le<float>(p + 4 * i);
    case DType::F16: return decode16<5, 10>(load_le<std::uint16_t>(p + 2 * i));
    case DType::BF16: return decode16<8, 7>(load_le<std::uint16_t>(p + 2 * i));
    case DType::I64: return static_cast<double>(load_le<std::int64_t>(p + 8 * i));
    case DType::I32: return load_le<std::int32_t>(p + 4 * i);
    case DType::I16: return load_le<std::int16_t>(p + 2 * i);
    case DType::I8: return static_cast<std::int8_t>(p[i]);
    case DType::U8: return p[i];
    case DType::BOOL: return p[i] != 0;
  }
  return 0;
}

// Built by appends: GCC's -Wrestrict misfires on "'" + std::string&& (GCC bug 105329).
inline std::string quoted(const std::filesystem::path& p) {
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

}  // namespace detail

/// A safetensors file read into memory and validated. Tensors come out converted to the
/// requested element type. Every error names the file.
class SafetensorsFile {
public:
  struct Entry {
    DType dtype = DType::F32;
    Shape shape;
    std::size_t begin = 0, end = 0;  ///< absolute byte offsets into the file
  };

  /// Reads and validates `path`; throws galnet::Error naming the file and the problem.
  static SafetensorsFile read(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      fail("galnet::io::safetensors: ", detail::quoted(path), ": no such file");
    if (!std::filesystem::is_regular_file(path, ec))
      fail("galnet::io::safetensors: ", detail::quoted(path), ": not a regular file");
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) fail("galnet::io::safetensors: ", detail::quoted(path), ": cannot open for reading");
    const auto size = static_cast<std::streamoff>(in.tellg());
    if (size < 0) fail("galnet::io::safetensors: ", detail::quoted(path), ": cannot determine the file size");
    std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
    in.seekg(0);
    if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
      fail("galnet::io::safetensors: ", detail::quoted(path), ": read error");
    return from_bytes(std::move(bytes), path);
  }

  /// Parses an in-memory file; `source` names it in error messages.
  static SafetensorsFile from_bytes(std::vector<unsigned char> bytes,
                                    const std::filesystem::path& source = "<memory>") {
    SafetensorsFile f;
    f.path_ = source;
    f.bytes_ = std::move(bytes);
    f.parse();
    return f;
  }

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  /// Tensor names, sorted.
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& kv : entries_) out.push_back(kv.first);
    return out;
  }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] const Entry& entry(const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end())
      fail("galnet::io::safetensors: ", detail::quoted(path_), ": no tensor named '", name, "'");
    return it->second;
  }
  [[nodiscard]] Shape shape(const std::string& name) const { return entry(name).shape; }
  [[nodiscard]] DType dtype(const std::string& name) const { return entry(name).dtype; }
  [[nodiscard]] const Metadata& metadata() const { return metadata_; }

  /// The tensor `name` converted to T, with the file's shape.
  template <class T>
  [[nodiscard]] Tensor<T, Cpu> get(const std::string& name) const {
    Tensor<T, Cpu> t(entry(name).shape);
    copy_to(name, t.view());
    return t;
  }
  /// Copies tensor `name` into `dst` (converting dtype); shapes must be equal.
  template <class T>
  void copy_to(const std::string& name, TensorView<T, Cpu> dst) const {
    static_assert(std::is_arithmetic_v<T> && !std::is_const_v<T>, "copy_to needs a writable numeric view");
    const Entry& e = entry(name);
    GALNET_CHECK(dst.shape() == e.shape, "galnet::io::safetensors: ", detail::quoted(path_), ": tensor '",
                 name, "' has shape ", e.shape.str(), ", destination has shape ", dst.shape().str());
    const unsigned char* src = bytes_.data() + e.begin;
    const auto n = static_cast<std::size_t>(e.shape.numel());
    if ((std::is_same_v<T, float> && e.dtype == DType::F32) ||
        (std::is_same_v<T, double> && e.dtype == DType::F64)) {
      if (n) std::memcpy(dst.data(), src, n * sizeof(T));
      return;
    }
    for (std::size_t i = 0; i < n; ++i) dst.data()[i] = static_cast<T>(detail::element(e.dtype, src, i));
  }
  template <class T>
  void copy_to(const std::string& name, Tensor<T, Cpu>& dst) const {
    copy_to(name, dst.view());
  }
  /// The index of the first NaN or infinity in tensor `name`, or -1 when every element is finite.
  [[nodiscard]] std::int64_t first_non_finite(const std::string& name) const {
    const Entry& e = entry(name);
    const unsigned char* src = bytes_.data() + e.begin;
    const auto n = e.shape.numel();
    for (std::int64_t i = 0; i < n; ++i)
      if (!std::isfinite(detail::element(e.dtype, src, static_cast<std::size_t>(i)))) return i;
    return -1;
  }

private:
  template <class... A>
  [[noreturn]] void bad(const A&... a) const {
    fail("galnet::io::safetensors: ", detail::quoted(path_), ": ", a...);
  }

  void parse() {
    const std::size_t size = bytes_.size();
    if (size < 8) bad("file is ", size, " bytes, shorter than the 8-byte header length");
    const auto n = detail::load_le<std::uint64_t>(bytes_.data());
    if (n > size - 8)
      bad("header length ", n, " is larger than the ", size - 8, " bytes after it (truncated file?)");
    const std::size_t data_start = 8 + static_cast<std::size_t>(n), buffer = size - data_start;
    nlohmann::json h;
    try {
      h = nlohmann::json::parse(bytes_.begin() + 8, bytes_.begin() + static_cast<std::ptrdiff_t>(data_start));
    } catch (const nlohmann::json::exception& ex) {
      bad("invalid JSON header: ", ex.what());
    }
    if (!h.is_object()) bad("JSON header is not an object");
    std::vector<std::pair<const std::string*, const Entry*>> order;
    for (auto it = h.begin(); it != h.end(); ++it) {
      const std::string& name = it.key();
      const auto& v = it.value();
      if (name == "__metadata__") {
        if (!v.is_object()) bad("__metadata__ is not an object of strings");
        for (auto m = v.begin(); m != v.end(); ++m) {
          if (!m.value().is_string()) bad("__metadata__ value for '", m.key(), "' is not a string");
          metadata_[m.key()] = m.value().get<std::string>();
        }
        continue;
      }
      if (!v.is_object()) bad("entry '", name, "' is not an object");
      for (const char* field : {"dtype", "shape", "data_offsets"})
        if (!v.contains(field)) bad("entry '", name, "' is missing \"", field, "\"");
      Entry e;
      const auto& dt = v["dtype"];
      if (!dt.is_string() || !parse_dtype(dt.get<std::string>(), e.dtype))
        bad("entry '", name, "' has unknown dtype ", dt.dump());
      const auto& sh = v["shape"];
      if (!sh.is_array()) bad("entry '", name, "' has a shape that is not an array");
      if (sh.size() > static_cast<std::size_t>(Shape::kMaxRank))
        bad("entry '", name, "' has rank ", sh.size(), "; galnet supports up to ", Shape::kMaxRank);
      std::vector<std::int64_t> dims;
      std::uint64_t numel = 1;
      constexpr std::uint64_t kMax = std::numeric_limits<std::int64_t>::max();
      for (const auto& d : sh) {
        if (!d.is_number_unsigned())
          bad("entry '", name, "' has shape ", sh.dump(), " with a non-integer or negative extent");
        const auto x = d.get<std::uint64_t>();
        if (x > kMax || (x != 0 && numel > kMax / x))
          bad("entry '", name, "' has shape ", sh.dump(), " too large");
        numel *= x;
        dims.push_back(static_cast<std::int64_t>(x));
      }
      e.shape = Shape(dims);
      const auto& off = v["data_offsets"];
      if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
        bad("entry '", name, "' has data_offsets ", off.dump(), ", expected [begin, end]");
      const auto b = off[0].get<std::uint64_t>(), en = off[1].get<std::uint64_t>();
      if (b > en || en > buffer)
        bad("entry '", name, "' has data_offsets [", b, ", ", en, "] outside the ", buffer, "-byte data buffer");
      const std::size_t es = dtype_size(e.dtype);
      if (numel > kMax / es || en - b != numel * es)
        bad("entry '", name, "' spans ", en - b, " bytes but shape ", e.shape.str(), " of ", dtype_name(e.dtype),
            " needs ", numel * es);
      e.begin = data_start + static_cast<std::size_t>(b);
      e.end = data_start + static_cast<std::size_t>(en);
      auto [pos, fresh] = entries_.emplace(name, e);
      if (!fresh) bad("entry '", name, "' appears twice");
      order.emplace_back(&pos->first, &pos->second);
    }
    std::sort(order.begin(), order.end(),
              [](const auto& x, const auto& y) { return x.second->begin < y.second->begin; });
    const std::pair<const std::string*, const Entry*>* prev = nullptr;
    for (const auto& cur : order) {
      if (cur.second->begin == cur.second->end) continue;  // empty tensors occupy no bytes
      if (prev && prev->second->end > cur.second->begin)
        bad("entries '", *prev->first, "' and '", *cur.first, "' have overlapping data_offsets");
      prev = &cur;
    }
  }

  std::filesystem::path path_;
  std::vector<unsigned char> bytes_;
  std::map<std::string, Entry> entries_;
  Metadata metadata_;
};


/// Writes `tensors` (names unique, not "__metadata__") and `metadata` to `path` as `out`
/// (F32, F64, F16 or BF16), in the order given. Atomic: temp file + rename. Throws
/// galnet::Error naming the file on any problem, leaving any existing file at `path` intact.
template <class T>
void write_safetensors(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, TensorView<const T, Cpu>>>& tensors,
                       const Metadata& metadata = {}, DType out = DType::F32) {
  static_assert(std::is_floating_point_v<T>, "write_safetensors writes float or double tensors");
  const std::string who = "galnet::io::write_safetensors: " + detail::quoted(path) + ": ";
  GALNET_CHECK(out == DType::F32 || out == DType::F64 || out == DType::F16 || out == DType::BF16, who,
               "cannot write dtype ", dtype_name(out), " (F32, F64, F16 or BF16 only)");
  const std::size_t es = dtype_size(out);
  std::string header;
  try {
    nlohmann::json h = nlohmann::json::object();
    if (!metadata.empty()) h["__metadata__"] = metadata;
    std::size_t offset = 0;
    for (const auto& [name, view] : tensors) {
      GALNET_CHECK(!name.empty() && name != "__metadata__", who, "invalid tensor name '", name, "'");
      GALNET_CHECK(!h.contains(name), who, "tensor name '", name, "' appears twice");
      const std::size_t bytes = static_cast<std::size_t>(view.numel()) * es;
      h[name] = {{"dtype", dtype_name(out)},
                 {"shape", view.shape().to_vector()},
                 {"data_offsets", {offset, offset + bytes}}};
      offset += bytes;
    }
    header = h.dump();
  } catch (const nlohmann::json::exception& ex) {
    fail(who, "cannot encode the header (names and metadata must be UTF-8): ", ex.what());
  }
  header.append((8 - header.size() % 8) % 8, ' ');  // the buffer starts 8-byte aligned

  AtomicFile file(path, who);
  auto put = [&](const void* p, std::size_t n) { file.write(p, n); };
  const std::uint64_t n = header.size();
  put(&n, 8);
  put(header.data(), header.size());
  std::vector<unsigned char> chunk;
  for (const auto& [name, view] : tensors) {
    const T* src = view.data();
    const auto count = static_cast<std::size_t>(view.numel());
    if ((std::is_same_v<T, float> && out == DType::F32) || (std::is_same_v<T, double> && out == DType::F64)) {
      put(src, count * sizeof(T));
      continue;
    }
    constexpr std::size_t kChunk = 1 << 14;
    for (std::size_t i = 0; i < count; i += kChunk) {
      const std::size_t m = std::min(kChunk, count - i);
      chunk.resize(m * es);
      for (std::size_t j = 0; j < m; ++j) {
        const T x = src[i + j];
        unsigned char* d = chunk.data() + j * es;
        if (out == DType::F32) { const float v = static_cast<float>(x); std::memcpy(d, &v, 4); }
        else if (out == DType::F64) { const double v = static_cast<double>(x); std::memcpy(d, &v, 8); }
        else {
          const std::uint16_t v = out == DType::F16 ? detail::encode16<5, 10>(static_cast<double>(x))
                                                    : detail::encode16<8, 7>(static_cast<double>(x));
          std::memcpy(d, &v, 2);
        }
      }
      put(chunk.data(), chunk.size());
    }
  }
  file.commit();
}

/// Convenience: writes named tensors (pointers stay owned by the caller).
template <class T>
void write_safetensors(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, const Tensor<T, Cpu>*>>& tensors,
                       const Metadata& metadata = {}, DType out = DType::F32) {
  std::vector<std::pair<std::string, TensorView<const T, Cpu>>> views;
  for (const auto& [name, t] : tensors) views.emplace_back(name, t->view());
  write_safetensors<T>(path, views, metadata, out);
}

}  // namespace galnet::io
