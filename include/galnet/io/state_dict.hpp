// galnet/io/state_dict.hpp — save and load a model's parameters and buffers as safetensors.
//
// Contract
//   - Keys are the names the model's visit() produces: PyTorch state-dict names such as
//     "layer1.0.conv1.weight". Parameters and buffers (running means, ...) are both saved.
//   - save_state_dict writes every visited tensor (atomically, see write_safetensors).
//   - load_state_dict checks everything before it copies anything. Strict mode (the default)
//     collects every missing key, unexpected key and shape mismatch and throws ONE galnet::Error
//     listing them all and naming the file; the model is then left untouched. Non-strict mode
//     loads every tensor whose name and shape match and reports the rest. In either mode a
//     tensor holding a NaN or infinity throws, naming the key, and nothing is loaded.
//   - LoadOptions::prefix maps model key k to file key prefix + k ("resnet." loads a backbone
//     saved inside a bigger model); file keys outside the prefix are then ignored. The same
//     prefix argument of save_state_dict prepends it to every key.
//   - File keys for which LoadOptions::ignore returns true are skipped silently (e.g.
//     PyTorch's "num_batches_tracked" when the model has no such buffer).
//   - A model on a GPU is saved and loaded the same way: its tensors are staged through host
//     copies (detail::host_view, detail::copy_from_file), so files never depend on the device.
#pragma once
#include <concepts>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "galnet/io/safetensors.hpp"
#include "galnet/nn/module.hpp"

namespace galnet::io {

/// A key present in both the model and the file, with different shapes.
struct ShapeMismatch {
  std::string name;
  Shape expected;  ///< the model's shape
  Shape found;     ///< the file's shape
};

/// What load_state_dict matched. Keys are the model's (prefix removed).
struct LoadReport {
  std::vector<std::string> loaded;
  std::vector<std::string> missing;     ///< in the model, not in the file
  std::vector<std::string> unexpected;  ///< in the file, not in the model
  std::vector<ShapeMismatch> mismatched;

  [[nodiscard]] bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  /// One line per problem, e.g. "missing key: fc.bias".
  [[nodiscard]] std::string str() const {
    std::ostringstream os;
    if (!missing.empty()) {
      os << missing.size() << " missing key(s) (in the model, not in the file):\n";
      for (const auto& k : missing) os << "  missing: " << k << "\n";
    }
    if (!unexpected.empty()) {
      os << unexpected.size() << " unexpected key(s) (in the file, not in the model):\n";
      for (const auto& k : unexpected) os << "  unexpected: " << k << "\n";
    }
    if (!mismatched.empty()) {
      os << mismatched.size() << " shape mismatch(es):\n";
      for (const auto& m : mismatched)
        os << "  mismatch: " << m.name << ": model expects " << m.expected.str() << ", file has "
           << m.found.str() << "\n";
    }
    return os.str();
  }
};

struct LoadOptions {
  bool strict = true;
  std::string prefix;                                 ///< file key = prefix + model key
  std::function<bool(const std::string&)> ignore;     ///< file keys (full) to skip silently
};

namespace detail {

/// Host copies made while saving a device model; a deque, so views into it stay valid.
template <class T>
using HostStage = std::deque<Tensor<T, Cpu>>;

/// `t` as a host view: the tensor itself on the CPU, otherwise a copy downloaded into `stage`.
template <class T, class D>
TensorView<const T, Cpu> host_view(const Tensor<T, D>& t, HostStage<T>& stage) {
  if constexpr (std::is_same_v<D, Cpu>) {
    return t.view();
  } else {
    stage.emplace_back(t.shape());
    t.download(stage.back().data());
    return std::as_const(stage.back()).view();
  }
}

/// Fills `t` (any device) from the file's tensor `key` (same number of elements).
template <class T, class D>
void copy_from_file(const SafetensorsFile& file, const std::string& key, Tensor<T, D>& t) {
  if constexpr (std::is_same_v<D, Cpu>) {
    file.copy_to(key, t.view());
  } else {
    Tensor<T, Cpu> h(t.shape());
    file.copy_to(key, h.view());
    t.upload(h.data());
  }
}

/// The model's named tensors, checked for duplicate names.
template <class L>
auto visited_state(const L& model, const char* who) {
  auto state = nn::named_state(const_cast<L&>(model));
  std::set<std::string> seen;
  for (const auto& kv : state)
    GALNET_CHECK(seen.insert(kv.first).second, who, ": the model visits the name '", kv.first, "' twice");
  return state;
}

}  // namespace detail

/// Writes every parameter and buffer of `model` under its visit() name (plus `prefix`) to
/// `path` as `dtype`, with `metadata`. Atomic; throws galnet::Error naming the file.
template <class L>
void save_state_dict(const L& model, const std::filesystem::path& path, const Metadata& metadata = {},
                     DType dtype = DType::F32, const std::string& prefix = "") {
  using T = typename L::value_type;
  const auto state = detail::visited_state(model, "galnet::io::save_state_dict");
  std::vector<std::pair<std::string, TensorView<const T, Cpu>>> views;
  detail::HostStage<T> stage;
  views.reserve(state.size());
  for (const auto& [name, t] : state) views.emplace_back(prefix + name, detail::host_view(*t, stage));
  write_safetensors<T>(path, views, metadata, dtype);
}

/// Loads `file` into `model` (see the header comment for strict/non-strict and prefix).
/// Strict: throws one galnet::Error listing every problem, loading nothing.
template <class L>
LoadReport load_state_dict(L& model, const SafetensorsFile& file, const LoadOptions& opt) {
  const auto state = detail::visited_state(model, "galnet::io::load_state_dict");
  LoadReport rep;
  std::vector<std::pair<std::string, std::string>> plan;  // (model key, file key)
  std::set<std::string> used;
  for (const auto& [name, t] : state) {
    const std::string key = opt.prefix + name;
    if (!file.contains(key)) {
      rep.missing.push_back(name);
      continue;
    }
    used.insert(key);
    const Shape fs = file.shape(key);
    if (!(fs == t->shape())) rep.mismatched.push_back({name, t->shape(), fs});
    else plan.emplace_back(name, key);
    // A NaN or infinity in a weight would give rc 0 and plausible-looking, wrong predictions.
    if (const auto i = file.first_non_finite(key); i >= 0)
      fail("galnet::io::load_state_dict: ", detail::quoted(file.path()), ": tensor '", key, "' holds a non-finite value (",
           file.get<double>(key)[i], " at element ", i,
           "); nothing was loaded");
  }
  for (const auto& key : file.names()) {
    if (used.count(key) || key.compare(0, opt.prefix.size(), opt.prefix) != 0) continue;
    if (opt.ignore && opt.ignore(key)) continue;
    rep.unexpected.push_back(key.substr(opt.prefix.size()));
  }
  if (opt.strict && !rep.ok())
    fail("galnet::io::load_state_dict: ", detail::quoted(file.path()), " does not match the model",
         opt.prefix.empty() ? std::string() : " (file prefix '" + opt.prefix + "')", "; nothing was loaded\n",
         rep.str());
  std::map<std::string, Tensor<typename L::value_type, typename L::device_type>*> by_name(state.begin(), state.end());
  for (const auto& [name, key] : plan) {
    detail::copy_from_file(file, key, *by_name.at(name));
    rep.loaded.push_back(name);
  }
  return rep;
}

// `strict` is a bool exactly (a template parameter), so that load_state_dict(m, f, {}) means
// LoadOptions{} (strict) and never strict = bool{} = false.
template <class L, std::same_as<bool> B>
LoadReport load_state_dict(L& model, const SafetensorsFile& file, B strict) {
  LoadOptions opt;
  opt.strict = strict;
  return load_state_dict(model, file, opt);
}
template <class L>
LoadReport load_state_dict(L& model, const SafetensorsFile& file) {
  return load_state_dict(model, file, LoadOptions{});
}

/// Reads `path`, then loads it as above.
template <class L>
LoadReport load_state_dict(L& model, const std::filesystem::path& path, const LoadOptions& opt) {
  return load_state_dict(model, SafetensorsFile::read(path), opt);
}
template <class L, std::same_as<bool> B>
LoadReport load_state_dict(L& model, const std::filesystem::path& path, B strict) {
  LoadOptions opt;
  opt.strict = strict;
  return load_state_dict(model, SafetensorsFile::read(path), opt);
}
template <class L>
LoadReport load_state_dict(L& model, const std::filesystem::path& path) {
  return load_state_dict(model, SafetensorsFile::read(path), LoadOptions{});
}

}  // namespace galnet::io
