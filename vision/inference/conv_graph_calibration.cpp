#include "vision/inference/conv_graph_calibration.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "vision/inference/conv_graph_eager.h"

namespace vedkit {

ConvGraphCalibration::ConvGraphCalibration(const ConvGraph& graph)
    : graph_(graph), ranges_(graph.ops().size(), 0.0f) {}

void ConvGraphCalibration::observe(const at::Tensor& images) {
  c10::InferenceMode inference;
  run_conv_graph_eagerly(graph_, images.to(at::kFloat),
                         [this](ConvGraph::Value v, const at::Tensor& value) {
                           ranges_[v] = std::max(ranges_[v], value.abs().max().item<float>());
                         });
}

std::vector<bool> int8_values(const ConvGraph& graph) {
  using Kind = ConvGraph::Kind;
  const auto& ops = graph.ops();
  std::vector<bool> read(ops.size(), false), int8(ops.size(), false);
  for (const auto& op : ops) {
    for (auto input : op.inputs) read[input] = true;
  }
  for (size_t v = 0; v < ops.size(); ++v) {
    const auto& op = ops[v];
    if (op.kind == Kind::kConv) {
      int8[v] = read[v];
    } else if (op.kind == Kind::kMaxPool || op.kind == Kind::kUpsample) {
      int8[v] = int8[op.inputs[0]];
    } else if (op.kind == Kind::kConcat) {
      int8[v] = int8[op.inputs[0]] && int8[op.inputs[1]];
    }
  }
  return int8;
}

void check_int8_ranges(const ConvGraph& graph, const std::vector<float>& ranges) {
  if (ranges.size() != graph.ops().size()) {
    throw std::invalid_argument(
        "int8 ranges for " + std::to_string(ranges.size()) + " values, but the model's graph has " +
        std::to_string(graph.ops().size()) + "; export it again with vedkit-export --int8");
  }
}

std::string describe_int8_layers(const ConvGraph& graph, const torch::nn::Module& model) {
  using Kind = ConvGraph::Kind;
  static const std::map<Kind, std::string> names = {
      {Kind::kInput, "inputs"},          {Kind::kConv, "convolutions"},
      {Kind::kMaxPool, "max-pools"},     {Kind::kUpsample, "upsamples"},
      {Kind::kConcat, "concatenations"}, {Kind::kMean, "means"},
      {Kind::kScale, "channel scales"},  {Kind::kResize, "bilinear resizes"}};
  std::map<const void*, std::string> module_of_weight;
  for (const auto& parameter : model.named_parameters()) {
    const auto& key = parameter.key();
    const std::string suffix = ".weight";
    if (key.size() > suffix.size() &&
        key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      module_of_weight[parameter.value().data_ptr()] = key.substr(0, key.size() - suffix.size());
    }
  }
  const auto int8 = int8_values(graph);
  std::map<Kind, int> in_int8, in_float;
  std::string float_convolutions;
  for (size_t v = 0; v < int8.size(); ++v) {
    const auto& op = graph.ops()[v];
    ++(int8[v] ? in_int8 : in_float)[op.kind];
    if (!int8[v] && op.kind == Kind::kConv) {
      const auto found = module_of_weight.find(op.weight.data_ptr());
      float_convolutions += (float_convolutions.empty() ? "" : ", ") +
                            (found == module_of_weight.end() ? std::string("?") : found->second);
    }
  }
  auto list = [&](const std::map<Kind, int>& counts) {
    std::string text;
    for (const auto& [kind, count] : counts) {
      const auto& name = names.at(kind);
      text += (text.empty() ? " " : ", ") + std::to_string(count) + " " +
              (count == 1 ? name.substr(0, name.size() - 1) : name);
      if (&counts == &in_float && kind == Kind::kConv) text += " (" + float_convolutions + ")";
    }
    return text.empty() ? std::string(" none") : text;
  };
  return "int8:" + list(in_int8) + "; float32:" + list(in_float);
}

}  // namespace vedkit
