#pragma once

#include <ATen/core/Tensor.h>

namespace vedkit {

// What a blur returns at the borders.
enum class BlurBorder {
  valid,      // only where the whole window fits: [B, C, H - 2r, W - 2r]
  replicate,  // the input's size, edge values repeated outwards
};

// Depthwise Gaussian blur of [B, C, H, W] with a window of 2 * round(3.5 sigma) + 1 taps (the
// truncation scikit-image uses, so sigma 1.5 gives SSIM's 11x11 window).
at::Tensor gaussian_blur(const at::Tensor& images, double sigma, BlurBorder border);

// Taps on each side of the centre for sigma.
int64_t gaussian_radius(double sigma);

}  // namespace vedkit
