// galnet/io/checkpoint.hpp — training checkpoints: everything needed to resume a run exactly.
//
// A checkpoint is one safetensors file holding
//   model.<key>   every parameter and buffer of the model (state-dict names)
//   optim.<name>  every optimizer state tensor (moments, momentum buffers, slow weights)
// and, in its metadata, the optimizer's counters and hyper-parameters, the epoch and step, the
// default generator's state (dropout masks), and caller-supplied entries (schedule state, data
// order seed…). Doubles are written in shortest round-trip form, so reloading is exact; a run
// resumed from a checkpoint ends bit-identical to an uninterrupted one. Written atomically
// (temp file + rename): a crash leaves the previous checkpoint intact, never half a file.
#pragma once
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <string>

#include "galnet/core/rng.hpp"
#include "galnet/io/safetensors.hpp"
#include "galnet/io/state_dict.hpp"

namespace galnet::io {

struct TrainingProgress {
  std::int64_t epoch = 0;  ///< epochs completed
  std::int64_t step = 0;   ///< optimizer steps completed
  Metadata extra;          ///< the caller's own entries (schedule state, options…)
};

namespace detail {
inline std::string exact(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}
inline double parse_exact(const std::string& s, const std::filesystem::path& file, const std::string& key) {
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  GALNET_CHECK(r.ec == std::errc() && r.ptr == s.data() + s.size(), "galnet::io::load_checkpoint: ",
               quoted(file), ": metadata '", key, "' is not a number: '", s, "'");
  return v;
}
inline const std::string& meta(const SafetensorsFile& f, const std::string& key) {
  auto it = f.metadata().find(key);
  GALNET_CHECK(it != f.metadata().end(), "galnet::io::load_checkpoint: ", quoted(f.path()),
               " lacks metadata '", key, "' (not a galnet checkpoint?)");
  return it->second;
}
}  // namespace detail

/// Saves model, optimizer, progress and the default generator's state to `path` atomically.
template <class Model, class Optimizer>
void save_checkpoint(const std::filesystem::path& path, Model& model, Optimizer& opt,
                     const TrainingProgress& progress) {
  using T = typename Model::value_type;
  std::vector<std::pair<std::string, TensorView<const T, Cpu>>> tensors;
  detail::HostStage<T> stage;  // host copies of a GPU model's tensors
  for (auto& [name, t] : nn::named_state(model)) tensors.emplace_back("model." + name, detail::host_view(*t, stage));
  opt.visit_state([&](const std::string& name, auto& t) { tensors.emplace_back("optim." + name, detail::host_view(t, stage)); });
  Metadata meta = progress.extra;
  meta["galnet.checkpoint"] = "1";
  meta["train.epoch"] = std::to_string(progress.epoch);
  meta["train.step"] = std::to_string(progress.step);
  const auto rng = default_generator().state();
  for (int i = 0; i < 4; ++i) meta["train.rng." + std::to_string(i)] = std::to_string(rng[i]);
  opt.visit_counters([&](const std::string& name, std::int64_t& v) { meta["optim.counter." + name] = std::to_string(v); });
  opt.visit_hypers([&](const std::string& name, double& v) { meta["optim.hyper." + name] = detail::exact(v); });
  write_safetensors<T>(path, tensors, meta, std::is_same_v<T, double> ? DType::F64 : DType::F32);
}

/// Restores what save_checkpoint wrote into a model and optimizer built the same way; returns
/// the progress. Throws galnet::Error naming the file on any mismatch, before changing anything
/// in the model.
template <class Model, class Optimizer>
TrainingProgress load_checkpoint(const SafetensorsFile& file, Model& model, Optimizer& opt) {
  const auto& path = file.path();
  GALNET_CHECK(file.metadata().count("galnet.checkpoint"), "galnet::io::load_checkpoint: ", detail::quoted(path),
               " is not a galnet checkpoint (no 'galnet.checkpoint' metadata)");
  // Check the optimizer state first, so a mismatch leaves the model untouched.
  opt.visit_state([&](const std::string& name, auto& t) {
    const std::string key = "optim." + name;
    GALNET_CHECK(file.contains(key), "galnet::io::load_checkpoint: ", detail::quoted(path),
                 " lacks optimizer state '", key, "' (a different optimizer or model?)");
    GALNET_CHECK(file.shape(key) == t.shape(), "galnet::io::load_checkpoint: ", detail::quoted(path),
                 ": optimizer state '", key, "' has shape ", file.shape(key).str(), ", expected ", t.shape().str());
  });
  LoadOptions lo;
  lo.prefix = "model.";
  load_state_dict(model, file, lo);
  opt.visit_state([&](const std::string& name, auto& t) { detail::copy_from_file(file, "optim." + name, t); });
  opt.visit_counters([&](const std::string& name, std::int64_t& v) {
    v = std::stoll(detail::meta(file, "optim.counter." + name));
  });
  opt.visit_hypers([&](const std::string& name, double& v) {
    v = detail::parse_exact(detail::meta(file, "optim.hyper." + name), path, name);
  });
  Generator::State rng{};
  for (int i = 0; i < 4; ++i) rng[i] = std::stoull(detail::meta(file, "train.rng." + std::to_string(i)));
  default_generator().set_state(rng);
  TrainingProgress p;
  p.epoch = std::stoll(detail::meta(file, "train.epoch"));
  p.step = std::stoll(detail::meta(file, "train.step"));
  for (const auto& [k, v] : file.metadata())
    if (k.rfind("galnet.", 0) != 0 && k.rfind("train.", 0) != 0 && k.rfind("optim.", 0) != 0) p.extra[k] = v;
  return p;
}

/// load_checkpoint of the file at `path`.
template <class Model, class Optimizer>
TrainingProgress load_checkpoint(const std::filesystem::path& path, Model& model, Optimizer& opt) {
  return load_checkpoint(SafetensorsFile::read(path), model, opt);
}

}  // namespace galnet::io
