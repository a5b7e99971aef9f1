#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include <vector>

#include "vision/decoders/heads/segmentation_head.h"
#include "vision/layers/conv_norm_activation.h"

namespace vedkit {

// Atrous spatial pyramid pooling (torchvision's ASPP): a 1x1 branch, one dilated 3x3 branch
// per rate and an image-pooling branch, concatenated and projected to `channels`, dropout 0.5.
class AsppImpl : public torch::nn::Module {
 public:
  AsppImpl(int64_t in_channels, const std::vector<int64_t>& rates, int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);
  void fold();
  ConvGraph::Value describe(ConvGraph& graph, ConvGraph::Value x) const;  // once folded

 private:
  std::vector<ConvNormActivation> branches_;
  // The pooling branch, torchvision's names: 0 pool, 1 conv, 2 bn.
  torch::nn::Conv2d pool_conv_{nullptr};
  torch::nn::BatchNorm2d pool_bn_{nullptr};
  bool folded_ = false;
  ConvNormActivation project_{nullptr};
};
TORCH_MODULE(Aspp);

// torchvision's DeepLabHead on the coarsest level: ASPP, 3x3 convolution, batch-norm, ReLU,
// 1x1 convolution to the classes.
class DeepLabV3HeadImpl : public SegmentationHeadImpl {
 public:
  DeepLabV3HeadImpl(int64_t in_channels, const std::vector<int64_t>& rates, int64_t channels,
                    int64_t num_classes);
  torch::Tensor forward(const std::vector<torch::Tensor>& levels) override;
  void fold_for_inference() override;
  ConvGraph::Value describe(ConvGraph& graph,
                            const std::vector<ConvGraph::Value>& levels) const override;

 private:
  bool folded_ = false;
  Aspp aspp_{nullptr};
  torch::nn::Conv2d conv_{nullptr}, classifier_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};

}  // namespace vedkit
