#include "vision/autoencoder/tensor_image_data.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <set>
#include <utility>

namespace vedkit {
namespace {

// `image` [1, H, W] read at (y + dy, x + dx), coordinates clamped to the image.
at::Tensor moved(const at::Tensor& image, int64_t dy, int64_t dx) {
  const int64_t height = image.size(1), width = image.size(2);
  auto out = torch::empty_like(image);
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      out[0][y][x] = image[0][std::clamp<int64_t>(y + dy, 0, height - 1)]
                          [std::clamp<int64_t>(x + dx, 0, width - 1)];
    }
  }
  return out;
}

TEST(TensorImageData, ShiftMovesEachTrainingImageByAnOffsetWithinRange) {
  const auto image = torch::arange(64, torch::kUInt8).reshape({1, 1, 8, 8});
  TensorImageData data(image, image.clone(), 1, TrainingAugmentation{false, 2}, 3);
  const auto original = image[0].to(torch::kFloat).div(255);
  std::set<std::pair<int64_t, int64_t>> seen;
  for (int draw = 0; draw < 80; ++draw) {
    // A sample's draws follow the seed, the epoch and its place in the epoch's order.
    data.start_epoch(draw, 0);
    const auto batch = data.next_train_batch();
    ASSERT_EQ(batch.sizes(), (torch::IntArrayRef{1, 1, 8, 8}));
    bool matched = false;
    for (int64_t dy = -2; dy <= 2 && !matched; ++dy) {
      for (int64_t dx = -2; dx <= 2 && !matched; ++dx) {
        if (torch::equal(batch[0], moved(original, dy, dx))) {
          seen.insert({dy, dx});
          matched = true;
        }
      }
    }
    ASSERT_TRUE(matched) << "draw " << draw << " is not the image moved by at most 2 pixels";
  }
  EXPECT_GE(seen.size(), 15u);  // 25 offsets, 80 draws
  EXPECT_TRUE(torch::equal(data.val_batch(0)[0], original));
}

TEST(TensorImageData, WithoutAugmentationBatchesAreTheImagesShuffled) {
  const auto images = torch::arange(4 * 36, torch::kLong).reshape({4, 1, 6, 6}).to(torch::kUInt8);
  TensorImageData data(images, images.narrow(0, 0, 1), 4, {}, 1);
  const auto batch = data.next_train_batch().mul(255).round().to(torch::kUInt8);
  std::set<int64_t> firsts;
  for (int64_t i = 0; i < 4; ++i) {
    const int64_t source = batch[i][0][0][0].item<int64_t>() / 36;
    EXPECT_TRUE(torch::equal(batch[i], images[source]));
    firsts.insert(source);
  }
  EXPECT_EQ(firsts.size(), 4u);
}

TEST(TensorImageData, AResumedEpochStartsAtItsBatch) {
  const auto images = torch::arange(6 * 4, torch::kLong).reshape({6, 1, 2, 2}).to(torch::kUInt8);
  TensorImageData whole(images, images.narrow(0, 0, 1), 2, {}, 1);
  TensorImageData resumed(images, images.narrow(0, 0, 1), 2, {}, 1);
  whole.start_epoch(3, 0);
  whole.next_train_batch();
  const auto batch1 = whole.next_train_batch();
  resumed.start_epoch(3, 1);
  EXPECT_TRUE(torch::equal(resumed.next_train_batch(), batch1));
  EXPECT_TRUE(torch::equal(resumed.next_train_batch(), whole.next_train_batch()));
}

}  // namespace
}  // namespace vedkit
