#pragma once

#include <string>

#include "vision/segmentation/predict.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {

struct SegmentImageOptions {
  PredictOptions predict;
  double overlay_alpha = 0.6;
};

struct SegmentedImage {
  std::string mask_path;     // class-index PNG (8-bit, 16-bit past 256 classes)
  std::string overlay_path;  // colour overlay PNG with a legend
  std::string json;          // one line: image, outputs, size, classes found and pixel share
};

// The classes present in classes [H, W], as a JSON array of {"id", "name", "share"} (the
// share of the pixels, to 4 decimals).
std::string class_shares_json(const at::Tensor& classes, const LoadedSegmentationModel& model);

// Segments one image file of any size, depth or channel count, writing
// out_dir/<name>_mask.png and out_dir/<name>_overlay.png. An unreadable file is a DataError.
SegmentedImage segment_image_file(LoadedSegmentationModel& model, const std::string& path,
                                  const std::string& out_dir, const std::string& name,
                                  const SegmentImageOptions& options = {});

}  // namespace vedkit
