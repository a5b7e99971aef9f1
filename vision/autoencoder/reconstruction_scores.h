#pragma once

#include <ATen/core/Tensor.h>

#include <string>

#include "vision/autoencoder/autoencoder_model.h"

namespace vedkit {

// Per image: reconstruction error and quality against the input, or against its detail for a
// detail model (both as viewable images, data range 1).
struct ReconstructionScores {
  at::Tensor mse, psnr, ssim;  // [N]
};

// Reconstructs images [N, C, H, W] (uint8, or float in [0, 1]) in batches and scores each.
ReconstructionScores score_reconstructions(AutoencoderModel& model, const at::Tensor& images,
                                           int64_t batch_size = 64);

// Means over the set as a table and as one JSON line.
std::string format_reconstruction_table(const ReconstructionScores& scores);
std::string format_reconstruction_json(const ReconstructionScores& scores);

// Decodes steps + 2 images from the straight line between the latents of a and b
// ([1, C, H, W] each, same size): a's reconstruction first, b's last.
at::Tensor interpolate_between(AutoencoderModel& model, const at::Tensor& a, const at::Tensor& b,
                               int64_t steps);

}  // namespace vedkit
