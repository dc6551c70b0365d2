// galnet/data/normalize.hpp — per-channel normalisation and its statistics.
//
// Contract
//   - Normalization::apply maps every value of channel ch to (x - mean[ch]) / std[ch], in place,
//     on float CHW images already scaled to [0, 1] by to_chw (ImageNet statistics are on that
//     scale). One channel uses mean[0]/std[0]; more than 3 channels is an error.
//   - imagenet(): torchvision's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
//     unit(): mean 0, std 1 — the pixels stay as to_chw scaled them (/255 only).
//   - To keep the statistics beside the weights, to_tensors() gives two float tensors of shape
//     [3] named kMeanKey ("normalization.mean") and kStdKey ("normalization.std"), e.g. for
//     io::write_safetensors; from_tensors() reads them back and checks them (3 finite values,
//     std > 0).
//   - RunningChannelStats measures per-channel mean and standard deviation over a training set:
//     each image's channel mean and sum of squared deviations are computed in double (two passes)
//     and merged with Chan et al.'s parallel form of Welford's update, so the result does not
//     lose precision over millions of pixels; merge() combines the stats of loader threads. std is
//     the population standard deviation (divide by N) unless unbiased = true (N - 1).
//   - measure_normalization(src, rows) is that over the first 512 of a source's rows as they
//     load without augmentation (what the CNN programs do for a paper without fixed statistics).
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/rng.hpp"
#include "galnet/core/tensor.hpp"

namespace galnet::data {

struct Normalization {
  std::array<float, 3> mean{0.0f, 0.0f, 0.0f};
  std::array<float, 3> std{1.0f, 1.0f, 1.0f};

  static constexpr const char* kMeanKey = "normalization.mean";
  static constexpr const char* kStdKey = "normalization.std";

  static Normalization imagenet() { return {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}}; }
  static Normalization unit() { return {}; }

  /// (x - mean[ch]) / std[ch] in place over a c x h x w image.
  void apply(float* chw, int c, int h, int w) const {
    GALNET_CHECK(c >= 1 && c <= 3 && h >= 0 && w >= 0, "galnet::data::Normalization::apply: ", c,
                 " channels (1 to 3 supported), size ", h, "x", w);
    const std::size_t plane = static_cast<std::size_t>(h) * static_cast<std::size_t>(w);
    for (int ch = 0; ch < c; ++ch) {
      const float m = mean[ch], inv = 1.0f / std[ch];
      float* p = chw + ch * plane;
      for (std::size_t i = 0; i < plane; ++i) p[i] = (p[i] - m) * inv;
    }
  }
  /// apply() over n images stored one after another.
  void apply_batch(float* nchw, int n, int c, int h, int w) const {
    const std::size_t item = static_cast<std::size_t>(c) * h * w;
    for (int i = 0; i < n; ++i) apply(nchw + i * item, c, h, w);
  }
  /// The inverse of apply(): x * std[ch] + mean[ch] (to look at normalised images).
  void invert(float* chw, int c, int h, int w) const {
    GALNET_CHECK(c >= 1 && c <= 3, "galnet::data::Normalization::invert: ", c,
                 " channels (1 to 3 supported)");
    const std::size_t plane = static_cast<std::size_t>(h) * static_cast<std::size_t>(w);
    for (int ch = 0; ch < c; ++ch)
      for (std::size_t i = 0; i < plane; ++i) chw[ch * plane + i] = chw[ch * plane + i] * std[ch] + mean[ch];
  }

  /// {kMeanKey, mean [3]}, {kStdKey, std [3]}.
  [[nodiscard]] std::vector<std::pair<std::string, Tensor<float>>> to_tensors() const {
    std::vector<std::pair<std::string, Tensor<float>>> out;
    out.emplace_back(kMeanKey, Tensor<float>::from(Shape{3}, {mean[0], mean[1], mean[2]}));
    out.emplace_back(kStdKey, Tensor<float>::from(Shape{3}, {std[0], std[1], std[2]}));
    return out;
  }
  static Normalization from_tensors(const Tensor<float>& m, const Tensor<float>& s) {
    GALNET_CHECK(m.numel() == 3 && s.numel() == 3, "galnet::data::Normalization::from_tensors: '", kMeanKey,
                 "' and '", kStdKey, "' must hold 3 values each, got shapes ", m.shape().str(), " and ",
                 s.shape().str());
    Normalization n;
    for (int i = 0; i < 3; ++i) {
      GALNET_CHECK(std::isfinite(m[i]) && std::isfinite(s[i]) && s[i] > 0,
                   "galnet::data::Normalization::from_tensors: channel ", i, " has mean ", m[i], " and std ",
                   s[i], " (need finite values and std > 0)");
      n.mean[i] = m[i];
      n.std[i] = s[i];
    }
    return n;
  }
};

class RunningChannelStats {
public:
  explicit RunningChannelStats(int channels = 3)
      : channels_(channels),
        mean_(static_cast<std::size_t>(channels), 0.0),
        m2_(static_cast<std::size_t>(channels), 0.0) {
    GALNET_CHECK(channels >= 1, "galnet::data::RunningChannelStats: need at least one channel, got ",
                 channels);
  }

  /// Adds one c x h x w image (c must equal channels()).
  void add(const float* chw, int c, int h, int w) {
    GALNET_CHECK(c == channels_ && h >= 0 && w >= 0, "galnet::data::RunningChannelStats::add: image has ", c,
                 " channels, the stats ", channels_);
    const auto nb = static_cast<std::int64_t>(h) * w;
    if (nb == 0) return;
    for (int ch = 0; ch < c; ++ch) {
      const float* p = chw + static_cast<std::size_t>(ch) * nb;
      double sum = 0;
      for (std::int64_t i = 0; i < nb; ++i) sum += p[i];
      const double mb = sum / static_cast<double>(nb);
      double m2b = 0;
      for (std::int64_t i = 0; i < nb; ++i) m2b += (p[i] - mb) * (p[i] - mb);
      combine(ch, nb, mb, m2b);
    }
    n_ += nb;
  }
  /// Adds n images stored one after another.
  void add_batch(const float* nchw, int n, int c, int h, int w) {
    const std::size_t item = static_cast<std::size_t>(c) * h * w;
    for (int i = 0; i < n; ++i) add(nchw + i * item, c, h, w);
  }
  /// Adds the values another accumulator has seen (e.g. another loader thread's).
  void merge(const RunningChannelStats& o) {
    GALNET_CHECK(o.channels_ == channels_, "galnet::data::RunningChannelStats::merge: ", o.channels_,
                 " channels into ", channels_);
    if (o.n_ == 0) return;
    for (int ch = 0; ch < channels_; ++ch) combine(ch, o.n_, o.mean_[ch], o.m2_[ch]);
    n_ += o.n_;
  }

  [[nodiscard]] int channels() const { return channels_; }
  /// Values seen per channel.
  [[nodiscard]] std::int64_t count() const { return n_; }
  [[nodiscard]] double mean(int ch) const { return mean_.at(static_cast<std::size_t>(ch)); }
  [[nodiscard]] double variance(int ch, bool unbiased = false) const {
    const double d = static_cast<double>(unbiased ? n_ - 1 : n_);
    return d > 0 ? m2_.at(static_cast<std::size_t>(ch)) / d : 0.0;
  }
  [[nodiscard]] double stddev(int ch, bool unbiased = false) const {
    return std::sqrt(variance(ch, unbiased));
  }

  /// The measured statistics as a Normalization (1 or 3 channels; one channel fills all three).
  [[nodiscard]] Normalization normalization(bool unbiased = false) const {
    GALNET_CHECK(channels_ == 1 || channels_ == 3,
                 "galnet::data::RunningChannelStats::normalization: ", channels_,
                 " channels (1 or 3 supported)");
    GALNET_CHECK(n_ > 0, "galnet::data::RunningChannelStats::normalization: no values were added");
    Normalization n;
    for (int i = 0; i < 3; ++i) {
      const int ch = channels_ == 1 ? 0 : i;
      n.mean[i] = static_cast<float>(mean(ch));
      n.std[i] = static_cast<float>(stddev(ch, unbiased));
      GALNET_CHECK(n.std[i] > 0, "galnet::data::RunningChannelStats::normalization: channel ", ch,
                   " is constant (std 0); cannot normalise by it");
    }
    return n;
  }

private:
  void combine(int ch, std::int64_t nb, double mb, double m2b) {
    const auto c = static_cast<std::size_t>(ch);
    const double na = static_cast<double>(n_), nbd = static_cast<double>(nb), n = na + nbd;
    const double delta = mb - mean_[c];
    mean_[c] += delta * nbd / n;
    m2_[c] += m2b + delta * delta * na * nbd / n;
  }

  int channels_;
  std::int64_t n_ = 0;
  std::vector<double> mean_, m2_;
};

/// Per-channel statistics of the first `max_images` of `rows` of a sample source (its images
/// [C, H, W] as they load in eval mode, without augmentation; its training mode is restored).
template <class Source>
Normalization measure_normalization(Source& src, const std::vector<std::size_t>& rows, std::size_t max_images = 512) {
  const Shape s = src.sample_shape();
  const int c = static_cast<int>(s[0]);
  RunningChannelStats stats(c);
  std::vector<float> img(static_cast<std::size_t>(s.numel())), t(static_cast<std::size_t>(std::max(1, src.target_count())));
  const bool was = src.training();
  src.train(false);
  Generator g;
  for (std::size_t i = 0; i < rows.size() && i < max_images; ++i) {
    src.load(rows[i], img.data(), t.data(), g);
    stats.add(img.data(), c, static_cast<int>(s[1]), static_cast<int>(s[2]));
  }
  src.train(was);
  return stats.normalization();
}

}  // namespace galnet::data
