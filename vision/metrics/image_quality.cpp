#include "vision/metrics/image_quality.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "vision/layers/gaussian_blur.h"

namespace vedkit {
namespace {

constexpr double kSigma = 1.5;
const int64_t kWindow = 2 * gaussian_radius(kSigma) + 1;  // 11

void check_pair(const at::Tensor& a, const at::Tensor& b, const char* metric) {
  if (a.dim() != 4 || a.sizes() != b.sizes()) {
    throw Error(std::string(metric) + ": expected two [B, C, H, W] batches of one shape, got " +
                std::to_string(a.dim()) + "-d and " + std::to_string(b.dim()) + "-d tensors");
  }
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
  const auto x = a.to(at::kFloat), y = b.to(at::kFloat);
  const auto blur = [](const at::Tensor& t) { return gaussian_blur(t, kSigma, BlurBorder::valid); };
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
