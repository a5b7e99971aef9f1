#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/model_file.h"
#include "vision/autoencoder/tensor_image_data.h"

namespace vedkit {

struct AutoencoderDataOptions {
  std::string source = "folder";  // folder | video | fashion_mnist
  std::string root;               // folder: the images (recursive); fashion_mnist: the IDX files;
                                  // video: the video file (data.video)
  std::vector<int64_t> frames = {0, -1};  // video: frames [first, end) (-1: to the last)
  int64_t frame_step = 1;                 // video: every this many frames
  std::string list;               // folder: only the images this file names (paths or stems)
  std::string val_root;           // folder: a separate validation folder (else val_fraction)
  std::string split = "train";    // fashion_mnist: train | test
  std::vector<int64_t> classes;   // fashion_mnist: only these labels (one-class training)
  std::vector<int64_t> size;      // [H, W] every image is brought to
  double val_fraction = 0.1;
  int64_t batch_size = 64;
  TrainingAugmentation augmentation{true, 0};  // flips on by default, except for Fashion-MNIST
  uint64_t seed = 0;
};

// Reads `data`; size defaults to the model's input_size, else 28x28 for Fashion-MNIST and
// 64x64 for folders.
AutoencoderDataOptions read_autoencoder_data_options(ConfigSection data,
                                                     const std::vector<int64_t>& model_input_size,
                                                     uint64_t seed);

// The size the training of the model in file brought its images to: data.size, else the
// model's input size or the source's default (28x28 Fashion-MNIST, 64x64 folders).
std::vector<int64_t> autoencoder_training_size(const ModelFile& file,
                                               const std::vector<int64_t>& model_input_size);

// Training and validation images, uint8 [N, C, H, W], from a folder, a video or Fashion-MNIST: the
// validation folder, or the seeded hold-out of val_fraction, which every load with the same
// options draws alike (so a trained model can be scored on its own validation images again).
// Unreadable files are listed once on stderr (even when training is quiet) and skipped.
std::pair<at::Tensor, at::Tensor> load_autoencoder_images(const AutoencoderDataOptions& options,
                                                          int64_t channels);

// Those images as training data, decoded once into memory.
// Previews are PNG grids of inputs above reconstructions.
std::unique_ptr<TensorImageData> load_autoencoder_data(const AutoencoderDataOptions& options,
                                                       int64_t channels);

// Batches [B, C, H, W] in [0, 1] of one shape as one PNG, a batch per row, at least 96
// pixels per tile (small images are enlarged with nearest neighbours).
void write_image_rows(const std::string& path, const std::vector<at::Tensor>& rows);

}  // namespace vedkit
