#include "vision/decoders/heads/fcn_head.h"

#include <torch/nn/functional/dropout.h>

#include "vision/layers/conv_bn.h"

namespace vedkit {

namespace nn = torch::nn;

FcnHeadImpl::FcnHeadImpl(int64_t in_channels, int64_t channels, int64_t num_classes) {
  // torchvision's Sequential: 0 conv, 1 bn, 2 relu, 3 dropout, 4 conv.
  conv_ = register_module(
      "0", nn::Conv2d(nn::Conv2dOptions(in_channels, channels, 3).padding(1).bias(false)));
  bn_ = register_module("1", nn::BatchNorm2d(channels));
  classifier_ = register_module("4", nn::Conv2d(nn::Conv2dOptions(channels, num_classes, 1)));
}

torch::Tensor FcnHeadImpl::forward(const std::vector<torch::Tensor>& levels) {
  namespace F = torch::nn::functional;
  auto x = torch::relu(conv_bn(levels.back(), conv_, bn_, folded_));
  x = F::dropout(x, F::DropoutFuncOptions().p(0.1).training(is_training()));
  return classifier_->forward(x);
}

void FcnHeadImpl::fold_for_inference() {
  fold_conv_bn(conv_, bn_);
  folded_ = true;
}

ConvGraph::Value FcnHeadImpl::describe(ConvGraph& graph,
                                       const std::vector<ConvGraph::Value>& levels) const {
  const auto x = describe_conv(graph, levels.back(), conv_, true);
  return describe_conv(graph, x, classifier_, false);
}

}  // namespace vedkit
