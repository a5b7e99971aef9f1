#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "vision/encoders/encoder.h"
#include "vision/encoders/state_dict.h"
#include "vision/layers/conv_norm_activation.h"

namespace vedkit {

struct MobileNetV3Options {
  int64_t in_channels = 3;
  // torchvision's dilated=True (its segmentation models): features.13-15 run at stride 1 with
  // dilation 2, so the last level has stride 16 instead of 32.
  bool dilated = false;
};

MobileNetV3Options read_mobilenet_v3_options(ConfigSection& section);

// torchvision's SqueezeExcitation as MobileNetV3 uses it: mean over H and W, fc1 (1x1 conv),
// ReLU, fc2, hard-sigmoid, times the input.
class MobileNetSqueezeImpl : public torch::nn::Module {
 public:
  MobileNetSqueezeImpl(int64_t channels, int64_t squeeze_channels);
  torch::Tensor forward(const torch::Tensor& x);
  ConvGraph::Value describe(ConvGraph& graph, ConvGraph::Value x) const;

 private:
  torch::nn::Conv2d fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(MobileNetSqueeze);

// One row of torchvision's inverted_residual_setting for mobilenet_v3_large.
struct InvertedResidualSetting {
  int64_t in_channels, kernel, expanded_channels, out_channels;
  bool squeeze, hardswish;
  int64_t stride, dilation;
};

// torchvision's InvertedResidual: block.{0..} = [expand 1x1,] depthwise kxk, [squeeze-
// excitation,] project 1x1 (no activation); the input is added when stride is 1 and the
// channels match.
class MobileNetBlockImpl : public torch::nn::Module {
 public:
  explicit MobileNetBlockImpl(const InvertedResidualSetting& setting);
  torch::Tensor forward(const torch::Tensor& x);
  void fold();
  ConvGraph::Value describe(ConvGraph& graph, ConvGraph::Value x) const;  // once folded

 private:
  bool residual_;
  ConvNormActivation expand{nullptr}, depthwise{nullptr}, project{nullptr};
  MobileNetSqueeze squeeze{nullptr};
};
TORCH_MODULE(MobileNetBlock);

// torchvision's mobilenet_v3_large `features` (without avgpool and classifier), its module
// names included. Pyramid: the outputs of torchvision's segmentation stage indices,
// features.0 (16 channels, stride 2), .2 (24, 4), .4 (40, 8), .7 (80, 16) and .16 (960, 32;
// 16 when dilated).
class MobileNetV3EncoderImpl : public EncoderImpl {
 public:
  explicit MobileNetV3EncoderImpl(const MobileNetV3Options& options);

  const std::vector<PyramidLevel>& pyramid() const override { return pyramid_; }
  int64_t in_channels() const override { return options_.in_channels; }
  int64_t size_multiple() const override { return options_.dilated ? 16 : 32; }
  std::vector<torch::Tensor> forward(const torch::Tensor& images) override;
  void fold_for_inference() override;
  std::vector<ConvGraph::Value> describe(ConvGraph& graph, ConvGraph::Value images) const override;
  std::string load_torchvision(const StateDict& state) override;

 private:
  MobileNetV3Options options_;
  std::vector<PyramidLevel> pyramid_;
  bool folded_ = false;
  ConvNormActivation stem{nullptr}, last{nullptr};  // features.0, features.16
  std::vector<MobileNetBlock> blocks_;              // features.1 .. features.15
};

}  // namespace vedkit
