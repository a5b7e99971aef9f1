#include "vision/layers/gaussian_blur.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace vedkit {
namespace {

TEST(GaussianBlur, ImpulseGivesANormalisedKernelOfTheRequestedSpread) {
  const double sigma = 2.0;
  const int64_t radius = gaussian_radius(sigma);
  EXPECT_EQ(radius, 7);
  EXPECT_EQ(gaussian_radius(1.5), 5);  // SSIM's 11x11 window
  auto impulse = torch::zeros({1, 1, 31, 31});
  impulse.index_put_({0, 0, 15, 15}, 1.0);
  const auto kernel = gaussian_blur(impulse, sigma, BlurBorder::replicate)[0][0];
  EXPECT_NEAR(kernel.sum().item<double>(), 1.0, 1e-6);
  const auto offsets = torch::arange(31, torch::kFloat) - 15;
  const double variance = (kernel.sum(0) * offsets.square()).sum().item<double>();
  EXPECT_NEAR(variance, sigma * sigma, 0.01 * sigma * sigma);  // truncated at 3.5 sigma
  EXPECT_EQ(kernel[15][15 + radius + 1].item<double>(), 0.0);   // nothing beyond the window
  EXPECT_GT(kernel[15][15 + radius].item<double>(), 0.0);
}

TEST(GaussianBlur, BordersKeepOrShrinkTheSizeAndConstantsStayConstant) {
  const auto constant = torch::full({2, 3, 20, 24}, 0.25);
  const auto kept = gaussian_blur(constant, 1.5, BlurBorder::replicate);
  EXPECT_EQ(kept.sizes(), constant.sizes());
  EXPECT_LT((kept - 0.25).abs().max().item<double>(), 1e-6);
  const auto valid = gaussian_blur(constant, 1.5, BlurBorder::valid);
  EXPECT_EQ(valid.sizes(), (torch::IntArrayRef{2, 3, 10, 14}));
}

TEST(GaussianBlur, ChannelsAreBlurredApart) {
  auto images = torch::zeros({1, 2, 16, 16});
  images.index_put_({0, 0, 8, 8}, 1.0);
  const auto blurred = gaussian_blur(images, 1.0, BlurBorder::replicate);
  EXPECT_GT(blurred[0][0].sum().item<double>(), 0.99);
  EXPECT_EQ(blurred[0][1].abs().sum().item<double>(), 0.0);
}

}  // namespace
}  // namespace vedkit
