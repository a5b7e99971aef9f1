#include "vision/encoders/mobilenet_v3.h"

#include <ATen/ops/hardsigmoid.h>
#include <torch/nn/modules/container/modulelist.h>

#include <algorithm>

#include "core/error.h"

namespace vedkit {
namespace {

namespace nn = torch::nn;

// torchvision's _make_divisible(v, 8): the nearest multiple of 8, at least 8, and never more
// than 10% below v.
int64_t make_divisible(int64_t v, int64_t divisor = 8) {
  int64_t rounded = std::max(divisor, (v + divisor / 2) / divisor * divisor);
  if (rounded * 10 < v * 9) rounded += divisor;
  return rounded;
}

// torchvision's _mobilenet_v3_conf("mobilenet_v3_large"): features.1 .. features.15.
std::vector<InvertedResidualSetting> large_settings(bool dilated) {
  const int64_t d = dilated ? 2 : 1;
  return {
      // in, kernel, expanded, out, squeeze, hardswish, stride, dilation
      {16, 3, 16, 16, false, false, 1, 1},   // features.1
      {16, 3, 64, 24, false, false, 2, 1},   // features.2: C1, stride 4
      {24, 3, 72, 24, false, false, 1, 1},   // features.3
      {24, 5, 72, 40, true, false, 2, 1},    // features.4: C2, stride 8
      {40, 5, 120, 40, true, false, 1, 1},   // features.5
      {40, 5, 120, 40, true, false, 1, 1},   // features.6
      {40, 3, 240, 80, false, true, 2, 1},   // features.7: C3, stride 16
      {80, 3, 200, 80, false, true, 1, 1},   // features.8
      {80, 3, 184, 80, false, true, 1, 1},   // features.9
      {80, 3, 184, 80, false, true, 1, 1},   // features.10
      {80, 3, 480, 112, true, true, 1, 1},   // features.11
      {112, 3, 672, 112, true, true, 1, 1},  // features.12
      {112, 5, 672, 160, true, true, 2, d},  // features.13: C4, stride 32 (16 dilated)
      {160, 5, 960, 160, true, true, 1, d},  // features.14
      {160, 5, 960, 160, true, true, 1, d},  // features.15
  };
}

// Besides features.0 and features.16, the pyramid holds the outputs of features.2, .4 and .7:
// torchvision's segmentation stage indices, the blocks with stride > 1, but for features.13,
// which would make a second level at stride 32 (or a third at 16 when dilated).
bool is_pyramid_block(size_t feature_index) {
  return feature_index == 2 || feature_index == 4 || feature_index == 7;
}

}  // namespace

MobileNetV3Options read_mobilenet_v3_options(ConfigSection& section) {
  MobileNetV3Options options;
  options.in_channels = section.get_int("in_channels", options.in_channels, {1, 64});
  options.dilated = section.get_bool("dilated", options.dilated);
  return options;
}

MobileNetSqueezeImpl::MobileNetSqueezeImpl(int64_t channels, int64_t squeeze_channels) {
  fc1 = register_module("fc1", nn::Conv2d(nn::Conv2dOptions(channels, squeeze_channels, 1)));
  fc2 = register_module("fc2", nn::Conv2d(nn::Conv2dOptions(squeeze_channels, channels, 1)));
}

torch::Tensor MobileNetSqueezeImpl::forward(const torch::Tensor& x) {
  auto scale = x.mean({2, 3}, /*keepdim=*/true);  // [B, C, H, W] -> [B, C, 1, 1]
  scale = torch::relu(fc1->forward(scale));       // -> [B, squeeze, 1, 1]
  scale = at::hardsigmoid(fc2->forward(scale));   // -> [B, C, 1, 1]
  return scale * x;
}

ConvGraph::Value MobileNetSqueezeImpl::describe(ConvGraph& graph, ConvGraph::Value x) const {
  auto scale = describe_conv(graph, graph.mean(x), fc1, Activation::kReLU);
  scale = describe_conv(graph, scale, fc2, Activation::kHardsigmoid);
  return graph.scale(x, scale);
}

MobileNetBlockImpl::MobileNetBlockImpl(const InvertedResidualSetting& s)
    : residual_(s.stride == 1 && s.in_channels == s.out_channels) {
  const auto activation = s.hardswish ? Activation::kHardswish : Activation::kReLU;
  // torchvision's MobileNetV3 batch-norm: eps 1e-3, momentum 0.01.
  auto conv = [](int64_t in, int64_t out, int64_t kernel, Activation activation) {
    return ConvNormActivationOptions(in, out, kernel)
        .activation(activation)
        .eps(1e-3)
        .momentum(0.01);
  };
  auto block = register_module("block", nn::ModuleList());
  if (s.expanded_channels != s.in_channels) {
    expand = ConvNormActivation(conv(s.in_channels, s.expanded_channels, 1, activation));
    block->push_back(expand);
  }
  // torchvision trades the stride for the dilation: a dilated block keeps the resolution.
  const int64_t stride = s.dilation > 1 ? 1 : s.stride;
  depthwise =
      ConvNormActivation(conv(s.expanded_channels, s.expanded_channels, s.kernel, activation)
                             .stride(stride)
                             .dilation(s.dilation)
                             .groups(s.expanded_channels));
  block->push_back(depthwise);
  if (s.squeeze) {
    squeeze = MobileNetSqueeze(s.expanded_channels, make_divisible(s.expanded_channels / 4));
    block->push_back(squeeze);
  }
  project = ConvNormActivation(conv(s.expanded_channels, s.out_channels, 1, Activation::kNone));
  block->push_back(project);
}

torch::Tensor MobileNetBlockImpl::forward(const torch::Tensor& x) {
  auto y = expand ? expand->forward(x) : x;  // [B, in, H, W] -> [B, expanded, H, W]
  y = depthwise->forward(y);                 // -> [B, expanded, H/stride, W/stride]
  if (squeeze) y = squeeze->forward(y);
  y = project->forward(y);  // -> [B, out, H/stride, W/stride]
  return residual_ ? y + x : y;
}

ConvGraph::Value MobileNetBlockImpl::describe(ConvGraph& graph, ConvGraph::Value x) const {
  auto y = expand ? expand->describe(graph, x) : x;
  y = depthwise->describe(graph, y);
  if (squeeze) y = squeeze->describe(graph, y);
  return project->describe(graph, y, residual_ ? x : ConvGraph::kNone);
}

void MobileNetBlockImpl::fold() {
  if (expand) expand->fold();
  depthwise->fold();
  project->fold();
}

MobileNetV3EncoderImpl::MobileNetV3EncoderImpl(const MobileNetV3Options& options)
    : options_(options) {
  const auto settings = large_settings(options.dilated);
  auto features = register_module("features", nn::ModuleList());
  stem = ConvNormActivation(
      ConvNormActivationOptions(options.in_channels, settings.front().in_channels, 3)
          .stride(2)
          .activation(Activation::kHardswish)
          .eps(1e-3)
          .momentum(0.01));
  features->push_back(stem);
  pyramid_.push_back({settings.front().in_channels, 2});
  int64_t stride = 2;
  for (size_t i = 0; i < settings.size(); ++i) {
    blocks_.push_back(MobileNetBlock(settings[i]));
    features->push_back(blocks_.back());
    if (settings[i].dilation == 1) stride *= settings[i].stride;
    if (is_pyramid_block(i + 1)) pyramid_.push_back({settings[i].out_channels, stride});
  }
  const int64_t last_channels = 6 * settings.back().out_channels;  // 960
  last =
      ConvNormActivation(ConvNormActivationOptions(settings.back().out_channels, last_channels, 1)
                             .activation(Activation::kHardswish)
                             .eps(1e-3)
                             .momentum(0.01));
  features->push_back(last);
  pyramid_.push_back({last_channels, stride});
}

std::vector<torch::Tensor> MobileNetV3EncoderImpl::forward(const torch::Tensor& images) {
  if (images.dim() != 4 || images.size(1) != options_.in_channels) {
    throw Error("MobileNetV3 encoder: expected images [B, " + std::to_string(options_.in_channels) +
                ", H, W], got " + shape_text(images));
  }
  std::vector<torch::Tensor> levels;
  auto x = stem->forward(images);  // [B, 16, H/2, W/2]
  levels.push_back(x);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    x = blocks_[i]->forward(x);
    // features.2, .4, .7: [B, 24 | 40 | 80, H/4 | H/8 | H/16, W/4 | W/8 | W/16]
    if (is_pyramid_block(i + 1)) levels.push_back(x);
  }
  levels.push_back(last->forward(x));  // [B, 960, H/32, W/32] (H/16 dilated)
  return levels;
}

void MobileNetV3EncoderImpl::fold_for_inference() {
  if (folded_) return;
  stem->fold();
  for (auto& block : blocks_) block->fold();
  last->fold();
  folded_ = true;
}

std::vector<ConvGraph::Value> MobileNetV3EncoderImpl::describe(ConvGraph& graph,
                                                               ConvGraph::Value images) const {
  if (!folded_ || stem->weight().scalar_type() != torch::kFloat) return {};
  std::vector<ConvGraph::Value> levels;
  auto x = stem->describe(graph, images);
  levels.push_back(x);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    x = blocks_[i]->describe(graph, x);
    if (is_pyramid_block(i + 1)) levels.push_back(x);
  }
  levels.push_back(last->describe(graph, x));
  return levels;
}

std::string MobileNetV3EncoderImpl::load_torchvision(const StateDict& state) {
  if (folded_) throw Error("MobileNetV3 encoder: load weights before folding batch-norm");
  std::string note;
  copy_state(*this, state, {"classifier."}, [&](const std::string& name, const at::Tensor& tensor) {
    if (name != "features.0.0.weight") return tensor;
    return adapt_input_filters(tensor, options_.in_channels, name, note);
  });
  return note;
}

}  // namespace vedkit
