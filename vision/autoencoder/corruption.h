#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "vision/autoencoder/autoencoder_model.h"

namespace vedkit {

// What the encoder of an autoencoder in training sees instead of the clean images.
struct CorruptedInput {
  at::Tensor images;  // denoising: with Gaussian noise, clipped to [0, 1]; else the input
  at::Tensor hidden;  // masked: [B, 1, H, W], 1 on hidden patches; else undefined
};

CorruptedInput corrupt(const at::Tensor& images, const AutoencoderModeOptions& mode,
                       at::Generator generator);

// Hides round(ratio * patches) random patch x patch squares per image (partial patches at
// the right and bottom edges count as patches).
at::Tensor random_patch_mask(int64_t batch, int64_t height, int64_t width, int64_t patch,
                             double ratio, at::Generator generator);

}  // namespace vedkit
