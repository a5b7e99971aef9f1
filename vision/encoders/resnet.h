#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>

#include "vision/encoders/encoder.h"
#include "vision/encoders/state_dict.h"
#include "vision/inference/lazy_conv_graph.h"
#include "vision/layers/conv_bn.h"

namespace vedkit {

struct ResNetOptions {
  int64_t depth = 18;  // 18 | 34 | 50 | 101
  int64_t in_channels = 3;
  int64_t width = 64;  // channels of the stem and layer1; torchvision's is 64
  // 4: torchvision's stem (7x7 stride-2 conv, then a stride-2 max-pool). 2: no max-pool, so
  // layer1..layer4 keep twice the detail of small objects, at about four times their compute.
  int64_t stem_stride = 4;
  // 32: torchvision's strides. 16 or 8: layer4 (and layer3) keep their input's stride and
  // dilate their 3x3 convolutions instead (torchvision's replace_stride_with_dilation, as its
  // FCN and DeepLabV3 models use), so the coarsest map keeps more detail. Bottlenecks only.
  int64_t output_stride = 32;
};

ResNetOptions read_resnet_options(ConfigSection& section);

// torchvision's BasicBlock (ResNet-18/34) and Bottleneck (ResNet-50, stride on the 3x3),
// with its module names so a state dict maps one to one.
class ResidualBlockImpl : public torch::nn::Module {
 public:
  // dilation applies to the 3x3 convolution that carries the stride (bottlenecks only).
  ResidualBlockImpl(int64_t in_channels, int64_t width, int64_t stride, bool bottleneck,
                    int64_t dilation = 1);
  torch::Tensor forward(const torch::Tensor& x);
  void fold();
  ConvGraph::Value describe(ConvGraph& graph, ConvGraph::Value x) const;  // once folded
  int64_t out_channels() const { return out_channels_; }

 private:
  bool bottleneck_;
  bool folded_ = false;
  int64_t out_channels_;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, down_conv{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, down_bn{nullptr};
};
TORCH_MODULE(ResidualBlock);

// ResNet-18/34/50/101 without its classifier. Pyramid: the stem (stride 2) and layer1..layer4
// (strides 4, 8, 16, 32; with stem_stride 2: 2, 4, 8, 16; with output_stride 8: 4, 8, 8, 8). Both
// stems have the same parameters, so a file trained with one loads into the other.
class ResNetEncoderImpl : public EncoderImpl {
 public:
  explicit ResNetEncoderImpl(const ResNetOptions& options);

  const std::vector<PyramidLevel>& pyramid() const override { return pyramid_; }
  int64_t in_channels() const override { return options_.in_channels; }
  int64_t size_multiple() const override { return pyramid_.back().stride; }
  std::vector<torch::Tensor> forward(const torch::Tensor& images) override;
  torch::Tensor tokens(const torch::Tensor& images) override;
  void fold_for_inference() override;
  std::vector<ConvGraph::Value> describe(ConvGraph& graph, ConvGraph::Value images) const override;
  // Both graphs (the pyramid's and the last level's) hold the same values in the same order.
  void use_int8(std::vector<float> ranges) override;
  std::string load_torchvision(const StateDict& state) override;

 private:
  ResNetOptions options_;
  std::vector<PyramidLevel> pyramid_;
  bool folded_ = false;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::MaxPool2d maxpool{nullptr};
  std::vector<torch::nn::Sequential> layers_;
  // Once folded, float32 inference runs as one graph: the whole pyramid, or its last level.
  LazyConvGraph pyramid_graph_{[this] { return describe_levels(true); }};
  LazyConvGraph last_level_graph_{[this] { return describe_levels(false); }};
  std::shared_ptr<ConvGraph> describe_levels(bool all) const;
};

}  // namespace vedkit
