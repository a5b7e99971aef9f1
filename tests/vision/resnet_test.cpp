#include "vision/encoders/resnet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "tests/support/python_peer.h"
#include "vision/encoders/state_dict.h"

namespace vedkit {
namespace {

using testing::TempDir;

std::shared_ptr<ResNetEncoderImpl> resnet(int64_t depth, int64_t in_channels = 3,
                                          int64_t stem_stride = 4) {
  ResNetOptions options;
  options.depth = depth;
  options.in_channels = in_channels;
  options.stem_stride = stem_stride;
  return std::make_shared<ResNetEncoderImpl>(options);
}

std::vector<int64_t> strides(const ResNetEncoderImpl& encoder) {
  std::vector<int64_t> result;
  for (const auto& level : encoder.pyramid()) result.push_back(level.stride);
  return result;
}

TEST(ResNetEncoder, DeclaredPyramidMatchesOutputs) {
  for (int64_t stem_stride : {4, 2}) {
    for (int64_t depth : {18, 34, 50}) {
      auto encoder = resnet(depth, 1, stem_stride);
      encoder->eval();
      torch::NoGradGuard no_grad;
      const auto levels = encoder->forward(torch::randn({2, 1, 64, 96}));
      ASSERT_EQ(levels.size(), encoder->pyramid().size());
      for (size_t i = 0; i < levels.size(); ++i) {
        const auto& level = encoder->pyramid()[i];
        EXPECT_EQ(levels[i].sizes(),
                  (torch::IntArrayRef{2, level.channels, 64 / level.stride, 96 / level.stride}))
            << "depth " << depth << " stem_stride " << stem_stride << " level " << i;
      }
    }
  }
  EXPECT_EQ(resnet(50)->pyramid().back().channels, 2048);
  EXPECT_EQ(resnet(18)->pyramid().back().channels, 512);
}

TEST(ResNetEncoder, OutputStrideDilatesTheLastStages) {
  for (int64_t output_stride : {8, 16}) {
    ResNetOptions options;
    options.depth = 50;
    options.output_stride = output_stride;
    ResNetEncoderImpl encoder(options);
    const std::vector<int64_t> expected = output_stride == 8
                                              ? std::vector<int64_t>{2, 4, 8, 8, 8}
                                              : std::vector<int64_t>{2, 4, 8, 16, 16};
    EXPECT_EQ(strides(encoder), expected);
    encoder.eval();
    torch::NoGradGuard no_grad;
    EXPECT_EQ(encoder.forward(torch::rand({1, 3, 64, 64})).back().sizes(),
              (torch::IntArrayRef{1, 2048, 64 / output_stride, 64 / output_stride}));
    // As torchvision: a dilated stage's first block keeps the previous stage's dilation.
    EXPECT_EQ(encoder.named_modules("", false)["layer4.0.conv2"]
                  ->as<torch::nn::Conv2d>()
                  ->options.dilation()
                  ->at(0),
              output_stride == 8 ? 2 : 1);
    EXPECT_EQ(encoder.named_modules("", false)["layer4.1.conv2"]
                  ->as<torch::nn::Conv2d>()
                  ->options.dilation()
                  ->at(0),
              output_stride == 8 ? 4 : 2);
  }
}

TEST(ResNetEncoder, StrideTwoStemDropsTheMaxPoolAndKeepsTheParameters) {
  auto pooled = resnet(18);
  auto unpooled = resnet(18, 3, 2);
  EXPECT_EQ(strides(*pooled), (std::vector<int64_t>{2, 4, 8, 16, 32}));
  EXPECT_EQ(strides(*unpooled), (std::vector<int64_t>{2, 2, 4, 8, 16}));
  EXPECT_EQ(pooled->size_multiple(), 32);
  EXPECT_EQ(unpooled->size_multiple(), 16);
  const auto pooled_parameters = pooled->named_parameters();
  const auto unpooled_parameters = unpooled->named_parameters();
  ASSERT_EQ(pooled_parameters.size(), unpooled_parameters.size());
  for (size_t i = 0; i < pooled_parameters.size(); ++i) {
    EXPECT_EQ(pooled_parameters[i].key(), unpooled_parameters[i].key());
    EXPECT_EQ(pooled_parameters[i].value().sizes(), unpooled_parameters[i].value().sizes());
  }
  // With the same weights the stems agree, and layer1 runs at the stem's resolution.
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < pooled_parameters.size(); ++i) {
    unpooled_parameters[i].value().copy_(pooled_parameters[i].value());
  }
  pooled->eval();
  unpooled->eval();
  const auto image = torch::rand({1, 3, 64, 64});
  const auto a = pooled->forward(image), b = unpooled->forward(image);
  EXPECT_LT(testing::max_abs_diff(a[0], b[0]), 1e-6);
  EXPECT_EQ(b[1].sizes(), (torch::IntArrayRef{1, 64, 32, 32}));
}

TEST(ResNetEncoder, TokensFlattenTheCoarsestLevel) {
  auto encoder = resnet(18);
  encoder->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(encoder->tokens(torch::randn({1, 3, 64, 64})).sizes(), (torch::IntArrayRef{1, 4, 512}));
}

TEST(ResNetEncoder, FoldedBatchNormGivesTheSameFeatures) {
  auto encoder = resnet(50);
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
    EXPECT_LT(testing::max_abs_diff(expected[i], folded[i]), 1e-4) << "level " << i;
  }
}

TEST(ResNetEncoder, ConfigRejectsBadDepthAndChannels) {
  auto config = Config::from_text("encoder: {depth: 20, in_channels: 0}\n", "e.yaml");
  auto section = config.section("encoder");
  EXPECT_THROW(read_resnet_options(section), ConfigError);
  auto channels = Config::from_text("encoder: {in_channels: 0}\n", "e.yaml");
  auto channels_section = channels.section("encoder");
  EXPECT_THROW(read_resnet_options(channels_section), ConfigError);
  for (const char* stem : {"1", "3", "8"}) {
    auto stem_config =
        Config::from_text(std::string("encoder: {stem_stride: ") + stem + "}\n", "e.yaml");
    auto stem_section = stem_config.section("encoder");
    EXPECT_THROW(read_resnet_options(stem_section), ConfigError) << stem;
  }
  // Dilation: bottlenecks with torchvision's stem only, and strides 8, 16 or 32.
  for (const char* bad : {"{depth: 18, output_stride: 16}", "{depth: 50, output_stride: 4}",
                          "{depth: 50, output_stride: 8, stem_stride: 2}"}) {
    auto dilated = Config::from_text(std::string("encoder: ") + bad + "\n", "e.yaml");
    auto dilated_section = dilated.section("encoder");
    EXPECT_THROW(read_resnet_options(dilated_section), ConfigError) << bad;
  }
  auto good = Config::from_text("encoder: {stem_stride: 2}\n", "e.yaml");
  auto good_section = good.section("encoder");
  EXPECT_EQ(read_resnet_options(good_section).stem_stride, 2);
}

class ResNetParity : public ::testing::TestWithParam<int64_t> {};

// The same random torchvision weights and input give the same features (1e-4 max abs), and
// after folding batch-norm, as close as PyTorch's own folding comes.
TEST_P(ResNetParity, MatchesTorchvision) {
  const int64_t depth = GetParam();
  TempDir dir;
  testing::run_peer("torchvision_features.py resnet" + std::to_string(depth) + " " +
                    dir.path().string() + " --batch 2");
  auto encoder = resnet(depth);
  encoder->load_torchvision(read_state_dict(dir.file("state.pt")));
  encoder->eval();
  auto expected = testing::load_tensor_dict(dir.file("features.pt"));
  const auto input = expected.at("input");
  const std::vector<std::string> names = {"stem", "layer1", "layer2", "layer3", "layer4"};
  torch::InferenceMode inference;
  for (bool folded : {false, true}) {
    if (folded) encoder->fold_for_inference();
    const auto levels = encoder->forward(input);
    for (size_t i = 0; i < names.size(); ++i) {
      const auto& reference = expected.at(names[i]);
      const double diff = testing::max_abs_diff(levels[i], reference);
      // Folding rounds differently: PyTorch's own fuse_conv_bn_eval moves ResNet-50's layer4
      // by 1.2e-3 on features of magnitude 12, so the folded path gets a relative bound.
      const double bound = folded ? 2e-4 * reference.abs().max().item<double>() : 1e-4;
      EXPECT_LT(diff, bound) << names[i] << (folded ? " (folded)" : "");
      RecordProperty(names[i] + (folded ? "_folded" : ""), std::to_string(diff));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Depths, ResNetParity, ::testing::Values(18, 50));

TEST(ResNetEncoder, GrayscaleFromRgbWeightsSumsTheFilters) {
  TempDir dir;
  auto rgb = resnet(18);
  StateDict state;
  for (const auto& item : rgb->named_parameters()) state.emplace_back(item.key(), item.value());
  for (const auto& item : rgb->named_buffers()) state.emplace_back(item.key(), item.value());
  auto gray = resnet(18, 1);
  EXPECT_NE(gray->load_torchvision(state).find("summed RGB filters"), std::string::npos);
  rgb->eval();
  gray->eval();
  torch::NoGradGuard no_grad;
  const auto image = torch::rand({1, 1, 64, 64});
  EXPECT_LT(testing::max_abs_diff(gray->forward(image).back(),
                                  rgb->forward(image.expand({1, 3, 64, 64})).back()),
            1e-4);
  auto multispectral = resnet(18, 5);
  EXPECT_NE(multispectral->load_torchvision(state).find("over 5 input channels"),
            std::string::npos);
}

TEST(StateDict, MissingOrForeignFilesAreErrors) {
  TempDir dir;
  EXPECT_THROW(read_state_dict(dir.file("none.pt")), Error);
  EXPECT_THROW(read_state_dict(dir.write("text.pt", "hello")), Error);
  auto encoder = resnet(34);
  StateDict partial = {{"conv1.weight", torch::zeros({64, 3, 7, 7})}};
  EXPECT_THROW(encoder->load_torchvision(partial), Error);
  StateDict wrong = {{"conv1.weight", torch::zeros({32, 3, 7, 7})}};
  EXPECT_THROW(encoder->load_torchvision(wrong), Error);
}

}  // namespace
}  // namespace vedkit
