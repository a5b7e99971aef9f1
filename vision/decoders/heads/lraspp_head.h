#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include "vision/decoders/heads/segmentation_head.h"

namespace vedkit {

// torchvision's LRASPPHead (Lite R-ASPP, "Searching for MobileNetV3"): the coarsest level
// through a 1x1 convolution, batch-norm and ReLU, scaled by a sigmoid gate of its global
// average, upsampled to the low level's size; class logits of each, summed.
class LrasppHeadImpl : public SegmentationHeadImpl {
 public:
  LrasppHeadImpl(int64_t low_level, int64_t low_channels, int64_t high_channels, int64_t channels,
                 int64_t num_classes);
  torch::Tensor forward(const std::vector<torch::Tensor>& levels) override;
  void fold_for_inference() override;
  ConvGraph::Value describe(ConvGraph& graph,
                            const std::vector<ConvGraph::Value>& levels) const override;

 private:
  int64_t low_level_;  // which pyramid level is the low one
  bool folded_ = false;
  torch::nn::Conv2d cbr_conv_{nullptr}, scale_conv_{nullptr};
  torch::nn::BatchNorm2d cbr_bn_{nullptr};
  torch::nn::Conv2d low_classifier_{nullptr}, high_classifier_{nullptr};
};

}  // namespace vedkit
