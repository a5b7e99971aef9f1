#pragma once

#include <ATen/core/Tensor.h>

namespace vedkit {

// Image quality between two batches [B, C, H, W] of the same range. Both return one value
// per image [B] and are differentiable, so SSIM also serves as a loss.

// 10 log10(range^2 / MSE); identical images give +inf.
at::Tensor psnr(const at::Tensor& a, const at::Tensor& b, double data_range);

// SSIM (Wang et al. 2004) as scikit-image computes it with gaussian_weights=True,
// use_sample_covariance=False: an 11x11 Gaussian window of sigma 1.5, K1 0.01, K2 0.03,
// averaged over the valid region (no padding) and then over channels. Images smaller than
// the window are an Error.
at::Tensor ssim(const at::Tensor& a, const at::Tensor& b, double data_range);

}  // namespace vedkit
