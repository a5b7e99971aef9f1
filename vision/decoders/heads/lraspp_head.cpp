#include "vision/decoders/heads/lraspp_head.h"

#include <torch/nn/functional/upsampling.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/pooling.h>

#include "vision/layers/conv_bn.h"

namespace vedkit {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

LrasppHeadImpl::LrasppHeadImpl(int64_t low_level, int64_t low_channels, int64_t high_channels,
                               int64_t channels, int64_t num_classes)
    : low_level_(low_level) {
  cbr_conv_ = nn::Conv2d(nn::Conv2dOptions(high_channels, channels, 1).bias(false));
  cbr_bn_ = nn::BatchNorm2d(channels);
  nn::Sequential cbr;
  cbr->push_back("0", cbr_conv_);
  cbr->push_back("1", cbr_bn_);
  register_module("cbr", cbr);
  scale_conv_ = nn::Conv2d(nn::Conv2dOptions(high_channels, channels, 1).bias(false));
  nn::Sequential scale;
  scale->push_back("0", nn::AdaptiveAvgPool2d(1));
  scale->push_back("1", scale_conv_);
  register_module("scale", scale);
  low_classifier_ = register_module("low_classifier",
                                    nn::Conv2d(nn::Conv2dOptions(low_channels, num_classes, 1)));
  high_classifier_ =
      register_module("high_classifier", nn::Conv2d(nn::Conv2dOptions(channels, num_classes, 1)));
}

torch::Tensor LrasppHeadImpl::forward(const std::vector<torch::Tensor>& levels) {
  const auto& low = levels.at(low_level_);
  const auto& high = levels.back();
  auto x = torch::relu(conv_bn(high, cbr_conv_, cbr_bn_, folded_));
  x = x * torch::sigmoid(scale_conv_->forward(high.mean({2, 3}, true)));
  x = F::interpolate(x, F::InterpolateFuncOptions()
                            .size(std::vector<int64_t>{low.size(2), low.size(3)})
                            .mode(torch::kBilinear)
                            .align_corners(false));
  return low_classifier_->forward(low) + high_classifier_->forward(x);
}

ConvGraph::Value LrasppHeadImpl::describe(ConvGraph& graph,
                                          const std::vector<ConvGraph::Value>& levels) const {
  const auto low = levels.at(low_level_);
  const auto high = levels.back();
  auto x = describe_conv(graph, high, cbr_conv_, Activation::kReLU);
  x = graph.scale(x, describe_conv(graph, graph.mean(high), scale_conv_, Activation::kSigmoid));
  x = graph.resize_bilinear(x, low);
  const auto low_logits = describe_conv(graph, low, low_classifier_, false);
  return describe_conv(graph, x, high_classifier_, false, low_logits);
}

void LrasppHeadImpl::fold_for_inference() {
  fold_conv_bn(cbr_conv_, cbr_bn_);
  folded_ = true;
}

}  // namespace vedkit
