#pragma once

#include <string>

#include "core/model_file.h"

// vedkit-export --int8: calibrates the model in model_path (segmentation: the whole network;
// autoencoder and captioner: the encoder) on the first max_images images of calibration_dir (sorted
// by name), seen as inference sees them, and writes out_path: the same weights, stored as `stored`,
// with each inference-graph value's range and which layers run in int8. Prints what it did.
void export_int8_model(const std::string& model_path, const std::string& calibration_dir,
                       int64_t max_images, const std::string& out_path,
                       vedkit::StoredWeights stored);
