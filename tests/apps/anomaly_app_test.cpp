// Anomaly detection with an autoencoder trained on normal frames of a fixed camera (OpenCV's
// vtest.avi): a defect pasted into a frame must score above the threshold the training chose
// on its held-out frames, and the untouched frame below it.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <regex>
#include <sstream>

#include "core/model_file.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace vedkit {
namespace {

using testing::app;
using testing::TempDir;

const char* kVtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

// Every 4th of the first 192 frames, at 128x96, as PNGs in dir/frames.
void extract_frames(const TempDir& dir) {
  cv::VideoCapture video(kVtest);
  ASSERT_TRUE(video.isOpened()) << kVtest << " (install opencv-doc: scripts/setup.sh)";
  std::filesystem::create_directories(dir.file("frames"));
  cv::Mat frame, small;
  for (int i = 0; i < 192 && video.read(frame); ++i) {
    if (i % 4 != 0) continue;
    cv::resize(frame, small, cv::Size(128, 96), 0, 0, cv::INTER_AREA);
    char name[32];
    std::snprintf(name, sizeof name, "/%03d.png", i);
    cv::imwrite(dir.file("frames") + name, small);
  }
}

// The frame with a bright box of the given side pasted into the middle of the square.
cv::Mat with_defect(const cv::Mat& frame, int side) {
  cv::Mat damaged = frame.clone();
  const cv::Rect box(frame.cols / 2 - side / 2, frame.rows / 2 - side / 2, side, side);
  cv::rectangle(damaged, box, cv::Scalar(255, 255, 255), cv::FILLED);
  cv::rectangle(damaged, box, cv::Scalar(0, 0, 0), 2);
  return damaged;
}

class AnomalyApp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    extract_frames(*dir_);
    const auto config = dir_->write(
        "ae.yaml",
        "task: autoencoder\n"
        "model:\n  encoder: {type: resnet, depth: 18, width: 16}\n"
        "  decoder: {type: reconstruction, latent: channels, latent_size: 16, channels: [64, 32, 32, 16, 16]}\n"
        "data: {source: folder, root: " + dir_->file("frames") + ", size: [48, 64], val_fraction: 0.1,"
        " batch_size: 8}\n"
        "train: {lr: 0.003, epochs: 30, warmup_epochs: 1, preview: false, out_dir: " +
            dir_->file("run") + ", losses: [{type: mse}]}\n"
        "runtime: {seed: 1}\n");
    const auto trained = testing::run_command(app("vedkit-train") + " --quiet --config " + config);
    ASSERT_EQ(trained.exit_code, 0) << trained.output;
  }
  static void TearDownTestSuite() { delete dir_; }
  static TempDir* dir_;
};

TempDir* AnomalyApp::dir_ = nullptr;

TEST_F(AnomalyApp, TheTrainingStoresAThresholdChosenOnItsHeldOutFrames) {
  const double threshold = ModelFile::open(dir_->file("run/best.vdk")).contents().anomaly_threshold;
  EXPECT_TRUE(std::isfinite(threshold));
  EXPECT_GT(threshold, 0);
}

TEST_F(AnomalyApp, APastedDefectScoresAboveTheThresholdAndTheUntouchedFrameBelow) {
  const cv::Mat frame = cv::imread(dir_->file("frames/000.png"));
  ASSERT_FALSE(frame.empty());
  cv::imwrite(dir_->file("normal.png"), frame);
  cv::imwrite(dir_->file("defect.png"), with_defect(frame, 20));
  const auto run = testing::run_command(app("vedkit-reconstruct") + " --model " +
                                        dir_->file("run/best.vdk") + " --anomaly --out " +
                                        dir_->file("maps") + " " + dir_->file("normal.png") + " " +
                                        dir_->file("defect.png"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::istringstream lines(run.output);
  std::string normal_line, defect_line, line;
  while (std::getline(lines, line)) {
    if (line.find("normal.png") != std::string::npos) normal_line = line;
    if (line.find("defect.png") != std::string::npos) defect_line = line;
  }
  EXPECT_NE(normal_line.find("\"anomalous\": false"), std::string::npos) << run.output;
  EXPECT_NE(defect_line.find("\"anomalous\": true"), std::string::npos) << run.output;
  // The map is at the file's size (128x96), not the model's 64x64.
  std::ifstream npy(dir_->file("maps/defect_anomaly.npy"), std::ios::binary);
  std::string header(128, '\0');
  npy.read(header.data(), 128);
  EXPECT_NE(header.find("(96, 128"), std::string::npos) << header;
  EXPECT_FALSE(cv::imread(dir_->file("maps/defect_anomaly.png")).empty());
}

TEST_F(AnomalyApp, EvalGivesTheImageAurocOfNormalAgainstDamagedFrames) {
  std::filesystem::create_directories(dir_->file("normal"));
  std::filesystem::create_directories(dir_->file("anomalous"));
  for (const char* name : {"004", "024", "060", "100", "140", "180"}) {
    const cv::Mat frame = cv::imread(dir_->file("frames/") + name + ".png");
    cv::imwrite(dir_->file("normal/") + name + ".png", frame);
    cv::imwrite(dir_->file("anomalous/") + name + ".png", with_defect(frame, 20));
  }
  const auto eval = testing::run_command(app("vedkit-eval") + " --model " + dir_->file("run/best.vdk") +
                                         " --normal " + dir_->file("normal") + " --anomalous " +
                                         dir_->file("anomalous"));
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("\"image_auroc\": 1,"), std::string::npos) << eval.output;
  EXPECT_NE(eval.output.find("\"true_positive_rate\": 1"), std::string::npos) << eval.output;
}

// The frames' verdicts in the JSON lines of a live run: frame index -> anomalous.
std::map<int, bool> live_verdicts(const std::string& output) {
  std::map<int, bool> verdicts;
  const std::regex line("\"frame\": (\\d+), \"score\": [-+.e\\d]+, \"anomalous\": (true|false)");
  for (std::sregex_iterator it(output.begin(), output.end(), line), end; it != end; ++it) {
    verdicts[std::stoi((*it)[1])] = (*it)[2] == "true";
  }
  return verdicts;
}

TEST_F(AnomalyApp, LiveMapsJudgeEachAnalysedFrameOfAVideo) {
  // The frame the still-image test judges, 8 times untouched, then 8 times with the defect
  // growing, at 10 fps: paced as a live stream, the worker analyses most of them, each verdict
  // under its own frame's index. (Other frames with more walkers score near the threshold.)
  const auto clip = dir_->file("clip.avi");
  {
    cv::VideoWriter writer(clip, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10.0, cv::Size(128, 96));
    ASSERT_TRUE(writer.isOpened());
    const cv::Mat frame = cv::imread(dir_->file("frames/000.png"));
    for (int i = 0; i < 16; ++i) writer.write(i < 8 ? frame : with_defect(frame, 12 + i));
  }
  const auto run = testing::run_command(app("vedkit-reconstruct") + " --model " + dir_->file("run/best.vdk") +
                                        " --video " + clip + " --headless --frames " + dir_->file("live"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto verdicts = live_verdicts(run.output);
  int normal = 0, anomalous = 0;
  for (const auto& [frame, verdict] : verdicts) {
    EXPECT_EQ(verdict, frame >= 8) << "frame " << frame << "\n" << run.output;
    ++(frame >= 8 ? anomalous : normal);
  }
  EXPECT_GT(normal, 0) << run.output;
  EXPECT_GT(anomalous, 0) << run.output;
  EXPECT_NE(run.output.find("end of stream; 16 frames shown"), std::string::npos) << run.output;
  const cv::Mat shown = cv::imread(dir_->file("live/frame_000015.png"));
  ASSERT_FALSE(shown.empty());
  EXPECT_EQ(shown.size(), cv::Size(128, 96));
}

TEST_F(AnomalyApp, LiveSourcesThatCannotBeReadAreOneLine) {
  const auto model = " --model " + dir_->file("run/best.vdk");
  auto run = testing::run_command(app("vedkit-reconstruct") + model + " --headless --video " +
                                  dir_->file("missing.avi"));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.output.find("missing.avi"), std::string::npos) << run.output;
  run = testing::run_command(app("vedkit-reconstruct") + model + " --headless --camera 9");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.output.find("camera 9: cannot be opened"), std::string::npos) << run.output;
  run = testing::run_command(app("vedkit-reconstruct") + model + " --video " + dir_->file("missing.avi") +
                             " " + dir_->file("frames/000.png"));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find("give one of --camera N, --video FILE or images"), std::string::npos)
      << run.output;
}

TEST_F(AnomalyApp, MasksGiveThePixelAurocAndMustCoverEveryAnomalousImage) {
  for (const char* sub : {"pix_normal", "pix_anomalous", "pix_masks"}) {
    std::filesystem::create_directories(dir_->file(sub));
  }
  for (const char* name : {"008", "048", "088", "128"}) {
    const cv::Mat frame = cv::imread(dir_->file("frames/") + name + ".png");
    cv::imwrite(dir_->file("pix_normal/") + name + ".png", frame);
    cv::imwrite(dir_->file("pix_anomalous/") + name + ".png", with_defect(frame, 20));
    // The pasted box, its 2-pixel outline included, in MVTec AD's naming.
    cv::Mat mask(frame.size(), CV_8U, cv::Scalar(0));
    cv::rectangle(mask, cv::Rect(frame.cols / 2 - 11, frame.rows / 2 - 11, 22, 22), cv::Scalar(255), cv::FILLED);
    cv::imwrite(dir_->file("pix_masks/") + name + "_mask.png", mask);
  }
  const auto command = app("vedkit-eval") + " --model " + dir_->file("run/best.vdk") + " --normal " +
                       dir_->file("pix_normal") + " --anomalous " + dir_->file("pix_anomalous") +
                       " --masks " + dir_->file("pix_masks");
  const auto eval = testing::run_command(command);
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  std::smatch found;
  ASSERT_TRUE(std::regex_search(eval.output, found, std::regex("\"pixel_auroc\": ([0-9.e-]+)")))
      << eval.output;
  // The map is smoothed (sigma 4) and the walkers also differ, so not 1; far above chance.
  EXPECT_GT(std::stod(found[1]), 0.9) << eval.output;

  std::filesystem::remove(dir_->file("pix_masks/128_mask.png"));
  const auto missing = testing::run_command(command);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("128.png: no mask named 128 or 128_mask in"), std::string::npos)
      << missing.output;
}

TEST_F(AnomalyApp, OnlyOneOfNormalAndAnomalousIsOneLine) {
  const auto eval = testing::run_command(app("vedkit-eval") + " --model " + dir_->file("run/best.vdk") +
                                         " --normal " + dir_->file("frames"));
  EXPECT_EQ(eval.exit_code, 2);
  EXPECT_NE(eval.output.find("--normal DIR and --anomalous DIR together"), std::string::npos) << eval.output;
}

}  // namespace
}  // namespace vedkit
