// vedkit-export --int8: the bundled segmenter calibrated and run in int8 as a user runs it, and
// the requests it refuses.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>

#include "core/model_file.h"
#include "datasets/autoencoder/image_tensor_set.h"
#include "datasets/fashion_mnist.h"
#include "tests/support/mask_differences.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"
#include "vision/io/image_io.h"

namespace vedkit {
namespace {

using testing::app;
using testing::run_command;
using testing::TempDir;

const std::string kBundledSegmenter =
    std::string(VEDKIT_SOURCE_DIR) + "/models/segmentation_scenes_resnet18.vdk";
const std::string kSampleImages = std::string(VEDKIT_SOURCE_DIR) + "/datasets/samples/images";

std::string export_int8(const std::string& model, const std::string& calibrate,
                        const std::string& out) {
  return app("vedkit-export") + " --model " + model + " --int8 --calibrate " + calibrate +
         " --out " + out;
}

// Masks of the samples from the float32 file and its int8 export (calibrated on the first 16
// samples, the training ones): nearly every pixel the same class. The same calibration again
// gives the same ranges.
TEST(Int8ExportApp, BundledSegmenterInInt8SegmentsTheSamplesAlike) {
  TempDir dir;
  auto result = run_command(export_int8(kBundledSegmenter, kSampleImages, dir.file("int8.vdk")) +
                            " --calibrate-images 16");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("int8: 30 convolutions, 5 upsamples, 4 concatenations"),
            std::string::npos)
      << result.output;
  result = run_command(export_int8(kBundledSegmenter, kSampleImages, dir.file("again.vdk")) +
                       " --calibrate-images 16");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto ranges = ModelFile::open(dir.file("int8.vdk")).contents().int8_ranges;
  EXPECT_FALSE(ranges.empty());
  EXPECT_EQ(ranges, ModelFile::open(dir.file("again.vdk")).contents().int8_ranges);
  EXPECT_NE(ModelFile::open(dir.file("int8.vdk"))
                .contents()
                .int8_layers.find("float32: 1 input, 1 convolution (head)"),
            std::string::npos);

  for (const auto& [name, model] :
       {std::pair{"int8", dir.file("int8.vdk")}, std::pair{"float", kBundledSegmenter}}) {
    result = run_command(app("vedkit-segment") + " --model " + model + " --out " + dir.file(name) +
                         " " + kSampleImages);
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }
  const auto [pixels, differing] = testing::mask_differences(dir.file("float"), dir.file("int8"));
  EXPECT_GT(pixels, 30 * 128 * 128);
  EXPECT_GT(differing, 0) << "the int8 file segmented exactly as float32: did int8 run?";
  EXPECT_LT(differing, pixels / 100) << differing << " of " << pixels << " pixels differ";

  // With the oneDNN graphs off it runs in float32 (the float32 file's masks), and says so.
  result = run_command("VEDKIT_CONV_GRAPH=0 " + app("vedkit-segment") + " --model " +
                       dir.file("int8.vdk") + " --out " + dir.file("off") + " " + kSampleImages);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find(
                "int8.vdk: an int8 model file, run in float32: int8 runs in the oneDNN graphs"),
            std::string::npos)
      << result.output;
  EXPECT_LT(testing::mask_differences(dir.file("float"), dir.file("off")).differing, pixels / 1000);

  // "auto" precision runs it as it is; bfloat16 is refused rather than run instead of int8.
  result = run_command(app("vedkit-segment") + " --precision auto --model " + dir.file("int8.vdk") +
                       " --out " + dir.file("auto") + " " + kSampleImages);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(testing::mask_differences(dir.file("int8"), dir.file("auto")).differing, 0);
  result = run_command(app("vedkit-segment") + " --precision bfloat16_any_cpu --model " +
                       dir.file("int8.vdk") + " --out " + dir.file("bf16") + " " + kSampleImages);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find(
                "int8.vdk: an int8 model file (vedkit-export --int8); it runs in int8, not in "
                "bfloat16_any_cpu: leave out --precision"),
            std::string::npos)
      << result.output;
}

// Fashion-MNIST images as PNG files: `count` from `split`, from index `first`.
void write_fashion_mnist(const std::string& dir, const std::string& split, int64_t first,
                         int64_t count) {
  std::filesystem::create_directories(dir);
  const auto set = load_fashion_mnist_images(kDefaultFashionMnistDir, split, 1, 28, 28);
  for (int64_t i = first; i < first + count; ++i) {
    write_png(dir + "/" + std::to_string(i) + ".png",
              tensor_to_image(set.images[i].to(torch::kFloat) / 255));
  }
}

double mean_ssim(const std::string& json) {
  const auto at = json.find("\"ssim\": ");
  return at == std::string::npos ? -1.0 : std::stod(json.substr(at + 8));
}

// The bundled autoencoder with its encoder in int8 (calibrated on training images)
// reconstructs test images about as well as in float32, and not identically.
TEST(Int8ExportApp, AutoencoderInInt8ReconstructsAsWell) {
  TempDir dir;
  write_fashion_mnist(dir.file("train"), "train", 0, 64);
  write_fashion_mnist(dir.file("test"), "test", 0, 200);
  const std::string bundled =
      std::string(VEDKIT_SOURCE_DIR) + "/models/autoencoder_fashion_mnist.vdk";
  auto result = run_command(export_int8(bundled, dir.file("train"), dir.file("int8.vdk")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(
      result.output.find("float32: 1 input, 1 convolution (layer4.1.conv2); decoder: float32"),
      std::string::npos)
      << result.output;
  double ssim[2];
  for (int i = 0; i < 2; ++i) {
    result = run_command(app("vedkit-eval") + " --model " + (i ? dir.file("int8.vdk") : bundled) +
                         " --images " + dir.file("test"));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    ssim[i] = mean_ssim(result.output);
  }
  EXPECT_GT(ssim[0], 0.7);
  EXPECT_NE(ssim[1], ssim[0]) << "the int8 file reconstructed exactly as float32: did int8 run?";
  EXPECT_NEAR(ssim[1], ssim[0], 0.005);
  result = run_command(app("vedkit-reconstruct") + " --model " + dir.file("int8.vdk") +
                       " --score --out " + dir.file("out") + " " + dir.file("test"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("200 of 200 images done"), std::string::npos) << result.output;
}

// The bundled captioner with its encoder in int8 captions the samples nearly all alike.
TEST(Int8ExportApp, CaptionerWithAnInt8EncoderCaptionsTheSamplesAlike) {
  TempDir dir;
  const std::string bundled =
      std::string(VEDKIT_SOURCE_DIR) + "/models/captioning_scenes_resnet18.vdk";
  auto result = run_command(export_int8(bundled, kSampleImages, dir.file("int8.vdk")) +
                            " --calibrate-images 16");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto float_captions =
      run_command(app("vedkit-caption") + " --model " + bundled + " " + kSampleImages);
  const auto int8_captions =
      run_command(app("vedkit-caption") + " --model " + dir.file("int8.vdk") + " " + kSampleImages);
  ASSERT_EQ(float_captions.exit_code, 0) << float_captions.output;
  ASSERT_EQ(int8_captions.exit_code, 0) << int8_captions.output;
  std::istringstream a(float_captions.output), b(int8_captions.output);
  int lines = 0, same = 0;
  for (std::string x, y; std::getline(a, x) && std::getline(b, y); ++lines) same += x == y;
  EXPECT_GE(lines, 36);
  EXPECT_GE(same, lines * 9 / 10) << float_captions.output << "\n---\n" << int8_captions.output;
}

TEST(Int8ExportApp, RequestsItCannotServeAreOneLineErrors) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("empty"));
  std::ofstream(dir.file("junk.vdk")) << "not a model";
  struct Case {
    std::string command, says;
  };
  const Case cases[] = {
      {app("vedkit-export") + " --model " + kBundledSegmenter + " --int8 --out " +
           dir.file("q.vdk"),
       "--calibrate"},
      {export_int8(kBundledSegmenter, dir.file("empty"), dir.file("q.vdk")),
       dir.file("empty") + ": no images"},
      {export_int8(dir.file("junk.vdk"), kSampleImages, dir.file("q.vdk")),
       dir.file("junk.vdk") + ": "},
      {export_int8(kBundledSegmenter, kSampleImages, dir.file("q.vdk")) + " --calibrate-images 0",
       "--calibrate-images"},
  };
  for (const auto& c : cases) {
    const auto result = run_command(c.command);
    EXPECT_NE(result.exit_code, 0) << c.command;
    EXPECT_NE(result.output.find(c.says), std::string::npos) << c.command << "\n" << result.output;
    EXPECT_FALSE(std::filesystem::exists(dir.file("q.vdk"))) << c.command;
  }
}

// An int8 file is for inference: resuming training from it, starting an encoder from it or
// exporting it to int8 again is refused with a line that says which file to use instead.
TEST(Int8ExportApp, AnInt8FileRefusesTraining) {
  TempDir dir;
  auto result = run_command(export_int8(kBundledSegmenter, kSampleImages, dir.file("int8.vdk")) +
                            " --calibrate-images 2");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  result = run_command(export_int8(dir.file("int8.vdk"), kSampleImages, dir.file("twice.vdk")));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("already an int8 file; export from the float32 model file"),
            std::string::npos)
      << result.output;
  const auto train =
      app("vedkit-train") + " --config " + VEDKIT_SOURCE_DIR +
      "/configs/segmentation_scenes_resnet18_stem2.yaml --set data.root=" + VEDKIT_SOURCE_DIR +
      "/datasets/samples --set train.epochs=1 --set train.out_dir=" + dir.file("run");
  for (const auto& how : {" --resume " + dir.file("int8.vdk"),
                          " --set model.encoder.init_from=" + dir.file("int8.vdk")}) {
    result = run_command(train + how);
    EXPECT_NE(result.exit_code, 0) << how;
    EXPECT_NE(result.output.find(dir.file("int8.vdk") +
                                 ": an int8 inference file (vedkit-export --int8) cannot be "
                                 "trained; train from the float32 model file it was exported from"),
              std::string::npos)
        << how << "\n"
        << result.output;
    EXPECT_FALSE(std::filesystem::exists(dir.file("run/last.vdk"))) << how;
  }
}

}  // namespace
}  // namespace vedkit
