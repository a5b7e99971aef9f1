#include "vision/layers/gaussian_blur.h"

#include <ATen/ATen.h>

#include <cmath>

namespace vedkit {

int64_t gaussian_radius(double sigma) { return static_cast<int64_t>(3.5 * sigma + 0.5); }

at::Tensor gaussian_blur(const at::Tensor& images, double sigma, BlurBorder border) {
  const int64_t radius = gaussian_radius(sigma), taps = 2 * radius + 1;
  const int64_t channels = images.size(1);
  auto offsets = at::arange(taps, images.options()) - radius;
  auto weights = at::exp(-offsets * offsets / (2 * sigma * sigma));
  weights = weights / weights.sum();
  const auto column = weights.view({1, 1, taps, 1}).repeat({channels, 1, 1, 1});
  const auto row = weights.view({1, 1, 1, taps}).repeat({channels, 1, 1, 1});
  auto x = images;
  if (border == BlurBorder::replicate) x = at::pad(x, {radius, radius, radius, radius}, "replicate");
  const std::vector<int64_t> one{1, 1}, none{0, 0};
  return at::conv2d(at::conv2d(x, column, {}, one, none, one, channels), row, {}, one, none, one,
                    channels);
}

}  // namespace vedkit
