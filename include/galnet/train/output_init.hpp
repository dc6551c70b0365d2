// galnet/train/output_init.hpp — init_output_layer: a regression network's output layer started
// at its targets.
//
// Sets a freshly initialised output Linear's bias to each target's mean over the training rows
// and, with `scale`, multiplies each output's weights by that target's standard deviation, so
// the first epochs learn structure rather than the offset of, say, 12 + log(O/H) ≈ 8.9 (and a
// kaiming head does not start with predictions spread ten times the targets'). On a GPU the
// tensors are staged through the host.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "galnet/core/tensor.hpp"
#include "galnet/data/catalog.hpp"

namespace galnet::train {

template <class Linear>
void init_output_layer(Linear& layer, const data::Catalog& cat, const std::vector<std::size_t>& rows,
                       const std::vector<std::string>& targets, bool scale) {
  auto &wd = layer.weight().value, &bd = layer.bias().value;
  Tensor<float> w(wd.shape()), bias(bd.shape());
  wd.download(w.data());
  bd.download(bias.data());
  const auto outputs = static_cast<std::int64_t>(targets.size());
  GALNET_CHECK(bias.numel() == outputs && !rows.empty(), "train::init_output_layer: ", bias.numel(), " outputs for ",
               outputs, " targets over ", rows.size(), " rows");
  const std::int64_t fan_in = w.numel() / outputs;
  for (std::int64_t j = 0; j < outputs; ++j) {
    double s = 0, ss = 0;
    for (auto r : rows) {
      const double y = cat.value(r, targets[static_cast<std::size_t>(j)]);
      s += y, ss += y * y;
    }
    const double n = static_cast<double>(rows.size()), mean = s / n;
    bias[j] = static_cast<float>(mean);
    if (scale) {
      const auto sd = static_cast<float>(std::sqrt(std::max(ss / n - mean * mean, 0.0)));
      for (std::int64_t i = 0; i < fan_in; ++i) w[j * fan_in + i] *= sd;
    }
  }
  wd.upload(w.data());
  bd.upload(bias.data());
}

}  // namespace galnet::train
