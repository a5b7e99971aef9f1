#include "vision/autoencoder/corruption.h"

#include <ATen/ATen.h>

#include <cmath>

namespace vedkit {

at::Tensor random_patch_mask(int64_t batch, int64_t height, int64_t width, int64_t patch,
                             double ratio, at::Generator generator) {
  const int64_t rows = (height + patch - 1) / patch, columns = (width + patch - 1) / patch;
  const int64_t hidden = std::llround(ratio * static_cast<double>(rows * columns));
  // The `hidden` smallest of uniform scores: a uniformly random subset of that size per image.
  const auto scores = at::rand({batch, rows * columns}, generator);
  const auto ranks = scores.argsort(int64_t{1}).argsort(int64_t{1});
  auto mask = (ranks < hidden).to(at::kFloat).view({batch, 1, rows, columns});
  mask = mask.repeat_interleave(patch, 2).repeat_interleave(patch, 3);  // [B, 1, rows*p, cols*p]
  return mask.narrow(2, 0, height).narrow(3, 0, width).contiguous();
}

CorruptedInput corrupt(const at::Tensor& images, const AutoencoderModeOptions& mode,
                       at::Generator generator) {
  if (mode.mode == "denoising") {
    const auto noise = at::randn(images.sizes(), generator, at::kFloat).to(images.device());
    return {(images + mode.noise_std * noise).clamp(0, 1), {}};
  }
  if (mode.mode == "masked") {
    const auto hidden = random_patch_mask(images.size(0), images.size(2), images.size(3),
                                          mode.mask_patch, mode.mask_ratio, generator);
    return {images, hidden.to(images.device())};
  }
  return {images, {}};
}

}  // namespace vedkit
