#include "vision/encoders/state_dict.h"

#include <torch/serialize.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>

#include "core/error.h"

namespace vedkit {
std::string shape_text(const at::Tensor& tensor) {
  std::string text = "[";
  for (int64_t i = 0; i < tensor.dim(); ++i) text += (i ? ", " : "") + std::to_string(tensor.size(i));
  return text + "]";
}

StateDict read_state_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open weights file; check model.encoder.weights");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    throw Error(path + ": not a PyTorch state dict file; convert it with "
                       "scripts/import_torchvision.py");
  }
  if (!value.isGenericDict()) {
    throw Error(path + ": expected a dict of tensors (save dict(state_dict), not an "
                       "OrderedDict or a whole model); use scripts/import_torchvision.py");
  }
  StateDict state;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor()) continue;
    state.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
  }
  return state;
}

at::Tensor find_tensor(const StateDict& state, const std::string& name) {
  const auto found = std::find_if(state.begin(), state.end(),
                                  [&](const auto& entry) { return entry.first == name; });
  return found == state.end() ? at::Tensor() : found->second;
}

int64_t copy_state(torch::nn::Module& module, const StateDict& state,
                   const std::vector<std::string>& ignored_prefixes, const StateAdapter& adapt) {
  auto ignored = [&](const std::string& name) {
    return std::any_of(ignored_prefixes.begin(), ignored_prefixes.end(),
                       [&](const std::string& prefix) { return name.rfind(prefix, 0) == 0; });
  };
  std::map<std::string, at::Tensor> targets;
  for (const auto& item : module.named_parameters()) targets[item.key()] = item.value();
  for (const auto& item : module.named_buffers()) targets[item.key()] = item.value();

  std::map<std::string, at::Tensor> sources;
  for (const auto& [name, tensor] : state) {
    if (ignored(name)) continue;
    const auto target = targets.find(name);
    if (target == targets.end()) {
      throw Error("weights: unexpected tensor '" + name + "' " + shape_text(tensor) +
                  "; the state dict was written for another architecture or depth");
    }
    const at::Tensor source = adapt ? adapt(name, tensor) : tensor;
    if (source.sizes() != target->second.sizes()) {
      throw Error("weights: '" + name + "' is " + shape_text(source) + " in the state dict, " +
                  shape_text(target->second) + " in the model; check the encoder's depth/width");
    }
    sources[name] = source;
  }
  for (const auto& [name, target] : targets) {
    if (!ignored(name) && sources.count(name) == 0) {
      throw Error("weights: the state dict is missing '" + name + "' " + shape_text(target));
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, source] : sources) targets.at(name).copy_(source);
  return static_cast<int64_t>(sources.size());
}

at::Tensor adapt_input_filters(const at::Tensor& rgb_weight, int64_t in_channels,
                               const std::string& name, std::string& note) {
  if (in_channels == rgb_weight.size(1)) return rgb_weight;
  if (in_channels == 1) {
    note = name + ": summed RGB filters for 1 input channel";
    return rgb_weight.sum(1, /*keepdim=*/true);
  }
  std::vector<int64_t> order;
  for (int64_t c = 0; c < in_channels; ++c) order.push_back(c % rgb_weight.size(1));
  note = name + ": repeated RGB filters over " + std::to_string(in_channels) +
         " input channels, scaled by 3/" + std::to_string(in_channels);
  return rgb_weight.index_select(1, torch::tensor(order)) *
         (static_cast<double>(rgb_weight.size(1)) / in_channels);
}

}  // namespace vedkit
