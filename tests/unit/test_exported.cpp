// Exported weights: files written by tools/export_torch.py and tools/export_keras.py from the
// real frameworks (tools/make_export_fixtures.py) load into the galnet models, and the test
// vector each file embeds — computed by PyTorch or by Keras — is reproduced to 1e-4. A file
// whose weights are corrupted, swapped or meant for another configuration is refused by name.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <galnet/galnet.hpp>
#include <galnet/io/exported.hpp>
#include <galnet/io/safetensors.hpp>
#include <galnet/models.hpp>
#include <string>
#include <utility>
#include <vector>

#include "../support.hpp"

using namespace galnet;

namespace {

std::filesystem::path export_fixture(const std::string& name) {
  return galnet::test::fixture_dir() / (name + ".safetensors");
}

/// A temporary copy of `src` with `edit` applied to its tensors (name -> tensor), removed on scope exit.
struct EditedCopy {
  std::filesystem::path path;
  template <class Edit>
  EditedCopy(const std::filesystem::path& src, const std::string& tag, Edit edit) {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("galnet_test_exported_" + tag + "_" + std::to_string(counter++) + ".safetensors");
    const auto file = io::SafetensorsFile::read(src);
    std::vector<std::pair<std::string, Tensor<float>>> tensors;
    for (const auto& name : file.names()) tensors.emplace_back(name, file.get<float>(name));
    edit(tensors);
    std::vector<std::pair<std::string, const Tensor<float>*>> refs;
    for (const auto& [name, t] : tensors) refs.emplace_back(name, &t);
    io::write_safetensors<float>(path, refs, file.metadata());
  }
  ~EditedCopy() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

Tensor<float>& find(std::vector<std::pair<std::string, Tensor<float>>>& ts, const std::string& name) {
  for (auto& [n, t] : ts)
    if (n == name) return t;
  FAIL("no tensor ", name);
  throw 0;
}

template <class L>
void check_loads(L& model, const std::string& name, const std::string& kind) {
  model.train(true);
  const auto rep = io::load_exported(model, export_fixture(name));
  CHECK(rep.ok());
  CHECK(rep.tested);
  CHECK(rep.test_error <= 1e-4);
  CHECK(rep.metadata.at("galnet.kind") == kind);
  CHECK(model.training());  // the previous mode is restored
  MESSAGE(name, ": ", rep.loaded.size(), " tensors, test vector reproduced to ", rep.test_error, " (",
          rep.metadata.at("galnet.exporter"), ")");
}

/// Runs load_exported and returns the error message ("" if it did not throw).
template <class L>
std::string load_error(L& model, const std::filesystem::path& path) {
  try {
    io::load_exported(model, path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

template <class L>
std::vector<Tensor<float>> snapshot(L& model) {
  std::vector<Tensor<float>> out;
  for (const auto& kv : nn::named_state(model)) out.push_back(*kv.second);
  return out;
}

template <class L>
bool same_state(L& model, const std::vector<Tensor<float>>& before) {
  const auto now = nn::named_state(model);
  if (now.size() != before.size()) return false;
  for (std::size_t i = 0; i < now.size(); ++i)
    for (std::int64_t j = 0; j < before[i].numel(); ++j)
      if ((*now[i].second)[j] != before[i][j]) return false;
  return true;
}

}  // namespace

TEST_CASE("exported SFNet (PyTorch ResNet18TopK, 1/8 width, k=4) loads and reproduces PyTorch") {
  models::SFNet<float, Cpu, 1, 8> model(4);
  check_loads(model, "export_sfnet_w8", "sfnet");
  const auto file = io::SafetensorsFile::read(export_fixture("export_sfnet_w8"));
  CHECK(file.metadata().at("galnet.k") == "4");
  CHECK(file.metadata().at("galnet.layout") == "resnet18topk");
  const auto norm = io::read_normalization(file);
  REQUIRE(norm.has_value());
  CHECK(norm->mean[0] == doctest::Approx(0.1655));
  CHECK(norm->mean[2] == doctest::Approx(0.1206));
  CHECK(norm->std[1] == doctest::Approx(0.1536));
}

TEST_CASE("exported Wu & Boada (fastai v1 learn.save, 1/8 width) loads and reproduces PyTorch") {
  models::WuBoada<float, Cpu, 1, 8> model;
  check_loads(model, "export_fastai_v1_wuboada_w8", "wu_boada");
  CHECK_FALSE(io::read_normalization(export_fixture("export_fastai_v1_wuboada_w8")).has_value());
}

TEST_CASE("exported sdss_CNN (Keras .h5, 1/8 width) loads and reproduces Keras") {
  models::SpinCNN<float, Cpu, 8> model;
  check_loads(model, "export_keras_spin_w8", "spin_cnn");
}

TEST_CASE("exported torchvision ResNet-18 body (1/16 width, fc dropped) loads and reproduces PyTorch") {
  models::ResNetBody<float, Cpu, 4> model;
  check_loads(model, "export_resnet18_body_w4", "resnet_body");
  models::ResNetBody<double, Cpu, 4> model64;  // a double model reads the F32 file and checks too
  const auto rep = io::load_exported(model64, export_fixture("export_resnet18_body_w4"));
  CHECK(rep.tested);
  CHECK(rep.test_error <= 1e-6);
}

TEST_CASE("load_exported refuses a corrupted weight, naming the file, and restores the model") {
  const auto src = export_fixture("export_sfnet_w8");
  EditedCopy bad(src, "corrupt", [](auto& ts) { find(ts, "layer3.1.conv2.weight")[5] += 0.5f; });
  models::SFNet<float, Cpu, 1, 8> model(4);
  model.train(true);
  const auto before = snapshot(model);
  const std::string msg = load_error(model, bad.path);
  INFO(msg);
  CHECK(msg.find(bad.path.string()) != std::string::npos);
  CHECK(msg.find("test-vector mismatch") != std::string::npos);
  CHECK(same_state(model, before));  // previous weights put back
  CHECK(model.training());
  // The untouched file still loads into the same model afterwards.
  CHECK(io::load_exported(model, src).tested);
}

TEST_CASE("load_exported refuses swapped same-shape tensors (a wrong key mapping)") {
  EditedCopy bad(export_fixture("export_fastai_v1_wuboada_w8"), "swap", [](auto& ts) {
    std::swap(find(ts, "layer2.1.conv1.weight"), find(ts, "layer2.1.conv2.weight"));
  });
  models::WuBoada<float, Cpu, 1, 8> model;
  const std::string msg = load_error(model, bad.path);
  INFO(msg);
  CHECK(msg.find(bad.path.string()) != std::string::npos);

  // Keras kernels read as [kw, kh] instead of [kh, kw]: every 2x2 kernel of conv 7 transposed.
  EditedCopy bad_keras(export_fixture("export_keras_spin_w8"), "transposed", [](auto& ts) {
    auto& w = find(ts, "7.weight");  // [16, 12, 2, 2]
    for (std::int64_t i = 0; i < w.numel(); i += 4) std::swap(w[i + 1], w[i + 2]);
  });
  models::SpinCNN<float, Cpu, 8> spin;
  const std::string msg2 = load_error(spin, bad_keras.path);
  INFO(msg2);
  CHECK(msg2.find(bad_keras.path.string()) != std::string::npos);
}

TEST_CASE("load_exported refuses an SFNet built with another k") {
  models::SFNet<float, Cpu, 1, 8> model(2);  // the file was exported with k = 4
  const std::string msg = load_error(model, export_fixture("export_sfnet_w8"));
  INFO(msg);
  CHECK(msg.find("export_sfnet_w8") != std::string::npos);
  CHECK(msg.find("kind sfnet") != std::string::npos);
}

TEST_CASE("load_exported: key problems and half a test vector are refused") {
  // A file for another model: strict load_state_dict names the file and the keys.
  models::ResNetBody<float, Cpu, 8> body;
  const std::string msg = load_error(body, export_fixture("export_sfnet_w8"));
  INFO(msg);
  CHECK(msg.find("export_sfnet_w8") != std::string::npos);
  CHECK(msg.find("fc.weight") != std::string::npos);

  EditedCopy half(export_fixture("export_resnet18_body_w4"), "half", [](auto& ts) {
    std::erase_if(ts, [](const auto& kv) { return kv.first == "__test__.output"; });
  });
  models::ResNetBody<float, Cpu, 4> model;
  const std::string msg2 = load_error(model, half.path);
  INFO(msg2);
  CHECK(msg2.find("__test__.input without __test__.output") != std::string::npos);

  // Without any test vector the file loads, untested.
  EditedCopy none(export_fixture("export_resnet18_body_w4"), "none", [](auto& ts) {
    std::erase_if(ts, [](const auto& kv) { return kv.first.rfind("__test__.", 0) == 0; });
  });
  const auto rep = io::load_exported(model, none.path);
  CHECK(rep.ok());
  CHECK_FALSE(rep.tested);
}

TEST_CASE("save_model stores the normalisation beside the weights, load_exported reads both back") {
  const auto path = std::filesystem::temp_directory_path() / "galnet_save_model.safetensors";
  galnet::models::SFNet<float, galnet::Cpu, 1, 8> trained(3), fresh(3);
  const auto norm = galnet::data::Normalization{{0.1f, 0.2f, 0.3f}, {0.5f, 0.6f, 0.7f}};
  galnet::io::save_model(path, trained, norm);
  galnet::io::load_exported(fresh, path);
  const auto back = galnet::io::read_normalization(path);
  REQUIRE(back.has_value());
  CHECK(back->mean == norm.mean);
  CHECK(back->std == norm.std);
  auto a = galnet::nn::named_state(trained), b = galnet::nn::named_state(fresh);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i].second->to_vector() == b[i].second->to_vector());
  std::filesystem::remove(path);
}
