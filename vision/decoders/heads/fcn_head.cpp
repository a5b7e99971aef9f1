#include "vision/decoders/heads/fcn_head.h"

#include <torch/nn/functional/dropout.h>

namespace vedkit {

FcnHeadImpl::FcnHeadImpl(int64_t in_channels, int64_t channels, int64_t num_classes) {
  // torchvision's Sequential: 0 conv, 1 bn, 2 relu, 3 dropout, 4 conv. The block holds 0 and
  // 1 itself, so it is registered under no name of its own; its tensors are renamed here.
  block_ = ConvNormActivation(ConvNormActivationOptions(in_channels, channels, 3));
  for (auto& item : block_->named_children()) register_module(item.key(), item.value());
  classifier_ =
      register_module("4", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, num_classes, 1)));
}

torch::Tensor FcnHeadImpl::forward(const std::vector<torch::Tensor>& levels) {
  namespace F = torch::nn::functional;
  auto x = block_->forward(levels.back());
  x = F::dropout(x, F::DropoutFuncOptions().p(0.1).training(is_training()));
  return classifier_->forward(x);
}

void FcnHeadImpl::fold_for_inference() { block_->fold(); }

ConvGraph::Value FcnHeadImpl::describe(ConvGraph& graph,
                                       const std::vector<ConvGraph::Value>& levels) const {
  return describe_conv(graph, block_->describe(graph, levels.back()), classifier_, false);
}

}  // namespace vedkit
