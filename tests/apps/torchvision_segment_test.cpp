// torchvision's segmentation models converted by scripts/import_torchvision.py, run and
// fine-tuned through the apps as a user would.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/support/metrics_column.h"
#include "tests/support/python_peer.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace vedkit {
namespace {

using testing::app;
using testing::run_command;
using testing::TempDir;

const std::string kPhotos = "/usr/share/doc/opencv-doc/examples/data/";

class TorchvisionPhoto : public ::testing::TestWithParam<std::string> {};

// vedkit-segment's mask of a real photo (at its own size, no tiling) is torchvision's argmax.
TEST_P(TorchvisionPhoto, MaskEqualsTorchvisionsArgmax) {
  const std::string arch = GetParam();
  TempDir dir;
  const cv::Mat full = cv::imread(kPhotos + "fruits.jpg");  // 512x480
  ASSERT_FALSE(full.empty()) << "install opencv-doc (scripts/setup.sh)";
  cv::Mat photo;  // 301x282: half the time, and no multiple of 8 or 16
  cv::resize(full, photo, cv::Size(301, 282), 0, 0, cv::INTER_AREA);
  // A PNG, so that both sides read the same pixels (JPEG decoders may round differently).
  cv::imwrite(dir.file("fruits.png"), photo);
  testing::run_peer("torchvision_segmentation.py " + arch + " " + dir.path().string() +
                    " --batch 1 --image " + dir.file("fruits.png") + " --vedkit-export " +
                    app("vedkit-export") + " > /dev/null");
  const auto result =
      run_command(app("vedkit-segment") + " --tile 0 --model " + dir.file("model.vdk") + " --out " +
                  dir.file("out") + " " + dir.file("fruits.png"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const cv::Mat mask = cv::imread(dir.file("out/fruits_mask.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(mask.size(), photo.size());
  const auto expected = testing::load_tensor_dict(dir.file("classes.pt")).at("classes");
  const auto ours =
      torch::from_blob(mask.data, {mask.rows, mask.cols}, torch::kUInt8).to(torch::kLong);
  const double agreement = ours.eq(expected).to(torch::kDouble).mean().item<double>();
  EXPECT_GE(agreement, 0.999) << arch;
  // A check that can fail: the random model's mask is not one class everywhere.
  EXPECT_GE(std::get<0>(at::_unique(expected)).numel(), 2) << arch;
  RecordProperty(arch + "_agreement", std::to_string(agreement));
}

INSTANTIATE_TEST_SUITE_P(Models, TorchvisionPhoto,
                         ::testing::Values("lraspp_mobilenet_v3_large", "deeplabv3_resnet50"));

// Writes n 96x96 images of a red box (class 1) and a blue disc (class 2) on grey noise, and
// their masks, under dir/images and dir/masks.
void write_shapes(const TempDir& dir, int n) {
  std::filesystem::create_directories(dir.path() / "images");
  std::filesystem::create_directories(dir.path() / "masks");
  cv::RNG rng(7);
  for (int i = 0; i < n; ++i) {
    cv::Mat image(96, 96, CV_8UC3);
    rng.fill(image, cv::RNG::UNIFORM, 60, 140);
    cv::Mat mask(96, 96, CV_8U, cv::Scalar(0));
    const cv::Rect box(rng.uniform(0, 50), rng.uniform(0, 50), rng.uniform(20, 45),
                       rng.uniform(20, 45));
    cv::rectangle(image, box, cv::Scalar(30, 30, 220), cv::FILLED);
    cv::rectangle(mask, box, cv::Scalar(1), cv::FILLED);
    const cv::Point centre(rng.uniform(15, 80), rng.uniform(15, 80));
    const int radius = rng.uniform(8, 15);
    cv::circle(image, centre, radius, cv::Scalar(220, 60, 30), cv::FILLED);
    cv::circle(mask, centre, radius, cv::Scalar(2), cv::FILLED);
    cv::imwrite(dir.file("images/s" + std::to_string(i) + ".png"), image);
    cv::imwrite(dir.file("masks/s" + std::to_string(i) + ".png"), mask);
  }
}

// A converted lraspp_mobilenet_v3_large (VOC's 21 classes) resumed on a 3-class folder: the
// class-dependent tensors start afresh, the rest is kept, and the loss falls.
TEST(TorchvisionFineTuning, AConvertedModelResumedOnThreeClassesLowersItsLoss) {
  TempDir dir;
  const std::string arch = "lraspp_mobilenet_v3_large";
  const auto convert = testing::python() + " " + VEDKIT_SOURCE_DIR +
                       "/scripts/import_torchvision.py --arch " + arch + " --random --out " +
                       dir.file("voc.vdk") + " --vedkit-export " + app("vedkit-export");
  const auto converted = run_command(convert);
  ASSERT_EQ(converted.exit_code, 0) << converted.output;
  write_shapes(dir, 12);
  const auto train = run_command(
      app("vedkit-train") + " --config " + VEDKIT_SOURCE_DIR + "/configs/torchvision/" + arch +
      ".yaml --resume " + dir.file("voc.vdk") + " --set data.images=" + dir.file("images") +
      " --set data.masks=" + dir.file("masks") + " --set data.val_fraction=0.25" +
      " --set model.decoder.num_classes=3 --set 'data.class_names=[background, box, disc]'" +
      " --set data.augment.crop=96 --set data.augment.scale=[1,1] --set data.batch_size=3" +
      " --set data.workers=1 --set train.epochs=6 --set train.preview=false --set train.out_dir=" +
      dir.file("run"));
  ASSERT_EQ(train.exit_code, 0) << train.output;
  EXPECT_NE(
      train.output.find("fine-tuning " + dir.file("voc.vdk") + " (21 classes) to this run's 3"),
      std::string::npos)
      << train.output;
  EXPECT_NE(train.output.find("decoder.low_classifier.weight"), std::string::npos) << train.output;
  const auto losses = testing::metrics_column(dir.file("run/metrics.csv"), "train_loss");
  ASSERT_EQ(losses.size(), 6u);
  EXPECT_LT(losses.back(), losses.front() * 0.8) << train.output;
  // vedkit-eval scores the fine-tuned file like any other, by its new class names.
  const auto eval = run_command(app("vedkit-eval") + " --model " + dir.file("run/last.vdk") +
                                " --images " + dir.file("images") + " --masks " + dir.file("masks"));
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("disc"), std::string::npos) << eval.output;
  EXPECT_NE(eval.output.find("mIoU"), std::string::npos) << eval.output;
}

}  // namespace
}  // namespace vedkit
