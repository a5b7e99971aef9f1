#include "vision/segmentation/segmentation_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <tuple>

#include "core/error.h"

namespace vedkit {
namespace {

TEST(SegmentationLoss, CrossEntropyOfUniformLogitsIsLogK) {
  const auto logits = torch::zeros({2, 4, 3, 3});
  const auto target = torch::randint(0, 4, {2, 3, 3});
  EXPECT_NEAR(weighted_cross_entropy(logits, target, SegmentationLossTerm{}, 255).item<double>(), std::log(4.0), 1e-6);
}

TEST(SegmentationLoss, IgnoredPixelsCountInNoTerm) {
  const auto logits = torch::randn({1, 3, 4, 4});
  auto target = torch::randint(0, 3, {1, 4, 4});
  auto changed = target.clone();
  target[0][0][0] = 255;
  changed[0][0][0] = 255;
  changed[0][1][1] = 255;
  auto other = logits.clone();
  other[0].select(1, 1).select(1, 1).fill_(50);  // only the pixel ignored in `changed`
  for (const auto* type : {"cross_entropy", "dice", "focal", "region_cross_entropy"}) {
    SegmentationLossTerm term;
    term.type = type;
    SegmentationLossOptions options;
    options.terms = {term};
    EXPECT_NEAR(segmentation_loss(logits, changed, options).item<double>(),
                segmentation_loss(other, changed, options).item<double>(), 1e-6)
        << type;
  }
}

TEST(SegmentationLoss, FocalWithGammaZeroIsCrossEntropy) {
  const auto logits = torch::randn({2, 5, 6, 6});
  auto target = torch::randint(0, 5, {2, 6, 6});
  target[1][2][3] = 255;
  EXPECT_NEAR(focal_loss(logits, target, 0.0, 255).item<double>(),
              weighted_cross_entropy(logits, target, SegmentationLossTerm{}, 255).item<double>(), 1e-5);
  EXPECT_LT(focal_loss(logits, target, 2.0, 255).item<double>(),
            weighted_cross_entropy(logits, target, SegmentationLossTerm{}, 255).item<double>());
}

TEST(SegmentationLoss, DiceOfAConfidentCorrectPredictionIsNearZero) {
  const auto target = torch::randint(0, 3, {1, 8, 8});
  const auto logits = torch::one_hot(target, 3).permute({0, 3, 1, 2}).to(torch::kFloat) * 40;
  EXPECT_LT(soft_dice_loss(logits, target, 255).item<double>(), 1e-4);
  // Hand-computed: two pixels, class 0 and 1, prediction p = (0.5, 0.5) everywhere.
  const auto half = torch::zeros({1, 2, 1, 2});
  const auto two = torch::tensor({0, 1}).reshape({1, 1, 2});
  // Per class: intersection 0.5, cardinality 1 + 1 = 2, dice 0.5.
  EXPECT_NEAR(soft_dice_loss(half, two, 255).item<double>(), 0.5, 1e-5);
}

TEST(SegmentationLoss, RegionCrossEntropyScoresEachRegionsMeanLogits) {
  // Image 0: class 0 on the left column, class 2 on the right; image 1: all class 1.
  auto target = torch::tensor({0, 2, 0, 2, 1, 1, 1, 1}).reshape({2, 2, 2});
  auto logits = torch::randn({2, 3, 2, 2});
  double expected = 0;
  for (const auto& [image, column, cls] : {std::tuple{0, 0, 0}, std::tuple{0, 1, 2}}) {
    const auto mean = logits[image].select(2, column).mean(1);  // [K]
    expected -= mean.log_softmax(0)[cls].item<double>();
  }
  expected -= logits[1].mean({1, 2}).log_softmax(0)[1].item<double>();
  EXPECT_NEAR(region_cross_entropy(logits, target, 255).item<double>(), expected / 3, 1e-5);

  // Every pixel scored alone would differ: only the mean of a region counts.
  auto shifted = logits.clone();
  shifted[1][1][0][0] += 2;
  shifted[1][1][1][1] -= 2;
  EXPECT_NEAR(region_cross_entropy(shifted, target, 255).item<double>(), expected / 3, 1e-5);
  EXPECT_GT(std::abs(weighted_cross_entropy(shifted, target, SegmentationLossTerm{}, 255).item<double>() -
                     weighted_cross_entropy(logits, target, SegmentationLossTerm{}, 255).item<double>()),
            1e-3);

  EXPECT_EQ(region_cross_entropy(logits, torch::full({2, 2, 2}, 255, torch::kLong), 255).item<double>(), 0);
}

TEST(SegmentationLoss, ClassWeightsAndSumsAreApplied) {
  const auto logits = torch::randn({1, 2, 4, 4});
  const auto target = torch::randint(0, 2, {1, 4, 4});
  auto config = Config::from_text(
      "train:\n  losses:\n    - {type: cross_entropy, weight: 2, class_weights: [1, 3]}\n"
      "    - {type: dice, weight: 0.5}\n", "t.yaml");
  const auto options = read_segmentation_loss_options(config.section("train"), 2);
  ASSERT_EQ(options.terms.size(), 2u);
  SegmentationLossTerm weighted;
  weighted.class_weights = {1, 3};
  const double expected = 2 * weighted_cross_entropy(logits, target, weighted, 255).item<double>() +
                          0.5 * soft_dice_loss(logits, target, 255).item<double>();
  EXPECT_NEAR(segmentation_loss(logits, target, options).item<double>(), expected, 1e-6);
}

TEST(SegmentationLoss, ConfigErrors) {
  auto wrong_count = Config::from_text("train:\n  losses: [{type: cross_entropy, class_weights: [1]}]\n", "t.yaml");
  EXPECT_THROW(read_segmentation_loss_options(wrong_count.section("train"), 3), ConfigError);
  auto unknown = Config::from_text("train:\n  losses: [{type: dise}]\n", "t.yaml");
  EXPECT_THROW(read_segmentation_loss_options(unknown.section("train"), 3), ConfigError);
}

}  // namespace
}  // namespace vedkit
