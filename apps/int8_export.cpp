#include "apps/int8_export.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "datasets/image_files.h"
#include "vision/io/image_io.h"
#include "vision/segmentation/segmentation_model.h"

namespace {

// An image as inference sees it: [1, C, H, W] in [0, 1], zero-padded to the size multiple.
at::Tensor calibration_input(const std::string& path, int64_t channels, int64_t multiple) {
  const auto image = vedkit::read_image(path, channels).unsqueeze(0);
  const int64_t pad_h = (multiple - image.size(2) % multiple) % multiple;
  const int64_t pad_w = (multiple - image.size(3) % multiple) % multiple;
  return at::constant_pad_nd(image, {0, pad_w, 0, pad_h}, 0.0);
}

}  // namespace

void export_int8_segmentation_model(const std::string& model_path, const std::string& calibration_dir,
                                    int64_t max_images, const std::string& out_path, vedkit::StoredWeights stored) {
  auto file = vedkit::ModelFile::open(model_path);
  if (!file.contents().int8_ranges.empty()) {
    throw vedkit::ModelFileError(model_path + ": already an int8 file; export from the float32 model file it came from");
  }
  auto loaded = vedkit::load_segmentation_model(model_path);
  auto images = vedkit::list_images(calibration_dir);
  if (images.empty()) {
    throw vedkit::DataError(calibration_dir + ": no images to calibrate on; give --calibrate a folder of "
                            "images like those the model will see (its training images, say)");
  }
  images.resize(std::min<size_t>(images.size(), static_cast<size_t>(max_images)));
  std::vector<at::Tensor> inputs;
  for (const auto& path : images) {
    inputs.push_back(calibration_input(path, loaded.model->in_channels(), loaded.model->size_multiple()));
  }
  auto& contents = file.contents();
  contents.int8_ranges = loaded.model->calibrate_int8(inputs);
  contents.int8_layers = loaded.model->int8_layers();
  file.write_inference_copy(out_path, {}, stored);
  std::cout << out_path << ": int8, calibrated on " << images.size() << " images of " << calibration_dir << "; "
            << contents.int8_layers << "; " << std::filesystem::file_size(out_path) / 1024 << " KiB\n";
}
