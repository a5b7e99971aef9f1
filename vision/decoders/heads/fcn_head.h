#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include "vision/decoders/heads/segmentation_head.h"

namespace vedkit {

// torchvision's FCNHead on the coarsest level: 3x3 convolution to `channels` (a quarter of the
// input's by default), batch-norm, ReLU, dropout 0.1, 1x1 convolution to the classes.
class FcnHeadImpl : public SegmentationHeadImpl {
 public:
  FcnHeadImpl(int64_t in_channels, int64_t channels, int64_t num_classes);
  torch::Tensor forward(const std::vector<torch::Tensor>& levels) override;
  void fold_for_inference() override;
  ConvGraph::Value describe(ConvGraph& graph,
                            const std::vector<ConvGraph::Value>& levels) const override;

 private:
  bool folded_ = false;
  torch::nn::Conv2d conv_{nullptr}, classifier_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};

}  // namespace vedkit
