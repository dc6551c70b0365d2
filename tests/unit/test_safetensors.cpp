// Tests for galnet/io/safetensors.hpp and galnet/io/state_dict.hpp: dtype encodings (exact bit
// patterns), round trips, a file written by the Python `safetensors` library, metadata, every
// validation error (message names the file and the problem), a fuzz-like corruption sweep, and
// state-dict save/load with a fake layer (strict reporting, non-strict, prefixes).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <unistd.h>
#include <vector>

#include "galnet/core/rng.hpp"
#include "galnet/galnet.hpp"
#include "galnet/io/safetensors.hpp"
#include "galnet/io/state_dict.hpp"

#include "../support.hpp"

namespace fs = std::filesystem;
using galnet::Cpu;
using galnet::Shape;
using galnet::Tensor;
using galnet::TensorView;
using galnet::io::DType;
using galnet::io::SafetensorsFile;

namespace {

/// A fresh directory under the system temp dir, removed afterwards (unique per process).
struct TempDir {
  fs::path dir;
  TempDir() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("galnet_st_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path operator/(const std::string& name) const { return dir / name; }
};

std::vector<unsigned char> file_bytes(const std::string& header, const std::vector<unsigned char>& data = {},
                                      std::uint64_t length_field = ~0ull) {
  const std::uint64_t n = length_field == ~0ull ? header.size() : length_field;
  // Sized once and filled by memcpy (GCC 12's -Warray-bounds misfires on growing an 8-byte vector).
  std::vector<unsigned char> b(8 + header.size() + data.size());
  std::memcpy(b.data(), &n, 8);
  if (!header.empty()) std::memcpy(b.data() + 8, header.data(), header.size());
  if (!data.empty()) std::memcpy(b.data() + 8 + header.size(), data.data(), data.size());
  return b;
}

void write_bytes(const fs::path& p, const std::vector<unsigned char>& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<unsigned char> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The galnet::Error message `f` throws; fails the test on no throw or another exception.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const galnet::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("expected galnet::Error, got another exception: " << e.what());
  }
  FAIL("expected galnet::Error, nothing was thrown");
  return {};
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// Raw 16-bit words of tensor `name` as stored in the file at `path`.
std::vector<std::uint16_t> raw16(const fs::path& path, const std::string& name) {
  const auto bytes = read_bytes(path);
  const auto e = SafetensorsFile::read(path).entry(name);
  std::vector<std::uint16_t> out((e.end - e.begin) / 2);
  std::memcpy(out.data(), bytes.data() + e.begin, e.end - e.begin);
  return out;
}

constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Inputs and PyTorch's encodings (tools/make_safetensors_fixture.py prints them).
const std::vector<float> kHalfIn = {1.0f, -2.5f, 65504.0f, 1e-7f, kInf, -kInf, kNaN, -0.0f, 0.1f,
                                    0x1p-14f, 0x1p-24f, 65519.0f, 65520.0f, 1.0f + 0x1p-11f,
                                    1.0f + 3 * 0x1p-11f, 3.0e38f};
const std::vector<std::uint16_t> kHalfBits = {0x3C00, 0xC100, 0x7BFF, 0x0002, 0x7C00, 0xFC00, 0x7E00, 0x8000,
                                              0x2E66, 0x0400, 0x0001, 0x7BFF, 0x7C00, 0x3C00, 0x3C02, 0x7C00};
const std::vector<float> kBf16In = {1.0f, -2.5f, 65504.0f, 1e-7f, kInf, -kInf, kNaN, -0.0f, 0.1f,
                                    1e-40f, 3.4028234663852886e38f, 1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, -3.0e-39f};
const std::vector<std::uint16_t> kBf16Bits = {0x3F80, 0xC020, 0x4780, 0x33D7, 0x7F80, 0xFF80, 0x7FC0,
                                              0x8000, 0x3DCD, 0x0001, 0x7F80, 0x3F80, 0x3F82, 0x8021};

}  // namespace

TEST_CASE("safetensors: F16 and BF16 encodings are round-to-nearest-even with exact bits") {
  TempDir tmp;
  const auto half = Tensor<float>::from(Shape{16}, kHalfIn);
  const auto bf = Tensor<float>::from(Shape{14}, kBf16In);
  galnet::io::write_safetensors<float>(tmp / "h.safetensors", {{"h", half.view()}}, {}, DType::F16);
  galnet::io::write_safetensors<float>(tmp / "b.safetensors", {{"b", bf.view()}}, {}, DType::BF16);
  CHECK(raw16(tmp / "h.safetensors", "h") == kHalfBits);
  CHECK(raw16(tmp / "b.safetensors", "b") == kBf16Bits);

  // Decoding is exact: every 16-bit pattern survives decode -> encode, and NaNs stay NaN.
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const double h = galnet::io::detail::decode16<5, 10>(static_cast<std::uint16_t>(b));
    const double f = galnet::io::detail::decode16<8, 7>(static_cast<std::uint16_t>(b));
    if (!std::isnan(h)) REQUIRE(galnet::io::detail::encode16<5, 10>(h) == b);
    if (!std::isnan(f)) REQUIRE(galnet::io::detail::encode16<8, 7>(f) == b);
    if (std::isnan(f)) REQUIRE(((b >> 7) & 0xFF) == 0xFF);
  }
  CHECK(galnet::io::detail::decode16<5, 10>(0x0001) == std::ldexp(1.0, -24));  // smallest subnormal
  CHECK(galnet::io::detail::decode16<5, 10>(0x7BFF) == 65504.0);
  CHECK(std::signbit(galnet::io::detail::decode16<5, 10>(0x8000)));
  // A double just above a half tie rounds up; going through float first would round to the tie.
  CHECK(galnet::io::detail::encode16<5, 10>(1.0 + 0x1p-11 + 0x1p-40) == 0x3C01);
  CHECK(galnet::io::detail::encode16<8, 7>(1.0 + 0x1p-8 + 0x1p-40) == 0x3F81);
}

TEST_CASE("safetensors: round trips for F32, F64, F16 and BF16") {
  TempDir tmp;
  const auto a = Tensor<float>::from(Shape{2, 3}, {0.5f, -1.0f, 3.25f, 1e-3f, 7.0f, -0.0f});
  const auto d = Tensor<double>::from(Shape{3}, {1.0 / 3.0, -1e300, 5e-324});
  const Tensor<float> scalar(Shape{}, 42.0f);
  const Tensor<float> empty(Shape{0, 4});
  for (DType dt : {DType::F32, DType::F64, DType::F16, DType::BF16}) {
    const std::string dtype_name = galnet::io::dtype_name(dt);
    CAPTURE(dtype_name);
    const auto path = tmp / (std::string("rt_") + galnet::io::dtype_name(dt) + ".safetensors");
    galnet::io::write_safetensors<float>(
        path, {{"a", a.view()}, {"scalar", scalar.view()}, {"empty", empty.view()}}, {}, dt);
    const auto f = SafetensorsFile::read(path);
    CHECK(f.names() == std::vector<std::string>{"a", "empty", "scalar"});
    CHECK(f.dtype("a") == dt);
    CHECK(f.shape("a") == Shape{2, 3});
    CHECK(f.shape("scalar") == Shape{});
    CHECK(f.shape("empty") == Shape{0, 4});
    const auto bytes = read_bytes(path);
    std::uint64_t header_len = 0;
    std::memcpy(&header_len, bytes.data(), 8);
    CHECK((8 + header_len) % 8 == 0);  // header padded: the buffer starts 8-byte aligned
    const auto back = f.get<float>("a");
    const auto back_d = f.get<double>("a");
    for (int i = 0; i < 6; ++i) {
      const double tol = dt == DType::BF16 ? 1.0 / 256 : dt == DType::F16 ? 1.0 / 2048 : 0.0;
      CHECK(std::fabs(back[i] - a[i]) <= tol * std::fabs(a[i]));
      CHECK(back_d[i] == static_cast<double>(back[i]));
    }
    CHECK(std::signbit(back[5]));
    CHECK(f.get<float>("scalar")[0] == 42.0f);
    CHECK(f.get<float>("empty").numel() == 0);
  }
  galnet::io::write_safetensors<double>(tmp / "d.safetensors", {{"d", d.view()}}, {}, DType::F64);
  CHECK(SafetensorsFile::read(tmp / "d.safetensors").get<double>("d").to_vector() == d.to_vector());
  galnet::io::write_safetensors<double>(tmp / "df.safetensors", {{"d", d.view()}}, {}, DType::F32);
  const auto df = SafetensorsFile::read(tmp / "df.safetensors").get<float>("d");
  CHECK(df[0] == static_cast<float>(1.0 / 3.0));
  CHECK(df[1] == -kInf);
  CHECK(df[2] == 0.0f);

  // copy_to converts into an existing tensor of the same shape, and refuses another shape.
  Tensor<double> into(Shape{2, 3}, 0.0);
  const auto f32 = SafetensorsFile::read(tmp / "rt_F32.safetensors");
  f32.copy_to("a", into);
  CHECK(into.at(1, 1) == 7.0);
  Tensor<double> wrong(Shape{3, 2});
  const auto msg = error_of([&] { f32.copy_to("a", wrong); });
  CHECK(has(msg, "rt_F32.safetensors"));
  CHECK(has(msg, "[2, 3]"));
  CHECK(has(msg, "[3, 2]"));
  CHECK(has(error_of([&] { (void)f32.get<float>("nope"); }), "no tensor named 'nope'"));
}

TEST_CASE("safetensors: reads a file written by the Python safetensors library") {
  const fs::path path = galnet::test::fixture_dir() / "safetensors_reference.safetensors";
  REQUIRE_MESSAGE(fs::exists(path), "fixture missing: " << path);
  const auto f = SafetensorsFile::read(path);
  CHECK(f.size() == 8);
  CHECK(f.metadata().at("format") == "pt");
  CHECK(f.metadata().at("creator") == "galnet fixture");
  CHECK(f.metadata().at("unicode") == "\xC3\xA5ngstr\xC3\xB6m");

  CHECK(f.shape("layer1.0.conv1.weight") == Shape{2, 3, 2, 2});
  const auto w = f.get<float>("layer1.0.conv1.weight");
  for (int i = 0; i < 24; ++i) CHECK(w[i] == static_cast<float>(i) / 4 - 2);
  const auto b = f.get<float>("fc.bias");
  CHECK(b.to_vector() == std::vector<float>{0.5f, -1.25f, 3.0e-45f, 1.0e30f});
  CHECK(f.dtype("f64.values") == DType::F64);
  const auto d = f.get<double>("f64.values");
  CHECK(d.to_vector() == std::vector<double>{1.0 / 3.0, -1e300, 5e-324, 2.5});

  // F16 / BF16: the decoded values re-encode to PyTorch's bits, and our writer matches them.
  const auto h = f.get<float>("f16.values");
  REQUIRE(h.numel() == static_cast<std::int64_t>(kHalfBits.size()));
  CHECK(h[0] == 1.0f);
  CHECK(h[1] == -2.5f);
  CHECK(h[2] == 65504.0f);
  CHECK(h[3] == 0x1p-23f);  // 1e-7 became the subnormal 2 * 2^-24
  CHECK(h[4] == kInf);
  CHECK(h[5] == -kInf);
  CHECK(std::isnan(h[6]));
  CHECK((h[7] == 0.0f && std::signbit(h[7])));
  CHECK(h[10] == 0x1p-24f);
  CHECK(raw16(path, "f16.values") == kHalfBits);
  const auto bf = f.get<double>("bf16.values");
  CHECK(bf[0] == 1.0);
  CHECK(bf[1] == -2.5);
  CHECK(bf[2] == 65536.0);
  CHECK(bf[4] == std::numeric_limits<double>::infinity());
  CHECK(std::isnan(bf[6]));
  CHECK(bf[9] == std::ldexp(1.0, -133));  // bf16 subnormal
  auto torch_bf16 = raw16(path, "bf16.values");
  torch_bf16[6] = 0x7FC0;  // PyTorch's NaN payload differs; both are NaN
  CHECK(torch_bf16 == kBf16Bits);

  // Integers (PyTorch's num_batches_tracked is a rank-0 I64).
  CHECK(f.dtype("bn.num_batches_tracked") == DType::I64);
  CHECK(f.shape("bn.num_batches_tracked") == Shape{});
  CHECK(f.get<double>("bn.num_batches_tracked")[0] == 123456789012.0);
  CHECK(f.get<float>("i32.values").to_vector() == std::vector<float>{-7.0f, 0.0f, 2147483647.0f});
  CHECK(f.shape("empty.weight") == Shape{0, 3});
}

TEST_CASE("safetensors: metadata round trip and atomic overwrite") {
  TempDir tmp;
  const auto path = tmp / "meta.safetensors";
  const Tensor<float> t(Shape{4}, 1.5f);
  const galnet::io::Metadata meta{{"epoch", "12"}, {"model", "resnet18"}, {"note", "\xC3\xA5 \"quoted\""}};
  galnet::io::write_safetensors<float>(path, {{"t", t.view()}}, meta);
  CHECK(SafetensorsFile::read(path).metadata() == meta);
  // No metadata: no __metadata__ entry at all.
  galnet::io::write_safetensors<float>(path, {{"t", t.view()}});
  CHECK(SafetensorsFile::read(path).metadata().empty());
  const auto before = read_bytes(path);

  // Failed writes leave the existing file untouched and no temporary files behind.
  CHECK(has(error_of([&] {
              galnet::io::write_safetensors<float>(path, {{"x", t.view()}, {"x", t.view()}});
            }),
            "appears twice"));
  CHECK(has(error_of([&] { galnet::io::write_safetensors<float>(path, {{"__metadata__", t.view()}}); }),
            "invalid tensor name"));
  const auto m = error_of([&] { galnet::io::write_safetensors<float>(path, {{"t", t.view()}}, {}, DType::I32); });
  CHECK(has(m, "meta.safetensors"));
  CHECK(has(m, "cannot write dtype I32"));
  CHECK(has(error_of([&] { galnet::io::write_safetensors<float>(path, {{"t", t.view()}}, {{"k", "\xFF"}}); }),
            "UTF-8"));
  CHECK(read_bytes(path) == before);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp.dir)) ++files;
  CHECK(files == 1);
  const auto missing_dir = error_of(
      [&] { galnet::io::write_safetensors<float>(tmp / "no_such_dir" / "x.safetensors", {{"t", t.view()}}); });
  CHECK(has(missing_dir, "x.safetensors"));
  CHECK(has(missing_dir, "cannot create temporary file"));
}

TEST_CASE("safetensors: every validation error names the file and the problem") {
  TempDir tmp;
  const std::vector<unsigned char> data(16, 0);
  struct Case {
    const char* file;
    std::vector<unsigned char> bytes;
    const char* problem;
  };
  const std::string ok_entry = R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})";
  const std::vector<Case> cases = {
      {"short.safetensors", {1, 2, 3}, "shorter than the 8-byte header length"},
      {"hlen.safetensors", file_bytes("{}", {}, 1000), "header length 1000 is larger than"},
      {"json.safetensors", file_bytes(R"({"a": {"dtype": )", data), "invalid JSON header"},
      {"notobj.safetensors", file_bytes("[1,2]", data), "not an object"},
      {"entry.safetensors", file_bytes(R"({"a": 3})", data), "entry 'a' is not an object"},
      {"nodtype.safetensors", file_bytes(R"({"a":{"shape":[4],"data_offsets":[0,16]}})", data), "missing \"dtype\""},
      {"noshape.safetensors", file_bytes(R"({"a":{"dtype":"F32","data_offsets":[0,16]}})", data), "missing \"shape\""},
      {"nooff.safetensors", file_bytes(R"({"a":{"dtype":"F32","shape":[4]}})", data), "missing \"data_offsets\""},
      {"dtype.safetensors", file_bytes(R"({"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}})", data),
       "unknown dtype \"F8_E4M3\""},
      {"range.safetensors", file_bytes(R"({"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", data),
       "outside the 16-byte data buffer"},
      {"reversed.safetensors", file_bytes(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", data),
       "data_offsets [8, 4]"},
      {"size.safetensors", file_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", data),
       "spans 16 bytes but shape [3] of F32 needs 12"},
      {"overlap.safetensors",
       file_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                  data),
       "'a' and 'b' have overlapping data_offsets"},
      {"negative.safetensors", file_bytes(R"({"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", data),
       "non-integer or negative extent"},
      {"huge.safetensors",
       file_bytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}})", data),
       "too large"},
      {"rank.safetensors", file_bytes(R"({"a":{"dtype":"F32","shape":[1,1,1,1,1,1,4],"data_offsets":[0,16]}})", data),
       "has rank 7"},
      {"offs.safetensors", file_bytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0]}})", data),
       "expected [begin, end]"},
      {"meta.safetensors", file_bytes(R"({"__metadata__":{"k":1},)" + ok_entry + "}", data),
       "__metadata__ value for 'k' is not a string"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.file);
    write_bytes(tmp / c.file, c.bytes);
    const auto msg = error_of([&] { (void)SafetensorsFile::read(tmp / c.file); });
    CHECK(has(msg, c.file));
    CHECK_MESSAGE(has(msg, c.problem), msg);
  }
  const auto missing = error_of([&] { (void)SafetensorsFile::read(tmp / "absent.safetensors"); });
  CHECK(has(missing, "absent.safetensors"));
  CHECK(has(missing, "no such file"));
  fs::create_directories(tmp / "a_dir.safetensors");
  CHECK(has(error_of([&] { (void)SafetensorsFile::read(tmp / "a_dir.safetensors"); }), "not a regular file"));
  // The control: the same entry, valid, parses (padding spaces after the JSON are allowed).
  write_bytes(tmp / "ok.safetensors", file_bytes("{" + ok_entry + "}   ", data));
  CHECK(SafetensorsFile::read(tmp / "ok.safetensors").shape("a") == Shape{2, 2});
}

TEST_CASE("safetensors: truncated and mutated files only ever throw galnet::Error") {
  TempDir tmp;
  const auto a = Tensor<float>::from(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor<float> b(Shape{5}, -1.0f);
  galnet::io::write_safetensors<float>(tmp / "good.safetensors", {{"a", a.view()}, {"b.c", b.view()}},
                                       {{"k", "v"}}, DType::F16);
  const auto good = read_bytes(tmp / "good.safetensors");
  int parsed = 0, rejected = 0;
  auto attempt = [&](std::vector<unsigned char> bytes) {
    try {
      const auto f = SafetensorsFile::from_bytes(std::move(bytes), "fuzz.safetensors");
      for (const auto& n : f.names()) (void)f.get<double>(n);
      ++parsed;
    } catch (const galnet::Error& e) {
      REQUIRE(has(e.what(), "fuzz.safetensors"));
      ++rejected;
    } catch (const std::exception& e) {
      FAIL("non-galnet exception: " << e.what());
    }
  };
  for (std::size_t n = 0; n <= good.size(); ++n) attempt({good.begin(), good.begin() + static_cast<long>(n)});
  galnet::Generator rng(7);
  const std::size_t header_end = 8 + good[0] + 256u * good[1];
  const std::string alphabet = "{}[]\":,0123456789-.eE \\u\x01\xff";
  for (int trial = 0; trial < 4000; ++trial) {
    auto bytes = good;
    const int edits = 1 + static_cast<int>(rng.below(4));
    for (int k = 0; k < edits; ++k) {
      const auto pos = rng.below(trial % 5 == 0 ? bytes.size() : header_end);
      if (rng.below(2)) bytes[pos] = static_cast<unsigned char>(alphabet[rng.below(alphabet.size())]);
      else bytes[pos] = static_cast<unsigned char>(rng.below(256));
    }
    if (trial % 7 == 0) bytes.resize(rng.below(bytes.size() + 1));
    attempt(std::move(bytes));
  }
  CHECK(parsed > 0);
  CHECK(rejected > 1000);
}

// ---- state dicts ----

namespace {

/// A stand-in layer: two parameters and one buffer, PyTorch-style names.
template <class T = float>
struct FakeLayer {
  using value_type = T;
  using device_type = Cpu;
  galnet::nn::Parameter<T, Cpu> weight, bias;
  Tensor<T, Cpu> running_mean;

  FakeLayer() {
    weight.init(Shape{3, 2});
    bias.init(Shape{3});
    running_mean = Tensor<T, Cpu>(Shape{3}, T(0));
  }
  void set(T base) {
    for (int i = 0; i < 6; ++i) weight.value[i] = base + T(i);
    for (int i = 0; i < 3; ++i) bias.value[i] = base - T(i);
    running_mean.fill(base / 2);
  }
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    f(galnet::nn::join(prefix, "weight"), weight.value, &weight);
    f(galnet::nn::join(prefix, "bias"), bias.value, &bias);
    f(galnet::nn::join(prefix, "running_mean"), running_mean, static_cast<galnet::nn::Parameter<T, Cpu>*>(nullptr));
  }
};

/// Two FakeLayers as "layer1.0" and "fc".
template <class T = float>
struct FakeModel {
  using value_type = T;
  using device_type = Cpu;
  FakeLayer<T> conv, fc;
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    conv.visit(galnet::nn::join(prefix, "layer1.0"), f);
    fc.visit(galnet::nn::join(prefix, "fc"), f);
  }
};

template <class A, class B>
bool same_state(A& a, B& b) {
  const auto sa = galnet::nn::named_state(a), sb = galnet::nn::named_state(b);
  if (sa.size() != sb.size()) return false;
  for (std::size_t i = 0; i < sa.size(); ++i) {
    if (sa[i].first != sb[i].first || !(sa[i].second->shape() == sb[i].second->shape())) return false;
    for (std::int64_t j = 0; j < sa[i].second->numel(); ++j)
      if (static_cast<double>((*sa[i].second)[j]) != static_cast<double>((*sb[i].second)[j])) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("state_dict: save and load round trip, dtype conversion, prefixes") {
  TempDir tmp;
  FakeModel<float> m;
  m.conv.set(1.0f);
  m.fc.set(-3.5f);
  const auto path = tmp / "model.safetensors";
  galnet::io::save_state_dict(m, path, {{"arch", "fake"}});
  const auto f = SafetensorsFile::read(path);
  CHECK(f.names() == std::vector<std::string>{"fc.bias", "fc.running_mean", "fc.weight", "layer1.0.bias",
                                              "layer1.0.running_mean", "layer1.0.weight"});
  CHECK(f.shape("layer1.0.weight") == Shape{3, 2});
  CHECK(f.metadata().at("arch") == "fake");

  FakeModel<float> back;
  const auto rep = galnet::io::load_state_dict(back, path);
  CHECK(rep.ok());
  CHECK(rep.loaded.size() == 6);
  CHECK(same_state(m, back));

  FakeModel<double> dbl;  // F32 file into a double model
  galnet::io::load_state_dict(dbl, f);
  CHECK(same_state(m, dbl));
  galnet::io::save_state_dict(dbl, tmp / "bf16.safetensors", {}, DType::BF16);
  FakeModel<float> from_bf16;
  galnet::io::load_state_dict(from_bf16, tmp / "bf16.safetensors");
  CHECK(same_state(m, from_bf16));  // these values are exact in bf16
  CHECK(SafetensorsFile::read(tmp / "bf16.safetensors").dtype("fc.weight") == DType::BF16);

  // A sub-model saved inside a bigger one, loaded through the prefix.
  galnet::io::save_state_dict(m, tmp / "big.safetensors", {}, DType::F32, "resnet.");
  FakeModel<float> sub;
  galnet::io::LoadOptions opt;
  opt.prefix = "resnet.";
  CHECK(galnet::io::load_state_dict(sub, tmp / "big.safetensors", opt).ok());
  CHECK(same_state(m, sub));
  FakeModel<float> unprefixed;
  CHECK(has(error_of([&] { galnet::io::load_state_dict(unprefixed, tmp / "big.safetensors"); }),
            "6 missing key(s)"));

  // ignore: extra file keys (e.g. num_batches_tracked) skipped silently in strict mode.
  const Tensor<float> nbt(Shape{}, 10.0f);
  std::vector<std::pair<std::string, TensorView<const float, Cpu>>> views;
  for (const auto& [name, t] : galnet::nn::named_state(m)) views.emplace_back(name, std::as_const(*t).view());
  views.emplace_back("fc.num_batches_tracked", nbt.view());
  galnet::io::write_safetensors<float>(tmp / "nbt.safetensors", views);
  FakeModel<float> with_nbt;
  CHECK(has(error_of([&] { galnet::io::load_state_dict(with_nbt, tmp / "nbt.safetensors"); }),
            "unexpected: fc.num_batches_tracked"));
  galnet::io::LoadOptions skip;
  skip.ignore = [](const std::string& k) { return k.ends_with(".num_batches_tracked"); };
  CHECK(galnet::io::load_state_dict(with_nbt, tmp / "nbt.safetensors", skip).ok());
  CHECK(same_state(m, with_nbt));
}

TEST_CASE("state_dict: strict load reports every problem at once and loads nothing") {
  TempDir tmp;
  FakeLayer<float> src;
  src.set(2.0f);
  // The file: weight with the wrong shape, no bias, running_mean fine, one extra key.
  const auto wrong = Tensor<float>::from(Shape{2, 3}, {9, 9, 9, 9, 9, 9});
  const Tensor<float> extra(Shape{7}, 1.0f);
  const auto path = tmp / "broken_ckpt.safetensors";
  galnet::io::write_safetensors<float>(
      path, {{"weight", wrong.view()}, {"running_mean", std::as_const(src.running_mean).view()}, {"extra.thing", extra.view()}});

  FakeLayer<float> model, pristine;
  model.set(5.0f);
  pristine.set(5.0f);
  const auto msg = error_of([&] { galnet::io::load_state_dict(model, path); });
  CHECK(has(msg, "broken_ckpt.safetensors"));
  CHECK(has(msg, "nothing was loaded"));
  CHECK(has(msg, "missing: bias"));
  CHECK(has(msg, "unexpected: extra.thing"));
  CHECK(has(msg, "mismatch: weight: model expects [3, 2], file has [2, 3]"));
  CHECK(same_state(model, pristine));  // running_mean matched but was not loaded either

  // Non-strict: what matches loads; the report lists the rest.
  const auto rep = galnet::io::load_state_dict(model, path, false);
  CHECK(rep.loaded == std::vector<std::string>{"running_mean"});
  CHECK(rep.missing == std::vector<std::string>{"bias"});
  CHECK(rep.unexpected == std::vector<std::string>{"extra.thing"});
  REQUIRE(rep.mismatched.size() == 1);
  CHECK(rep.mismatched[0].name == "weight");
  CHECK(rep.mismatched[0].expected == Shape{3, 2});
  CHECK(rep.mismatched[0].found == Shape{2, 3});
  CHECK(model.running_mean[0] == 1.0f);
  CHECK(model.weight.value[0] == 5.0f);
  CHECK(model.bias.value[0] == 5.0f);

  const auto nofile = error_of([&] { galnet::io::load_state_dict(model, tmp / "gone.safetensors"); });
  CHECK(has(nofile, "gone.safetensors"));
}

TEST_CASE("safetensors: reads the emission-line model weights from the shared data") {
  const fs::path path = galnet::test::data_dir() / "line_ew/line_ew_with_luminosity.safetensors";
  REQUIRE_MESSAGE(fs::exists(path), path.string(), " is part of the repository");
  const auto f = SafetensorsFile::read(path);
  CHECK(f.dtype("HALPHA.layers.0.weight") == DType::F32);
  CHECK(f.shape("HALPHA.layers.0.weight") == Shape{64, 12});
  CHECK(f.contains("OII_DOUBLET.color_scaler.mean"));
  CHECK(f.metadata().at("hidden_activation") == "selu");
  const auto w = f.get<float>("HALPHA.layers.0.weight");
  bool finite = true, nonzero = false;
  for (std::int64_t i = 0; i < w.numel(); ++i) {
    finite = finite && std::isfinite(w[i]);
    nonzero = nonzero || w[i] != 0.0f;
  }
  CHECK(finite);
  CHECK(nonzero);
}

TEST_CASE("load_state_dict refuses a NaN or infinity in a weight, naming the tensor, and loads nothing") {
  namespace nn = galnet::nn;
  namespace io = galnet::io;
  namespace test = galnet::test;
  using Net = nn::Sequential<nn::Linear<2, 3>, nn::ReLU, nn::Linear<3, 1>>;
  const auto path = std::filesystem::temp_directory_path() / "galnet_nan_weight.safetensors";
  nn::layer_t<Net, float> good, broken;
  broken.template get<2>().weight().value[1] = std::numeric_limits<float>::quiet_NaN();
  io::save_state_dict(broken, path);
  const auto before = good.template get<2>().weight().value.to_vector();
  const std::string message = test::error_of([&] { io::load_state_dict(good, path); });
  CHECK(message.find("tensor '2.weight' holds a non-finite value (nan at element 1)") != std::string::npos);
  CHECK(good.template get<2>().weight().value.to_vector() == before);  // untouched
  broken.template get<2>().weight().value[1] = std::numeric_limits<float>::infinity();
  io::save_state_dict(broken, path);
  CHECK(test::error_of([&] { io::load_state_dict(good, path); }).find("(inf at element 1)") != std::string::npos);
  std::filesystem::remove(path);
}
