#pragma once

#include <vector>

#include "datasets/segmentation/image_mask_pairs.h"
#include "vision/metrics/confusion_matrix.h"
#include "vision/segmentation/predict.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {

struct EvaluatedPairs {
  ConfusionMatrix confusion;
  int64_t evaluated = 0;
  std::vector<std::string> skipped;  // one message per pair that could not be read
};

// Runs model over every pair at full size and accumulates the confusion matrix (ignore
// index 255). binary_masks reads 0/255 masks as classes 0/1.
EvaluatedPairs evaluate_pairs(LoadedSegmentationModel& model, const std::vector<ImageMaskPair>& pairs,
                              const PredictOptions& predict, bool binary_masks = false,
                              bool quiet = false);

}  // namespace vedkit
