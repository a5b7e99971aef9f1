#pragma once

#include <opencv2/core/mat.hpp>

#include "datasets/scenes/splitmix64.h"

namespace vedkit {

struct AugmentOptions {
  int crop = 128;            // output side; 0 keeps the size
  double scale_min = 0.75;   // random rescale before the crop
  double scale_max = 1.25;
  bool flip = true;          // horizontal
  double rotate_degrees = 10;
  double jitter = 0.2;       // brightness, contrast and saturation, +-
  int ignore_index = 255;    // fills mask pixels that come from outside the image
};

// Augments an 8-bit image and its mask together: scale, rotation, crop and flip move both
// alike (the mask always nearest-neighbour), colour jitter touches the image only.
void augment_pair(cv::Mat& image, cv::Mat& mask, const AugmentOptions& options, SplitMix64& rng);

}  // namespace vedkit
