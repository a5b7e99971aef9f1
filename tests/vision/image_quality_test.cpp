#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/support/error_of.h"
#include "tests/support/python_peer.h"
#include "vision/metrics/image_quality.h"

namespace vedkit {
namespace {

TEST(ImageQuality, MatchesScikitImage) {
  testing::TempDir dir;
  testing::run_peer("image_quality.py " + dir.file("scores.pt"));
  auto peer = testing::load_tensor_dict(dir.file("scores.pt"));
  for (const auto& [name, range] : {std::pair<std::string, double>{"grey", 1.0}, {"colour", 255.0}}) {
    SCOPED_TRACE(name);
    const auto a = peer[name + "_a"], b = peer[name + "_b"];
    EXPECT_LT(testing::max_abs_diff(psnr(a, b, range), peer[name + "_psnr"]), 1e-4);
    EXPECT_LT(testing::max_abs_diff(ssim(a, b, range), peer[name + "_ssim"]), 1e-4);
    // The scores must tell the pairs apart, or the comparison above proves little.
    EXPECT_GT((peer[name + "_ssim"].max() - peer[name + "_ssim"].min()).item<double>(), 0.05);
  }
}

TEST(ImageQuality, IdenticalImagesScorePerfect) {
  const auto a = torch::rand({2, 3, 16, 16});
  EXPECT_TRUE(torch::isinf(psnr(a, a, 1.0)).all().item<bool>());
  EXPECT_TRUE(torch::allclose(ssim(a, a, 1.0), torch::ones({2}), 1e-5, 1e-5));
}

TEST(ImageQuality, SsimIsDifferentiable) {
  const auto target = torch::rand({1, 1, 16, 16});
  auto estimate = torch::rand({1, 1, 16, 16}).requires_grad_(true);
  (1 - ssim(estimate, target, 1.0)).sum().backward();
  EXPECT_GT(estimate.grad().abs().sum().item<double>(), 0);
}

TEST(ImageQuality, RejectsBadShapes) {
  EXPECT_NE(testing::error_of([] { ssim(torch::rand({1, 1, 8, 8}), torch::rand({1, 1, 8, 8}), 1.0); })
                .find("smaller than its 11x11 window"),
            std::string::npos);
  EXPECT_NE(testing::error_of([] { psnr(torch::rand({1, 1, 8, 8}), torch::rand({1, 8, 8}), 1.0); })
                .find("one shape"),
            std::string::npos);
}

}  // namespace
}  // namespace vedkit
