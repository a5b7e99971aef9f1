#pragma once

#include <torch/nn/module.h>

#include <memory>
#include <vector>

#include "core/config.h"
#include "vision/encoders/encoder.h"

namespace vedkit {

// A decoder that turns an encoder's pyramid into class logits [B, K, h, w] at some stride of
// the input (torchvision's segmentation heads); the segmentation model upsamples them to the
// input's size. Unlike the U-Net, a head takes images of any size.
class SegmentationHeadImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const std::vector<torch::Tensor>& levels) = 0;
  // Folds batch-norm into the convolutions, for inference only.
  virtual void fold_for_inference() = 0;
  // Once folded: the head on the encoder's described levels, its logits at their stride.
  virtual ConvGraph::Value describe(ConvGraph& graph,
                                    const std::vector<ConvGraph::Value>& levels) const = 0;
};

using SegmentationHead = std::shared_ptr<SegmentationHeadImpl>;

// Builds the head that section's `type` names (fcn | deeplabv3 | lraspp) for pyramid, with
// num_classes outputs; "unet" is not a head (segmentation_model.h builds it).
SegmentationHead build_segmentation_head(ConfigSection& section,
                                         const std::vector<PyramidLevel>& pyramid,
                                         int64_t num_classes);

}  // namespace vedkit
