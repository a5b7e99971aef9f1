#pragma once

#include <string>

#include "core/model_file.h"

// vedkit-export --int8: calibrates the segmentation model in model_path on the first
// max_images images of calibration_dir (sorted by name), at their own sizes padded as
// inference pads them, and writes out_path: the same weights, stored as `stored`, with each
// inference-graph value's range and which layers run in int8. Prints what it did.
void export_int8_segmentation_model(const std::string& model_path, const std::string& calibration_dir,
                                    int64_t max_images, const std::string& out_path, vedkit::StoredWeights stored);
