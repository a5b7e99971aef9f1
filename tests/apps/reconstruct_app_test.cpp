// vedkit-reconstruct, vedkit-eval and vedkit-train on autoencoders, run as a user runs them.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/model_file.h"
#include "tests/support/python_peer.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"
#include "vision/autoencoder/autoencoder_model.h"

namespace vedkit {
namespace {

using testing::app;
using testing::run_command;
using testing::TempDir;

// An untrained model file: the apps' plumbing does not depend on what it learned.
std::string write_autoencoder(const TempDir& dir, const std::string& decoder, const std::string& extra = "") {
  auto config = Config::from_text("task: autoencoder\nmodel:\n  encoder: {type: resnet, depth: 18, width: 8}\n"
                                  "  decoder: " + decoder + "\n" + extra,
                                  "ae.yaml");
  auto model = build_autoencoder_model(config.section("model"));
  const auto path = dir.file("ae" + std::to_string(std::hash<std::string>()(decoder)) + ".vdk");
  write_model_file(path, *model, {config.to_yaml(), {}, {}});
  return path;
}

class ReconstructApp : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = write_autoencoder(dir_, "{latent_size: 4, channels: [16, 16, 8, 8, 8]}");
    std::filesystem::create_directories(dir_.path() / "in");
    cv::imwrite(dir_.file("in/a.png"), cv::Mat(40, 56, CV_8UC3, cv::Scalar(10, 200, 30)));
    cv::imwrite(dir_.file("in/b.jpg"), cv::Mat(70, 33, CV_8U, cv::Scalar(90)));  // another latent grid
  }
  std::string reconstruct(const std::string& rest) {
    return app("vedkit-reconstruct") + " --model " + model_ + " --out " + dir_.file("out") + " " + rest;
  }
  TempDir dir_;
  std::string model_;
};

TEST_F(ReconstructApp, WritesAReconstructionPerImage) {
  const auto result = run_command(reconstruct(dir_.file("in")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const cv::Mat a = cv::imread(dir_.file("out/a_reconstruction.png"));
  ASSERT_FALSE(a.empty()) << result.output;
  EXPECT_EQ(a.rows, 2 * 40 * 3);  // input above reconstruction, enlarged to at least 96 px
  EXPECT_TRUE(std::filesystem::exists(dir_.file("out/b_reconstruction.png")));
}

// The "mse" of the one JSON line --score prints for an image.
double scored_mse(const std::string& output) {
  const auto at = output.find("\"mse\": ");
  if (at == std::string::npos) return -1;
  return std::stod(output.substr(at + 7));
}

TEST_F(ReconstructApp, ADetailModelIsScoredAgainstTheImagesDetail) {
  // A solid image has no detail, which an untrained detail model (output near 0) matches; the
  // same model scored against the image itself would be far off.
  const auto detail_model = write_autoencoder(dir_, "{latent_size: 4, channels: [16, 16, 8, 8, 8], output: none}",
                                              "  target: detail\n");
  const auto score = [&](const std::string& model) {
    return run_command(app("vedkit-reconstruct") + " --model " + model + " --score " + dir_.file("in/a.png"));
  };
  const auto detail = score(detail_model), plain = score(model_);
  ASSERT_EQ(detail.exit_code, 0) << detail.output;
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_GE(scored_mse(detail.output), 0) << detail.output;
  EXPECT_LT(scored_mse(detail.output), 0.01) << detail.output;
  EXPECT_GT(scored_mse(plain.output), 0.05) << plain.output;
}

TEST_F(ReconstructApp, ScoresEachImageForScreening) {
  const auto result = run_command(reconstruct("--score " + dir_.file("in/a.png") + " " + dir_.file("in/b.jpg")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("{\"image\": \"" + dir_.file("in/a.png") + "\", \"mse\": "), std::string::npos);
  EXPECT_NE(result.output.find("\"ssim\": "), std::string::npos);
}

TEST_F(ReconstructApp, EncodesToNpyThatNumpyReadsAndToCsv) {
  auto vector_model = write_autoencoder(dir_, "{latent: vector, latent_size: 5}", "  input_size: [32, 32]\n");
  const auto command = app("vedkit-reconstruct") + " --model " + vector_model + " --encode " +
                       dir_.file("z.npy") + " " + dir_.file("in");
  const auto result = run_command(command);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto check = run_command(testing::python() + " -c \"import numpy as n; a = n.load('" +
                                 dir_.file("z.npy") + "'); print(a.shape, a.dtype, n.isfinite(a).all())\"");
  EXPECT_NE(check.output.find("(2, 5) float32 True"), std::string::npos) << check.output;
  ASSERT_EQ(run_command(app("vedkit-reconstruct") + " --model " + vector_model + " --encode " +
                        dir_.file("z.csv") + " " + dir_.file("in")).exit_code, 0);
  std::ifstream csv(dir_.file("z.csv"));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(std::count(line.begin(), line.end(), ','), 5) << line;
  // Latent maps of images of different sizes cannot share one array.
  const auto mixed = run_command(reconstruct("--encode " + dir_.file("m.npy") + " " + dir_.file("in")));
  EXPECT_NE(mixed.exit_code, 0);
  EXPECT_NE(mixed.output.find(".csv"), std::string::npos) << mixed.output;
}

TEST_F(ReconstructApp, InterpolatesBetweenTwoImages) {
  const auto result = run_command(reconstruct("--steps 3 --interpolate " + dir_.file("in/a.png") + " " +
                                              dir_.file("in/b.jpg")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const cv::Mat strip = cv::imread(dir_.file("out/interpolation.png"));
  ASSERT_FALSE(strip.empty());
  EXPECT_EQ(strip.cols, 5 * 56 * 3);  // A, 3 blends, B at A's size, enlarged x3
}

TEST_F(ReconstructApp, BadInputsAreReportedAndSkipped) {
  std::ofstream(dir_.file("in/text.png")) << "not an image";
  auto result = run_command(reconstruct(dir_.file("in") + " " + dir_.file("missing.png")));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("text.png"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("missing.png"), std::string::npos) << result.output;
  EXPECT_TRUE(std::filesystem::exists(dir_.file("out/a_reconstruction.png")));  // good ones still done

  std::filesystem::create_directories(dir_.path() / "empty");
  result = run_command(reconstruct(dir_.file("empty")));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("empty"), std::string::npos) << result.output;

  auto config = Config::from_text("model: {encoder: {type: resnet, depth: 18, width: 8}}\n", "m.yaml");
  write_model_file(dir_.file("seg.vdk"), *build_autoencoder_model(config.section("model")),
                   {"task: segmentation\n", {}, {}});
  result = run_command(app("vedkit-reconstruct") + " --model " + dir_.file("seg.vdk") + " " + dir_.file("in"));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("not an autoencoder"), std::string::npos) << result.output;
}

TEST_F(ReconstructApp, EvalScoresAFolder) {
  const auto result = run_command(app("vedkit-eval") + " --model " + model_ + " --images " + dir_.file("in"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("{\"images\": 2, \"mse\": "), std::string::npos) << result.output;
}

// One-class scoring of the Fashion-MNIST test split with trousers as the normal class, by the
// bundled autoencoder (trained on every class, so a poor reconstruction-based detector of any
// one): the latent and the smoothed-pixel 5-NN distances to the training trousers still separate
// them, as a classifier would. --scores writes every image's scores.
TEST(EvalOneClassApp, ScoresFashionMnistByMapMseSsimAndNeighbours) {
  TempDir dir;
  const auto result = run_command(app("vedkit-eval") + " --model " + VEDKIT_SOURCE_DIR +
                                  "/models/autoencoder_fashion_mnist.vdk --fashion-mnist test --normal-classes 1"
                                  " --scores " + dir.file("scores.csv"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* key : {"image_auroc", "image_auroc_mse", "image_auroc_ssim"}) {
    EXPECT_NE(result.output.find(std::string("\"") + key + "\": 0."), std::string::npos) << key << result.output;
  }
  for (const std::string key : {"image_auroc_latent_knn", "image_auroc_pixel_knn"}) {
    const auto at = result.output.find("\"" + key + "\": ");
    ASSERT_NE(at, std::string::npos) << key << result.output;
    EXPECT_GT(std::stod(result.output.substr(at + key.size() + 4)), 0.9) << key << result.output;
  }
  std::ifstream csv(dir.file("scores.csv"));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "index,label,anomalous,map_maximum,mse,one_minus_ssim,latent_knn,pixel_knn");
  int rows = 0, trousers = 0;
  while (std::getline(csv, line)) {
    std::istringstream fields(line);
    std::string index, label, anomalous;
    std::getline(fields, index, ',');
    std::getline(fields, label, ',');
    std::getline(fields, anomalous, ',');
    EXPECT_EQ(anomalous, label == "1" ? "0" : "1") << line;
    trousers += label == "1";
    ++rows;
  }
  EXPECT_EQ(rows, 10000);
  EXPECT_EQ(trousers, 1000);
}

TEST(TrainAutoencoderApp, TrainsOnAFolderAndRejectsAnEmptyOne) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "images");
  for (int i = 0; i < 12; ++i) {
    cv::Mat image(24 + i, 30, CV_8UC3, cv::Scalar(20 * i, 255 - 20 * i, 100));
    cv::imwrite(dir.file("images/" + std::to_string(i) + (i % 2 ? ".png" : ".jpg")), image);
  }
  std::ofstream(dir.file("images/corrupt.png")) << "x";
  // The shipped folder config, made small.
  const auto train = app("vedkit-train") + " --quiet --config " + VEDKIT_SOURCE_DIR +
                     "/configs/autoencoder_folder.yaml --set model.encoder.width=8 "
                     "--set 'data.size=[32, 32]' --set data.batch_size=4 --set data.val_fraction=0.25 "
                     "--set train.epochs=2 --set train.out_dir=" + dir.file("run") + " --set data.root=";
  auto result = run_command(train + dir.file("images"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("corrupt.png"), std::string::npos) << result.output;  // listed once
  EXPECT_TRUE(std::filesystem::exists(dir.file("run/best.vdk")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("run/preview_epoch2.png")));
  std::ifstream log(dir.file("run/metrics.csv"));
  std::string header;
  std::getline(log, header);
  EXPECT_NE(header.find("PSNR"), std::string::npos) << header;
  EXPECT_NE(header.find("SSIM"), std::string::npos) << header;

  // --held-out scores best.vdk on the images its run held out: the 3 of 12 (val_fraction 0.25)
  // whose SSIM the run logged. Any other images would score differently.
  double best_logged_ssim = 0;
  for (std::string row; std::getline(log, row);) {
    best_logged_ssim = std::max(best_logged_ssim, std::stod(row.substr(row.rfind(',') + 1)));
  }
  result = run_command(app("vedkit-eval") + " --model " + dir.file("run/best.vdk") + " --held-out");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto ssim_at = result.output.find("\"ssim\": ");
  ASSERT_NE(ssim_at, std::string::npos) << result.output;
  EXPECT_NE(result.output.find("{\"images\": 3,"), std::string::npos) << result.output;
  EXPECT_NEAR(std::stod(result.output.substr(ssim_at + 8)), best_logged_ssim, 1e-5)
      << result.output;
  // Without the folder the run trained on, --held-out names it.
  std::filesystem::rename(dir.path() / "images", dir.path() / "moved");
  result = run_command(app("vedkit-eval") + " --model " + dir.file("run/best.vdk") + " --held-out");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find(dir.file("images")), std::string::npos) << result.output;

  std::filesystem::create_directories(dir.path() / "empty");
  result = run_command(train + dir.file("empty"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("no images"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace vedkit
