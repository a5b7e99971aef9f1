// vedkit-caption on a generated video, on images and on sources that are not there.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <regex>
#include <sstream>

#include "core/model_file.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"
#include "text/caption_model.h"
#include "text/word_tokenizer.h"
#include "vision/io/image_io.h"

namespace vedkit {
namespace {

using testing::app;
using testing::run_command;
using testing::TempDir;

constexpr int kFrames = 30;

// An untrained captioner: the app's plumbing does not depend on what it learned.
std::string write_captioner(const TempDir& dir) {
  torch::manual_seed(3);  // a caption with words, so attention maps are written
  const auto tokenizer =
      WordTokenizer::train({"a red ball left of a blue box", "a box moves right"}, 1);
  auto config = Config::from_text(
      "task: captioning\n"
      "model:\n  encoder: {type: resnet, depth: 18, width: 8}\n"
      "  decoder: {width: 32, layers: 1, heads: 2, ffn_width: 64}\n"
      "data: {size: [64, 64]}\n",
      "caption.yaml");
  auto model = build_caption_model(config.section("model"), tokenizer.vocab_size());
  const auto path = dir.file("caption.vdk");
  write_model_file(path, *model, {config.to_yaml(), tokenizer.to_vocabulary(), {}});
  return path;
}

// kFrames frames of 64 x 48 at 30 fps: a disc and a box moving across a grey background.
std::string write_clip(const TempDir& dir) {
  const auto path = dir.file("clip.avi");
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 30.0, cv::Size(64, 48));
  for (int i = 0; i < kFrames; ++i) {
    cv::Mat frame(48, 64, CV_8UC3, cv::Scalar(90, 90, 90));
    cv::circle(frame, cv::Point(4 + 2 * i, 16), 7, cv::Scalar(0, 0, 230), cv::FILLED);
    cv::rectangle(frame, cv::Rect(60 - 2 * i, 28, 12, 12), cv::Scalar(230, 60, 0), cv::FILLED);
    writer.write(frame);
  }
  return path;
}

int count_files(const std::string& dir, const std::string& extension) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    count += entry.path().extension() == extension;
  }
  return count;
}

class CaptionApp : public ::testing::Test {
 protected:
  void SetUp() override { model_ = write_captioner(dir_); }
  std::string caption(const std::string& rest) const {
    return app("vedkit-caption") + " --model " + model_ + " " + rest;
  }
  TempDir dir_;
  std::string model_;
};

TEST_F(CaptionApp, AnnotatesEveryFrameOfAVideoAndPrintsTimedCaptions) {
  const auto out = dir_.file("out.avi");
  const auto result = run_command(caption("--headless --video " + write_clip(dir_) + " --out " +
                                          out + " --frames " + dir_.file("frames")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  // A file waits for the output, so no frame is dropped: the same count comes back.
  cv::VideoCapture annotated(out);
  int frames = 0;
  for (cv::Mat frame; annotated.read(frame);) ++frames;
  EXPECT_EQ(frames, kFrames) << result.output;
  EXPECT_EQ(count_files(dir_.file("frames"), ".png"), kFrames);
  EXPECT_TRUE(std::regex_search(result.output, std::regex("(^|\n)0\\.\\d\\ds  \\S")))
      << result.output;
  EXPECT_NE(result.output.find("end of stream; 30 frames shown"), std::string::npos)
      << result.output;
}

TEST_F(CaptionApp, CaptionsImagesAndSkipsBadOnes) {
  std::filesystem::create_directories(dir_.path() / "in");
  cv::imwrite(dir_.file("in/a.png"), cv::Mat(40, 56, CV_8UC3, cv::Scalar(10, 200, 30)));
  cv::imwrite(dir_.file("in/b.jpg"), cv::Mat(70, 33, CV_8U, cv::Scalar(90)));
  std::ofstream(dir_.file("in/text.png")) << "not an image";
  const auto result = run_command(caption(dir_.file("in") + " " + dir_.file("missing.png")));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(dir_.file("in/a.png") + "\t"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(dir_.file("in/b.jpg") + "\t"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("skipped " + dir_.file("in/text.png")), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("missing.png"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("2 of 4 images captioned"), std::string::npos) << result.output;

  const auto json = run_command(caption("--json " + dir_.file("in/a.png")));
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_NE(json.output.find("{\"image\":\"" + dir_.file("in/a.png") + "\",\"caption\":"),
            std::string::npos)
      << json.output;

  const auto bfloat16 = run_command(caption("--precision bfloat16_any_cpu " + dir_.file("in/a.png")));
  ASSERT_EQ(bfloat16.exit_code, 0) << bfloat16.output;
  EXPECT_NE(bfloat16.output.find(dir_.file("in/a.png") + "\t"), std::string::npos) << bfloat16.output;
  const auto half = run_command(caption("--precision half " + dir_.file("in/a.png")));
  EXPECT_EQ(half.exit_code, 1) << half.output;
  EXPECT_NE(half.output.find("precision 'half': expected float32, bfloat16, auto or bfloat16_any_cpu"), std::string::npos)
      << half.output;
}

TEST_F(CaptionApp, WritesAnAttentionMapPerWord) {
  std::filesystem::create_directories(dir_.path() / "in");
  cv::imwrite(dir_.file("in/a.png"), cv::Mat(48, 80, CV_8UC3, cv::Scalar(40, 90, 200)));
  const auto result =
      run_command(caption("--attention " + dir_.file("maps") + " " + dir_.file("in/a.png")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto tab = result.output.find('\t');
  ASSERT_NE(tab, std::string::npos) << result.output;
  std::istringstream caption(
      result.output.substr(tab + 1, result.output.find('\n', tab) - tab - 1));
  int words = 0;
  for (std::string word; caption >> word;) ++words;
  ASSERT_GT(words, 0) << result.output;
  EXPECT_EQ(count_files(dir_.file("maps"), ".png"), words);
  // The whole image, with the square the model saw marked on it.
  const auto first = std::filesystem::directory_iterator(dir_.file("maps"))->path();
  EXPECT_EQ(first.filename().string().rfind("a_", 0), 0u) << first;
  EXPECT_EQ(cv::imread(first.string()).size(), cv::Size(80, 48)) << first;
}

// Attention maps are drawn over covering_region: it must be the part the model sees.
TEST(CoveringRegion, IsThePartOfTheFrameThatResizeCoveringKeeps) {
  cv::Mat frame(60, 100, CV_8UC3);
  for (int y = 0; y < frame.rows; ++y) {
    for (int x = 0; x < frame.cols; ++x) frame.at<cv::Vec3b>(y, x) = cv::Vec3b(2 * x, 4 * y, 128);
  }
  const auto region = covering_region(frame.size(), 32, 32);
  EXPECT_EQ(region, cv::Rect(20, 0, 60, 60));
  EXPECT_EQ(covering_region(cv::Size(40, 80), 64, 32), cv::Rect(0, 0, 40, 80));
  const cv::Mat kept = resize_covering(frame, 32, 32);
  const cv::Mat from_region = resize_covering(frame(region).clone(), 32, 32);
  EXPECT_LT(cv::norm(kept, from_region, cv::NORM_L1) / kept.total(), 3.0);
}

TEST_F(CaptionApp, MissingSourcesAreClearFailures) {
  auto result = run_command(caption("--headless --camera 9"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("camera 9: cannot be opened"), std::string::npos) << result.output;

  result = run_command(caption("--headless --video " + dir_.file("missing.avi")));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("missing.avi: no such video file"), std::string::npos)
      << result.output;

  std::ofstream(dir_.file("text.avi")) << "not a video";
  result = run_command(caption("--headless --video " + dir_.file("text.avi")));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("text.avi: cannot be read as a video"), std::string::npos)
      << result.output;

  result =
      run_command("env -u DISPLAY -u WAYLAND_DISPLAY " + caption("--video " + write_clip(dir_)));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("--headless"), std::string::npos) << result.output;

  result = run_command(caption("--size 50 64 --video " + write_clip(dir_)));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("multiples of 32"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace vedkit
