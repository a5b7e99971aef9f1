#include "vision/decoders/heads/deeplabv3_head.h"

#include <torch/nn/functional/dropout.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

#include "vision/layers/conv_bn.h"

namespace vedkit {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

AsppImpl::AsppImpl(int64_t in_channels, const std::vector<int64_t>& rates, int64_t channels) {
  nn::ModuleList convs;
  branches_.push_back(ConvNormActivation(ConvNormActivationOptions(in_channels, channels, 1)));
  for (const int64_t rate : rates) {
    branches_.push_back(
        ConvNormActivation(ConvNormActivationOptions(in_channels, channels, 3).dilation(rate)));
  }
  for (auto& branch : branches_) convs->push_back(branch);
  pool_conv_ = nn::Conv2d(nn::Conv2dOptions(in_channels, channels, 1).bias(false));
  pool_bn_ = nn::BatchNorm2d(channels);
  nn::Sequential pooling;
  pooling->push_back("0", nn::AdaptiveAvgPool2d(1));
  pooling->push_back("1", pool_conv_);
  pooling->push_back("2", pool_bn_);
  convs->push_back(pooling);
  register_module("convs", convs);
  const int64_t concatenated = channels * static_cast<int64_t>(branches_.size() + 1);
  project_ = register_module(
      "project", ConvNormActivation(ConvNormActivationOptions(concatenated, channels, 1)));
}

torch::Tensor AsppImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> outputs;
  for (auto& branch : branches_) outputs.push_back(branch->forward(x));
  auto pooled = torch::relu(conv_bn(x.mean({2, 3}, true), pool_conv_, pool_bn_, folded_));
  // Bilinear from 1x1 is a broadcast, as torchvision's interpolate gives.
  outputs.push_back(pooled.expand({-1, -1, x.size(2), x.size(3)}));
  auto y = project_->forward(torch::cat(outputs, 1));
  return F::dropout(y, F::DropoutFuncOptions().p(0.5).training(is_training()));
}

ConvGraph::Value AsppImpl::describe(ConvGraph& graph, ConvGraph::Value x) const {
  auto pooled = describe_conv(graph, graph.mean(x), pool_conv_, Activation::kReLU);
  auto all = branches_.front()->describe(graph, x);
  for (size_t i = 1; i < branches_.size(); ++i) {
    all = graph.concat(all, branches_[i]->describe(graph, x));
  }
  all = graph.concat(all, graph.upsample_nearest(pooled, x));  // 1x1 to x's size: a broadcast
  return project_->describe(graph, all);
}

void AsppImpl::fold() {
  for (auto& branch : branches_) branch->fold();
  fold_conv_bn(pool_conv_, pool_bn_);
  project_->fold();
  folded_ = true;
}

DeepLabV3HeadImpl::DeepLabV3HeadImpl(int64_t in_channels, const std::vector<int64_t>& rates,
                                     int64_t channels, int64_t num_classes) {
  // torchvision's Sequential: 0 ASPP, 1 conv, 2 bn, 3 relu, 4 conv.
  aspp_ = register_module("0", Aspp(in_channels, rates, channels));
  conv_ = register_module(
      "1", nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).padding(1).bias(false)));
  bn_ = register_module("2", nn::BatchNorm2d(channels));
  classifier_ = register_module("4", nn::Conv2d(nn::Conv2dOptions(channels, num_classes, 1)));
}

torch::Tensor DeepLabV3HeadImpl::forward(const std::vector<torch::Tensor>& levels) {
  auto x = aspp_->forward(levels.back());
  return classifier_->forward(torch::relu(conv_bn(x, conv_, bn_, folded_)));
}

ConvGraph::Value DeepLabV3HeadImpl::describe(ConvGraph& graph,
                                             const std::vector<ConvGraph::Value>& levels) const {
  const auto x = describe_conv(graph, aspp_->describe(graph, levels.back()), conv_, true);
  return describe_conv(graph, x, classifier_, false);
}

void DeepLabV3HeadImpl::fold_for_inference() {
  aspp_->fold();
  fold_conv_bn(conv_, bn_);
  folded_ = true;
}

}  // namespace vedkit
