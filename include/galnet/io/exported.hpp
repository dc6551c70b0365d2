// galnet/io/exported.hpp — load weights converted by tools/export_torch.py or
// tools/export_keras.py, and prove the conversion with the test vector they embed.
//
// An exported file is a galnet state dict (safetensors, galnet key names) plus, optionally,
//   __test__.input  [2, 3, H, W]  a fixed input batch (NCHW)
//   __test__.output               the source framework's output on it (eval mode)
//   normalization.mean / .std [3] the per-channel input normalisation the weights expect
// and metadata galnet.kind, galnet.width, galnet.outputs, galnet.k, galnet.blocks, galnet.source,
// galnet.exporter (see docs/weights.md).
//
// Contract
//   - load_exported(model, path, rtol) loads every key except __test__.* and normalization.*
//     strictly (load_state_dict: any missing, unexpected or mis-shaped key throws one
//     galnet::Error naming the file; nothing is loaded).
//   - If the file has a test vector, the model runs model.eval(); model.forward(input) once and
//     its output must have the stored shape, be finite and satisfy
//     max|y - ref| / max|ref| <= rtol. Otherwise it throws galnet::Error naming the file, the
//     error reached and the file's kind/exporter, and the model's previous parameters and
//     buffers are put back: a wrong key mapping or architecture never loads silently.
//   - A file with only one of __test__.input / __test__.output is rejected.
//   - The model's train/eval mode is what it was before the call, whatever happens.
//   - read_normalization returns the stored mean/std, or nullopt when the file has neither;
//     one without the other, a shape other than [3] or a non-positive std throws.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/data/normalize.hpp"
#include "galnet/io/safetensors.hpp"
#include "galnet/io/state_dict.hpp"
#include "galnet/nn/module.hpp"

namespace galnet::io {

/// What load_exported did: the load_state_dict report plus the test-vector check.
struct ExportedLoadReport : LoadReport {
  bool tested = false;       ///< the file had a test vector and it was checked
  double test_error = 0;     ///< max|y - ref| / max|ref| on the test vector
  Metadata metadata;         ///< the file's metadata (galnet.kind, galnet.source, ...)
};

/// Per-channel input normalisation, x' = (x − mean[c]) / std[c]: the data pipeline's type.
using Normalization = data::Normalization;

/// True for the keys of an exported file that are not model state.
inline bool is_export_extra_key(const std::string& key) {
  return key.rfind("__test__.", 0) == 0 || key.rfind("normalization.", 0) == 0;
}

/// The file's normalization.mean / normalization.std, or nullopt if it has neither.
inline std::optional<Normalization> read_normalization(const SafetensorsFile& file) {
  const bool m = file.contains("normalization.mean"), s = file.contains("normalization.std");
  if (!m && !s) return std::nullopt;
  const std::string who = "galnet::io::read_normalization: " + detail::quoted(file.path()) + ": ";
  GALNET_CHECK(m && s, who, "has normalization.", m ? "mean" : "std", " without normalization.",
               m ? "std" : "mean");
  Normalization n;
  for (const char* name : {"normalization.mean", "normalization.std"}) {
    GALNET_CHECK(file.shape(name) == Shape{3}, who, name, " has shape ", file.shape(name).str(),
                 ", expected [3]");
    const auto t = file.get<float>(name);
    auto& dst = std::string(name) == "normalization.mean" ? n.mean : n.std;
    for (int c = 0; c < 3; ++c) dst[c] = t[c];
  }
  for (int c = 0; c < 3; ++c)
    GALNET_CHECK(std::isfinite(n.mean[c]) && std::isfinite(n.std[c]) && n.std[c] > 0, who,
                 "normalization channel ", c, " has mean ", n.mean[c], " and std ", n.std[c],
                 " (std must be finite and positive)");
  return n;
}

inline std::optional<Normalization> read_normalization(const std::filesystem::path& path) {
  return read_normalization(SafetensorsFile::read(path));
}

namespace detail {

/// Puts the model's train/eval mode back on scope exit.
template <class L>
struct ModeGuard {
  L& model;
  bool was_training;
  ~ModeGuard() { model.train(was_training); }
};

inline std::string describe_export(const Metadata& md) {
  std::string s;
  for (const char* k : {"galnet.kind", "galnet.source", "galnet.exporter"}) {
    const auto it = md.find(k);
    if (it != md.end()) s += std::string(s.empty() ? " (" : ", ") + (k + 7) + " " + it->second;
  }
  return s.empty() ? s : s + ")";
}

}  // namespace detail

/// Loads `file` into `model` as described above, with extra load options (`opt.ignore` is
/// consulted in addition to the __test__/normalization keys; `opt.strict` is honoured).
template <class L>
ExportedLoadReport load_exported(L& model, const SafetensorsFile& file, const LoadOptions& opt,
                                 double rtol = 1e-4) {
  using T = typename L::value_type;
  const std::string who = "galnet::io::load_exported: " + detail::quoted(file.path());
  const bool has_in = file.contains("__test__.input"), has_out = file.contains("__test__.output");
  GALNET_CHECK(has_in == has_out, who, ": has __test__.", has_in ? "input" : "output", " without __test__.",
               has_in ? "output" : "input");
  GALNET_CHECK(rtol >= 0, who, ": rtol must be non-negative, got ", rtol);

  // Keep the current state so that a failed test vector leaves the model as it was.
  using D = typename L::device_type;
  std::vector<Tensor<T, D>> backup;
  if (has_in) {
    for (const auto& kv : nn::named_state(model)) {
      backup.emplace_back(kv.second->shape());
      backup.back().copy_from(*kv.second);
    }
  }

  LoadOptions o = opt;
  o.ignore = [user = opt.ignore](const std::string& key) {
    return is_export_extra_key(key) || (user && user(key));
  };
  ExportedLoadReport rep;
  static_cast<LoadReport&>(rep) = load_state_dict(model, file, o);
  rep.metadata = file.metadata();
  if (!has_in) return rep;

  detail::ModeGuard<L> guard{model, model.training()};
  const Tensor<T, Cpu> x = file.get<T>("__test__.input");
  const Tensor<double, Cpu> ref = file.get<double>("__test__.output");
  std::string problem;
  double err = 0;
  try {
    model.eval();
    Tensor<T, D> xd(x.shape());
    xd.upload(x.data());
    const auto& yd = model.forward(xd);
    Tensor<T, Cpu> y(yd.shape());
    yd.download(y.data());
    if (!(y.shape() == ref.shape())) {
      problem = "the model's output has shape " + y.shape().str() + ", the stored test output " + ref.shape().str();
    } else {
      double num = 0, den = 0;
      bool finite = true;
      for (std::int64_t i = 0; i < ref.numel(); ++i) {
        const double v = static_cast<double>(y[i]);
        finite = finite && std::isfinite(v);
        num = std::max(num, std::abs(v - ref[i]));
        den = std::max(den, std::abs(ref[i]));
      }
      err = den > 0 ? num / den : num;
      if (!finite) problem = "the model's output on the test input is not finite";
      else if (!(err <= rtol))
        problem = galnet::detail::concat("test-vector mismatch: max|y - ref| / max|ref| = ", err, " > rtol ", rtol);
    }
  } catch (const Error& e) {
    problem = std::string("the forward pass on the test input failed: ") + e.what();
  }
  if (!problem.empty()) {
    auto state = nn::named_state(model);
    for (std::size_t i = 0; i < state.size() && i < backup.size(); ++i) state[i].second->copy_from(backup[i]);
    fail(who, ": ", problem, detail::describe_export(rep.metadata),
         "; the weights do not reproduce the exporter's output (wrong key mapping, model type, width or "
         "k?); the model's previous weights were restored");
  }
  rep.tested = true;
  rep.test_error = err;
  return rep;
}

/// Reads `path` and loads it strictly, checking the test vector to `rtol`.
template <class L>
ExportedLoadReport load_exported(L& model, const std::filesystem::path& path, double rtol = 1e-4) {
  return load_exported(model, SafetensorsFile::read(path), LoadOptions{}, rtol);
}

/// As above with load options (e.g. opt.ignore for the fc.* of a resnet_body exported --keep-fc).
template <class L>
ExportedLoadReport load_exported(L& model, const std::filesystem::path& path, const LoadOptions& opt,
                                 double rtol = 1e-4) {
  return load_exported(model, SafetensorsFile::read(path), opt, rtol);
}

/// Saves a trained model as a galnet model file: every parameter and buffer under its
/// state-dict name, plus normalization.mean/std when given, so prediction normalises its
/// inputs exactly as training did. Atomic. Read back with load_exported + read_normalization.
template <class L>
void save_model(const std::filesystem::path& path, const L& model, const std::optional<Normalization>& norm,
                Metadata metadata = {}) {
  using T = typename L::value_type;
  std::vector<std::pair<std::string, TensorView<const T, Cpu>>> views;
  detail::HostStage<T> stage;
  for (auto& [name, t] : nn::named_state(const_cast<L&>(model))) views.emplace_back(name, detail::host_view(*t, stage));
  Tensor<T, Cpu> mean(Shape{3}), std(Shape{3});
  if (norm) {
    for (int c = 0; c < 3; ++c) mean[c] = static_cast<T>(norm->mean[c]), std[c] = static_cast<T>(norm->std[c]);
    views.emplace_back("normalization.mean", std::as_const(mean).view());
    views.emplace_back("normalization.std", std::as_const(std).view());
  }
  metadata.emplace("galnet.format", "model");
  write_safetensors<T>(path, views, metadata, DType::F32);
}

}  // namespace galnet::io
