#include "datasets/scenes/scene.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <set>

#include "core/error.h"
#include "datasets/scenes/background.h"
#include "tests/datasets/caption_reader.h"
#include "tests/datasets/fashion_mnist_items.h"

namespace vedkit {
namespace {

using testing::fashion_mnist_test_items;
using testing::labels_named_in;

std::set<int> mask_classes(const cv::Mat& mask) {
  std::set<int> classes;
  for (int y = 0; y < mask.rows; ++y) {
    for (int x = 0; x < mask.cols; ++x) {
      if (mask.at<uint8_t>(y, x) != 0) classes.insert(mask.at<uint8_t>(y, x));
    }
  }
  return classes;
}

// Every structural promise of a scene, checked against the image and mask themselves.
void expect_consistent(const Scene& scene, int size, int max_items, const std::string& where) {
  SCOPED_TRACE(where + ": '" + scene.caption + "'");
  ASSERT_EQ(scene.image.type(), CV_8UC3);
  ASSERT_EQ(scene.mask.type(), CV_8UC1);
  ASSERT_EQ(scene.image.size(), cv::Size(size, size));
  ASSERT_EQ(scene.mask.size(), cv::Size(size, size));
  ASSERT_GE(scene.items.size(), 1u);
  ASSERT_LE(scene.items.size(), static_cast<size_t>(max_items));

  // The caption names exactly the items, in order.
  const auto named = labels_named_in(scene.caption);
  ASSERT_EQ(named.size(), scene.items.size());
  std::set<int> named_classes;
  for (size_t i = 0; i < named.size(); ++i) {
    EXPECT_EQ(named[i], scene.items[i].label);
    named_classes.insert(static_cast<int>(named[i]) + 1);
  }
  // Every named class has pixels in the mask, and the mask holds no other class.
  EXPECT_EQ(mask_classes(scene.mask), named_classes);

  const cv::Rect canvas(0, 0, size, size);
  for (size_t i = 0; i < scene.items.size(); ++i) {
    const auto& box = scene.items[i].box;
    EXPECT_EQ(box & canvas, box) << "item " << i << " leaves the canvas";
    const int longest = std::max(box.width, box.height);
    EXPECT_LE(longest, 0.45 * size + 1) << "item " << i;
    EXPECT_GE(longest, 0.12 * size - 1) << "item " << i;
    // No item is hidden: its own class is visible inside its box.
    const cv::Mat own = scene.mask(box) == scene.items[i].label + 1;
    EXPECT_GT(cv::countNonZero(own), 0) << "item " << i << " has no mask pixels";
    for (size_t j = i + 1; j < scene.items.size(); ++j) {
      EXPECT_EQ((box & scene.items[j].box).area(), 0)
          << "items " << i << " and " << j << " overlap";
    }
  }
  // Every labelled pixel lies inside the box of an item of that class.
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const int value = scene.mask.at<uint8_t>(y, x);
      if (value == 0) continue;
      ASSERT_LE(value, 10);
      bool covered = false;
      for (const auto& item : scene.items) {
        covered |= item.label + 1 == value && item.box.contains({x, y});
      }
      ASSERT_TRUE(covered) << "stray mask pixel " << value << " at " << x << "," << y;
    }
  }
}

TEST(ComposeScene, MaskCaptionAndItemsAgreeOverManyScenes) {
  const auto& pool = fashion_mnist_test_items();
  std::set<size_t> item_counts;
  std::set<int64_t> labels_seen;
  for (int size : {64, 128, 200}) {
    for (uint64_t seed = 0; seed < 120; ++seed) {
      const auto scene = compose_scene({size, 4}, pool, seed);
      expect_consistent(scene, size, 4,
                        "size " + std::to_string(size) + " seed " + std::to_string(seed));
      item_counts.insert(scene.items.size());
      for (const auto& item : scene.items) labels_seen.insert(item.label);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  EXPECT_EQ(item_counts, (std::set<size_t>{1, 2, 3, 4}));
  EXPECT_EQ(labels_seen.size(), 10u);
}

TEST(ComposeScene, MaxItemsOneGivesLoneItems) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const auto scene = compose_scene({96, 1}, fashion_mnist_test_items(), seed);
    expect_consistent(scene, 96, 1, "seed " + std::to_string(seed));
  }
}

double luminance(const cv::Scalar& bgr) { return 0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2]; }

TEST(ComposeScene, ItemsContrastWithTheBackgroundAroundThem) {
  double weakest = 255;
  for (uint64_t seed = 0; seed < 150; ++seed) {
    const auto scene = compose_scene({128, 4}, fashion_mnist_test_items(), seed);
    for (const auto& item : scene.items) {
      // Item pixels against the unlabelled pixels of a band around its box.
      const cv::Rect band =
          cv::Rect(item.box.x - 4, item.box.y - 4, item.box.width + 8, item.box.height + 8) &
          cv::Rect(0, 0, 128, 128);
      const cv::Mat on_item = scene.mask(band) == item.label + 1;
      const cv::Mat background = scene.mask(band) == 0;
      const double contrast = std::abs(luminance(cv::mean(scene.image(band), on_item)) -
                                       luminance(cv::mean(scene.image(band), background)));
      weakest = std::min(weakest, contrast);
    }
  }
  EXPECT_GE(weakest, 30) << "an item nearly vanishes into its background";
}

TEST(ComposeScene, SameSeedSameSceneOtherSeedOtherScene) {
  const auto& pool = fashion_mnist_test_items();
  const auto a = compose_scene({128, 4}, pool, 42);
  const auto b = compose_scene({128, 4}, pool, 42);
  EXPECT_EQ(cv::norm(a.image, b.image, cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(a.mask, b.mask, cv::NORM_INF), 0);
  EXPECT_EQ(a.caption, b.caption);

  const auto c = compose_scene({128, 4}, pool, 43);
  EXPECT_GT(cv::norm(a.image, c.image, cv::NORM_L1), 0);
  std::set<std::string> captions;
  for (uint64_t seed = 0; seed < 20; ++seed)
    captions.insert(compose_scene({64, 4}, pool, seed).caption);
  EXPECT_GE(captions.size(), 15u);
}

TEST(ComposeScene, OptionsOutOfRangeAreErrors) {
  const auto& pool = fashion_mnist_test_items();
  try {
    compose_scene({10, 4}, pool, 0);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(), "scene size 10 is too small; use 64 pixels or more");
  }
  EXPECT_THROW(compose_scene({128, 0}, pool, 0), DataError);
  EXPECT_THROW(compose_scene({128, 4}, FashionMnist{}, 0), DataError);
}

TEST(Background, EachKindLooksItsPart) {
  SplitMix64 rng(5);
  const auto solid = draw_background(BackgroundKind::solid, 64, rng);
  cv::Scalar mean, spread;
  cv::meanStdDev(solid, mean, spread);
  EXPECT_EQ(spread, cv::Scalar(0, 0, 0, 0));

  // A gradient changes smoothly: neighbouring pixels differ by a few levels at most.
  for (int i = 0; i < 8; ++i) {
    const auto gradient = draw_background(BackgroundKind::gradient, 64, rng);
    cv::Mat steps;
    cv::absdiff(gradient.colRange(1, 64), gradient.colRange(0, 63), steps);
    double step = 0;
    cv::minMaxLoc(steps.reshape(1), nullptr, &step);
    EXPECT_LE(step, 6);
    cv::meanStdDev(gradient, mean, spread);
    EXPECT_GT(spread[0] + spread[1] + spread[2], 0) << "not a gradient";
  }

  const auto texture = draw_background(BackgroundKind::texture, 64, rng);
  cv::meanStdDev(texture, mean, spread);
  EXPECT_GT(spread[0] + spread[1] + spread[2], 3);
}

}  // namespace
}  // namespace vedkit
