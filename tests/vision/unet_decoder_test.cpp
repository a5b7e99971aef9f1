#include "vision/decoders/unet/unet_decoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "tests/support/python_peer.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {
namespace {

SegmentationModel segmentation_model_from(const std::string& yaml) {
  auto config = Config::from_text(yaml, "model.yaml");
  return build_segmentation_model(config.section("model"));
}

TEST(UnetDecoder, BlockCountFollowsThePyramid) {
  EXPECT_EQ(unet_block_count({{64, 2}, {64, 4}, {128, 8}, {256, 16}, {512, 32}}), 5);
  EXPECT_EQ(unet_block_count({{192, 4}, {192, 8}, {192, 16}, {192, 32}}), 5);
  EXPECT_EQ(unet_block_count({{8, 1}, {16, 2}}), 1);
}

TEST(SegmentationModel, LogitsAtInputResolutionForEachEncoder) {
  const std::vector<std::string> encoders = {
      "{type: resnet, depth: 18, width: 16}", "{type: resnet, depth: 18, width: 8, stem_stride: 2}",
      "{type: resnet, depth: 50, width: 8, in_channels: 1}",
      "{type: vit, preset: tiny, depth: 4}"};
  for (const auto& encoder : encoders) {
    auto model = segmentation_model_from("model:\n  encoder: " + encoder +
                            "\n  decoder: {channels: [64, 32, 16, 16, 8], num_classes: 5}\n");
    model->eval();
    torch::NoGradGuard no_grad;
    const auto images = torch::rand({2, model->in_channels(), 64, 96});
    EXPECT_EQ(model->forward(images).sizes(), (torch::IntArrayRef{2, 5, 64, 96})) << encoder;
  }
}

TEST(SegmentationModel, FoldedChannelsLastInferenceMatchesEval) {
  auto model = segmentation_model_from(
      "model:\n  encoder: {type: resnet, depth: 18, width: 16}\n  decoder: {num_classes: 3}\n");
  {
    torch::NoGradGuard no_grad;
    for (auto& buffer : model->named_buffers()) {
      if (buffer.key().find("running_var") != std::string::npos) buffer.value().uniform_(0.5, 2);
    }
  }
  model->eval();
  torch::NoGradGuard no_grad;
  const auto images = torch::rand({1, 3, 64, 64});
  const auto expected = model->forward(images);
  model->prepare_for_inference();
  EXPECT_LT(testing::max_abs_diff(model->forward(images), expected), 1e-4);
}

TEST(SegmentationModel, WrongChannelCountIsAConfigError) {
  EXPECT_THROW(segmentation_model_from("model:\n  encoder: {type: resnet}\n  decoder: {channels: [8, 8], num_classes: 2}\n"),
               ConfigError);
  EXPECT_THROW(segmentation_model_from("model:\n  encoder: {type: resnet}\n  decoder: {}\n"), ConfigError);
  EXPECT_THROW(segmentation_model_from("model:\n  encoder: {type: resnet}\n  decoder: {num_classes: 2}\n"
                          "  normalize: {mean: [0.5]}\n"),
               ConfigError);
}

}  // namespace
}  // namespace vedkit

namespace vedkit {
namespace {

// Runs only where LibTorch has CUDA and a GPU (the device machine); CI has neither.
TEST(SegmentationModel, FoldedModelMovesToCudaAndMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto model = segmentation_model_from(
      "model:\n  encoder: {type: resnet, depth: 18, width: 16}\n  decoder: {num_classes: 3}\n");
  model->prepare_for_inference();
  torch::InferenceMode inference;
  const auto images = torch::rand({2, 3, 96, 64});
  const auto on_cpu = model->forward(images);
  model->to(torch::kCUDA);
  const auto on_gpu = model->forward(images.to(torch::kCUDA)).cpu();
  EXPECT_LT(testing::max_abs_diff(on_gpu, on_cpu), 1e-3);
}

}  // namespace
}  // namespace vedkit
