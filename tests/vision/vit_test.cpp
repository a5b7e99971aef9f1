#include "vision/encoders/vit.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "core/error.h"
#include "tests/support/error_of.h"
#include "tests/support/python_peer.h"
#include "vision/encoders/state_dict.h"

namespace vedkit {
namespace {

using testing::TempDir;

std::shared_ptr<ViTEncoderImpl> vit(ViTOptions options) {
  auto encoder = std::make_shared<ViTEncoderImpl>(std::move(options));
  encoder->eval();
  return encoder;
}

std::shared_ptr<ViTEncoderImpl> tiny(int64_t in_channels = 3) {
  return vit(ViTOptions::preset("tiny").in_channels(in_channels));
}

// The encoder's own weights as a torchvision state dict (its pyramid is vedkit's alone).
StateDict torchvision_state(ViTEncoderImpl& encoder) {
  StateDict state;
  for (const auto& item : encoder.named_parameters()) {
    if (item.key().rfind("pyramid.", 0) != 0)
      state.emplace_back(item.key(), item.value().detach().clone());
  }
  return state;
}

using testing::error_of;

// The same random torchvision vit_b_16 weights and input give the same encoder output.
TEST(ViTParity, MatchesTorchvisionVitB16) {
  TempDir dir;
  testing::run_peer("torchvision_features.py vit_b_16 " + dir.path().string() + " --batch 1");
  auto encoder = vit(ViTOptions::preset("base"));
  EXPECT_EQ(encoder->load_torchvision(read_state_dict(dir.file("state.pt"))),
            "loaded 150 torchvision ViT tensors");
  const auto peer = testing::load_tensor_dict(dir.file("features.pt"));
  const auto input = peer.at("input");
  const auto expected = peer.at("sequence");
  torch::InferenceMode inference;
  const auto sequence = encoder->sequence(input);
  ASSERT_EQ(sequence.sizes(), expected.sizes());
  const double diff = testing::max_abs_diff(sequence, expected);
  EXPECT_LT(diff, 1e-4);
  std::ostringstream text;
  text << diff;
  RecordProperty("sequence_max_abs_diff", text.str());
  EXPECT_TRUE(encoder->tokens(input).equal(sequence.slice(1, 1)));
}

TEST(ViTEncoder, DeclaredPyramidMatchesOutputs) {
  torch::NoGradGuard no_grad;
  for (int64_t channels : {1, 3, 5}) {
    auto encoder = tiny(channels);
    EXPECT_EQ(encoder->in_channels(), channels);
    EXPECT_EQ(encoder->size_multiple(), 32);
    const auto images = torch::randn({2, channels, 64, 96});
    const auto levels = encoder->forward(images);
    ASSERT_EQ(levels.size(), encoder->pyramid().size());
    std::vector<int64_t> strides;
    for (size_t i = 0; i < levels.size(); ++i) {
      const auto& level = encoder->pyramid()[i];
      strides.push_back(level.stride);
      EXPECT_EQ(levels[i].sizes(),
                (torch::IntArrayRef{2, level.channels, 64 / level.stride, 96 / level.stride}))
          << "in_channels " << channels << " level " << i;
    }
    EXPECT_EQ(strides, (std::vector<int64_t>{4, 8, 16, 32}));
    EXPECT_EQ(encoder->tokens(images).sizes(), (torch::IntArrayRef{2, 4 * 6, 192}));
    EXPECT_EQ(encoder->token_channels(), 192);
  }
  auto narrow = vit(ViTOptions::preset("tiny").patch_size(8).pyramid_channels(64));
  const auto levels = narrow->forward(torch::randn({1, 3, 32, 48}));
  for (size_t i = 0; i < levels.size(); ++i) {
    const auto& level = narrow->pyramid()[i];
    EXPECT_EQ(level.stride, int64_t{2} << i);
    EXPECT_EQ(levels[i].sizes(), (torch::IntArrayRef{1, 64, 32 / level.stride, 48 / level.stride}));
  }
}

// With pyramid_channels == width, the stride-p level is the tapped block's tokens laid out as
// a grid and the stride-2p level is its max-pool.
TEST(ViTEncoder, PyramidLevelsAreTheTappedTokens) {
  auto encoder = vit(ViTOptions::preset("tiny").pyramid_blocks({3, 6, 12, 12}));
  torch::NoGradGuard no_grad;
  const auto images = torch::randn({2, 3, 64, 96});
  const auto grid = encoder->tokens(images).transpose(1, 2).reshape({2, 192, 4, 6});
  const auto levels = encoder->forward(images);
  EXPECT_LT(testing::max_abs_diff(levels[2], grid), 1e-5);
  EXPECT_LT(testing::max_abs_diff(levels[3], torch::max_pool2d(grid, 2)), 1e-5);
}

TEST(ViTEncoder, AcceptsAnyMultipleOfThePatch) {
  auto encoder = tiny();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(encoder->sequence(torch::randn({1, 3, 160, 192})).sizes(),
            (torch::IntArrayRef{1, 1 + 10 * 12, 192}));
  EXPECT_EQ(encoder->tokens(torch::randn({1, 3, 48, 48})).sizes(), (torch::IntArrayRef{1, 9, 192}));
  const auto levels = encoder->forward(torch::randn({1, 3, 96, 96}));
  EXPECT_EQ(levels.front().sizes(), (torch::IntArrayRef{1, 192, 24, 24}));
  EXPECT_EQ(levels.back().sizes(), (torch::IntArrayRef{1, 192, 3, 3}));

  const auto size = error_of([&] { encoder->tokens(torch::randn({1, 3, 100, 100})); });
  EXPECT_NE(size.find("image size 100x100 is not a multiple of 16"), std::string::npos) << size;
  // forward needs multiples of size_multiple() (32), so that the stride-32 level is exact.
  const auto pyramid = error_of([&] { encoder->forward(torch::randn({1, 3, 48, 48})); });
  EXPECT_NE(pyramid.find("not a multiple of 32"), std::string::npos) << pyramid;
  const auto channels = error_of([&] { encoder->forward(torch::randn({1, 1, 64, 64})); });
  EXPECT_NE(channels.find("expected images [B, 3, H, W], got [1, 1, 64, 64]"), std::string::npos)
      << channels;
}

TEST(ViTEncoder, GrayscaleFromRgbWeightsSumsTheFilters) {
  auto rgb = tiny();
  auto state = torchvision_state(*rgb);
  state.emplace_back("heads.head.weight", torch::zeros({1000, 192}));  // ignored
  auto gray = tiny(1);
  EXPECT_NE(gray->load_torchvision(state).find(
                "conv_proj.weight: summed RGB filters for 1 input channel"),
            std::string::npos);
  torch::NoGradGuard no_grad;
  const auto image = torch::rand({2, 1, 64, 96});
  EXPECT_LT(
      testing::max_abs_diff(gray->sequence(image), rgb->sequence(image.expand({2, 3, 64, 96}))),
      1e-4);

  auto multispectral = tiny(5);
  EXPECT_NE(multispectral->load_torchvision(state).find("over 5 input channels, scaled by 3/5"),
            std::string::npos);
  const auto& rgb_filters = find_tensor(state, "conv_proj.weight");
  const auto filters = multispectral->named_parameters()["conv_proj.weight"];
  EXPECT_LT(testing::max_abs_diff(filters.select(1, 3), rgb_filters.select(1, 0) * 0.6), 1e-7);
  EXPECT_LT(testing::max_abs_diff(filters.select(1, 4), rgb_filters.select(1, 1) * 0.6), 1e-7);
}

// A state trained at 224 (a 14x14 grid) loaded into a model for 160 (10x10) is interpolated
// once at load time; the 224 model interpolates the same way at run time.
TEST(ViTEncoder, LoadInterpolatesAPositionGridTrainedAtAnotherSize) {
  auto at224 = tiny();
  auto at160 = vit(ViTOptions::preset("tiny").image_size(160));
  EXPECT_NE(at160->load_torchvision(torchvision_state(*at224))
                .find("encoder.pos_embedding: interpolated the 14x14 grid to 10x10"),
            std::string::npos);
  EXPECT_EQ(at160->named_parameters()["encoder.pos_embedding"].sizes(),
            (torch::IntArrayRef{1, 101, 192}));
  torch::NoGradGuard no_grad;
  const auto images = torch::randn({1, 3, 160, 160});
  EXPECT_LT(testing::max_abs_diff(at160->sequence(images), at224->sequence(images)), 1e-5);
}

TEST(ViTEncoder, LoadRejectsMissingUnknownAndMisshapenTensors) {
  auto source = tiny();
  auto target = tiny();
  const auto before = target->named_parameters()["conv_proj.weight"].clone();

  auto missing = torchvision_state(*source);
  missing.erase(missing.begin() + 5);
  const auto missing_name = torchvision_state(*source)[5].first;
  const auto lacks = error_of([&] { target->load_torchvision(missing); });
  EXPECT_NE(lacks.find("missing '" + missing_name + "'"), std::string::npos) << lacks;

  auto deeper = torchvision_state(*source);
  deeper.emplace_back("encoder.layers.encoder_layer_12.ln_1.weight", torch::ones({192}));
  const auto unknown = error_of([&] { target->load_torchvision(deeper); });
  EXPECT_NE(unknown.find("unexpected tensor 'encoder.layers.encoder_layer_12.ln_1.weight'"),
            std::string::npos)
      << unknown;

  auto misshapen = torchvision_state(*source);
  for (auto& [name, tensor] : misshapen) {
    if (name == "encoder.ln.weight") tensor = torch::ones({384});
  }
  const auto shape = error_of([&] { target->load_torchvision(misshapen); });
  EXPECT_NE(shape.find("'encoder.ln.weight' is [384] in the state dict, [192] in the model"),
            std::string::npos)
      << shape;
  // A failed load changes nothing.
  EXPECT_TRUE(target->named_parameters()["conv_proj.weight"].equal(before));
}

TEST(ViTConfig, ReadsPresetsAndOverrides) {
  auto config = Config::from_text("encoder: {preset: small, depth: 8, in_channels: 1}\n", "e.yaml");
  auto section = config.section("encoder");
  const auto options = read_vit_options(section);
  EXPECT_EQ(options.width(), 384);
  EXPECT_EQ(options.heads(), 6);
  EXPECT_EQ(options.mlp_dim(), 1536);
  EXPECT_EQ(options.depth(), 8);
  EXPECT_EQ(options.patch_size(), 16);
  EXPECT_EQ(options.image_size(), 224);
  EXPECT_EQ(options.in_channels(), 1);
  EXPECT_EQ(options.pyramid_blocks(), (std::vector<int64_t>{2, 4, 6, 8}));
  EXPECT_EQ(options.pyramid_channels(), 384);

  auto defaults = Config::from_text("encoder: {}\n", "e.yaml");
  auto base = defaults.section("encoder");
  EXPECT_EQ(read_vit_options(base).width(), 768);
}

TEST(ViTConfig, RejectsInconsistentValues) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{preset: tiny, heads: 5}", "encoder.heads: expected a divisor of width 192, got '5'"},
      {"{preset: tiny, width: 100}", "encoder.heads: expected a divisor of width 100"},
      {"{preset: huge}", "encoder.preset: expected one of tiny, small, base"},
      {"{patch_size: 10}", "encoder.patch_size: expected a multiple of 4 in [4, 64], got '10'"},
      {"{patch_size: 0}", "encoder.patch_size: expected an integer"},
      {"{image_size: 100}", "encoder.image_size: expected a multiple of patch_size 16, got '100'"},
      {"{pyramid_blocks: [3, 6, 9]}", "encoder.pyramid_blocks: expected 4 block numbers"},
      {"{depth: 6, pyramid_blocks: [3, 6, 9, 12]}", "encoder.pyramid_blocks"},
  };
  for (const auto& [yaml, expected] : cases) {
    auto config = Config::from_text("encoder: " + yaml + "\n", "e.yaml");
    auto section = config.section("encoder");
    const auto message = error_of<ConfigError>([&] { read_vit_options(section); });
    EXPECT_NE(message.find(expected), std::string::npos) << yaml << " -> " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_NE(error_of([] { ViTOptions::preset("huge"); }).find("ViT preset 'huge'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              ViTEncoderImpl(ViTOptions::preset("tiny").heads(5));
            }).find("ViT options: heads: expected a divisor of width 192, got 5"),
            std::string::npos);
}

}  // namespace
}  // namespace vedkit
