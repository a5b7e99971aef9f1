#include "vision/autoencoder/autoencoder_model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/model_file.h"
#include "tests/support/error_of.h"
#include "tests/support/temp_dir.h"
#include "vision/autoencoder/corruption.h"

namespace vedkit {
namespace {

AutoencoderModel autoencoder_model_from(const std::string& yaml) {
  auto config = Config::from_text(yaml, "model.yaml");
  return build_autoencoder_model(config.section("model"));
}

const char* kSmallResNet = "{type: resnet, depth: 18, width: 8, in_channels: 1}";
const char* kSmallViT = "{type: vit, preset: tiny, depth: 4, patch_size: 8}";

TEST(AutoencoderModel, ReconstructsAtInputSizeForEachEncoderAndLatent) {
  struct Case {
    std::string encoder, decoder;
    std::vector<int64_t> image;
    std::vector<int64_t> latent;
  };
  const std::vector<Case> cases = {
      {kSmallResNet, "{latent: channels, latent_size: 6}", {2, 1, 64, 96}, {2, 6, 2, 3}},
      {kSmallResNet, "{latent: channels, latent_size: 6}", {2, 1, 50, 70}, {2, 6, 2, 3}},  // padded
      // patch 8: the ViT's pyramid ends at stride 16, so four x2 blocks.
      {kSmallViT, "{latent: channels, latent_size: 4, channels: [32, 16, 16, 8]}", {1, 3, 64, 64}, {1, 4, 4, 4}},
  };
  for (const auto& c : cases) {
    auto model = autoencoder_model_from("model:\n  encoder: " + c.encoder + "\n  decoder: " + c.decoder + "\n");
    model->eval();
    torch::NoGradGuard no_grad;
    const auto images = torch::rand(c.image);
    const auto out = model->forward(images);
    EXPECT_EQ(out.reconstruction.sizes(), images.sizes()) << c.encoder;
    EXPECT_EQ(out.latent.mean.sizes(), torch::IntArrayRef(c.latent)) << c.encoder;
    EXPECT_GE(out.reconstruction.min().item<double>(), 0.0);  // sigmoid output, data in [0, 1]
    EXPECT_LE(out.reconstruction.max().item<double>(), 1.0);
  }
}

TEST(AutoencoderModel, VectorLatentTakesItsInputSize) {
  auto model = autoencoder_model_from(std::string("model:\n  encoder: ") + kSmallResNet +
                          "\n  decoder: {latent: vector, latent_size: 16}\n  input_size: [28, 28]\n");
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(model->encode(torch::rand({3, 1, 28, 28})).sizes(), (torch::IntArrayRef{3, 16}));
  EXPECT_NE(testing::error_of([&] { model->forward(torch::rand({1, 1, 32, 32})); }).find("takes 28x28"),
            std::string::npos);
  EXPECT_NE(testing::error_of<ConfigError>([] {
              autoencoder_model_from(std::string("model:\n  encoder: ") + kSmallResNet + "\n  decoder: {latent: vector}\n");
            }).find("input_size"),
            std::string::npos);
  // Decoding starts from a 4x4 grid (stride 8 of the padded 32x32) with three x2 blocks.
  auto finer = autoencoder_model_from(std::string("model:\n  encoder: ") + kSmallResNet +
                          "\n  decoder: {latent: vector, latent_size: 16, start_stride: 8, channels: [16, 8, 8]}"
                          "\n  input_size: [28, 28]\n");
  finer->eval();
  EXPECT_EQ(finer->forward(torch::rand({2, 1, 28, 28})).reconstruction.sizes(), (torch::IntArrayRef{2, 1, 28, 28}));
  EXPECT_NE(testing::error_of<ConfigError>([] {
              autoencoder_model_from(std::string("model:\n  encoder: ") + kSmallResNet +
                         "\n  decoder: {latent: vector, start_stride: 8, channels: [16, 8]}\n  input_size: [28, 28]\n");
            }).find("expected 3 entries, one per x2 block from stride 8"),
            std::string::npos);
}

// Everything the decoder sees must pass through the latent: forward equals decode(encode).
// A skip connection from a finer level would make the two differ.
TEST(AutoencoderModel, NoSkipReachesTheDecoder) {
  for (const auto* encoder : {kSmallResNet, kSmallViT}) {
    const bool resnet = encoder == kSmallResNet;
    auto model = autoencoder_model_from(std::string("model:\n  encoder: ") + encoder + "\n  decoder: {latent_size: 8, channels: " +
                            (resnet ? "[32, 16, 16, 8, 8]" : "[32, 16, 16, 8]") + "}\n");
    const int channels = resnet ? 1 : 3;
    model->eval();
    torch::NoGradGuard no_grad;
    const auto images = torch::rand({2, channels, 64, 64});
    const auto through_latent = model->decode(model->encode(images), 64, 64);
    EXPECT_TRUE(torch::allclose(model->forward(images).reconstruction, through_latent, 1e-6, 1e-6)) << encoder;
  }
}

TEST(AutoencoderModel, VariationalSamplesInTrainingAndUsesTheMeanInEval) {
  auto model = autoencoder_model_from(std::string("model:\n  mode: variational\n  encoder: ") + kSmallResNet +
                          "\n  decoder: {latent_size: 4}\n");
  const auto images = torch::rand({2, 1, 32, 32});
  model->train();
  const auto out = model->forward(images);
  ASSERT_TRUE(out.latent.log_var.defined());
  EXPECT_EQ(out.latent.log_var.sizes(), out.latent.mean.sizes());
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(model->forward(images).reconstruction, model->forward(images).reconstruction));
}

TEST(AutoencoderModel, ModeKeysAreChecked) {
  EXPECT_NE(testing::error_of<ConfigError>([] {
              autoencoder_model_from(std::string("model:\n  mode: sparse\n  encoder: ") + kSmallResNet + "\n");
            }).find("mode"),
            std::string::npos);
  EXPECT_NE(testing::error_of<ConfigError>([] {
              autoencoder_model_from(std::string("model:\n  encoder: ") + kSmallResNet + "\n  decoder: {channels: [8, 8]}\n");
            }).find("expected 5 entries"),
            std::string::npos);
  auto masked = autoencoder_model_from(std::string("model:\n  mode: masked\n  encoder: ") + kSmallViT + "\n");
  EXPECT_EQ(masked->mode().mask_patch, 8);  // the ViT's own patch
}

TEST(AutoencoderModel, DetailTargetKeepsEdgesAndDropsSmoothBackgrounds) {
  auto model = autoencoder_model_from(std::string("model:\n  target: detail\n  detail_sigma: 2\n  encoder: ") +
                          kSmallResNet + "\n  decoder: {output: none}\n");
  // A horizontal ramp (smooth background) with a bright square on it.
  auto images = torch::linspace(0, 0.5, 64).view({1, 1, 1, 64}).expand({1, 1, 64, 64}).clone();
  images.index_put_({0, 0, torch::indexing::Slice(24, 40), torch::indexing::Slice(24, 40)}, 1.0);
  const auto detail = model->target(images);
  ASSERT_EQ(detail.sizes(), images.sizes());
  using torch::indexing::Slice;
  const auto ramp_only = detail.index({0, 0, Slice(0, 12), Slice(8, 56)});  // far from square and borders
  EXPECT_LT(ramp_only.abs().max().item<double>(), 1e-5);
  const auto square_edge = detail.index({0, 0, 32, Slice(22, 26)});
  EXPECT_GT(square_edge.abs().max().item<double>(), 0.2);
  // Drawn around mid-grey: no detail is 0.5.
  EXPECT_NEAR(model->viewable(torch::zeros({1})).item<double>(), 0.5, 1e-7);

  auto plain = autoencoder_model_from(std::string("model:\n  encoder: ") + kSmallResNet + "\n");
  EXPECT_TRUE(torch::equal(plain->target(images), images));
  EXPECT_TRUE(torch::equal(plain->viewable(images), images));
}

TEST(AutoencoderModel, DetailTargetNeedsAnUnboundedOutput) {
  const auto message = testing::error_of<ConfigError>([] {
    autoencoder_model_from(std::string("model:\n  target: detail\n  encoder: ") + kSmallResNet + "\n");
  });
  EXPECT_NE(message.find("model.decoder.output"), std::string::npos) << message;
  EXPECT_NE(message.find("expected none"), std::string::npos) << message;
  EXPECT_NE(testing::error_of<ConfigError>([] {
              autoencoder_model_from(std::string("model:\n  target: edges\n  encoder: ") + kSmallResNet + "\n");
            }).find("target"),
            std::string::npos);
}

TEST(Corruption, PatchMaskHidesTheRequestedShareInWholePatches) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto mask = random_patch_mask(4, 32, 40, 8, 0.75, generator);
  ASSERT_EQ(mask.sizes(), (torch::IntArrayRef{4, 1, 32, 40}));
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(mask[i].sum().item<int64_t>(), 15 * 64);  // round(0.75 * 20 patches) = 15
  }
  // Constant within each patch.
  const auto patches = mask.view({4, 1, 4, 8, 5, 8});
  EXPECT_TRUE(torch::equal(patches.amax({3, 5}), patches.amin({3, 5})));
  // Different images hide different patches.
  EXPECT_FALSE(torch::equal(mask[0], mask[1]));
}

TEST(Corruption, DenoisingAddsClippedNoise) {
  AutoencoderModeOptions mode;
  mode.mode = "denoising";
  mode.noise_std = 0.2;
  const auto images = torch::full({2, 1, 16, 16}, 0.5);
  const auto input = corrupt(images, mode, at::make_generator<at::CPUGeneratorImpl>(1));
  EXPECT_NEAR((input.images - images).std().item<double>(), 0.2, 0.03);
  EXPECT_GE(input.images.min().item<double>(), 0.0);
  EXPECT_FALSE(input.hidden.defined());
}

TEST(EncoderInitFrom, CopiesAnAutoencodersEncoderIntoAnotherTask) {
  testing::TempDir dir;
  auto autoencoder = autoencoder_model_from(std::string("model:\n  encoder: ") + kSmallResNet + "\n");
  {
    torch::NoGradGuard no_grad;
    for (auto& p : autoencoder->parameters()) p.uniform_(-1, 1);
  }
  write_model_file(dir.file("ae.vdk"), *autoencoder, {"task: autoencoder\n", {}, {}});

  auto config = Config::from_text(std::string("encoder: ") +
                                      "{type: resnet, depth: 18, width: 8, in_channels: 1, init_from: " +
                                      dir.file("ae.vdk") + "}\n",
                                  "seg.yaml");
  const auto encoder = build_encoder(config.section("encoder"));
  const auto source = autoencoder->encoder()->named_parameters();
  for (const auto& item : encoder->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), source[item.key()])) << item.key();
  }

  auto wider = Config::from_text("encoder: {type: resnet, depth: 18, width: 16, in_channels: 1, init_from: " +
                                     dir.file("ae.vdk") + "}\n",
                                 "seg.yaml");
  const auto message = testing::error_of<ConfigError>([&] { build_encoder(wider.section("encoder")); });
  EXPECT_NE(message.find("init_from"), std::string::npos) << message;
  EXPECT_NE(message.find("encoder.conv1.weight"), std::string::npos) << message;
}

TEST(EncoderInitFrom, AModelFileLoadsWhenItsStartingFileIsGone) {
  testing::TempDir dir;
  auto first = autoencoder_model_from(std::string("model:\n  encoder: ") + kSmallResNet + "\n");
  write_model_file(dir.file("start.vdk"), *first, {"task: autoencoder\n", {}, {}});
  const std::string yaml = std::string("task: autoencoder\nmodel:\n  encoder: ") +
                           "{type: resnet, depth: 18, width: 8, in_channels: 1, init_from: " +
                           dir.file("start.vdk") + "}\n";
  auto config = Config::from_text(yaml, "ae.yaml");
  auto trained = build_autoencoder_model(config.section("model"));
  write_model_file(dir.file("trained.vdk"), *trained, {config.to_yaml(), {}, {}});
  std::filesystem::remove(dir.file("start.vdk"));
  EXPECT_EQ(testing::error_of([&] { load_autoencoder_model(dir.file("trained.vdk")); }), "");
}

}  // namespace
}  // namespace vedkit
