#include "datasets/autoencoder/autoencoder_image_data.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <iostream>

#include "core/error.h"
#include "datasets/autoencoder/image_tensor_set.h"
#include "datasets/fashion_mnist.h"
#include "vision/io/image_io.h"

namespace vedkit {

AutoencoderDataOptions read_autoencoder_data_options(ConfigSection data,
                                                     const std::vector<int64_t>& model_input_size,
                                                     uint64_t seed) {
  AutoencoderDataOptions options;
  options.seed = seed;
  options.source = data.get_string("source", options.source, {"folder", "video", "fashion_mnist"});
  const bool mnist = options.source == "fashion_mnist";
  if (mnist) {
    options.root = data.get_string("root", std::string(kDefaultFashionMnistDir));
    options.split = data.get_string("split", options.split, {"train", "test"});
    options.classes = data.get_ints("classes", std::vector<int64_t>{}, {0, 9});
  } else if (options.source == "video") {
    options.root = data.get_string("video", std::nullopt);
    options.frames = data.get_ints("frames", options.frames, {-1, int64_t{1} << 40});
    if (options.frames.size() != 2 || options.frames[0] < 0 ||
        (options.frames[1] >= 0 && options.frames[1] <= options.frames[0])) {
      data.fail("frames", "expected [first, end], 0 <= first < end (end -1: to the last frame)");
    }
    options.frame_step = data.get_int("frame_step", options.frame_step, {1, 1 << 20});
  } else {
    options.root = data.get_string("root", std::nullopt);
    options.list = data.get_string("list", "");
    options.val_root = data.get_string("val_root", "");
  }
  std::vector<int64_t> fallback = model_input_size;
  if (fallback.empty()) fallback = mnist ? std::vector<int64_t>{28, 28} : std::vector<int64_t>{64, 64};
  options.size = data.get_ints("size", fallback, {8, 16384});
  if (options.size.size() != 2) data.fail("size", "expected [height, width]");
  if (!model_input_size.empty() && options.size != model_input_size) {
    data.fail("size", "must equal model.input_size, the size this model's vector latent takes");
  }
  options.val_fraction = data.get_real("val_fraction", options.val_fraction, {0.0, 0.9});
  options.batch_size = data.get_int("batch_size", options.batch_size, {1, 65536});
  options.augmentation.flip = data.get_bool("flip", mnist ? false : options.augmentation.flip);
  options.augmentation.shift = data.get_int("shift", options.augmentation.shift, {0, 64});
  if (options.augmentation.shift >= std::min(options.size[0], options.size[1])) {
    data.fail("shift", "must be smaller than the image size " + std::to_string(options.size[0]) +
                           "x" + std::to_string(options.size[1]));
  }
  return options;
}

std::vector<int64_t> autoencoder_training_size(const ModelFile& file,
                                               const std::vector<int64_t>& model_input_size) {
  auto config = file.model_config();
  auto data = config.section("data");
  const bool mnist = data.get_string("source", "folder") == "fashion_mnist";
  std::vector<int64_t> fallback = model_input_size;
  if (fallback.empty()) fallback = mnist ? std::vector<int64_t>{28, 28} : std::vector<int64_t>{64, 64};
  return data.get_ints("size", fallback);
}

std::pair<at::Tensor, at::Tensor> load_autoencoder_images(const AutoencoderDataOptions& options,
                                                          int64_t channels) {
  const int64_t height = options.size[0], width = options.size[1];
  auto report = [&](const ImageTensorSet& set) {
    for (const auto& message : set.skipped) std::cerr << "skipped: " << message << "\n";
  };
  if (options.source == "fashion_mnist") {
    const auto set =
        load_fashion_mnist_images(options.root, options.split, channels, height, width, options.classes);
    return hold_out_images(set.images, options.val_fraction, options.seed);
  }
  if (options.source == "video") {
    const auto set = load_video_frames(options.root, options.frames[0], options.frames[1],
                                       options.frame_step, channels, height, width);
    return hold_out_images(set.images, options.val_fraction, options.seed);
  }
  if (!options.val_root.empty()) {
    const auto train_set = load_image_folder(options.root, options.list, channels, height, width);
    const auto val_set = load_image_folder(options.val_root, "", channels, height, width);
    report(train_set);
    report(val_set);
    return {train_set.images, val_set.images};
  }
  const auto set = load_image_folder(options.root, options.list, channels, height, width);
  report(set);
  return hold_out_images(set.images, options.val_fraction, options.seed);
}

std::unique_ptr<TensorImageData> load_autoencoder_data(const AutoencoderDataOptions& options,
                                                       int64_t channels) {
  const auto [train, val] = load_autoencoder_images(options, channels);
  if (train.size(0) < options.batch_size) {
    throw DataError(options.root + ": " + std::to_string(train.size(0)) +
                    " training images, fewer than one batch (data.batch_size " +
                    std::to_string(options.batch_size) + "); lower data.batch_size");
  }
  return std::make_unique<TensorImageData>(
      train, val, options.batch_size, options.augmentation, options.seed,
      [](const std::string& path, const at::Tensor& inputs, const at::Tensor& reconstructions) {
        write_image_rows(path, {inputs, reconstructions});
      });
}

void write_image_rows(const std::string& path, const std::vector<at::Tensor>& batches) {
  const int64_t side = batches.front().size(2);
  const int scale = static_cast<int>(std::max<int64_t>(1, (96 + side - 1) / side));
  std::vector<cv::Mat> rows;
  for (const auto& batch : batches) {
    std::vector<cv::Mat> tiles;
    for (int64_t i = 0; i < batch.size(0); ++i) {
      cv::Mat tile = tensor_to_image(batch[i].clamp(0, 1));
      cv::resize(tile, tile, cv::Size(), scale, scale, cv::INTER_NEAREST);
      tiles.push_back(tile);
    }
    cv::Mat row;
    cv::hconcat(tiles, row);
    rows.push_back(row);
  }
  cv::Mat grid;
  cv::vconcat(rows, grid);
  write_png(path, grid);
}

}  // namespace vedkit
