// vedkit-segment and vedkit-eval, run as a user runs them, on good and bad inputs.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "core/model_file.h"
#include "core/precision.h"
#include "tests/support/mask_differences.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {
namespace {

using testing::app;
using testing::run_command;
using testing::TempDir;

// An untrained model file: the apps' plumbing does not depend on what it learned.
std::string write_model(const TempDir& dir, int64_t classes) {
  auto config = Config::from_text(
      "task: segmentation\nmodel:\n  encoder: {type: resnet, depth: 18, width: 8}\n"
      "  decoder: {channels: [16, 16, 8, 8, 8], num_classes: " + std::to_string(classes) + "}\n",
      "model.yaml");
  auto model = build_segmentation_model(config.section("model"));
  ModelFileContents contents;
  contents.config_yaml = config.to_yaml();
  for (int64_t k = 0; k < classes; ++k) contents.vocabulary.push_back("class" + std::to_string(k));
  const auto path = dir.file("model" + std::to_string(classes) + ".vdk");
  write_model_file(path, *model, contents);
  return path;
}

class SegmentApp : public ::testing::Test {
 protected:
  void SetUp() override { model_ = write_model(dir_, 3); }
  std::string segment(const std::string& inputs) {
    return app("vedkit-segment") + " --model " + model_ + " --out " + dir_.file("out") + " " + inputs;
  }
  TempDir dir_;
  std::string model_;
};

TEST_F(SegmentApp, WritesMaskOverlayAndJsonForAnyKindOfImage) {
  cv::Mat colour(37, 53, CV_8UC3, cv::Scalar(10, 200, 30));
  std::filesystem::create_directories(dir_.path() / "in");
  cv::imwrite(dir_.file("in/colour.png"), colour);
  cv::imwrite(dir_.file("in/grey.png"), cv::Mat(40, 40, CV_8U, cv::Scalar(100)));
  cv::imwrite(dir_.file("in/alpha.png"), cv::Mat(33, 70, CV_8UC4, cv::Scalar(1, 2, 3, 128)));
  cv::imwrite(dir_.file("in/deep.png"), cv::Mat(50, 20, CV_16UC3, cv::Scalar(60000, 3, 900)));
  cv::imwrite(dir_.file("in/large.jpg"), cv::Mat(700, 300, CV_8UC3, cv::Scalar(5, 5, 5)));
  const auto result = run_command(segment(dir_.file("in")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const auto& [name, size] : std::vector<std::pair<std::string, cv::Size>>{
           {"colour", {53, 37}}, {"grey", {40, 40}}, {"alpha", {70, 33}}, {"deep", {20, 50}},
           {"large", {300, 700}}}) {
    const cv::Mat mask = cv::imread(dir_.file("out/" + name + "_mask.png"), cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(mask.empty()) << name;
    EXPECT_EQ(mask.size(), size) << name << ": the mask has the input's size";
    EXPECT_EQ(mask.type(), CV_8U);
    const cv::Mat overlay = cv::imread(dir_.file("out/" + name + "_overlay.png"));
    EXPECT_EQ(overlay.size(), size) << name;
    EXPECT_NE(result.output.find("\"image\": \"" + dir_.file("in/" + name)), std::string::npos) << name;
  }
  EXPECT_NE(result.output.find("\"share\": "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("5 of 5 images segmented"), std::string::npos) << result.output;
}

TEST_F(SegmentApp, BadFilesAreReportedAndSkipped) {
  cv::imwrite(dir_.file("good.png"), cv::Mat(32, 32, CV_8UC3, cv::Scalar(1, 2, 3)));
  dir_.write("text.png", "this is not a PNG\n");
  cv::imwrite(dir_.file("cut.png"), cv::Mat(64, 64, CV_8UC3, cv::Scalar(9, 9, 9)));
  std::filesystem::resize_file(dir_.file("cut.png"), 40);
  const auto result = run_command(segment(dir_.file("good.png") + " " + dir_.file("text.png") +
                                          " " + dir_.file("cut.png") + " " + dir_.file("missing.png")));
  EXPECT_EQ(result.exit_code, 1) << "some inputs failed";
  EXPECT_NE(result.output.find(dir_.file("text.png") + ": cannot decode"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(dir_.file("cut.png") + ": a truncated PNG"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(dir_.file("missing.png") + ": no such image file"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("1 of 4 images segmented"), std::string::npos) << result.output;
  EXPECT_TRUE(std::filesystem::exists(dir_.file("out/good_mask.png")));
}

// The first `keep` bytes of `from`, written to `to`.
void write_prefix(const std::string& from, const std::string& to, size_t keep) {
  std::ifstream in(from, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(to, std::ios::binary) << bytes.substr(0, std::min(keep, bytes.size()));
}

TEST_F(SegmentApp, BombsAndCutOffImagesAreRefusedByNameAndTheRestRuns) {
  cv::Mat noise(96, 96, CV_8UC3);
  cv::randu(noise, 0, 255);
  for (const auto* name : {"a.png", "b.png", "c.png"}) cv::imwrite(dir_.file(name), noise);
  cv::imwrite(dir_.file("photo.jpg"), noise);
  // A PNG whose header claims 60000 x 60000 pixels: OpenCV's decoder would throw for the whole
  // batch without naming the file.
  std::string bomb;
  {
    std::ifstream in(dir_.file("a.png"), std::ios::binary);
    bomb.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  const std::string side = {'\x00', '\x00', '\xea', '\x60'};  // 60000, big-endian
  bomb.replace(16, 4, side);
  bomb.replace(20, 4, side);
  std::ofstream(dir_.file("bomb.png"), std::ios::binary) << bomb;
  // Cut-off files that libjpeg and libpng would decode with a grey remainder.
  write_prefix(dir_.file("photo.jpg"), dir_.file("cut.jpg"), 3000);
  write_prefix(dir_.file("b.png"), dir_.file("cut.png"), 9000);

  const auto result = run_command(segment(dir_.file("a.png") + " " + dir_.file("bomb.png") + " " +
                                          dir_.file("b.png") + " " + dir_.file("cut.jpg") + " " +
                                          dir_.file("cut.png") + " " + dir_.file("c.png")));
  EXPECT_EQ(result.exit_code, 1) << "some inputs failed";
  EXPECT_NE(result.output.find(dir_.file("bomb.png") + ": 60000x60000 pixels, over the limit"),
            std::string::npos) << result.output;
  EXPECT_NE(result.output.find(dir_.file("cut.jpg") + ": a truncated JPEG"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find(dir_.file("cut.png") + ": a truncated PNG"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("3 of 6 images segmented"), std::string::npos) << result.output;
  for (const auto* name : {"a", "b", "c"}) {
    const auto mask = dir_.file(std::string("out/") + name + "_mask.png");
    EXPECT_TRUE(std::filesystem::exists(mask)) << name;
  }
  // The whole photo still reads; a lower limit refuses it by name too.
  EXPECT_EQ(run_command(segment(dir_.file("photo.jpg"))).exit_code, 0);
  const auto limited =
      run_command("CV_IO_MAX_IMAGE_PIXELS=1000 " + segment(dir_.file("photo.jpg")));
  EXPECT_EQ(limited.exit_code, 1);
  EXPECT_NE(limited.output.find("96x96 pixels, over the limit of 1000"), std::string::npos)
      << limited.output;
}

// The case: four bytes overwritten in the middle of the bundled segmenter's weights.
TEST_F(SegmentApp, ADamagedModelFileIsRefusedInOneLine) {
  const auto damaged = dir_.file("damaged.vdk");
  std::filesystem::copy_file(std::string(VEDKIT_SOURCE_DIR) +
                                 "/models/segmentation_scenes_resnet18.vdk",
                             damaged);
  {
    std::fstream file(damaged, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(damaged) / 2));
    file.write("\xde\xad\xbe\xef", 4);
  }
  cv::imwrite(dir_.file("good.png"), cv::Mat(48, 40, CV_8UC3, cv::Scalar(1, 2, 3)));
  const auto result = run_command(app("vedkit-segment") + " --model " + damaged + " --out " +
                                  dir_.file("out") + " " + dir_.file("good.png"));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(damaged + ": damaged model file: record 'data/"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("(weight '"), std::string::npos) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("out/good_mask.png")));
}

TEST_F(SegmentApp, Bfloat16PrecisionRunsAndABadOneIsRefused) {
  cv::imwrite(dir_.file("good.png"), cv::Mat(48, 40, CV_8UC3, cv::Scalar(1, 2, 3)));
  auto result = run_command(segment("--precision bfloat16_any_cpu " + dir_.file("good.png")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(cv::imread(dir_.file("out/good_mask.png"), cv::IMREAD_UNCHANGED).size(), cv::Size(40, 48));
  // Plain bfloat16 only where the CPU has it: elsewhere one line says why and what to use.
  result = run_command(segment("--precision bfloat16 " + dir_.file("good.png")));
  if (cpu_has_native_bfloat16()) {
    EXPECT_EQ(result.exit_code, 0) << result.output;
  } else {
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("no native bfloat16"), std::string::npos) << result.output;
  }
  result = run_command(segment("--precision half " + dir_.file("good.png")));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("precision 'half': expected float32, bfloat16, auto or bfloat16_any_cpu"), std::string::npos)
      << result.output;
}

TEST_F(SegmentApp, ScalesRunAndBadOnesAreRefusedByValue) {
  cv::imwrite(dir_.file("good.png"), cv::Mat(48, 40, CV_8UC3, cv::Scalar(1, 2, 3)));
  auto result = run_command(segment("--scales 0.75,1,1.5 --flip " + dir_.file("good.png")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(cv::imread(dir_.file("out/good_mask.png"), cv::IMREAD_UNCHANGED).size(), cv::Size(40, 48));
  for (const std::string bad : {"0.5,x", "0", "1,,2", "9"}) {
    result = run_command(segment("--scales " + bad + " " + dir_.file("good.png")));
    EXPECT_EQ(result.exit_code, 2) << bad;
    EXPECT_NE(result.output.find("--scales: '"), std::string::npos) << result.output;
  }
}

TEST(ExportApp, BundledModelStoredAsFloat16SegmentsTheSamplesAlike) {
  TempDir dir;
  const std::string bundled =
      std::string(VEDKIT_SOURCE_DIR) + "/models/segmentation_scenes_resnet18.vdk";
  const std::string samples = std::string(VEDKIT_SOURCE_DIR) + "/datasets/samples/images";
  auto result = run_command(app("vedkit-export") + " --half --model " + bundled + " --out " +
                            dir.file("half.vdk"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_LT(std::filesystem::file_size(dir.file("half.vdk")),
            std::filesystem::file_size(bundled) * 0.55);
  for (const auto* name : {"half", "full"}) {
    const auto model = std::string(name) == "half" ? dir.file("half.vdk") : bundled;
    result = run_command(app("vedkit-segment") + " --model " + model + " --out " +
                         dir.file(name) + " " + samples);
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }
  const auto [pixels, differing] = testing::mask_differences(dir.file("full"), dir.file("half"));
  EXPECT_GT(pixels, 30 * 128 * 128);
  EXPECT_LT(differing, pixels / 1000) << differing << " of " << pixels << " pixels differ";
}

TEST_F(SegmentApp, EmptyFolderMissingModelAndNoInputAreErrors) {
  std::filesystem::create_directories(dir_.path() / "empty");
  auto result = run_command(segment(dir_.file("empty")));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("no images"), std::string::npos) << result.output;

  result = run_command(app("vedkit-segment") + " --model " + dir_.file("none.vdk") + " x.png");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("none.vdk: cannot open model file"), std::string::npos) << result.output;

  result = run_command(app("vedkit-segment") + " --model " + model_);
  EXPECT_EQ(result.exit_code, 2) << result.output;
}

TEST_F(SegmentApp, EvalPrintsTableAndJson) {
  const auto json = dir_.file("scores.json");
  const auto eval = app("vedkit-eval") + " --quiet --data " + VEDKIT_SOURCE_DIR + "/datasets/samples";
  const auto model11 = write_model(dir_, 11);
  auto result = run_command(eval + " --model " + model11 + " --json " + json);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("class10"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("mIoU"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("(4 images;"), std::string::npos) << result.output;
  std::ifstream written(json);
  std::string line;
  std::getline(written, line);
  EXPECT_EQ(line.rfind("{\"aAcc\": ", 0), 0u) << line;

  // One thread scores the same; a negative count is refused by name.
  const auto json_one_thread = dir_.file("scores_1.json");
  result = run_command(eval + " --model " + model11 + " --threads 1 --json " + json_one_thread);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::ifstream written_one_thread(json_one_thread);
  std::string line_one_thread;
  std::getline(written_one_thread, line_one_thread);
  EXPECT_EQ(line_one_thread, line);
  result = run_command(eval + " --model " + model_ + " --threads -2");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("--threads -2: expected 0 (every core) or a thread count"),
            std::string::npos)
      << result.output;

  // The sample masks have 11 classes; a 3-class model rejects every pair, and says why.
  result = run_command(eval + " --model " + model_);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("raise model.decoder.num_classes"), std::string::npos) << result.output;
  result = run_command(app("vedkit-eval") + " --model " + model_);
  EXPECT_EQ(result.exit_code, 2) << result.output;
}

// The "classes" array of a JSON line.
std::string classes_of(const std::string& line) {
  const auto start = line.find("\"classes\": [");
  return start == std::string::npos ? "" : line.substr(start, line.find(']', start) - start + 1);
}

// --video: each analysed frame's JSON line holds the classes vedkit-segment finds in that same
// frame as an image, and every frame is written with the overlay drawn.
TEST_F(SegmentApp, LiveVideoSegmentsEachAnalysedFrameAsAnImage) {
  const auto clip = dir_.file("clip.avi");
  {
    cv::VideoCapture vtest("/usr/share/doc/opencv-doc/examples/data/vtest.avi");
    ASSERT_TRUE(vtest.isOpened()) << "install opencv-doc (scripts/setup.sh)";
    cv::VideoWriter writer(clip, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10.0, cv::Size(96, 72));
    ASSERT_TRUE(writer.isOpened());
    cv::Mat frame, small;
    for (int i = 0; i < 12 && vtest.read(frame); ++i) {
      cv::resize(frame, small, cv::Size(96, 72), 0, 0, cv::INTER_AREA);
      writer.write(small);
    }
  }
  const auto run = run_command(app("vedkit-segment") + " --model " + model_ + " --video " + clip +
                               " --headless --frames " + dir_.file("live"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("end of stream; 12 frames shown"), std::string::npos) << run.output;
  const std::regex line_pattern("\\{\"time\": [0-9.]+, \"frame\": ([0-9]+), \"ms\": [0-9.]+, \"classes\": \\[.*");
  std::stringstream lines(run.output);
  int analysed = 0;
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (!std::regex_match(line, match, line_pattern)) continue;
    ++analysed;
    const int index = std::stoi(match[1]);
    cv::VideoCapture video(clip);
    cv::Mat frame;
    for (int i = 0; i <= index; ++i) ASSERT_TRUE(video.read(frame));
    cv::imwrite(dir_.file("frame.png"), frame);
    const auto still = run_command(segment(dir_.file("frame.png")));
    ASSERT_EQ(still.exit_code, 0) << still.output;
    EXPECT_EQ(classes_of(line), classes_of(still.output)) << "frame " << index;
    EXPECT_NE(classes_of(line), "");
  }
  EXPECT_GT(analysed, 0) << run.output;
  const cv::Mat shown = cv::imread(dir_.file("live/frame_000011.png"));
  ASSERT_EQ(shown.size(), cv::Size(96, 72));
  // Bad sources and mixed inputs: one line each.
  auto bad = run_command(app("vedkit-segment") + " --model " + model_ + " --headless --video " +
                         dir_.file("missing.avi"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("missing.avi"), std::string::npos) << bad.output;
  bad = run_command(segment("--video " + clip + " " + dir_.file("frame.png")));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("give one of --camera N, --video FILE or images"), std::string::npos)
      << bad.output;
}

}  // namespace
}  // namespace vedkit
