#include "apps/int8_export.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "datasets/image_files.h"
#include "text/load_caption_model.h"
#include "vision/autoencoder/autoencoder_model.h"
#include "vision/io/image_io.h"
#include "vision/segmentation/segmentation_model.h"

namespace {

// The calibration images as inference sees them, [1, C, H, W] in [0, 1]: scaled to cover
// `size` where the model has a fixed one, else at their own sizes; zero-padded to a multiple of
// `multiple` (1: the model pads them itself).
std::vector<at::Tensor> calibration_inputs(const std::vector<std::string>& paths, int64_t channels,
                                           const std::vector<int64_t>& size, int64_t multiple) {
  std::vector<at::Tensor> inputs;
  for (const auto& path : paths) {
    const auto image =
        (size.empty() ? vedkit::read_image(path, channels)
                      : vedkit::read_image_covering(path, channels, size[0], size[1]))
            .unsqueeze(0);
    const int64_t pad_h = (multiple - image.size(2) % multiple) % multiple;
    const int64_t pad_w = (multiple - image.size(3) % multiple) % multiple;
    inputs.push_back(at::constant_pad_nd(image, {0, pad_w, 0, pad_h}, 0.0));
  }
  return inputs;
}

}  // namespace

void export_int8_model(const std::string& model_path, const std::string& calibration_dir,
                       int64_t max_images, const std::string& out_path,
                       vedkit::StoredWeights stored) {
  auto file = vedkit::ModelFile::open(model_path);
  if (!file.contents().int8_ranges.empty()) {
    throw vedkit::ModelFileError(
        model_path + ": already an int8 file; export from the float32 model file it came from");
  }
  const auto task = file.task();
  if (task != "segmentation" && task != "autoencoder" && task != "captioning") {
    throw vedkit::ModelFileError(
        model_path + ": a " + (task.empty() ? "non-vedkit" : task) +
        " model; --int8 takes segmentation models, autoencoders and captioners");
  }
  auto images = vedkit::list_images(calibration_dir);
  if (images.empty()) {
    throw vedkit::DataError(calibration_dir +
                            ": no images to calibrate on; give --calibrate a folder of "
                            "images like those the model will see (its training images, say)");
  }
  images.resize(std::min<size_t>(images.size(), static_cast<size_t>(max_images)));
  auto& contents = file.contents();
  auto calibrate = [&](auto& model, const std::vector<int64_t>& size, int64_t multiple) {
    try {
      contents.int8_ranges =
          model.calibrate_int8(calibration_inputs(images, model.in_channels(), size, multiple));
      contents.int8_layers = model.int8_layers();
    } catch (const std::invalid_argument& e) {
      throw vedkit::ModelFileError(model_path + ": " + e.what());
    }
  };
  if (task == "segmentation") {
    auto model = vedkit::load_segmentation_model(model_path).model;
    calibrate(*model, {}, model->size_multiple());
  } else if (task == "autoencoder") {
    auto model = vedkit::load_autoencoder_model(model_path);
    calibrate(*model, model->input_size(), 1);
  } else {
    auto loaded = vedkit::load_caption_model(model_path);
    calibrate(*loaded.model, loaded.input_size, loaded.model->size_multiple());
  }
  file.write_inference_copy(out_path, {}, stored);
  std::cout << out_path << ": int8, calibrated on " << images.size() << " images of "
            << calibration_dir << "; " << contents.int8_layers << "; "
            << std::filesystem::file_size(out_path) / 1024 << " KiB\n";
}
