#include "vision/encoders/mobilenet_v3.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "tests/support/python_peer.h"
#include "tests/support/relative_diff.h"
#include "vision/encoders/state_dict.h"

namespace vedkit {
namespace {

using testing::relative_diff;
using testing::TempDir;

std::shared_ptr<MobileNetV3EncoderImpl> mobilenet(bool dilated, int64_t in_channels = 3) {
  MobileNetV3Options options;
  options.in_channels = in_channels;
  options.dilated = dilated;
  return std::make_shared<MobileNetV3EncoderImpl>(options);
}

TEST(MobileNetV3Encoder, DeclaredPyramidMatchesOutputs) {
  for (bool dilated : {false, true}) {
    auto encoder = mobilenet(dilated, 1);
    const int64_t last_stride = dilated ? 16 : 32;
    std::vector<std::pair<int64_t, int64_t>> declared;
    for (const auto& level : encoder->pyramid())
      declared.emplace_back(level.channels, level.stride);
    EXPECT_EQ(declared, (std::vector<std::pair<int64_t, int64_t>>{
                            {16, 2}, {24, 4}, {40, 8}, {80, 16}, {960, last_stride}}));
    EXPECT_EQ(encoder->size_multiple(), last_stride);
    encoder->eval();
    torch::NoGradGuard no_grad;
    const auto levels = encoder->forward(torch::randn({2, 1, 64, 96}));
    ASSERT_EQ(levels.size(), encoder->pyramid().size());
    for (size_t i = 0; i < levels.size(); ++i) {
      const auto& level = encoder->pyramid()[i];
      EXPECT_EQ(levels[i].sizes(),
                (torch::IntArrayRef{2, level.channels, 64 / level.stride, 96 / level.stride}))
          << "dilated " << dilated << " level " << i;
    }
    EXPECT_EQ(encoder->tokens(torch::randn({1, 1, 64, 64})).sizes(),
              (torch::IntArrayRef{1, 64 * 64 / (last_stride * last_stride), 960}));
  }
}

TEST(MobileNetV3Encoder, WrongChannelCountIsAnError) {
  auto encoder = mobilenet(false);
  encoder->eval();
  torch::NoGradGuard no_grad;
  try {
    encoder->forward(torch::randn({1, 1, 64, 64}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected images [B, 3, H, W], got [1, 1, 64, 64]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(encoder->forward(torch::randn({3, 64, 64})), Error);
}

TEST(MobileNetV3Encoder, ConfigIsChecked) {
  auto config = Config::from_text(
      "encoder: {type: mobilenet_v3, in_channels: 4, dilated: true, dilation: 2}\n", "e.yaml");
  const auto encoder = build_encoder(config.section("encoder"));
  EXPECT_EQ(encoder->in_channels(), 4);
  EXPECT_EQ(encoder->pyramid().back().stride, 16);
  EXPECT_EQ(encoder->size_multiple(), 16);
  EXPECT_THROW(config.check_all_keys_known(), ConfigError);  // `dilation` is no key

  for (const char* bad : {"{dilated: 2}", "{in_channels: 0}", "{in_channels: many}"}) {
    auto bad_config = Config::from_text(std::string("encoder: ") + bad + "\n", "e.yaml");
    auto section = bad_config.section("encoder");
    EXPECT_THROW(read_mobilenet_v3_options(section), ConfigError) << bad;
  }
  auto defaults = Config::from_text("encoder: {}\n", "e.yaml");
  auto section = defaults.section("encoder");
  const auto options = read_mobilenet_v3_options(section);
  EXPECT_EQ(options.in_channels, 3);
  EXPECT_FALSE(options.dilated);
  defaults.check_all_keys_known();
}

TEST(MobileNetV3Encoder, FoldedBatchNormGivesTheSameFeatures) {
  auto encoder = mobilenet(false);
  {
    torch::NoGradGuard no_grad;
    for (auto& buffer : encoder->named_buffers()) {
      if (buffer.key().find("running_mean") != std::string::npos)
        buffer.value().uniform_(-0.3, 0.3);
      if (buffer.key().find("running_var") != std::string::npos) buffer.value().uniform_(0.5, 2.0);
    }
  }
  encoder->eval();
  torch::NoGradGuard no_grad;
  const auto images = torch::randn({2, 3, 64, 64});
  const auto expected = encoder->forward(images);
  encoder->fold_for_inference();
  const auto folded = encoder->forward(images);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_LT(relative_diff(folded[i], expected[i]), 1e-5) << "level " << i;
  }
  EXPECT_THROW(encoder->load_torchvision({}), Error);
}

TEST(MobileNetV3Encoder, GrayscaleFromRgbWeightsSumsTheFilters) {
  auto rgb = mobilenet(false);
  StateDict state;
  for (const auto& item : rgb->named_parameters()) state.emplace_back(item.key(), item.value());
  for (const auto& item : rgb->named_buffers()) state.emplace_back(item.key(), item.value());
  auto gray = mobilenet(false, 1);
  EXPECT_NE(gray->load_torchvision(state).find("summed RGB filters"), std::string::npos);
  rgb->eval();
  gray->eval();
  torch::NoGradGuard no_grad;
  const auto image = torch::rand({1, 1, 64, 64});
  EXPECT_LT(testing::max_abs_diff(gray->forward(image).back(),
                                  rgb->forward(image.expand({1, 3, 64, 64})).back()),
            1e-4);
  StateDict wrong = {{"features.0.0.weight", torch::zeros({16, 3, 5, 5})}};
  EXPECT_THROW(rgb->load_torchvision(wrong), Error);
}

class MobileNetV3Parity : public ::testing::TestWithParam<bool> {};

// The same random torchvision weights (its whole state dict but the classifier, loaded with
// nothing missing and nothing extra) and input give the same five levels, at 224x224 and at a
// size that is not a multiple of 32, before and after folding batch-norm.
TEST_P(MobileNetV3Parity, MatchesTorchvision) {
  const bool dilated = GetParam();
  TempDir dir;
  testing::run_peer("torchvision_features.py mobilenet_v3_large " + dir.path().string() +
                    " --batch 2 --size 224 224 --size 200 250" + (dilated ? " --dilated" : ""));
  auto encoder = mobilenet(dilated);
  encoder->load_torchvision(read_state_dict(dir.file("state.pt")));
  encoder->eval();
  const auto expected = testing::load_tensor_dict(dir.file("features.pt"));
  const std::vector<std::string> names = {"features.0", "features.2", "features.4", "features.7",
                                          "features.16"};
  torch::InferenceMode inference;
  for (bool folded : {false, true}) {
    if (folded) encoder->fold_for_inference();
    for (const std::string suffix : {"", "@200x250"}) {
      const auto levels = encoder->forward(expected.at("input" + suffix));
      ASSERT_EQ(levels.size(), names.size());
      for (size_t i = 0; i < names.size(); ++i) {
        const auto& reference = expected.at(names[i] + suffix);
        ASSERT_EQ(levels[i].sizes(), reference.sizes()) << names[i] << suffix;
        const double diff = relative_diff(levels[i], reference);
        EXPECT_LT(diff, 1e-4) << names[i] << suffix << (folded ? " folded" : "")
                              << (dilated ? " dilated" : "");
        // An XML attribute name: features_16_200x250_folded
        std::string key =
            names[i] + (suffix.empty() ? "" : "_" + suffix.substr(1)) + (folded ? "_folded" : "");
        std::replace(key.begin(), key.end(), '.', '_');
        char text[32];
        std::snprintf(text, sizeof text, "%.2e", diff);
        RecordProperty(key, text);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(MobileNetV3, MobileNetV3Parity, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Dilated" : "Plain";
                         });

}  // namespace
}  // namespace vedkit
