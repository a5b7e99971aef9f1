#include "vision/segmentation/predict.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/support/python_peer.h"
#include "vision/segmentation/class_argmax.h"

namespace vedkit {
namespace {

SegmentationModel small_model() {
  auto config = Config::from_text(
      "model:\n  encoder: {type: resnet, depth: 18, width: 8}\n  decoder: {channels: [16, 16, 8, 8, 8], num_classes: 4}\n",
      "m.yaml");
  auto model = build_segmentation_model(config.section("model"));
  model->prepare_for_inference();
  return model;
}

TEST(Predict, AnySizeComesBackAtItsOwnSize) {
  auto model = small_model();
  torch::InferenceMode inference;
  for (auto size : std::vector<std::pair<int64_t, int64_t>>{{37, 53}, {64, 64}, {1, 200}}) {
    const auto probabilities = predict_probabilities(*model, torch::rand({1, 3, size.first, size.second}));
    EXPECT_EQ(probabilities.sizes(), (torch::IntArrayRef{1, 4, size.first, size.second}));
    EXPECT_LT(testing::max_abs_diff(probabilities.sum(1), torch::ones({1, size.first, size.second})), 1e-5);
  }
}

TEST(Predict, PaddingDoesNotChangeAnAlignedImage) {
  auto model = small_model();
  torch::InferenceMode inference;
  const auto image = torch::rand({1, 3, 64, 96});
  EXPECT_LT(testing::max_abs_diff(predict_probabilities(*model, image),
                                  model->forward(image).softmax(1)),
            1e-6);
}

TEST(Predict, ClassesAreTheArgmaxOfTheProbabilities) {
  auto model = small_model();
  torch::InferenceMode inference;
  const auto image = torch::rand({2, 3, 40, 72});
  PredictOptions flip, scales, tiled;
  flip.flip = true;
  scales.scales = {0.75, 1.0};
  tiled.tile_size = 32;
  tiled.tile_stride = 24;
  for (const auto& options : {PredictOptions{}, flip, scales, tiled}) {
    const auto classes = predict_classes(*model, image, options);
    EXPECT_EQ(classes.sizes(), (torch::IntArrayRef{2, 40, 72}));
    EXPECT_TRUE(classes.equal(predict_probabilities(*model, image, options).argmax(1)));
  }
}

TEST(Predict, TilesCoverLargeImages) {
  auto model = small_model();
  torch::InferenceMode inference;
  const auto image = torch::rand({1, 3, 150, 230});
  PredictOptions tiled;
  tiled.tile_size = 64;
  tiled.tile_stride = 42;
  const auto probabilities = predict_probabilities(*model, image, tiled);
  EXPECT_EQ(probabilities.sizes(), (torch::IntArrayRef{1, 4, 150, 230}));
  EXPECT_LT(testing::max_abs_diff(probabilities.sum(1), torch::ones({1, 150, 230})), 1e-5);
  // A tile as large as the image is the untiled prediction.
  tiled.tile_size = 256;
  EXPECT_LT(testing::max_abs_diff(predict_probabilities(*model, image, tiled),
                                  predict_probabilities(*model, image, {0, 0, false})),
            1e-6);
}

TEST(Predict, FlipAveragesBothDirections) {
  auto model = small_model();
  torch::InferenceMode inference;
  const auto image = torch::rand({1, 3, 64, 64});
  PredictOptions flip;
  flip.flip = true;
  const auto expected = (predict_probabilities(*model, image) +
                         predict_probabilities(*model, image.flip({3})).flip({3})) / 2;
  EXPECT_LT(testing::max_abs_diff(predict_probabilities(*model, image, flip), expected), 1e-6);
}

TEST(Predict, ScalesAverageThePredictionsOfResizedImages) {
  auto model = small_model();
  torch::InferenceMode inference;
  const auto image = torch::rand({1, 3, 48, 64});
  const auto resize = [](const at::Tensor& t, int64_t height, int64_t width) {
    return torch::upsample_bilinear2d(t, {height, width}, false);
  };
  PredictOptions options;
  options.flip = true;
  PredictOptions one_scale = options;
  one_scale.scales = {1.0};
  const auto half_image = resize(image, 24, 32);
  const auto at_half = resize(predict_probabilities(*model, half_image, options), 48, 64);
  const auto at_one = predict_probabilities(*model, image, one_scale);
  options.scales = {0.5, 1.0};
  const auto averaged = predict_probabilities(*model, image, options);
  EXPECT_EQ(averaged.sizes(), (torch::IntArrayRef{1, 4, 48, 64}));
  EXPECT_LT(testing::max_abs_diff(averaged, (at_half + at_one) / 2), 1e-6);
  EXPECT_GT(testing::max_abs_diff(averaged, at_one), 1e-4);  // the half size did count
  EXPECT_LT(testing::max_abs_diff(averaged.sum(1), torch::ones({1, 48, 64})), 1e-5);
}

// The class of each pixel of a channels-last map, as torch's argmax: the first of tied
// scores, NaN above everything.
TEST(ArgmaxOverClasses, MatchesTorchsArgmaxWithTiesAndNan) {
  auto scores = torch::randint(0, 4, {2, 7, 9, 11}).to(torch::kFloat);  // many ties
  scores[0][3][4][5] = std::nanf("");
  scores = scores.contiguous(torch::MemoryFormat::ChannelsLast);
  auto classes = torch::empty({2, 9, 11}, torch::kLong);
  argmax_over_classes(scores.data_ptr<float>(), classes.numel(), 7, classes.data_ptr<int64_t>());
  EXPECT_TRUE(torch::equal(classes, scores.argmax(1)));
  EXPECT_EQ(classes[0][4][5].item<int64_t>(), 3);
}

}  // namespace
}  // namespace vedkit
