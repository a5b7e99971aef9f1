#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "core/error.h"
#include "datasets/image_files.h"
#include "datasets/segmentation/joint_augment.h"
#include "datasets/segmentation/segmentation_folder_data.h"
#include "tests/support/temp_dir.h"

namespace vedkit {
namespace {

using testing::TempDir;

// A mask of random rectangles of classes 1..5 and an image whose grey level is 40 x class.
std::pair<cv::Mat, cv::Mat> coded_pair(uint64_t seed) {
  SplitMix64 rng(seed);
  cv::Mat mask = cv::Mat::zeros(96, 128, CV_16U);
  for (int i = 0; i < 6; ++i) {
    const int x = static_cast<int>(rng.below(100)), y = static_cast<int>(rng.below(70));
    cv::rectangle(mask, cv::Rect(x, y, 10 + static_cast<int>(rng.below(30)), 10 + static_cast<int>(rng.below(30))),
                  cv::Scalar(1 + static_cast<int>(rng.below(5))), cv::FILLED);
  }
  cv::Mat grey;
  mask.convertTo(grey, CV_8U, 40);
  cv::Mat image;
  cv::cvtColor(grey, image, cv::COLOR_GRAY2BGR);
  return {image, mask};
}

TEST(JointAugment, ImageAndMaskStayAligned) {
  AugmentOptions options;
  options.crop = 64;
  options.scale_min = 0.6;
  options.scale_max = 1.6;
  options.rotate_degrees = 25;
  options.jitter = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto [image, mask] = coded_pair(seed);
    SplitMix64 rng(seed + 100);
    augment_pair(image, mask, options, rng);
    ASSERT_EQ(image.size(), cv::Size(64, 64));
    ASSERT_EQ(mask.size(), cv::Size(64, 64));
    int checked = 0;
    for (int y = 2; y < 62; ++y) {
      for (int x = 2; x < 62; ++x) {
        const int label = mask.at<uint16_t>(y, x);
        if (label == 255) continue;
        // Away from class edges and the image border, where the image is interpolated.
        bool interior = true;
        for (int dy = -2; dy <= 2; ++dy) {
          for (int dx = -2; dx <= 2; ++dx) interior = interior && mask.at<uint16_t>(y + dy, x + dx) == label;
        }
        if (!interior) continue;
        ASSERT_NEAR(image.at<cv::Vec3b>(y, x)[0], 40 * label, 2) << "seed " << seed << " at " << x << "," << y;
        ++checked;
      }
    }
    EXPECT_GT(checked, 400);
  }
}

TEST(JointAugment, MaskKeepsOnlyItsOwnValues) {
  auto [image, mask] = coded_pair(3);
  AugmentOptions options;
  options.crop = 80;
  SplitMix64 rng(1);
  augment_pair(image, mask, options, rng);
  double low, high;
  cv::minMaxLoc(mask, &low, &high);
  for (int y = 0; y < mask.rows; ++y) {
    for (int x = 0; x < mask.cols; ++x) {
      const int v = mask.at<uint16_t>(y, x);
      ASSERT_TRUE(v <= 5 || v == 255) << v << ": nearest-neighbour never mixes classes";
    }
  }
}

// Writes n image/mask pairs as folders images/ and masks/ under dir.
void write_pairs(const TempDir& dir, int n, double mask_scale = 1) {
  for (int i = 0; i < n; ++i) {
    auto [image, mask] = coded_pair(i);
    cv::Mat mask8;
    mask.convertTo(mask8, CV_8U, mask_scale);
    std::filesystem::create_directories(dir.path() / "images");
    std::filesystem::create_directories(dir.path() / "masks");
    cv::imwrite(dir.file("images/p" + std::to_string(i) + ".png"), image);
    cv::imwrite(dir.file("masks/p" + std::to_string(i) + ".png"), mask8);
  }
}

SegmentationDataOptions folder_options(const TempDir& dir) {
  SegmentationDataOptions options;
  options.type = "folders";
  options.images = options.val_images = dir.file("images");
  options.masks = options.val_masks = dir.file("masks");
  options.batch_size = 3;
  options.augment.crop = 32;
  return options;
}

TEST(SegmentationFolderData, BatchesHaveTheConfiguredShape) {
  TempDir dir;
  write_pairs(dir, 7);
  SegmentationFolderData data(folder_options(dir), 6, 3, true);
  EXPECT_EQ(data.train_batches(), 2);
  data.start_epoch(0, 0);
  const auto batch = data.next_train_batch();
  EXPECT_EQ(batch.images.sizes(), (torch::IntArrayRef{3, 3, 32, 32}));
  EXPECT_EQ(batch.masks.sizes(), (torch::IntArrayRef{3, 32, 32}));
  EXPECT_EQ(data.val_batches(), 3);
  EXPECT_EQ(data.val_batch(2).images.size(0), 1);
  EXPECT_EQ(data.val_batch(0).images.sizes(), (torch::IntArrayRef{3, 3, 96, 128}));
}

TEST(SegmentationFolderData, SameSeedSameBatches) {
  TempDir dir;
  write_pairs(dir, 6);
  auto options = folder_options(dir);
  SegmentationFolderData first(options, 6, 1, true), second(options, 6, 1, true);
  first.start_epoch(2, 0);
  second.start_epoch(2, 0);
  EXPECT_TRUE(torch::equal(first.next_train_batch().images, second.next_train_batch().images));
}

TEST(SegmentationFolderData, AResumedEpochStartsAtItsBatch) {
  TempDir dir;
  write_pairs(dir, 6);
  auto options = folder_options(dir);
  SegmentationFolderData whole(options, 6, 1, true), resumed(options, 6, 1, true);
  // The whole run went through the earlier epochs; the resumed one starts at epoch 2.
  for (int64_t epoch = 0; epoch <= 2; ++epoch) whole.start_epoch(epoch, 0);
  const auto batch0 = whole.next_train_batch(), batch1 = whole.next_train_batch();
  resumed.start_epoch(2, 1);
  const auto first = resumed.next_train_batch();
  EXPECT_TRUE(torch::equal(first.images, batch1.images));
  EXPECT_TRUE(torch::equal(first.masks, batch1.masks));
  EXPECT_FALSE(torch::equal(first.images, batch0.images));
}

TEST(SegmentationFolderData, BadPairsAreSkippedAndGoodOnesKept) {
  TempDir dir;
  write_pairs(dir, 4);
  dir.write("images/text.png", "not an image");
  dir.write("masks/text.png", "not a mask");
  cv::imwrite(dir.file("images/small.png"), cv::Mat::zeros(10, 10, CV_8UC3));
  cv::imwrite(dir.file("masks/small.png"), cv::Mat::zeros(12, 10, CV_8U));
  SegmentationFolderData data(folder_options(dir), 6, 3, true);
  EXPECT_EQ(data.train_size(), 4);
}

TEST(SegmentationFolderData, BinaryMasksSavedAs255AreCaught) {
  TempDir dir;
  write_pairs(dir, 3, 255);  // classes 1..5 all saturate to 255
  try {
    SegmentationFolderData data(folder_options(dir), 2, 3, true);
    FAIL() << "0/255 masks must be reported";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("data.binary_masks"), std::string::npos) << e.what();
  }
  auto options = folder_options(dir);
  options.binary_masks = true;
  SegmentationFolderData data(options, 2, 3, true);
  EXPECT_GT(data.val_batch(0).masks.max().item<int64_t>(), 0);
}

TEST(SegmentationFolderData, WithoutValFoldersAFractionIsHeldOut) {
  TempDir dir;
  write_pairs(dir, 10);
  auto options = folder_options(dir);
  options.val_images.clear();
  options.val_masks.clear();
  options.val_fraction = 0.2;
  SegmentationFolderData data(options, 6, 3, true);
  EXPECT_EQ(data.train_size(), 8);
  EXPECT_EQ(data.val_size(), 2);
  auto config = Config::from_text("data: {type: folders, images: a, masks: b, val_images: c}\n", "d.yaml");
  EXPECT_THROW(read_segmentation_data_options(config.section("data"), 6, 0), ConfigError);
}

TEST(SegmentationFolderData, MissingMaskAndEmptyFolderAreErrors) {
  TempDir dir;
  write_pairs(dir, 2);
  std::filesystem::remove(dir.file("masks/p1.png"));
  EXPECT_THROW(SegmentationFolderData(folder_options(dir), 6, 3, true), DataError);
  TempDir empty;
  std::filesystem::create_directories(empty.path() / "images");
  std::filesystem::create_directories(empty.path() / "masks");
  EXPECT_THROW(SegmentationFolderData(folder_options(empty), 6, 3, true), DataError);
}

TEST(ImageFiles, ExpandsFoldersGlobsAndKeepsFiles) {
  TempDir dir;
  write_pairs(dir, 3);
  dir.write("images/notes.txt", "x");
  EXPECT_EQ(list_images(dir.file("images")).size(), 3u);
  EXPECT_EQ(expand_image_inputs({dir.file("images/p*.png")}).size(), 3u);
  EXPECT_EQ(expand_image_inputs({dir.file("missing.png")}).size(), 1u);
  EXPECT_THROW(expand_image_inputs({dir.file("nothing*.png")}), DataError);
  std::filesystem::create_directories(dir.path() / "empty");
  EXPECT_THROW(expand_image_inputs({dir.file("empty")}), DataError);
}

}  // namespace
}  // namespace vedkit
