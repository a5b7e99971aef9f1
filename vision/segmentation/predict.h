#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "vision/segmentation/segmentation_model.h"

namespace vedkit {

struct PredictOptions {
  // Images with a side above tile_size run as overlapping tile_size crops (mmseg's slide
  // mode): logits summed and divided by how many windows cover each pixel. 0 = never tile;
  // -1: the model's default_tile_size(). tile_stride 0: two thirds of the tile.
  int64_t tile_size = -1;
  int64_t tile_stride = 0;
  bool flip = false;  // test-time augmentation: average with the horizontal flip
  // Test-time augmentation (mmseg's multi-scale test): the image is also resized by each factor,
  // and the probabilities, resized back, are averaged. {1} = the image as it is.
  std::vector<double> scales{1.0};
};

// images [B, C, H, W] in [0, 1], any H and W: padded (with 0) to the model's size multiple,
// run, and cropped back. Returns class probabilities [B, K, H, W].
at::Tensor predict_probabilities(SegmentationModelImpl& model, const at::Tensor& images,
                                 const PredictOptions& options = {});

// predict_probabilities(...).argmax(1): each pixel's class [B, H, W]. With nothing to average
// (no flip, one scale) it takes the argmax of the logits and skips the softmax.
at::Tensor predict_classes(SegmentationModelImpl& model, const at::Tensor& images,
                           const PredictOptions& options = {});

}  // namespace vedkit
