#include "vision/metrics/image_quality.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

#include "core/error.h"

namespace vedkit {
namespace {

constexpr int64_t kWindow = 11;
constexpr double kSigma = 1.5;

void check_pair(const at::Tensor& a, const at::Tensor& b, const char* metric) {
  if (a.dim() != 4 || a.sizes() != b.sizes()) {
    throw Error(std::string(metric) + ": expected two [B, C, H, W] batches of one shape, got " +
                std::to_string(a.dim()) + "-d and " + std::to_string(b.dim()) + "-d tensors");
  }
}

// Separable normalised Gaussian, as a depthwise [C, 1, k, 1] and [C, 1, 1, k] pair.
std::pair<at::Tensor, at::Tensor> gaussian_window(int64_t channels, const at::TensorOptions& options) {
  auto offsets = at::arange(kWindow, options) - (kWindow - 1) / 2;
  auto weights = at::exp(-offsets * offsets / (2 * kSigma * kSigma));
  weights = weights / weights.sum();
  return {weights.view({1, 1, kWindow, 1}).repeat({channels, 1, 1, 1}),
          weights.view({1, 1, 1, kWindow}).repeat({channels, 1, 1, 1})};
}

}  // namespace

at::Tensor psnr(const at::Tensor& a, const at::Tensor& b, double data_range) {
  check_pair(a, b, "PSNR");
  const auto mse = (a - b).square().flatten(1).mean(1);
  return 10.0 * at::log10(data_range * data_range / mse);
}

at::Tensor ssim(const at::Tensor& a, const at::Tensor& b, double data_range) {
  check_pair(a, b, "SSIM");
  if (a.size(2) < kWindow || a.size(3) < kWindow) {
    throw Error("SSIM: images of " + std::to_string(a.size(2)) + "x" + std::to_string(a.size(3)) +
                " are smaller than its 11x11 window");
  }
  const int64_t channels = a.size(1);
  const auto x = a.to(at::kFloat), y = b.to(at::kFloat);
  const auto [column, row] = gaussian_window(channels, x.options());
  const auto blur = [&](const at::Tensor& t) {  // valid region only: [B, C, H-10, W-10]
    const std::vector<int64_t> one{1, 1}, none{0, 0};
    return at::conv2d(at::conv2d(t, column, {}, one, none, one, channels), row, {}, one, none, one, channels);
  };
  const auto mu_x = blur(x);
  const auto mu_y = blur(y);
  const auto var_x = blur(x * x) - mu_x * mu_x;
  const auto var_y = blur(y * y) - mu_y * mu_y;
  const auto cov = blur(x * y) - mu_x * mu_y;
  const double c1 = std::pow(0.01 * data_range, 2), c2 = std::pow(0.03 * data_range, 2);
  const auto map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) /
                   ((mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2));
  return map.flatten(2).mean(2).mean(1);  // per channel, then over channels
}

}  // namespace vedkit
