#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "vision/autoencoder/reconstruction_decoder.h"

namespace vedkit {

// One term of `train.losses: [{type: mse|l1|ssim, weight: w}]` (default: mse alone).
struct ReconstructionLossTerm {
  std::string type = "mse";
  double weight = 1.0;
};

std::vector<ReconstructionLossTerm> read_reconstruction_loss_terms(ConfigSection train);

// The weighted sum over reconstruction [B, C, H, W] and target (data range 1). With `where`
// ([B, 1, H, W], 1 on the pixels that count, as the hidden patches of a masked autoencoder)
// MSE and L1 average over those pixels only; SSIM, a windowed score, always covers the image.
at::Tensor reconstruction_loss(const at::Tensor& reconstruction, const at::Tensor& target,
                               const std::vector<ReconstructionLossTerm>& terms,
                               const at::Tensor& where = {});

// KL(q(z|x) || N(0, I)) summed over the latent, divided by the values per image (so that it
// sits on the scale of a per-pixel loss), averaged over the batch.
at::Tensor kl_divergence(const Latent& latent, int64_t values_per_image);

}  // namespace vedkit
