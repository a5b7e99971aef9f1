#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/config.h"

namespace vedkit {

// One term of the segmentation loss, from `train.losses: [{type: ..., weight: ...}]`:
// cross_entropy (class_weights, label_smoothing), dice (soft, over classes present in the
// target, as SMP), focal (gamma), region_cross_entropy (one answer per region, below). Pixels
// equal to ignore_index count in none of them.
struct SegmentationLossTerm {
  std::string type = "cross_entropy";
  double weight = 1.0;
  std::vector<double> class_weights;  // cross_entropy only; empty = uniform
  double label_smoothing = 0.0;       // cross_entropy only
  double gamma = 2.0;                 // focal only
};

struct SegmentationLossOptions {
  std::vector<SegmentationLossTerm> terms = {SegmentationLossTerm{}};
  int64_t ignore_index = 255;
};

SegmentationLossOptions read_segmentation_loss_options(ConfigSection train, int64_t num_classes);

// logits [B, K, H, W], target [B, H, W] int64. Returns the weighted sum.
at::Tensor weighted_cross_entropy(const at::Tensor& logits, const at::Tensor& target,
                              const SegmentationLossTerm& term, int64_t ignore_index);
at::Tensor soft_dice_loss(const at::Tensor& logits, const at::Tensor& target, int64_t ignore_index);
at::Tensor focal_loss(const at::Tensor& logits, const at::Tensor& target, double gamma,
                      int64_t ignore_index);
// Cross-entropy of each region's mean logits against its class, where a region is all the
// pixels of one class in one image; the mean over the regions present. Per-pixel losses weigh
// a large item more than a small one and never ask for one answer per item; this weighs every
// region alike and asks each for one answer.
at::Tensor region_cross_entropy(const at::Tensor& logits, const at::Tensor& target,
                                int64_t ignore_index);
at::Tensor segmentation_loss(const at::Tensor& logits, const at::Tensor& target,
                             const SegmentationLossOptions& options);

}  // namespace vedkit
