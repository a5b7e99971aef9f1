#include "datasets/captions/caption_image_data.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "core/error.h"
#include "tests/support/error_of.h"
#include "tests/support/temp_dir.h"

namespace vedkit {
namespace {

using testing::error_of;
using testing::TempDir;

// Ten images of one grey level each (image i: 20 * i) with the caption "image i"; image 3 has a
// second caption. train.txt lists stems 0-7 and val.txt images 8 and 9, one by path.
std::string write_set(const TempDir& dir) {
  std::filesystem::create_directories(dir.path() / "images");
  std::string tsv;
  for (int i = 0; i < 10; ++i) {
    cv::imwrite(dir.file("images/" + std::to_string(i) + ".png"),
                cv::Mat(30, 40, CV_8UC3, cv::Scalar::all(20 * i)));
    tsv += "images/" + std::to_string(i) + ".png\timage " + std::to_string(i) + "\n";
  }
  tsv += "images/3.png\tthe fourth image\n";
  dir.write("train.txt", "0\n1\n2\n3\n4\n5\n6\n7\n");
  dir.write("val.txt", "images/8.png\n9\n");
  return dir.write("captions.tsv", tsv);
}

CaptionDataOptions options_for(const std::string& captions, const std::string& extra = "") {
  auto config = Config::from_text(
      "data:\n  captions: " + captions + "\n  size: [32, 32]\n  batch_size: 4\n" + extra,
      "data.yaml");
  return read_caption_data_options(config.section("data"), 5);
}

// Grey level i * 20 is image i.
int64_t image_number(const at::Tensor& image) {
  return std::lround(image.mean().item<double>() * 255 / 20);
}

TEST(CaptionImageData, ListsChooseTheSplitsAndTrainingDrawsOneReferencePerEpoch) {
  TempDir dir;
  const auto tsv = write_set(dir);
  const auto options = options_for(tsv, "  train_list: " + dir.file("train.txt") +
                                            "\n  val_list: " + dir.file("val.txt") + "\n");
  CaptionImageData data(options, split_caption_file(options), 3);
  EXPECT_EQ(data.train_size(), 8);
  EXPECT_EQ(data.val_size(), 2);
  EXPECT_EQ(data.train_batches(), 2);
  const auto val = data.val_batch(0);
  ASSERT_EQ(val.images.sizes(), (torch::IntArrayRef{2, 3, 32, 32}));
  EXPECT_EQ(val.references, (std::vector<std::vector<std::string>>{{"image 8"}, {"image 9"}}));
  EXPECT_EQ(image_number(val.images[1]), 9);

  std::set<std::string> fourth;
  for (int64_t epoch = 0; epoch < 12; ++epoch) {
    data.start_epoch(epoch, 0);
    for (int64_t b = 0; b < data.train_batches(); ++b) {
      const auto batch = data.next_train_batch();
      ASSERT_EQ(batch.images.size(0), 4);
      EXPECT_LE(batch.images.max().item<double>(), 1.0);
      for (int64_t i = 0; i < 4; ++i) {
        const auto n = image_number(batch.images[i]);
        EXPECT_LT(n, 8);
        if (n == 3) {
          fourth.insert(batch.captions[i]);
        } else {
          EXPECT_EQ(batch.captions[i], "image " + std::to_string(n));
        }
      }
    }
  }
  EXPECT_EQ(fourth, (std::set<std::string>{"image 3", "the fourth image"}));
}

TEST(CaptionImageData, AResumedEpochStartsAtItsBatch) {
  TempDir dir;
  const auto tsv = write_set(dir);
  const auto options = options_for(tsv, "  train_list: " + dir.file("train.txt") + "\n");
  CaptionImageData whole(options, split_caption_file(options), 3),
      resumed(options, split_caption_file(options), 3);
  whole.start_epoch(5, 0);
  whole.next_train_batch();
  const auto batch1 = whole.next_train_batch();
  resumed.start_epoch(5, 1);
  const auto first = resumed.next_train_batch();
  EXPECT_TRUE(torch::equal(first.images, batch1.images));
  EXPECT_EQ(first.captions, batch1.captions);
}

TEST(CaptionImageData, WithoutAValidationListAFractionIsHeldOutBySeed) {
  TempDir dir;
  const auto tsv = write_set(dir);
  const auto held = split_caption_file(options_for(tsv, "  val_fraction: 0.3\n"));
  EXPECT_EQ(held.train.size(), 7u);
  EXPECT_EQ(held.val.size(), 3u);
  EXPECT_EQ(split_caption_file(options_for(tsv, "  val_fraction: 0.3\n")).val[0].image_path,
            held.val[0].image_path);
  // Only val_list: every other image trains; max_val_images keeps the first.
  const auto listed = split_caption_file(
      options_for(tsv, "  val_list: " + dir.file("val.txt") + "\n  max_val_images: 1\n"));
  EXPECT_EQ(listed.train.size(), 8u);
  ASSERT_EQ(listed.val.size(), 1u);
  EXPECT_EQ(listed.val[0].image_path, dir.file("images/8.png"));
  // A train_list restricts what the fraction is held out of.
  const auto restricted = split_caption_file(
      options_for(tsv, "  train_list: " + dir.file("train.txt") + "\n  val_fraction: 0.25\n"));
  EXPECT_EQ(restricted.train.size() + restricted.val.size(), 8u);
}

TEST(CaptionImageData, ImagesMayLiveAwayFromTheCaptionFile) {
  TempDir dir;
  write_set(dir);
  const auto tsv =
      dir.write("elsewhere/captions.tsv", "0.png\ta\n1.png\tb\n2.png\tc\n3.png\td\n4.png\te\n");
  const auto options =
      options_for(tsv, "  images: " + dir.file("images") + "\n  val_fraction: 0.2\n");
  CaptionImageData data(options, split_caption_file(options), 3);
  EXPECT_EQ(data.train_size() + data.val_size(), 5);
}

TEST(CaptionImageData, UnreadableImagesAreSkippedAndBadInputsNamed) {
  TempDir dir;
  const auto tsv = write_set(dir);
  std::filesystem::remove(dir.file("images/2.png"));
  dir.write("images/5.png", "not a png");
  const auto lists =
      "  train_list: " + dir.file("train.txt") + "\n  val_list: " + dir.file("val.txt") + "\n";
  const auto options = options_for(tsv, lists);
  CaptionImageData data(options, split_caption_file(options), 3);
  EXPECT_EQ(data.train_size(), 6);

  auto message =
      error_of<DataError>([&] { split_caption_file(options_for(dir.file("missing.tsv"))); });
  EXPECT_NE(message.find("missing.tsv"), std::string::npos) << message;
  message =
      error_of<DataError>([&] { split_caption_file(options_for(dir.write("empty.tsv", "\n\n"))); });
  EXPECT_NE(message.find("empty.tsv: no captions"), std::string::npos) << message;
  dir.write("other.txt", "cat\ndog\n");
  message = error_of<DataError>(
      [&] { split_caption_file(options_for(tsv, "  val_list: " + dir.file("other.txt") + "\n")); });
  EXPECT_NE(message.find("other.txt: names none"), std::string::npos) << message;
  message =
      error_of<DataError>([&] { split_caption_file(options_for(tsv, "  val_fraction: 0\n")); });
  EXPECT_NE(message.find("no validation images"), std::string::npos) << message;

  const auto broken =
      dir.write("broken.tsv", "images/2.png\tgone\nimages/5.png\tbroken\nimages/9.png\tfine\n");
  const auto broken_options =
      options_for(broken, "  val_list: " + dir.write("nine.txt", "9\n") + "\n");
  message = error_of<DataError>(
      [&] { CaptionImageData(broken_options, split_caption_file(broken_options), 3); });
  EXPECT_NE(message.find("broken.tsv: none of its 2 training images could be read"),
            std::string::npos)
      << message;
  auto one_big_batch = options;
  one_big_batch.batch_size = 7;  // 6 readable training images
  message =
      error_of<DataError>([&] { CaptionImageData(one_big_batch, split_caption_file(options), 3); });
  EXPECT_NE(message.find("lower data.batch_size"), std::string::npos) << message;
}

TEST(CaptionImageData, PreviewWritesEachCaptionUnderItsImage) {
  TempDir dir;
  const auto tsv = write_set(dir);
  const auto options = options_for(tsv, "  val_fraction: 0.2\n");
  CaptionImageData data(options, split_caption_file(options), 3);
  const auto images = data.val_batch(0).images;
  data.write_preview(dir.file("preview.png"), images,
                     {"a caption long enough to need a second line here", "short"});
  const cv::Mat preview = cv::imread(dir.file("preview.png"));
  ASSERT_FALSE(preview.empty());
  EXPECT_EQ(preview.cols, 2 * 192);       // 32-pixel images enlarged x6
  EXPECT_GT(preview.rows, 192 + 2 * 14);  // and two lines of text under them
}

}  // namespace
}  // namespace vedkit
