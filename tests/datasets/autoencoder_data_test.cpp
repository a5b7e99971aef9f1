#include "datasets/autoencoder/autoencoder_image_data.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "datasets/autoencoder/image_tensor_set.h"
#include "datasets/fashion_mnist.h"
#include "tests/support/error_of.h"
#include "tests/support/temp_dir.h"

namespace vedkit {
namespace {

using testing::TempDir;

// Mixed formats, sizes, depths and channel counts, one nested folder, and two bad files.
void write_mixed_folder(const TempDir& dir) {
  std::filesystem::create_directories(dir.path() / "images/nested");
  cv::imwrite(dir.file("images/a.png"), cv::Mat(40, 60, CV_8UC3, cv::Scalar(0, 0, 255)));
  cv::imwrite(dir.file("images/b.jpg"), cv::Mat(100, 30, CV_8UC3, cv::Scalar(200, 10, 10)));
  cv::imwrite(dir.file("images/c.bmp"), cv::Mat(16, 16, CV_8U, cv::Scalar(128)));
  cv::imwrite(dir.file("images/nested/d.tiff"), cv::Mat(33, 33, CV_16UC1, cv::Scalar(65535)));
  cv::imwrite(dir.file("images/nested/e.webp"), cv::Mat(50, 70, CV_8UC3, cv::Scalar(10, 250, 10)));
  cv::imwrite(dir.file("images/f.png"), cv::Mat(24, 24, CV_8UC4, cv::Scalar(1, 2, 3, 0)));
  std::ofstream(dir.file("images/broken.png")) << "not a png";
  std::ofstream(dir.file("images/nested/notes.txt")) << "ignored: not an image name";
  std::ofstream(dir.file("images/truncated.jpg")) << "\xff\xd8\xff";
}

TEST(ImageFolder, LoadsEveryReadableImageAtTheConfiguredSizeAndListsTheRest) {
  TempDir dir;
  write_mixed_folder(dir);
  const auto set = load_image_folder(dir.file("images"), "", 3, 32, 48);
  ASSERT_EQ(set.images.sizes(), (torch::IntArrayRef{6, 3, 32, 48}));
  EXPECT_EQ(set.images.scalar_type(), torch::kUInt8);
  EXPECT_EQ(set.skipped.size(), 2u);
  for (const auto& message : set.skipped) {
    EXPECT_TRUE(message.find("broken.png") != std::string::npos ||
                message.find("truncated.jpg") != std::string::npos) << message;
  }
  // a.png is pure red (BGR 0,0,255): channel 0 (R) is 255 everywhere, G and B are 0.
  EXPECT_EQ(set.images[0][0].min().item<int>(), 255);
  EXPECT_EQ(set.images[0][1].max().item<int>(), 0);
  // The 16-bit white TIFF stays white; the grey BMP becomes three equal channels.
  const auto d = std::find_if(set.paths.begin(), set.paths.end(), [](auto& p) { return p.find("d.tiff") != std::string::npos; });
  EXPECT_EQ(set.images[d - set.paths.begin()].min().item<int>(), 255);
  const auto grey = load_image_folder(dir.file("images"), "", 1, 16, 16);
  EXPECT_EQ(grey.images.sizes(), (torch::IntArrayRef{6, 1, 16, 16}));
}

TEST(ImageFolder, AListKeepsTheNamedImagesByStemOrPath) {
  TempDir dir;
  write_mixed_folder(dir);
  std::ofstream(dir.file("list.txt")) << "a\nnested/e.webp\n\nmissing\n";
  const auto set = load_image_folder(dir.file("images"), dir.file("list.txt"), 3, 16, 16);
  ASSERT_EQ(set.paths.size(), 2u);
  EXPECT_NE(set.paths[0].find("a.png"), std::string::npos);
  EXPECT_NE(set.paths[1].find("e.webp"), std::string::npos);
}

TEST(ImageFolder, EmptyOrUnreadableFoldersAreClearErrors) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "empty");
  EXPECT_NE(testing::error_of<DataError>([&] { load_image_folder(dir.file("empty"), "", 3, 16, 16); })
                .find("no images"),
            std::string::npos);
  std::filesystem::create_directories(dir.path() / "bad");
  std::ofstream(dir.file("bad/x.png")) << "text";
  EXPECT_NE(testing::error_of<DataError>([&] { load_image_folder(dir.file("bad"), "", 3, 16, 16); })
                .find("none of its 1 image files could be read"),
            std::string::npos);
  EXPECT_NE(testing::error_of<DataError>([&] { load_image_folder(dir.file("nowhere"), "", 3, 16, 16); })
                .find("nowhere"),
            std::string::npos);
}

AutoencoderDataOptions folder_options(const std::string& root, int64_t batch) {
  auto config = Config::from_text("data: {root: " + root + ", size: [16, 16], batch_size: " +
                                      std::to_string(batch) + ", val_fraction: 0.34}\n",
                                  "ae.yaml");
  return read_autoencoder_data_options(config.section("data"), {}, 5);
}

TEST(AutoencoderData, HoldsOutValidationAndBatchesInZeroToOne) {
  TempDir dir;
  write_mixed_folder(dir);
  auto loaded = load_autoencoder_data(folder_options(dir.file("images"), 2), 3);
  auto& data = *loaded;
  EXPECT_EQ(data.train_size() + data.val_size(), 6);
  EXPECT_EQ(data.val_size(), 2);
  data.start_epoch(0, 0);
  const auto batch = data.next_train_batch();
  EXPECT_EQ(batch.sizes(), (torch::IntArrayRef{2, 3, 16, 16}));
  EXPECT_GE(batch.min().item<double>(), 0.0);
  EXPECT_LE(batch.max().item<double>(), 1.0);
  EXPECT_EQ(data.train_batches(), 2);
  EXPECT_EQ(data.val_batches(), 1);
  EXPECT_NE(testing::error_of<DataError>([&] { load_autoencoder_data(folder_options(dir.file("images"), 64), 3); })
                .find("lower data.batch_size"),
            std::string::npos);
}

TEST(AutoencoderData, ReadsFashionMnistFromItsIdxFiles) {
  auto config = Config::from_text("data: {source: fashion_mnist, split: test, batch_size: 100}\n", "ae.yaml");
  auto loaded = load_autoencoder_data(read_autoencoder_data_options(config.section("data"), {}, 1), 1);
  auto& data = *loaded;
  EXPECT_EQ(data.train_size(), 9000);
  EXPECT_EQ(data.val_size(), 1000);
  EXPECT_EQ(data.val_batch(0).sizes(), (torch::IntArrayRef{100, 1, 28, 28}));
}

TEST(AutoencoderData, FashionMnistClassesKeepOnlyThoseLabelsForOneClassTraining) {
  const auto all = load_fashion_mnist_images(kDefaultFashionMnistDir, "test", 1, 28, 28);
  ASSERT_TRUE(all.labels.defined());
  EXPECT_EQ(all.labels.size(0), 10000);
  const auto trousers = load_fashion_mnist_images(kDefaultFashionMnistDir, "test", 1, 28, 28, {1});
  EXPECT_EQ(trousers.images.size(0), 1000);  // 1,000 test images a class
  EXPECT_TRUE((trousers.labels == 1).all().item<bool>());
  // The kept images are the split's images of that label, in order.
  const auto first = (all.labels == 1).nonzero()[0][0].item<int64_t>();
  EXPECT_TRUE(trousers.images[0].equal(all.images[first]));
}

TEST(AutoencoderData, SizeMustMatchAVectorLatentsInput) {
  auto config = Config::from_text("data: {root: x, size: [32, 32]}\n", "ae.yaml");
  EXPECT_NE(testing::error_of<ConfigError>([&] { read_autoencoder_data_options(config.section("data"), {28, 28}, 1); })
                .find("model.input_size"),
            std::string::npos);
}

TEST(AutoencoderData, ShiftMustBeSmallerThanTheImage) {
  auto config = Config::from_text("data: {root: x, size: [16, 16], shift: 16}\n", "ae.yaml");
  const auto message =
      testing::error_of<ConfigError>([&] { read_autoencoder_data_options(config.section("data"), {}, 1); });
  EXPECT_NE(message.find("shift"), std::string::npos) << message;
  EXPECT_NE(message.find("16x16"), std::string::npos) << message;
  config = Config::from_text("data: {source: fashion_mnist, shift: 2}\n", "ae.yaml");
  const auto options = read_autoencoder_data_options(config.section("data"), {}, 1);
  EXPECT_EQ(options.augmentation.shift, 2);
  EXPECT_FALSE(options.augmentation.flip);
}

// A 10-frame clip whose frame k is filled with grey level 20 k, so each frame read shows
// which it was.
std::string write_numbered_clip(const TempDir& dir) {
  const auto path = dir.file("clip.avi");
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10.0, cv::Size(40, 30));
  for (int k = 0; k < 10; ++k) writer.write(cv::Mat(30, 40, CV_8UC3, cv::Scalar::all(20 * k)));
  return path;
}

TEST(VideoFrames, TakesEveryStepthFrameOfTheRangeAtTheConfiguredSize) {
  TempDir dir;
  const auto clip = write_numbered_clip(dir);
  const auto set = load_video_frames(clip, 2, 9, 3, 1, 12, 16);  // frames 2, 5 and 8
  ASSERT_EQ(set.images.sizes(), (std::vector<int64_t>{3, 1, 12, 16}));
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(set.images[i].to(torch::kFloat).mean().item<double>(), 20.0 * (2 + 3 * i), 3.0) << i;
  }
  EXPECT_EQ(load_video_frames(clip, 0, -1, 1, 3, 12, 16).images.size(0), 10);
}

TEST(VideoFrames, MissingUnreadableOrEmptyRangesAreClearErrors) {
  TempDir dir;
  const auto clip = write_numbered_clip(dir);
  EXPECT_NE(testing::error_of<DataError>([&] { load_video_frames(dir.file("none.avi"), 0, -1, 1, 3, 8, 8); })
                .find("none.avi: no such video file"),
            std::string::npos);
  const auto text = dir.write("text.avi", "not a video");
  EXPECT_NE(testing::error_of<DataError>([&] { load_video_frames(text, 0, -1, 1, 3, 8, 8); })
                .find("text.avi: cannot be read as a video"),
            std::string::npos);
  EXPECT_NE(testing::error_of<DataError>([&] { load_video_frames(clip, 20, 30, 1, 3, 8, 8); })
                .find("no frame in data.frames [20, 30) of its 10 frames"),
            std::string::npos);
}

TEST(AutoencoderData, VideoFramesMustBeAnOrderedRange) {
  auto config = Config::from_text("data: {source: video, video: x.avi, frames: [5, 3]}\n", "ae.yaml");
  const auto message =
      testing::error_of<ConfigError>([&] { read_autoencoder_data_options(config.section("data"), {}, 1); });
  EXPECT_NE(message.find("data.frames"), std::string::npos) << message;
  config = Config::from_text("data: {source: video, video: x.avi, frames: [0, 398], frame_step: 2}\n", "ae.yaml");
  const auto options = read_autoencoder_data_options(config.section("data"), {}, 1);
  EXPECT_EQ(options.root, "x.avi");
  EXPECT_EQ(options.frames, (std::vector<int64_t>{0, 398}));
  EXPECT_EQ(options.frame_step, 2);
}

}  // namespace
}  // namespace vedkit
